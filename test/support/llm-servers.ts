/**
 * Local stand-ins for the three LLM wire protocols: OpenAI chat completions, Anthropic Messages
 * and Ollama /api/chat. Replies are shaped like the providers' documented ones (ids, object and
 * type fields, usage, stop reasons, streaming chunks), so an adapter that passes here speaks
 * the real protocol. Each server records what it received, for tests to assert the wire.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { llmConfigSchema } from '../../src/config/llm.js';
import { AosError } from '../../src/errors.js';
import { type LlmBackend, openBackends } from '../../src/llm/index.js';

export type LlmProtocol = 'openai' | 'anthropic' | 'ollama';

/** One request as it arrived. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: any;
}

/** What the next request gets. Streaming or not follows the request, as with the real servers. */
export interface ScriptedReply {
  text?: string;
  toolCalls?: { name: string; arguments: Record<string, unknown> }[];
  /**
   * Counts as the provider reports them (Anthropic's `input` excludes cache reads and writes).
   * Null sends none. Leaving `input` out drops Ollama's prompt_eval_count, as Ollama does for a
   * cached prompt; the other protocols then send 0. Default: 12 in, 5 out.
   */
  usage?: { input?: number; output: number; cacheRead?: number; cacheWrite?: number } | null;
  stopReason?: 'end' | 'max_tokens';
  /** The model named in the reply; default: the one asked for. */
  model?: string;
  /** Answer with this HTTP status and the provider's error body carrying this message. */
  error?: { status: number; message: string };
  /** Never finish: a plain request gets no answer; a stream stops just before its last event. */
  hang?: boolean;
}

export interface LlmTestServer {
  readonly protocol: LlmProtocol;
  /** The base URL as aosiq.yaml takes it for this kind. */
  readonly baseUrl: string;
  readonly requests: RecordedRequest[];
  /** TCP connections accepted so far: 0 proves nothing was even attempted. */
  readonly connections: () => number;
  /** Queues replies, one per request; an empty queue answers "Hello from the test server." */
  script(...replies: ScriptedReply[]): void;
  /** Drops replies still queued (scripted for requests that never came). */
  unscript(): void;
  close(): Promise<void>;
}

interface Exchange {
  body: any;
  headers: IncomingHttpHeaders;
  reply: ScriptedReply;
  response: ServerResponse;
}

interface Protocol {
  path: string;
  basePath: string;
  /** An error in the provider's shape when the request is one the provider would refuse. */
  refuse(exchange: Exchange, apiKey: string | undefined): { status: number; message: string } | undefined;
  errorBody(status: number, message: string): unknown;
  /** The body for an unknown path, when it is not the usual error body. */
  notFoundBody?: string;
  respond(exchange: Exchange): void;
}

/** Starts an OpenAI chat completions server; with `apiKey`, other bearer tokens get a 401. */
export function startOpenAiServer(options: { apiKey?: string } = {}): Promise<LlmTestServer> {
  return start('openai', openai, options.apiKey);
}

/** Starts an Anthropic Messages server; with `apiKey`, another x-api-key gets a 401. */
export function startAnthropicServer(options: { apiKey?: string } = {}): Promise<LlmTestServer> {
  return start('anthropic', anthropic, options.apiKey);
}

/** Starts an Ollama server (which, like Ollama, checks no key). */
export function startOllamaServer(): Promise<LlmTestServer> {
  return start('ollama', ollama, undefined);
}

async function start(protocol: LlmProtocol, handler: Protocol, apiKey: string | undefined): Promise<LlmTestServer> {
  const requests: RecordedRequest[] = [];
  const queue: ScriptedReply[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: any = null;
      try {
        body = JSON.parse(raw);
      } catch {}
      requests.push({ method: request.method ?? '', path: request.url ?? '', headers: request.headers, body });
      const reply = queue.shift() ?? { text: 'Hello from the test server.' };
      const exchange = { body, headers: request.headers, reply, response };
      if (request.method !== 'POST' || request.url !== handler.path) {
        if (handler.notFoundBody === undefined) return sendError(handler, response, 404, 'Not Found');
        return void response.writeHead(404, { 'content-type': 'text/plain' }).end(handler.notFoundBody);
      }
      const refusal = handler.refuse(exchange, apiKey) ?? reply.error;
      if (refusal) return sendError(handler, response, refusal.status, refusal.message);
      if (reply.hang && !streaming(protocol, body)) return;
      handler.respond(exchange);
    });
  });
  let connections = 0;
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    protocol,
    baseUrl: `http://127.0.0.1:${port}${handler.basePath}`,
    requests,
    connections: () => connections,
    script: (...replies) => void queue.push(...replies),
    unscript: () => void queue.splice(0),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function streaming(protocol: LlmProtocol, body: any): boolean {
  // Ollama streams unless told not to; the others only when asked.
  return protocol === 'ollama' ? body?.stream !== false : body?.stream === true;
}

function sendError(handler: Protocol, response: ServerResponse, status: number, message: string): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(handler.errorBody(status, message)));
}

function sendJson(response: ServerResponse, body: unknown): void {
  response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/**
 * Writes a stream one piece at a time, each cut in two at a byte (so an event, a line or a
 * UTF-8 character may straddle network chunks); holds back the last when the reply hangs.
 */
function sendStream(exchange: Exchange, contentType: string, pieces: string[]): void {
  exchange.response.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-cache' });
  for (const piece of exchange.reply.hang ? pieces.slice(0, -1) : pieces) {
    const bytes = Buffer.from(piece);
    const cut = Math.ceil(bytes.length / 2);
    exchange.response.write(bytes.subarray(0, cut));
    exchange.response.write(bytes.subarray(cut));
  }
  if (!exchange.reply.hang) exchange.response.end();
}

/** The text in the pieces a model would stream it in: word by word. */
function words(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

function pieces(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out.length > 0 ? out : [''];
}

function id(prefix: string, length = 24): string {
  return `${prefix}${randomBytes(length).toString('base64url').slice(0, length)}`;
}

const DEFAULT_USAGE: NonNullable<ScriptedReply['usage']> = { input: 12, output: 5 };

const openai: Protocol = {
  path: '/v1/chat/completions',
  basePath: '/v1',
  refuse({ headers }, apiKey) {
    if (apiKey !== undefined && headers.authorization !== `Bearer ${apiKey}`) {
      return { status: 401, message: `Incorrect API key provided: ${headers.authorization?.slice(7) ?? '(none)'}.` };
    }
    return undefined;
  },
  errorBody: (status, message) => ({
    error: { message, type: status >= 500 ? 'server_error' : 'invalid_request_error', param: null, code: status === 401 ? 'invalid_api_key' : null },
  }),
  respond(exchange) {
    const { body, reply } = exchange;
    const base = { id: id('chatcmpl-'), created: Math.floor(Date.now() / 1000), model: reply.model ?? body.model, system_fingerprint: 'fp_test' };
    const calls = (reply.toolCalls ?? []).map((call) => ({ id: id('call_'), name: call.name, arguments: JSON.stringify(call.arguments) }));
    const finish = calls.length > 0 ? 'tool_calls' : reply.stopReason === 'max_tokens' ? 'length' : 'stop';
    const counts = reply.usage === undefined ? DEFAULT_USAGE : reply.usage;
    const usage = counts && {
      prompt_tokens: counts.input ?? 0,
      completion_tokens: counts.output,
      total_tokens: (counts.input ?? 0) + counts.output,
      prompt_tokens_details: { cached_tokens: counts.cacheRead ?? 0, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    };
    if (body.stream !== true) {
      const toolCalls = calls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } }));
      const message = { role: 'assistant', content: reply.text ?? null, ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}), refusal: null, annotations: [] };
      return sendJson(exchange.response, {
        ...base,
        object: 'chat.completion',
        choices: [{ index: 0, message, logprobs: null, finish_reason: finish }],
        ...(usage ? { usage } : {}),
        service_tier: 'default',
      });
    }
    // With include_usage every chunk carries "usage": null, and one more chunk the totals.
    const withUsage = body.stream_options?.include_usage === true && usage;
    const chunk = (delta: unknown, finishReason: string | null) =>
      `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }], ...(withUsage ? { usage: null } : {}) })}\n\n`;
    const events = [chunk({ role: 'assistant', content: '', refusal: null }, null)];
    for (const word of words(reply.text ?? '')) events.push(chunk({ content: word }, null));
    calls.forEach((call, index) => {
      events.push(chunk({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] }, null));
      for (const part of pieces(call.arguments, 7)) events.push(chunk({ tool_calls: [{ index, function: { arguments: part } }] }, null));
    });
    events.push(chunk({}, finish));
    if (withUsage) events.push(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [], usage })}\n\n`);
    events.push('data: [DONE]\n\n');
    sendStream(exchange, 'text/event-stream; charset=utf-8', events);
  },
};

const ANTHROPIC_ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

const anthropic: Protocol = {
  path: '/v1/messages',
  basePath: '',
  refuse({ body, headers }, apiKey) {
    if (headers['anthropic-version'] === undefined) return { status: 400, message: 'anthropic-version: header is required' };
    if (apiKey !== undefined && headers['x-api-key'] !== apiKey) return { status: 401, message: 'invalid x-api-key' };
    if (typeof body?.max_tokens !== 'number') return { status: 400, message: 'max_tokens: Field required' };
    return undefined;
  },
  errorBody: (status, message) => ({ type: 'error', error: { type: ANTHROPIC_ERROR_TYPES[status] ?? 'api_error', message }, request_id: id('req_011') }),
  respond(exchange) {
    const { body, reply } = exchange;
    const calls = (reply.toolCalls ?? []).map((call) => ({ type: 'tool_use', id: id('toolu_01'), name: call.name, input: call.arguments }));
    const stopReason = calls.length > 0 ? 'tool_use' : reply.stopReason === 'max_tokens' ? 'max_tokens' : 'end_turn';
    const counts = reply.usage === undefined ? DEFAULT_USAGE : reply.usage;
    const usage = counts && {
      input_tokens: counts.input ?? 0,
      cache_creation_input_tokens: counts.cacheWrite ?? 0,
      cache_read_input_tokens: counts.cacheRead ?? 0,
      output_tokens: counts.output,
      service_tier: 'standard',
    };
    const message = { id: id('msg_01'), type: 'message', role: 'assistant', model: reply.model ?? body.model };
    const text = reply.text ?? '';
    if (body.stream !== true) {
      const content = [...(text ? [{ type: 'text', text }] : []), ...calls];
      return sendJson(exchange.response, { ...message, content, stop_reason: stopReason, stop_sequence: null, ...(usage ? { usage } : {}) });
    }
    const event = (data: { type: string } & Record<string, unknown>) => `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`;
    const startUsage = usage && { ...usage, output_tokens: 1 };
    const events = [
      event({ type: 'message_start', message: { ...message, content: [], stop_reason: null, stop_sequence: null, ...(startUsage ? { usage: startUsage } : {}) } }),
      event({ type: 'ping' }),
    ];
    let index = 0;
    if (text) {
      events.push(event({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } }));
      for (const word of words(text)) events.push(event({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: word } }));
      events.push(event({ type: 'content_block_stop', index }));
      index++;
    }
    for (const call of calls) {
      events.push(event({ type: 'content_block_start', index, content_block: { ...call, input: {} } }));
      for (const part of pieces(JSON.stringify(call.input), 7)) {
        events.push(event({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: part } }));
      }
      events.push(event({ type: 'content_block_stop', index }));
      index++;
    }
    events.push(
      event({ type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null }, ...(usage ? { usage: { output_tokens: usage.output_tokens } } : {}) }),
      event({ type: 'message_stop' }),
    );
    sendStream(exchange, 'text/event-stream; charset=utf-8', events);
  },
};

const ollama: Protocol = {
  path: '/api/chat',
  basePath: '',
  refuse: () => undefined,
  errorBody: (_status, message) => ({ error: message }),
  // Ollama's router answers an unknown path in plain text; its handlers answer {"error": "..."}.
  notFoundBody: '404 page not found',
  respond(exchange) {
    const { body, reply } = exchange;
    const model = reply.model ?? body.model;
    const createdAt = () => new Date().toISOString();
    const toolCalls = (reply.toolCalls ?? []).map((call, index) => ({ function: { index, name: call.name, arguments: call.arguments } }));
    const counts = reply.usage === undefined ? DEFAULT_USAGE : reply.usage;
    const final = {
      done: true,
      done_reason: reply.stopReason === 'max_tokens' ? 'length' : 'stop',
      total_duration: 4883583458,
      load_duration: 1334875,
      ...(counts && counts.input !== undefined ? { prompt_eval_count: counts.input, prompt_eval_duration: 342546000 } : {}),
      ...(counts ? { eval_count: counts.output, eval_duration: 4535599000 } : {}),
    };
    if (body.stream === false) {
      const message = { role: 'assistant', content: reply.text ?? '', ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}) };
      return sendJson(exchange.response, { model, created_at: createdAt(), message, ...final });
    }
    const line = (value: unknown) => `${JSON.stringify(value)}\n`;
    const lines = words(reply.text ?? '').map((word) => line({ model, created_at: createdAt(), message: { role: 'assistant', content: word }, done: false }));
    if (toolCalls.length > 0) lines.push(line({ model, created_at: createdAt(), message: { role: 'assistant', content: '', tool_calls: toolCalls }, done: false }));
    lines.push(line({ model, created_at: createdAt(), message: { role: 'assistant', content: '' }, ...final }));
    sendStream(exchange, 'application/x-ndjson', lines);
  },
};

/**
 * A backend of `kind` named "primary" pointed at `server`, built the way the runtime builds it:
 * through the config schema (defaults included) and `openBackends`.
 *
 * @example
 * const backend = backendFor('openai', server, { api_key_env: 'TEST_KEY' }, { TEST_KEY: 'sk-test' });
 */
export function backendFor(
  kind: LlmProtocol,
  server: LlmTestServer,
  settings: Record<string, unknown> = {},
  env: NodeJS.ProcessEnv = {},
): LlmBackend {
  const config = llmConfigSchema.parse({ backends: { primary: { kind, base_url: server.baseUrl, ...settings } } });
  return openBackends(config, env).get('primary')!;
}

/**
 * The AosError a promise rejects with; fails the test when it resolves or rejects otherwise.
 *
 * @example
 * expect((await rejection(backend.chat(request))).code).toBe('LLM_BACKEND_FAILED');
 */
export async function rejection(promise: Promise<unknown>): Promise<AosError> {
  const outcome = await promise.then(
    (value: unknown) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in outcome)) throw new Error(`expected a rejection, got ${JSON.stringify(outcome.value)}`);
  if (!(outcome.error instanceof AosError)) throw new Error(`expected an AosError, got ${String(outcome.error)}`, { cause: outcome.error });
  return outcome.error;
}
