/**
 * The gateway for existing agents: OpenAI Chat Completions (`POST /v1/chat/completions`) and
 * Anthropic Messages (`POST /v1/messages`) over the model-call syscall, with an actor's capability
 * token as the API key. A framework that can set a base URL is governed without code changes:
 * the class's envelope, the ceilings and the ledger apply, and each call is an LLM_CALL row.
 *
 * The backend comes from `model` ("<backend>/<model>") and from nothing else: no header and no
 * body field can name one. Calls are recorded with principal null, as /api/v1/calls records a
 * call made with a capability token: the actor acts under its own authority, named by actor_id,
 * and the gateway is a transport, not someone on whose behalf it acts.
 */
import { createHash, randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { recordAuditEvent, SYSTEM_SESSION } from '../../audit/index.js';
import { AosError, isAosError } from '../../errors.js';
import type { ChatResult } from '../../llm/types.js';
import type { Runtime } from '../../runtime.js';
import type { ModelRequest } from '../../syscall/index.js';
import { type Problem, problemFor } from '../problem.js';
import {
  anthropicMessage,
  anthropicMessagesSchema,
  anthropicStream,
  fromAnthropic,
  fromOpenAi,
  type GatewayRequest,
  openAiChatSchema,
  openAiCompletion,
  openAiStream,
  type ReplyMeta,
  type StreamEncoder,
} from './gateway-format.js';

type Wire = 'openai' | 'anthropic';

// A conversation with its tool results outgrows any one tool call's arguments, which the app's
// body limit is sized for; this matches the default cap on a provider's reply (max_response_bytes).
const CONVERSATION_BYTES = 8 * 1024 * 1024;

const OPENAI_ERROR_TYPES: Record<number, string> = { 400: 'invalid_request_error', 401: 'authentication_error', 403: 'permission_error', 404: 'not_found_error', 409: 'conflict_error', 413: 'invalid_request_error' };
const ANTHROPIC_ERROR_TYPES: Record<number, string> = { 400: 'invalid_request_error', 401: 'authentication_error', 403: 'permission_error', 404: 'not_found_error', 409: 'invalid_request_error', 413: 'request_too_large', 503: 'overloaded_error' };

/** OpenAI's error body; `code` is our error code, `param` the field at fault when there is one. */
function openAiError(problem: Problem) {
  const field = problem.details?.field;
  return {
    error: {
      message: `${problem.code}: ${problem.detail}`,
      type: OPENAI_ERROR_TYPES[problem.status] ?? (problem.status >= 500 ? 'server_error' : 'invalid_request_error'),
      param: typeof field === 'string' ? field : null,
      code: problem.code,
    },
  };
}

/** Anthropic's error body; its `error.type` is one of Anthropic's, our code leads the message. */
function anthropicError(problem: Problem) {
  const type = ANTHROPIC_ERROR_TYPES[problem.status] ?? (problem.status >= 500 ? 'api_error' : 'invalid_request_error');
  return { type: 'error', error: { type, message: `${problem.code}: ${problem.detail}`, code: problem.code } };
}

const errorBody = (wire: Wire, problem: Problem) => (wire === 'openai' ? openAiError(problem) : anthropicError(problem));

/** Fastify's own refusals (schema, body parser, size) as our errors, the way the app's error handler sees them. */
function knownError(error: FastifyError, bodyLimit: number): unknown {
  if (isAosError(error)) return error;
  if (hasZodFastifySchemaValidationErrors(error)) {
    const issue = error.validation[0]!;
    const where = `${error.validationContext ?? 'request'}${issue.instancePath.replaceAll('/', '.')}`;
    return new AosError('INVALID_INPUT', `${where}: ${issue.message}`, { field: where });
  }
  if (error.statusCode === 413) return new AosError('ARGS_TOO_LARGE', `the request body is larger than ${bodyLimit} bytes`);
  if (error.statusCode !== undefined && error.statusCode < 500) return new AosError('INVALID_INPUT', error.message);
  return error;
}

/** Every error of a gateway route in the provider's own error shape, so its SDK raises the matching error class. */
function errorHandlerFor(app: FastifyInstance, wire: Wire) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const problem = problemFor(knownError(error, request.routeOptions.bodyLimit), request.id);
    if (problem.status >= 500) request.log.error({ err: error }, 'gateway request failed');
    if (problem.status === 401 || problem.status === 403) app.metrics.denials.inc({ code: problem.code });
    void reply
      .status(problem.status)
      .type('application/json')
      .send(errorBody(wire, problem));
  };
}

/**
 * The capability token a request presents: `Authorization: Bearer`, or for Anthropic clients
 * `x-api-key`. Whatever the server's auth mode, a model call needs an actor; a missing, malformed
 * or API-key credential is refused here with one AUTH_REJECTED row, a bad token by the syscall.
 */
async function tokenOf(runtime: Runtime, request: FastifyRequest, wire: Wire): Promise<string> {
  const apiKey = wire === 'anthropic' ? request.headers['x-api-key'] : undefined;
  const presented = typeof apiKey === 'string' && apiKey !== '' ? `x-api-key ${apiKey}` : request.headers.authorization;
  let error: AosError;
  if (presented === undefined) {
    error = new AosError('AUTH_MISSING', `send the actor's capability token as the API key: "Authorization: Bearer <token>"${wire === 'anthropic' ? ' or "x-api-key: <token>"' : ''}`);
  } else {
    const token = /^(?:Bearer|x-api-key) +(\S+) *$/i.exec(presented)?.[1];
    if (token !== undefined && !token.startsWith('aos_')) {
      // Verified (and a bad one recorded) before a body of up to 8 MiB is read for it.
      await runtime.syscall.verify(token, `${request.method} ${request.routeOptions.url}`);
      return token;
    }
    error = token === undefined
      ? new AosError('AUTH_MALFORMED', 'the Authorization header must be "Bearer <capability token>"')
      : new AosError('AUTH_INVALID', 'the gateway takes an actor\'s capability token, not an API key: spawn an actor (POST /api/v1/agents) and use its token');
  }
  await recordAuditEvent(runtime.db, runtime.deps.clock, {
    sessionId: SYSTEM_SESSION,
    type: 'AUTH_REJECTED',
    actorId: null,
    principal: null,
    payload: {
      operation: `${request.method} ${request.routeOptions.url}`,
      code: error.code,
      reason: error.message,
      presented_sha256_prefix: presented === undefined ? null : createHash('sha256').update(presented).digest('hex').slice(0, 16),
    },
  });
  throw error;
}

/**
 * The backend a request's `model` names: "<backend>/<model>" (split at the first "/"), or a bare
 * model for a class allowed exactly one backend. Everything else about the call, the envelope
 * included, the syscall checks.
 */
async function routeOf(runtime: Runtime, token: string, requested: GatewayRequest): Promise<ModelRequest> {
  const slash = requested.model.indexOf('/');
  if (slash !== -1) {
    const [backend, model] = [requested.model.slice(0, slash), requested.model.slice(slash + 1)];
    if (backend === '' || model === '') throw new AosError('INVALID_INPUT', `model: expected "<backend>/<model>", got "${requested.model}"`, { field: 'model' });
    return { ...requested, backend, model };
  }
  // A token that does not verify is refused, and recorded, by the syscall whatever the backend.
  const claims = await runtime.deps.tokens.verify(token).catch(() => null);
  if (claims === null) return { ...requested, backend: '-' };
  const allowed = runtime.deps.classes.get(claims.cls)?.models?.allowedBackends ?? [];
  if (allowed.length === 1) return { ...requested, backend: allowed[0]! };
  if (allowed.length > 1) {
    throw new AosError('INVALID_INPUT', `model: "${requested.model}" names no backend and class "${claims.cls}" may use several (${allowed.join(', ')}); send "<backend>/<model>", e.g. "${allowed[0]}/${requested.model}"`, { field: 'model' });
  }
  const error = new AosError('EGRESS_DENIED', `class "${claims.cls}" may reach no model backend (its allowed_backends is empty)`, { class: claims.cls });
  await recordAuditEvent(runtime.db, runtime.deps.clock, {
    sessionId: claims.sid,
    type: 'EGRESS_DENIED',
    actorId: claims.sub,
    principal: null,
    payload: { operation: 'call_model', backend: null, model: requested.model, code: error.code, reason: error.message },
  });
  throw error;
}

function metaOf(runtime: Runtime, prefix: string, call: ModelRequest): ReplyMeta {
  return { id: `${prefix}${randomBytes(18).toString('base64url')}`, created: Math.floor(runtime.deps.clock.now().getTime() / 1000), model: `${call.backend}/${call.model}` };
}

/**
 * Makes the call and answers it, whole or as a stream. A stream's headers wait for its first
 * text (or the whole answer), so a refusal, which comes before any, is still a plain HTTP error;
 * a failure after that ends the stream with the provider's error event. A client that goes away
 * aborts the provider call, which the ledger then settles.
 */
async function complete(
  runtime: Runtime,
  reply: FastifyReply,
  wire: Wire,
  answer: { token: string; call: ModelRequest; stream: StreamEncoder | null; whole: (result: ChatResult) => unknown },
) {
  const { token, call, stream, whole } = answer;
  const abort = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) abort.abort();
  });
  if (stream === null) {
    const { result } = await runtime.syscall.callModel(token, call, null, { signal: abort.signal });
    return reply.type('application/json').send(whole(result));
  }
  const events = new PassThrough();
  let opened = () => {};
  const first = new Promise<null>((resolve) => (opened = () => resolve(null)));
  const onText = (delta: string) => {
    events.write(stream.text(delta));
    opened();
  };
  const settled = runtime.syscall.callModel(token, { ...call, stream: true }, null, { signal: abort.signal, onText }).then(
    ({ result }) => ({ result }),
    (error: unknown) => ({ error }),
  );
  const early = await Promise.race([first, settled]);
  if (early !== null && 'error' in early) {
    events.destroy();
    throw early.error;
  }
  void settled.then((done) => {
    if (events.destroyed) return;
    if ('result' in done) return void events.end(stream.end(done.result));
    const problem = problemFor(done.error, reply.request.id);
    if (problem.status >= 500) reply.log.error({ err: done.error }, 'gateway stream failed');
    events.end(stream.error(errorBody(wire, problem)));
  });
  return reply.header('cache-control', 'no-cache').type('text/event-stream; charset=utf-8').send(events);
}

const COMMON =
  'The API key is an actor\'s capability token. "model" is "<backend>/<model>" (a bare model name means the one backend of a class allowed exactly one); nothing else in the request can pick a backend. The call goes through the model-call syscall: grant, envelope, price, ceilings, ledger and an LLM_CALL audit row. Tool results in the conversation reach the model scanned for prompt injection and wrapped in <untrusted_tool_output> delimiters, per the class\'s untrusted_content policy. Errors come in the provider\'s error shape with our error code.';

/**
 * OpenAI- and Anthropic-compatible endpoints outside /api/v1. They authenticate by capability
 * token only (the auth hook lets them through; the syscall verifies the token).
 *
 * @example
 * const client = new OpenAI({ apiKey: capabilityToken, baseURL: 'http://127.0.0.1:7400/v1' });
 * await client.chat.completions.create({ model: 'local/llama3.2', messages: [{ role: 'user', content: 'hi' }] });
 */
export function registerGatewayRoutes(app: FastifyInstance, runtime: Runtime): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const bodyLimit = Math.max(app.initialConfig.bodyLimit ?? 0, CONVERSATION_BYTES);
  // The credential is looked at before the body is read, so a request without one costs no parsing.
  const credential = (wire: Wire) => async (request: FastifyRequest) => void (request.capability = await tokenOf(runtime, request, wire));
  routes.post(
    '/v1/chat/completions',
    {
      config: { auth: 'public' },
      bodyLimit,
      onRequest: credential('openai'),
      errorHandler: errorHandlerFor(app, 'openai'),
      schema: {
        summary: 'OpenAI Chat Completions, governed: a model call as the actor whose capability token is the bearer key',
        description: `${COMMON} Answers a chat.completion object, or with "stream": true chat.completion.chunk events ending in "data: [DONE]" (a last usage chunk with stream_options.include_usage).`,
        tags: ['gateway'],
        body: openAiChatSchema,
      },
    },
    async (request, reply) => {
      const token = request.capability!;
      const call = await routeOf(runtime, token, fromOpenAi(request.body));
      const meta = metaOf(runtime, 'chatcmpl-', call);
      const stream = request.body.stream === true ? openAiStream(meta, request.body.stream_options?.include_usage === true) : null;
      return complete(runtime, reply, 'openai', { token, call, stream, whole: (result) => openAiCompletion(meta, result) });
    },
  );
  routes.post(
    '/v1/messages',
    {
      config: { auth: 'public' },
      bodyLimit,
      onRequest: credential('anthropic'),
      errorHandler: errorHandlerFor(app, 'anthropic'),
      schema: {
        summary: 'Anthropic Messages, governed: a model call as the actor whose capability token is the x-api-key (or bearer key)',
        description: `${COMMON} Answers a message object, or with "stream": true the Messages stream events (message_start … message_stop).`,
        tags: ['gateway'],
        body: anthropicMessagesSchema,
      },
    },
    async (request, reply) => {
      const token = request.capability!;
      const call = await routeOf(runtime, token, fromAnthropic(request.body));
      const meta = metaOf(runtime, 'msg_', call);
      const stream = request.body.stream === true ? anthropicStream(meta) : null;
      return complete(runtime, reply, 'anthropic', { token, call, stream, whole: (result) => anthropicMessage(meta, result) });
    },
  );
}
