/**
 * Anthropic Messages (POST {base_url}/v1/messages, anthropic-version 2023-06-01). The system
 * prompt is a top-level field, tool calls and results are content blocks, and a stream is SSE
 * from message_start (input usage) to message_stop, with output usage in message_delta.
 */
import { z } from 'zod';
import type { LlmBackendConfig } from '../config/llm.js';
import { sseEvents } from './stream.js';
import {
  backendFailure,
  bodyText,
  type Endpoint,
  endpointOf,
  exchange,
  parseReply,
  postJson,
  readText,
  streamError,
  toolArguments,
} from './transport.js';
import type { ChatOptions, ChatRequest, ChatResult, ChatUsage, LlmBackend, StopReason, ToolCall } from './types.js';

export const ANTHROPIC_VERSION = '2023-06-01';

const count = z.int().nonnegative();

// Every count is optional: message_delta repeats only those that changed.
const usageSchema = z.object({
  input_tokens: count.nullish(),
  output_tokens: count.nullish(),
  cache_read_input_tokens: count.nullish(),
  cache_creation_input_tokens: count.nullish(),
});

const blockSchema = z.union([
  z.object({ type: z.literal('text'), text: z.string() }),
  z.object({ type: z.literal('tool_use'), id: z.string(), name: z.string(), input: z.record(z.string(), z.unknown()) }),
  // Thinking and server-tool blocks carry nothing this interface returns.
  z.object({ type: z.string() }),
]);

const messageSchema = z.object({
  type: z.literal('message'),
  model: z.string(),
  content: z.array(blockSchema),
  stop_reason: z.string().nullish(),
  usage: usageSchema.nullish(),
});

const eventSchema = z.object({
  type: z.string(),
  index: z.int().nonnegative().optional(),
  message: z.object({ model: z.string(), usage: usageSchema.nullish() }).optional(),
  content_block: blockSchema.optional(),
  delta: z
    .object({
      type: z.string().optional(),
      text: z.string().optional(),
      partial_json: z.string().optional(),
      stop_reason: z.string().nullish(),
    })
    .optional(),
  usage: usageSchema.nullish(),
  error: z.object({ type: z.string().optional(), message: z.string() }).optional(),
});

type Usage = z.infer<typeof usageSchema>;

/**
 * A backend speaking Anthropic Messages.
 *
 * @example
 * const backend = createAnthropicBackend('claude', config.llm.backends.claude!, process.env.ANTHROPIC_API_KEY);
 * const result = await backend.chat({ model: 'claude-sonnet-4-5', system: 'Be brief.', messages: [{ role: 'user', content: 'Hi' }], maxTokens: 256 });
 */
export function createAnthropicBackend(name: string, config: LlmBackendConfig, apiKey: string | undefined): LlmBackend {
  const endpoint = endpointOf(name, config, apiKey);
  const headers: Record<string, string> = { 'anthropic-version': ANTHROPIC_VERSION, ...(apiKey ? { 'x-api-key': apiKey } : {}) };
  return {
    name,
    kind: 'anthropic',
    chat: (request, options = {}) =>
      exchange(endpoint, options, async (signal) => {
        const stream = options.stream === true;
        const response = await postJson(endpoint, '/v1/messages', headers, encode(request, stream), signal);
        if (stream) return decodeStream(endpoint, request, response, options);
        return decode(parseReply(endpoint, messageSchema, await readText(endpoint, response), 'message'));
      }),
  };
}

type Block = Record<string, unknown>;

function encode(request: ChatRequest, stream: boolean): Record<string, unknown> {
  const messages: { role: 'user' | 'assistant'; content: Block[] }[] = [];
  // Tool results answer the assistant turn before them and must open the next user turn, all
  // of them together; so consecutive user-side messages merge into one.
  const push = (role: 'user' | 'assistant', blocks: Block[]) => {
    const last = messages.at(-1);
    if (last && last.role === role && role === 'user') last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };
  for (const message of request.messages) {
    if (message.role === 'user') push('user', [{ type: 'text', text: message.content }]);
    else if (message.role === 'tool') {
      push('user', [{ type: 'tool_result', tool_use_id: message.toolCallId, content: message.content }]);
    } else {
      // The API refuses empty text blocks, which a turn of tool calls alone would produce.
      const text: Block[] = message.content === '' ? [] : [{ type: 'text', text: message.content }];
      const calls = (message.toolCalls ?? []).map((call) => ({ type: 'tool_use', id: call.id, name: call.name, input: call.arguments }));
      push('assistant', [...text, ...calls]);
    }
  }
  return {
    model: request.model,
    max_tokens: request.maxTokens,
    ...(request.system ? { system: request.system } : {}),
    messages,
    ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    ...(request.tools && request.tools.length > 0
      ? { tools: request.tools.map((tool) => ({ name: tool.name, description: tool.description, input_schema: tool.parameters })) }
      : {}),
    ...(stream ? { stream: true } : {}),
  };
}

function decode(reply: z.infer<typeof messageSchema>): ChatResult {
  let content = '';
  const toolCalls: ToolCall[] = [];
  for (const block of reply.content) {
    if ('text' in block) content += block.text;
    else if ('input' in block) toolCalls.push({ id: block.id, name: block.name, arguments: block.input });
  }
  return { model: reply.model, content, toolCalls, stopReason: stopReason(reply.stop_reason), usage: usageOf(reply.usage) };
}

async function decodeStream(endpoint: Endpoint, request: ChatRequest, response: Response, options: ChatOptions): Promise<ChatResult> {
  let model = request.model;
  let content = '';
  let reason: string | null | undefined;
  let usage: Usage | null = null;
  const calls = new Map<number, { id: string; name: string; json: string }>();
  for await (const { data } of sseEvents(bodyText(endpoint, response))) {
    const event = parseReply(endpoint, eventSchema, data, 'stream event');
    switch (event.type) {
      case 'message_start':
        model = event.message?.model ?? model;
        usage = event.message?.usage ?? null;
        break;
      case 'content_block_start':
        if (event.content_block && 'input' in event.content_block) {
          calls.set(event.index ?? calls.size, { id: event.content_block.id, name: event.content_block.name, json: '' });
        }
        break;
      case 'content_block_delta':
        if (event.delta?.type === 'text_delta' && event.delta.text) {
          content += event.delta.text;
          options.onText?.(event.delta.text);
        } else if (event.delta?.type === 'input_json_delta') {
          const call = calls.get(event.index ?? -1);
          if (!call) throw backendFailure(endpoint, `streamed tool input for block ${event.index} that started no tool_use`);
          call.json += event.delta.partial_json ?? '';
        }
        break;
      case 'message_delta':
        reason = event.delta?.stop_reason ?? reason;
        if (event.usage && usage) usage = merged(usage, event.usage);
        break;
      case 'error':
        throw streamError(endpoint, event.error?.message ?? 'unknown error');
      case 'message_stop': {
        const toolCalls = [...calls.entries()]
          .sort(([a], [b]) => a - b)
          .map(([, call]) => ({ id: call.id, name: call.name, arguments: toolArguments(endpoint, call.name, call.json) }));
        return { model, content, toolCalls, stopReason: stopReason(reason), usage: usageOf(usage) };
      }
    }
  }
  throw backendFailure(endpoint, 'ended the stream before message_stop');
}

/** The counts in message_delta are totals so far, not increments: they replace the earlier ones. */
function merged(start: Usage, delta: Usage): Usage {
  const present = Object.entries(delta).filter(([, value]) => value !== undefined && value !== null);
  return { ...start, ...Object.fromEntries(present) };
}

/** Anthropic counts cache reads and writes apart from input_tokens; the total prompt is their sum. */
function usageOf(usage: Usage | null | undefined): ChatUsage | null {
  if (!usage || typeof usage.input_tokens !== 'number' || typeof usage.output_tokens !== 'number') return null;
  const cacheRead = usage.cache_read_input_tokens ?? 0;
  const cacheWrite = usage.cache_creation_input_tokens ?? 0;
  return {
    inputTokens: usage.input_tokens + cacheRead + cacheWrite,
    outputTokens: usage.output_tokens,
    cachedInputTokens: cacheRead,
    cacheWriteInputTokens: cacheWrite,
  };
}

function stopReason(reason: string | null | undefined): StopReason {
  switch (reason) {
    case 'end_turn':
    case 'stop_sequence':
      return 'end';
    case 'max_tokens':
      return 'max_tokens';
    case 'tool_use':
      return 'tool_use';
    default:
      return 'other';
  }
}
