import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { rejection } from '../../test/support/llm-servers.js';
import { bodyText, type Endpoint, parseReply, readText, toolArguments } from './transport.js';

const endpoint: Endpoint = {
  name: 'primary',
  kind: 'openai',
  baseUrl: 'http://127.0.0.1:1/v1',
  apiKey: 'sk-test-key-1234',
  apiKeyEnv: 'TEST_KEY',
  timeoutMs: 1000,
  maxResponseBytes: 64,
};

function responseOf(...parts: Uint8Array[]): Response {
  return new Response(
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const part of parts) controller.enqueue(part);
        controller.close();
      },
    }),
  );
}

describe('bodyText', () => {
  it('decodes a UTF-8 character cut between two network chunks', async () => {
    const bytes = Buffer.from('a🌍b');
    const pieces: string[] = [];
    for await (const piece of bodyText(endpoint, responseOf(bytes.subarray(0, 3), bytes.subarray(3)))) pieces.push(piece);
    expect(pieces.join('')).toBe('a🌍b');
  });

  it('refuses a body past max_response_bytes', async () => {
    const error = await rejection(readText(endpoint, responseOf(Buffer.alloc(40, 97), Buffer.alloc(40, 97))));
    expect(error.code).toBe('LLM_BACKEND_FAILED');
    expect(error.message).toMatch(/"primary".*sent more than 64 bytes.*llm\.backends\.primary\.max_response_bytes/);
  });
});

describe('parseReply', () => {
  const schema = z.object({ choices: z.array(z.unknown()).min(1) });

  it('names what was wrong with a reply unlike the protocol', () => {
    expect(() => parseReply(endpoint, schema, '{"choices":[]}', 'chat completion')).toThrow(
      /"primary".*sent a chat completion unlike the openai protocol \(choices: /,
    );
    expect(() => parseReply(endpoint, schema, '<html>', 'chat completion')).toThrow(/sent a chat completion that is not JSON: "<html>"/);
  });
});

describe('toolArguments', () => {
  it('reads "" as no arguments and refuses anything but a JSON object', () => {
    expect(toolArguments(endpoint, 'list', '')).toEqual({});
    expect(toolArguments(endpoint, 'read', '{"path":"a"}')).toEqual({ path: 'a' });
    expect(() => toolArguments(endpoint, 'read', '["a"]')).toThrow(/tool "read" whose arguments are not a JSON object/);
    expect(() => toolArguments(endpoint, 'read', '{"path":')).toThrow(/tool "read" whose arguments are not a JSON object/);
  });
});
