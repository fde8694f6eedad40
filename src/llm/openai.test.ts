import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { backendFor, type LlmTestServer, rejection, startOpenAiServer } from '../../test/support/llm-servers.js';
import type { ChatRequest, LlmBackend } from './types.js';

const KEY = 'sk-test-4f9c2b7e1a';
const env = { TEST_OPENAI_KEY: KEY };

let server: LlmTestServer;
let backend: LlmBackend;

beforeAll(async () => {
  server = await startOpenAiServer({ apiKey: KEY });
  backend = backendFor('openai', server, { api_key_env: 'TEST_OPENAI_KEY' }, env);
});
afterAll(() => server.close());
beforeEach(() => void server.requests.splice(0));

const hello: ChatRequest = {
  model: 'gpt-4o-mini',
  system: 'Answer in one sentence.',
  messages: [{ role: 'user', content: 'Say hello.' }],
  maxTokens: 64,
};

const readFile = {
  name: 'read_file',
  description: 'Reads a file of the workspace.',
  parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
};

describe('the OpenAI chat completions adapter', () => {
  it('sends the key, the system prompt and max_tokens, and reads the text, stop reason and usage', async () => {
    server.script({ text: 'Hello there.', model: 'gpt-4o-mini-2024-07-18', usage: { input: 21, output: 4, cacheRead: 8 } });
    const result = await backend.chat(hello);
    expect(result).toEqual({
      model: 'gpt-4o-mini-2024-07-18',
      content: 'Hello there.',
      toolCalls: [],
      stopReason: 'end',
      usage: { inputTokens: 21, outputTokens: 4, cachedInputTokens: 8, cacheWriteInputTokens: 0 },
    });
    const [sent] = server.requests;
    expect(sent).toMatchObject({ method: 'POST', path: '/v1/chat/completions' });
    expect(sent!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(sent!.body).toEqual({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'Answer in one sentence.' },
        { role: 'user', content: 'Say hello.' },
      ],
      max_tokens: 64,
      stream: false,
    });
  });

  it('sends max_completion_tokens instead when the backend is configured for it', async () => {
    const reasoning = backendFor('openai', server, { api_key_env: 'TEST_OPENAI_KEY', max_tokens_field: 'max_completion_tokens' }, env);
    await reasoning.chat({ ...hello, temperature: 0.2 });
    const body = server.requests[0]!.body;
    expect(body.max_completion_tokens).toBe(64);
    expect(body).not.toHaveProperty('max_tokens');
    expect(body.temperature).toBe(0.2);
  });

  it('encodes tools, earlier tool calls and their results, and decodes a tool call', async () => {
    server.script({ toolCalls: [{ name: 'read_file', arguments: { path: 'notes/b.txt' } }] });
    const result = await backend.chat({
      ...hello,
      tools: [readFile],
      messages: [
        { role: 'user', content: 'Read a.txt, then b.txt.' },
        { role: 'assistant', content: '', toolCalls: [{ id: 'call_1', name: 'read_file', arguments: { path: 'a.txt' } }] },
        { role: 'tool', toolCallId: 'call_1', content: 'contents of a' },
      ],
    });
    expect(result.stopReason).toBe('tool_use');
    expect(result.content).toBe('');
    expect(result.toolCalls).toEqual([{ id: expect.stringMatching(/^call_/), name: 'read_file', arguments: { path: 'notes/b.txt' } }]);
    const body = server.requests[0]!.body;
    expect(body.tools).toEqual([{ type: 'function', function: readFile }]);
    expect(body.messages.slice(1)).toEqual([
      { role: 'user', content: 'Read a.txt, then b.txt.' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'read_file', arguments: '{"path":"a.txt"}' } }],
      },
      { role: 'tool', tool_call_id: 'call_1', content: 'contents of a' },
    ]);
  });

  it('streams text to onText and takes usage from the last chunk, as include_usage asks', async () => {
    server.script({ text: 'Grüße aus 東京, mit 🌍 und mehr.', usage: { input: 100, output: 9, cacheRead: 64 } });
    const deltas: string[] = [];
    const result = await backend.chat(hello, { stream: true, onText: (delta) => deltas.push(delta) });
    expect(deltas.length).toBeGreaterThan(3);
    expect(deltas.join('')).toBe('Grüße aus 東京, mit 🌍 und mehr.');
    expect(result.content).toBe('Grüße aus 東京, mit 🌍 und mehr.');
    expect(result.stopReason).toBe('end');
    expect(result.usage).toEqual({ inputTokens: 100, outputTokens: 9, cachedInputTokens: 64, cacheWriteInputTokens: 0 });
    expect(server.requests[0]!.body).toMatchObject({ stream: true, stream_options: { include_usage: true }, max_tokens: 64 });
  });

  it('assembles a streamed tool call from its argument pieces', async () => {
    server.script({ toolCalls: [{ name: 'read_file', arguments: { path: 'a/very/long/path/to/notes.txt' } }] });
    const result = await backend.chat({ ...hello, tools: [readFile] }, { stream: true });
    expect(result.stopReason).toBe('tool_use');
    expect(result.toolCalls).toEqual([
      { id: expect.stringMatching(/^call_/), name: 'read_file', arguments: { path: 'a/very/long/path/to/notes.txt' } },
    ]);
  });

  it('reports usage as null when the server sends none, streaming or not', async () => {
    server.script({ text: 'no counts', usage: null }, { text: 'no counts', usage: null });
    expect((await backend.chat(hello)).usage).toBeNull();
    expect((await backend.chat(hello, { stream: true })).usage).toBeNull();
  });

  it('says when the answer was cut at max_tokens', async () => {
    server.script({ text: 'Once upon a', stopReason: 'max_tokens' });
    expect((await backend.chat(hello)).stopReason).toBe('max_tokens');
  });

  it('turns a refused key into LLM_BACKEND_FAILED naming backend and status, with the key scrubbed', async () => {
    const wrong = backendFor('openai', server, { api_key_env: 'TEST_OPENAI_KEY' }, { TEST_OPENAI_KEY: 'sk-wrong-8d7e6f5a4b' });
    const error = await rejection(wrong.chat(hello));
    expect(error.code).toBe('LLM_BACKEND_FAILED');
    expect(error.message).toMatch(/LLM backend "primary" \(openai, .*\) answered HTTP 401 .*Incorrect API key provided.*check the key in \$TEST_OPENAI_KEY/);
    expect(error.message).not.toContain('sk-wrong-8d7e6f5a4b');
    expect(JSON.stringify(error.details)).not.toContain('sk-wrong-8d7e6f5a4b');
    expect(error.details).toMatchObject({ backend: 'primary', status: 401 });
  });

  it('turns a provider 5xx into LLM_BACKEND_FAILED with the provider message', async () => {
    server.script({ error: { status: 503, message: 'The engine is currently overloaded, please try again later' } });
    const error = await rejection(backend.chat(hello));
    expect(error.code).toBe('LLM_BACKEND_FAILED');
    expect(error.message).toMatch(/"primary".*HTTP 503.*currently overloaded.*try again later/);
  });

  it('gives up after timeout_ms, before the answer and in the middle of a stream', async () => {
    const slow = backendFor('openai', server, { api_key_env: 'TEST_OPENAI_KEY', timeout_ms: 300 }, env);
    server.script({ hang: true }, { hang: true });
    expect((await rejection(slow.chat(hello))).message).toMatch(/"primary".*did not finish within 300 ms/);
    expect((await rejection(slow.chat(hello, { stream: true }))).message).toMatch(/did not finish within 300 ms/);
  });

  it("returns the caller's abort as it was raised", async () => {
    server.script({ hang: true });
    const controller = new AbortController();
    const pending = backend.chat(hello, { signal: controller.signal });
    await vi.waitFor(() => expect(server.requests).toHaveLength(1));
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('passes an error thrown by onText back unchanged', async () => {
    server.script({ text: 'one two three' });
    const fault = new Error('the listener failed');
    await expect(backend.chat(hello, { stream: true, onText: () => { throw fault; } })).rejects.toBe(fault);
  });

  it('refuses a reply larger than max_response_bytes', async () => {
    const capped = backendFor('openai', server, { api_key_env: 'TEST_OPENAI_KEY', max_response_bytes: 400 }, env);
    server.script({ text: 'word '.repeat(200) }, { text: 'word '.repeat(200) });
    expect((await rejection(capped.chat(hello))).message).toMatch(/sent more than 400 bytes/);
    expect((await rejection(capped.chat(hello, { stream: true }))).message).toMatch(/sent more than 400 bytes/);
  });

  it('reports a server that cannot be reached', async () => {
    const closed = await startOpenAiServer();
    await closed.close();
    const gone = backendFor('openai', closed, {}, {});
    const error = await rejection(gone.chat(hello));
    expect(error.code).toBe('LLM_BACKEND_FAILED');
    expect(error.message).toMatch(/could not be reached/);
  });
});
