/**
 * Streaming formats of the providers, parsed from text however the network cut it: an event
 * or a line may arrive in pieces, several may arrive in one piece, and "\r\n" may be split.
 */

/** One server-sent event: its `event:` name ("message" when absent) and its joined `data:` lines. */
export interface SseEvent {
  event: string;
  data: string;
}

/**
 * The lines of a text stream, without their terminators ("\n", "\r\n" or "\r").
 *
 * @example
 * for await (const line of textLines(chunks)) console.log(line);
 */
export async function* textLines(chunks: AsyncIterable<string>): AsyncGenerator<string> {
  let buffer = '';
  for await (const chunk of chunks) {
    buffer += chunk;
    let start = 0;
    for (let i = 0; i < buffer.length; i++) {
      const char = buffer[i];
      if (char !== '\n' && char !== '\r') continue;
      // A "\r" that ends the buffer may be the first half of "\r\n": wait for the next piece.
      if (char === '\r' && i === buffer.length - 1) break;
      yield buffer.slice(start, i);
      if (char === '\r' && buffer[i + 1] === '\n') i++;
      start = i + 1;
    }
    buffer = buffer.slice(start);
  }
  if (buffer.endsWith('\r')) buffer = buffer.slice(0, -1);
  if (buffer.length > 0) yield buffer;
}

/**
 * Server-sent events (the WHATWG event-stream format) of a text stream; comments and
 * fields other than `event` and `data` are dropped.
 *
 * @example
 * for await (const { event, data } of sseEvents(chunks)) if (data !== '[DONE]') JSON.parse(data);
 */
export async function* sseEvents(chunks: AsyncIterable<string>): AsyncGenerator<SseEvent> {
  let event = '';
  let data: string[] = [];
  for await (const line of textLines(chunks)) {
    if (line === '') {
      if (data.length > 0) yield { event: event || 'message', data: data.join('\n') };
      event = '';
      data = [];
      continue;
    }
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  // The format drops an event the stream ended inside of; a server that omits the last blank
  // line still meant it, and the adapters check for their protocol's end marker anyway.
  if (data.length > 0) yield { event: event || 'message', data: data.join('\n') };
}

/**
 * The non-empty lines of newline-delimited JSON (Ollama's stream), still as text.
 *
 * @example
 * for await (const line of ndjsonLines(chunks)) JSON.parse(line);
 */
export async function* ndjsonLines(chunks: AsyncIterable<string>): AsyncGenerator<string> {
  for await (const line of textLines(chunks)) {
    if (line.trim() !== '') yield line;
  }
}
