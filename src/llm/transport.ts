/**
 * The HTTP exchange every adapter shares: one POST with a deadline, a capped body, and every
 * failure turned into LLM_BACKEND_FAILED naming the backend, the URL and the HTTP status.
 * The API key goes out in a header and is scrubbed from anything the provider sends back.
 */
import type { z } from 'zod';
import type { LlmBackendConfig, LlmBackendKind } from '../config/llm.js';
import { AosError } from '../errors.js';
import { redactUrlSecrets } from '../security/secrets.js';
import type { ChatOptions } from './types.js';

/** Where and how one configured backend is reached. */
export interface Endpoint {
  name: string;
  kind: LlmBackendKind;
  baseUrl: string;
  apiKey: string | undefined;
  /** The environment variable the key came from, named in hints; never the key. */
  apiKeyEnv: string | undefined;
  timeoutMs: number;
  maxResponseBytes: number;
}

const ERROR_TEXT_LIMIT = 500;

/**
 * The endpoint of a configured backend, with its key already read from the environment.
 *
 * @example
 * endpointOf('local', config.llm.backends.local!, undefined);
 */
export function endpointOf(name: string, config: LlmBackendConfig, apiKey: string | undefined): Endpoint {
  return {
    name,
    kind: config.kind,
    baseUrl: config.base_url.replace(/\/+$/, ''),
    apiKey,
    apiKeyEnv: config.api_key_env,
    timeoutMs: config.timeout_ms,
    maxResponseBytes: config.max_response_bytes,
  };
}

/**
 * A failure of the backend, as the error callers see.
 *
 * @example
 * throw backendFailure(endpoint, 'sent a reply without choices');
 */
export function backendFailure(
  endpoint: Endpoint,
  problem: string,
  details: Record<string, unknown> = {},
  options?: ErrorOptions,
): AosError {
  return new AosError(
    'LLM_BACKEND_FAILED',
    `LLM backend "${endpoint.name}" (${endpoint.kind}, ${redactUrlSecrets(endpoint.baseUrl)}) ${problem}`,
    { backend: endpoint.name, kind: endpoint.kind, ...details },
    options,
  );
}

/**
 * Runs one exchange under the backend's deadline and the caller's signal. A caller's abort
 * comes back as it was raised; timeouts and network faults become LLM_BACKEND_FAILED.
 *
 * @example
 * return exchange(endpoint, options, async (signal) => decode(await postJson(endpoint, '/api/chat', {}, body, signal)));
 */
export async function exchange<T>(endpoint: Endpoint, options: ChatOptions, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const timeout = AbortSignal.timeout(endpoint.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  try {
    return await run(signal);
  } catch (error) {
    if (options.signal?.aborted) throw error;
    if (timeout.aborted) {
      throw backendFailure(
        endpoint,
        `did not finish within ${endpoint.timeoutMs} ms; raise llm.backends.${endpoint.name}.timeout_ms if the model is that slow`,
        { timeout_ms: endpoint.timeoutMs },
      );
    }
    // fetch reports a refused connection or a body cut off as a TypeError; anything else (a
    // throwing onText, say) is the caller's own and goes back unchanged.
    if (!(error instanceof TypeError)) throw error;
    const reason = error.cause instanceof Error ? error.cause.message : error.message;
    throw backendFailure(endpoint, `could not be reached or broke off: ${scrub(endpoint, reason)}`, {}, { cause: error });
  }
}

/**
 * POSTs a JSON body and returns the response once its status is 2xx; any other status becomes
 * LLM_BACKEND_FAILED with the provider's own error message.
 *
 * @example
 * const response = await postJson(endpoint, '/chat/completions', { authorization: `Bearer ${key}` }, body, signal);
 */
export async function postJson(
  endpoint: Endpoint,
  path: string,
  headers: Record<string, string>,
  body: unknown,
  signal: AbortSignal,
): Promise<Response> {
  const url = `${endpoint.baseUrl}${path}`;
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: JSON.stringify(body),
    // A redirect would carry the key's header to wherever it points.
    redirect: 'error',
    signal,
  });
  if (response.ok) return response;
  const text = await readText(endpoint, response).catch(() => '');
  const message = scrub(endpoint, providerMessage(text));
  const retryAfter = response.headers.get('retry-after');
  throw backendFailure(
    endpoint,
    `answered HTTP ${response.status} to POST ${path}${message ? `: ${message}` : ''}; ${hint(endpoint, response.status)}`,
    { status: response.status, ...(retryAfter ? { retry_after: retryAfter } : {}) },
  );
}

/**
 * The body as text, decoded as it arrives, refused once it passes the backend's size cap.
 *
 * @example
 * for await (const piece of bodyText(endpoint, response)) buffer += piece;
 */
export async function* bodyText(endpoint: Endpoint, response: Response): AsyncGenerator<string> {
  if (!response.body) return;
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let size = 0;
  let done = false;
  try {
    while (true) {
      const next = (await reader.read()) as { done: boolean; value: Uint8Array | undefined };
      if (next.done || next.value === undefined) break;
      size += next.value.byteLength;
      if (size > endpoint.maxResponseBytes) {
        throw backendFailure(
          endpoint,
          `sent more than ${endpoint.maxResponseBytes} bytes; the reply was refused (llm.backends.${endpoint.name}.max_response_bytes)`,
          { max_response_bytes: endpoint.maxResponseBytes },
        );
      }
      const text = decoder.decode(next.value, { stream: true });
      if (text) yield text;
    }
    done = true;
    const rest = decoder.decode();
    if (rest) yield rest;
  } finally {
    // Stop the download when the reader gave up early (a refusal, an error event, the caller).
    if (!done) await reader.cancel().catch(() => undefined);
  }
}

/**
 * The whole body as text, under the size cap.
 *
 * @example
 * const text = await readText(endpoint, response);
 */
export async function readText(endpoint: Endpoint, response: Response): Promise<string> {
  let text = '';
  for await (const piece of bodyText(endpoint, response)) text += piece;
  return text;
}

/**
 * Parses a piece of the reply as JSON and checks it against the protocol's schema.
 *
 * @example
 * const reply = parseReply(endpoint, completionSchema, await readText(endpoint, response), 'chat completion');
 */
export function parseReply<T>(endpoint: Endpoint, schema: z.ZodType<T>, text: string, what: string): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw backendFailure(endpoint, `sent a ${what} that is not JSON: ${scrub(endpoint, JSON.stringify(text.slice(0, 120)))}`);
  }
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  throw backendFailure(endpoint, `sent a ${what} unlike the ${endpoint.kind} protocol (${where}${issue?.message ?? 'invalid'})`);
}

/**
 * Tool-call arguments sent as a JSON string (OpenAI, Anthropic streaming) as an object.
 *
 * @example
 * toolArguments(endpoint, 'read_file', '{"path":"a.txt"}'); // { path: 'a.txt' }
 */
export function toolArguments(endpoint: Endpoint, tool: string, text: string): Record<string, unknown> {
  // Servers send "" for a call without arguments.
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw backendFailure(endpoint, `returned a call of tool "${tool}" whose arguments are not a JSON object: ${JSON.stringify(text.slice(0, 120))}`, { tool });
  }
  return value as Record<string, unknown>;
}

/**
 * The error a provider reported inside a stream that had begun with HTTP 200.
 *
 * @example
 * if (event.type === 'error') throw streamError(endpoint, event.error.message);
 */
export function streamError(endpoint: Endpoint, message: string): AosError {
  return backendFailure(endpoint, `reported an error mid-stream: ${scrub(endpoint, message.slice(0, ERROR_TEXT_LIMIT))}`);
}

/** The message of a provider error body: OpenAI and Anthropic nest it, Ollama does not. */
function providerMessage(text: string): string {
  let message = text;
  try {
    const body = JSON.parse(text) as { error?: unknown; message?: unknown };
    const error = body.error;
    if (typeof error === 'string') message = error;
    else if (typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string') {
      message = (error as { message: string }).message;
    } else if (typeof body.message === 'string') message = body.message;
  } catch {}
  message = message.replace(/\s+/g, ' ').trim();
  return message.length > ERROR_TEXT_LIMIT ? `${message.slice(0, ERROR_TEXT_LIMIT)}…` : message;
}

function hint(endpoint: Endpoint, status: number): string {
  if (status === 401 || status === 403) {
    return endpoint.apiKeyEnv ? `check the key in $${endpoint.apiKeyEnv}` : `the backend wants a key: set llm.backends.${endpoint.name}.api_key_env`;
  }
  if (status === 404) return `check llm.backends.${endpoint.name}.base_url and the model name`;
  if (status === 408 || status === 429 || status >= 500) return 'the provider is busy or failing; try again later';
  return 'the provider refused the request as sent';
}

/** Text from the provider with the backend's key cut out, should the provider echo it back. */
function scrub(endpoint: Endpoint, text: string): string {
  return endpoint.apiKey ? text.replaceAll(endpoint.apiKey, '[redacted key]') : text;
}
