import { describe, expect, it } from 'vitest';
import { ndjsonLines, sseEvents, textLines } from './stream.js';

async function* chunks(...pieces: string[]): AsyncGenerator<string> {
  for (const piece of pieces) yield piece;
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** Every way of cutting `text` in two. */
function cuts(text: string): [string, string][] {
  return Array.from({ length: text.length + 1 }, (_, i) => [text.slice(0, i), text.slice(i)]);
}

const ANTHROPIC_STREAM =
  'event: message_start\r\ndata: {"type":"message_start"}\r\n\r\n' +
  ': keep-alive comment\r\n\r\n' +
  'event: content_block_delta\r\ndata: {"type":"content_block_delta","delta":{"text":"a:b"}}\r\n\r\n';

describe('textLines', () => {
  it('splits at "\\n", "\\r\\n" and "\\r", however the text is cut', async () => {
    for (const [a, b] of cuts('one\r\ntwo\nthree\rfour')) {
      expect(await collect(textLines(chunks(a, b)))).toEqual(['one', 'two', 'three', 'four']);
    }
  });

  it('keeps empty lines, which end server-sent events', async () => {
    expect(await collect(textLines(chunks('a\n\nb\r\n\r\n')))).toEqual(['a', '', 'b', '']);
  });
});

describe('sseEvents', () => {
  it('yields each event once, wherever the network cut it', async () => {
    const expected = [
      { event: 'message_start', data: '{"type":"message_start"}' },
      { event: 'content_block_delta', data: '{"type":"content_block_delta","delta":{"text":"a:b"}}' },
    ];
    for (const [a, b] of cuts(ANTHROPIC_STREAM)) expect(await collect(sseEvents(chunks(a, b)))).toEqual(expected);
    expect(await collect(sseEvents(chunks(...ANTHROPIC_STREAM)))).toEqual(expected);
  });

  it('names unnamed events "message", joins data lines and drops the one leading space', async () => {
    const text = 'data: [DONE]\n\ndata:first\ndata:  second\nid: 7\nretry: 10\n\n';
    expect(await collect(sseEvents(chunks(text)))).toEqual([
      { event: 'message', data: '[DONE]' },
      { event: 'message', data: 'first\n second' },
    ]);
  });

  it('keeps a last event whose blank line never came', async () => {
    expect(await collect(sseEvents(chunks('data: {"a":1}\n\ndata: {"b":2}')))).toEqual([
      { event: 'message', data: '{"a":1}' },
      { event: 'message', data: '{"b":2}' },
    ]);
  });
});

describe('ndjsonLines', () => {
  it('yields each non-empty line, wherever the network cut it', async () => {
    const text = '{"done":false}\n\n{"done":true}\n';
    for (const [a, b] of cuts(text)) expect(await collect(ndjsonLines(chunks(a, b)))).toEqual(['{"done":false}', '{"done":true}']);
  });
});
