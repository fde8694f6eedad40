import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { backendFor, type LlmTestServer, rejection, startOllamaServer } from '../../test/support/llm-servers.js';
import type { ChatRequest, LlmBackend } from './types.js';

let server: LlmTestServer;
let backend: LlmBackend;

beforeAll(async () => {
  server = await startOllamaServer();
  backend = backendFor('ollama', server);
});
afterAll(() => server.close());
beforeEach(() => void server.requests.splice(0));

const hello: ChatRequest = {
  model: 'llama3.2',
  system: 'Answer in one sentence.',
  messages: [{ role: 'user', content: 'Say hello.' }],
  maxTokens: 96,
};

const readFile = {
  name: 'read_file',
  description: 'Reads a file of the workspace.',
  parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
};

describe('the Ollama /api/chat adapter', () => {
  it('sends stream false and options.num_predict, and reads text and the eval counts', async () => {
    server.script({ text: 'Hello there.', usage: { input: 26, output: 298 } });
    const result = await backend.chat({ ...hello, temperature: 0 });
    expect(result).toEqual({
      model: 'llama3.2',
      content: 'Hello there.',
      toolCalls: [],
      stopReason: 'end',
      usage: { inputTokens: 26, outputTokens: 298, cachedInputTokens: 0, cacheWriteInputTokens: 0 },
    });
    const [sent] = server.requests;
    expect(sent).toMatchObject({ method: 'POST', path: '/api/chat' });
    expect(sent!.headers.authorization).toBeUndefined();
    expect(sent!.body).toEqual({
      model: 'llama3.2',
      messages: [
        { role: 'system', content: 'Answer in one sentence.' },
        { role: 'user', content: 'Say hello.' },
      ],
      stream: false,
      options: { num_predict: 96, temperature: 0 },
    });
  });

  it('sends a bearer key when one is configured (a proxy or Ollama cloud in front)', async () => {
    const keyed = backendFor('ollama', server, { api_key_env: 'TEST_OLLAMA_KEY' }, { TEST_OLLAMA_KEY: 'ol-test-1234' });
    await keyed.chat(hello);
    expect(server.requests[0]!.headers.authorization).toBe('Bearer ol-test-1234');
  });

  it('encodes tools, tool calls with object arguments and tool results by name, and decodes a tool call', async () => {
    server.script({ toolCalls: [{ name: 'read_file', arguments: { path: 'b.txt' } }] });
    const result = await backend.chat({
      ...hello,
      tools: [readFile],
      messages: [
        { role: 'user', content: 'Read a.txt, then b.txt.' },
        { role: 'assistant', content: '', toolCalls: [{ id: 'call_0', name: 'read_file', arguments: { path: 'a.txt' } }] },
        { role: 'tool', toolCallId: 'call_0', content: 'contents of a' },
      ],
    });
    expect(result.stopReason).toBe('tool_use');
    expect(result.toolCalls).toEqual([{ id: 'call_0', name: 'read_file', arguments: { path: 'b.txt' } }]);
    const body = server.requests[0]!.body;
    expect(body.tools).toEqual([{ type: 'function', function: readFile }]);
    expect(body.messages.slice(2)).toEqual([
      { role: 'assistant', content: '', tool_calls: [{ function: { name: 'read_file', arguments: { path: 'a.txt' } } }] },
      { role: 'tool', content: 'contents of a', tool_name: 'read_file' },
    ]);
  });

  it('streams NDJSON text to onText and takes the counts from the done line', async () => {
    server.script({ text: 'Grüße aus 東京, mit 🌍 und mehr.', usage: { input: 61, output: 12 } });
    const deltas: string[] = [];
    const result = await backend.chat(hello, { stream: true, onText: (delta) => deltas.push(delta) });
    expect(deltas.length).toBeGreaterThan(3);
    expect(deltas.join('')).toBe('Grüße aus 東京, mit 🌍 und mehr.');
    expect(result).toMatchObject({ content: 'Grüße aus 東京, mit 🌍 und mehr.', stopReason: 'end' });
    expect(result.usage).toEqual({ inputTokens: 61, outputTokens: 12, cachedInputTokens: 0, cacheWriteInputTokens: 0 });
    expect(server.requests[0]!.body.stream).toBe(true);
  });

  it('collects tool calls from a stream', async () => {
    server.script({ text: 'Looking.', toolCalls: [{ name: 'read_file', arguments: { path: 'a.txt' } }, { name: 'read_file', arguments: { path: 'b.txt' } }] });
    const result = await backend.chat({ ...hello, tools: [readFile] }, { stream: true });
    expect(result.stopReason).toBe('tool_use');
    expect(result.toolCalls).toEqual([
      { id: 'call_0', name: 'read_file', arguments: { path: 'a.txt' } },
      { id: 'call_1', name: 'read_file', arguments: { path: 'b.txt' } },
    ]);
  });

  it('reports usage as null when counts are missing, or only the prompt count (a cached prompt)', async () => {
    server.script({ text: 'no counts', usage: null }, { text: 'no counts', usage: null }, { text: 'cached', usage: { output: 4 } });
    expect((await backend.chat(hello)).usage).toBeNull();
    expect((await backend.chat(hello, { stream: true })).usage).toBeNull();
    expect((await backend.chat(hello)).usage).toBeNull();
  });

  it('says when the answer was cut at num_predict', async () => {
    server.script({ text: 'Once upon a', stopReason: 'max_tokens' });
    expect((await backend.chat(hello, { stream: true })).stopReason).toBe('max_tokens');
  });

  it('turns a missing model into LLM_BACKEND_FAILED with Ollama\'s message', async () => {
    server.script({ error: { status: 404, message: 'model "llama9" not found, try pulling it first' } });
    const error = await rejection(backend.chat({ ...hello, model: 'llama9' }));
    expect(error.code).toBe('LLM_BACKEND_FAILED');
    expect(error.message).toMatch(/LLM backend "primary" \(ollama, .*\) answered HTTP 404 .*model "llama9" not found.*check llm\.backends\.primary\.base_url/);
  });

  it('names a base_url that points at the wrong path', async () => {
    const misplaced = backendFor('ollama', { ...server, baseUrl: `${server.baseUrl}/v1` });
    const error = await rejection(misplaced.chat(hello));
    expect(error.message).toMatch(/HTTP 404 to POST \/api\/chat: 404 page not found/);
  });

  it('gives up after timeout_ms, before the answer and in the middle of a stream', async () => {
    const slow = backendFor('ollama', server, { timeout_ms: 300 });
    server.script({ hang: true }, { hang: true });
    expect((await rejection(slow.chat(hello))).message).toMatch(/"primary".*did not finish within 300 ms/);
    expect((await rejection(slow.chat(hello, { stream: true }))).message).toMatch(/did not finish within 300 ms/);
  });
});
