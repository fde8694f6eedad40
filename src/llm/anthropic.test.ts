import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { backendFor, type LlmTestServer, rejection, startAnthropicServer } from '../../test/support/llm-servers.js';
import { ANTHROPIC_VERSION } from './anthropic.js';
import type { ChatRequest, LlmBackend } from './types.js';

const KEY = 'sk-ant-test-3b1f9d0c77';
const env = { TEST_ANTHROPIC_KEY: KEY };

let server: LlmTestServer;
let backend: LlmBackend;

beforeAll(async () => {
  server = await startAnthropicServer({ apiKey: KEY });
  backend = backendFor('anthropic', server, { api_key_env: 'TEST_ANTHROPIC_KEY' }, env);
});
afterAll(() => server.close());
beforeEach(() => void server.requests.splice(0));

const hello: ChatRequest = {
  model: 'claude-sonnet-4-5',
  system: 'Answer in one sentence.',
  messages: [{ role: 'user', content: 'Say hello.' }],
  maxTokens: 128,
};

const readFile = {
  name: 'read_file',
  description: 'Reads a file of the workspace.',
  parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
};

describe('the Anthropic Messages adapter', () => {
  it('sends x-api-key, anthropic-version, a top-level system and max_tokens, and reads text and usage', async () => {
    server.script({ text: 'Hello there.', usage: { input: 30, output: 6 } });
    const result = await backend.chat(hello);
    expect(result).toEqual({
      model: 'claude-sonnet-4-5',
      content: 'Hello there.',
      toolCalls: [],
      stopReason: 'end',
      usage: { inputTokens: 30, outputTokens: 6, cachedInputTokens: 0, cacheWriteInputTokens: 0 },
    });
    const [sent] = server.requests;
    expect(sent).toMatchObject({ method: 'POST', path: '/v1/messages' });
    expect(sent!.headers['x-api-key']).toBe(KEY);
    expect(sent!.headers['anthropic-version']).toBe(ANTHROPIC_VERSION);
    expect(sent!.headers.authorization).toBeUndefined();
    expect(sent!.body).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: 128,
      system: 'Answer in one sentence.',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Say hello.' }] }],
    });
  });

  it('counts cache reads and writes into the prompt, apart from input_tokens as Anthropic reports it', async () => {
    server.script({ text: 'Cached.', usage: { input: 10, output: 3, cacheRead: 2000, cacheWrite: 500 } });
    expect((await backend.chat(hello)).usage).toEqual({
      inputTokens: 2510,
      outputTokens: 3,
      cachedInputTokens: 2000,
      cacheWriteInputTokens: 500,
    });
  });

  it('encodes tools, tool_use blocks and tool_result blocks (merged into one user turn), and decodes tool_use', async () => {
    server.script({ text: 'Now b.', toolCalls: [{ name: 'read_file', arguments: { path: 'b.txt' } }] });
    const result = await backend.chat({
      ...hello,
      tools: [readFile],
      messages: [
        { role: 'user', content: 'Read a.txt and c.txt, then b.txt.' },
        {
          role: 'assistant',
          content: 'Reading both.',
          toolCalls: [
            { id: 'toolu_a', name: 'read_file', arguments: { path: 'a.txt' } },
            { id: 'toolu_c', name: 'read_file', arguments: { path: 'c.txt' } },
          ],
        },
        { role: 'tool', toolCallId: 'toolu_a', content: 'contents of a' },
        { role: 'tool', toolCallId: 'toolu_c', content: 'contents of c' },
      ],
    });
    expect(result.stopReason).toBe('tool_use');
    expect(result.content).toBe('Now b.');
    expect(result.toolCalls).toEqual([{ id: expect.stringMatching(/^toolu_01/), name: 'read_file', arguments: { path: 'b.txt' } }]);
    const body = server.requests[0]!.body;
    expect(body.tools).toEqual([{ name: 'read_file', description: readFile.description, input_schema: readFile.parameters }]);
    expect(body.messages.slice(1)).toEqual([
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Reading both.' },
          { type: 'tool_use', id: 'toolu_a', name: 'read_file', input: { path: 'a.txt' } },
          { type: 'tool_use', id: 'toolu_c', name: 'read_file', input: { path: 'c.txt' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_a', content: 'contents of a' },
          { type: 'tool_result', tool_use_id: 'toolu_c', content: 'contents of c' },
        ],
      },
    ]);
  });

  it('leaves out the empty text block of an assistant turn that only called tools', async () => {
    await backend.chat({
      ...hello,
      messages: [
        { role: 'user', content: 'Read a.txt.' },
        { role: 'assistant', content: '', toolCalls: [{ id: 'toolu_a', name: 'read_file', arguments: { path: 'a.txt' } }] },
        { role: 'tool', toolCallId: 'toolu_a', content: 'contents of a' },
      ],
    });
    expect(server.requests[0]!.body.messages[1].content).toEqual([{ type: 'tool_use', id: 'toolu_a', name: 'read_file', input: { path: 'a.txt' } }]);
  });

  it('streams text deltas, takes input usage from message_start and output usage from message_delta', async () => {
    server.script({ text: 'Grüße aus 東京, mit 🌍 und mehr.', usage: { input: 40, output: 11, cacheRead: 7 } });
    const deltas: string[] = [];
    const result = await backend.chat(hello, { stream: true, onText: (delta) => deltas.push(delta) });
    expect(deltas.length).toBeGreaterThan(3);
    expect(deltas.join('')).toBe('Grüße aus 東京, mit 🌍 und mehr.');
    expect(result).toMatchObject({ content: 'Grüße aus 東京, mit 🌍 und mehr.', stopReason: 'end' });
    expect(result.usage).toEqual({ inputTokens: 47, outputTokens: 11, cachedInputTokens: 7, cacheWriteInputTokens: 0 });
    expect(server.requests[0]!.body.stream).toBe(true);
  });

  it('assembles a streamed tool_use from its input_json_delta pieces', async () => {
    server.script({ text: 'Let me look.', toolCalls: [{ name: 'read_file', arguments: { path: 'a/very/long/path/to/notes.txt' } }] });
    const result = await backend.chat({ ...hello, tools: [readFile] }, { stream: true });
    expect(result.content).toBe('Let me look.');
    expect(result.stopReason).toBe('tool_use');
    expect(result.toolCalls).toEqual([
      { id: expect.stringMatching(/^toolu_01/), name: 'read_file', arguments: { path: 'a/very/long/path/to/notes.txt' } },
    ]);
  });

  it('reports usage as null when the server sends none, streaming or not', async () => {
    server.script({ text: 'no counts', usage: null }, { text: 'no counts', usage: null });
    expect((await backend.chat(hello)).usage).toBeNull();
    expect((await backend.chat(hello, { stream: true })).usage).toBeNull();
  });

  it('says when the answer was cut at max_tokens', async () => {
    server.script({ text: 'Once upon a', stopReason: 'max_tokens' }, { text: 'Once upon a', stopReason: 'max_tokens' });
    expect((await backend.chat(hello)).stopReason).toBe('max_tokens');
    expect((await backend.chat(hello, { stream: true })).stopReason).toBe('max_tokens');
  });

  it('turns a refused key into LLM_BACKEND_FAILED naming backend and status, never the key', async () => {
    const wrong = backendFor('anthropic', server, { api_key_env: 'TEST_ANTHROPIC_KEY' }, { TEST_ANTHROPIC_KEY: 'sk-ant-wrong-55aa' });
    const error = await rejection(wrong.chat(hello));
    expect(error.code).toBe('LLM_BACKEND_FAILED');
    expect(error.message).toMatch(/LLM backend "primary" \(anthropic, .*\) answered HTTP 401 .*invalid x-api-key.*\$TEST_ANTHROPIC_KEY/);
    expect(error.message).not.toContain('sk-ant-wrong-55aa');
  });

  it('scrubs the key should the provider echo it in an error', async () => {
    server.script({ error: { status: 400, message: `messages: bad request from key ${KEY}` } });
    const error = await rejection(backend.chat(hello));
    expect(error.message).toMatch(/HTTP 400 to POST \/v1\/messages: messages: bad request from key \[redacted key\]/);
    expect(error.message).not.toContain(KEY);
  });

  it('turns 529 overloaded into LLM_BACKEND_FAILED with the provider message', async () => {
    server.script({ error: { status: 529, message: 'Overloaded' } });
    const error = await rejection(backend.chat(hello));
    expect(error.message).toMatch(/"primary".*HTTP 529 to POST \/v1\/messages: Overloaded; the provider is busy or failing/);
    expect(error.details).toMatchObject({ backend: 'primary', kind: 'anthropic', status: 529 });
  });

  it('gives up after timeout_ms, before the answer and in the middle of a stream', async () => {
    const slow = backendFor('anthropic', server, { api_key_env: 'TEST_ANTHROPIC_KEY', timeout_ms: 300 }, env);
    server.script({ hang: true }, { hang: true });
    expect((await rejection(slow.chat(hello))).message).toMatch(/"primary".*did not finish within 300 ms/);
    expect((await rejection(slow.chat(hello, { stream: true }))).message).toMatch(/did not finish within 300 ms/);
  });
});
