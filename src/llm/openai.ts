/**
 * OpenAI chat completions (POST {base_url}/chat/completions), which OpenAI, vLLM, the
 * llama.cpp server and LM Studio all speak. Tool-call arguments travel as JSON strings; a
 * stream is SSE ending in `data: [DONE]`, with usage in a last chunk when asked for.
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

const count = z.int().nonnegative();

const usageSchema = z.object({
  prompt_tokens: count,
  completion_tokens: count,
  prompt_tokens_details: z.object({ cached_tokens: count.nullish() }).nullish(),
});

const completionSchema = z.object({
  model: z.string(),
  choices: z
    .array(
      z.object({
        message: z.object({
          content: z.string().nullish(),
          tool_calls: z
            .array(z.object({ id: z.string(), function: z.object({ name: z.string(), arguments: z.string() }) }))
            .nullish(),
        }),
        finish_reason: z.string().nullish(),
      }),
    )
    .min(1),
  usage: usageSchema.nullish(),
});

const chunkSchema = z.object({
  model: z.string().nullish(),
  choices: z
    .array(
      z.object({
        delta: z
          .object({
            content: z.string().nullish(),
            tool_calls: z
              .array(
                z.object({
                  index: z.int().nonnegative(),
                  id: z.string().nullish(),
                  function: z.object({ name: z.string().nullish(), arguments: z.string().nullish() }).nullish(),
                }),
              )
              .nullish(),
          })
          .nullish(),
        finish_reason: z.string().nullish(),
      }),
    )
    .nullish(),
  usage: usageSchema.nullish(),
  error: z.object({ message: z.string() }).nullish(),
});

/**
 * A backend speaking OpenAI chat completions.
 *
 * @example
 * const backend = createOpenAiBackend('local', { kind: 'openai', base_url: 'http://localhost:8000/v1', timeout_ms: 120000, max_response_bytes: 8388608 }, undefined);
 * const result = await backend.chat({ model: 'qwen3', messages: [{ role: 'user', content: 'Hi' }], maxTokens: 256 });
 */
export function createOpenAiBackend(name: string, config: LlmBackendConfig, apiKey: string | undefined): LlmBackend {
  const endpoint = endpointOf(name, config, apiKey);
  const maxTokensField = config.max_tokens_field ?? 'max_tokens';
  const headers: Record<string, string> = apiKey ? { authorization: `Bearer ${apiKey}` } : {};
  return {
    name,
    kind: 'openai',
    chat: (request, options = {}) =>
      exchange(endpoint, options, async (signal) => {
        const stream = options.stream === true;
        const response = await postJson(endpoint, '/chat/completions', headers, encode(request, maxTokensField, stream), signal);
        if (stream) return decodeStream(endpoint, request, response, options);
        return decode(endpoint, parseReply(endpoint, completionSchema, await readText(endpoint, response), 'chat completion'));
      }),
  };
}

function encode(request: ChatRequest, maxTokensField: string, stream: boolean): Record<string, unknown> {
  const messages: Record<string, unknown>[] = request.system ? [{ role: 'system', content: request.system }] : [];
  for (const message of request.messages) {
    if (message.role === 'user') messages.push({ role: 'user', content: message.content });
    else if (message.role === 'tool') messages.push({ role: 'tool', tool_call_id: message.toolCallId, content: message.content });
    else if (message.toolCalls && message.toolCalls.length > 0) {
      messages.push({
        role: 'assistant',
        // OpenAI wants null, not "", beside tool calls that came without text.
        content: message.content === '' ? null : message.content,
        tool_calls: message.toolCalls.map((call) => ({
          id: call.id,
          type: 'function',
          function: { name: call.name, arguments: JSON.stringify(call.arguments) },
        })),
      });
    } else messages.push({ role: 'assistant', content: message.content });
  }
  return {
    model: request.model,
    messages,
    [maxTokensField]: request.maxTokens,
    ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    ...functionTools(request),
    stream,
    ...(stream ? { stream_options: { include_usage: true } } : {}),
  };
}

function decode(endpoint: Endpoint, reply: z.infer<typeof completionSchema>): ChatResult {
  const choice = reply.choices[0]!;
  return {
    model: reply.model,
    content: choice.message.content ?? '',
    toolCalls: (choice.message.tool_calls ?? []).map((call) => ({
      id: call.id,
      name: call.function.name,
      arguments: toolArguments(endpoint, call.function.name, call.function.arguments),
    })),
    stopReason: stopReason(choice.finish_reason),
    usage: usageOf(reply.usage),
  };
}

async function decodeStream(endpoint: Endpoint, request: ChatRequest, response: Response, options: ChatOptions): Promise<ChatResult> {
  let model = request.model;
  let content = '';
  let finishReason: string | null | undefined;
  let usage: ChatUsage | null = null;
  const calls = new Map<number, { id: string; name: string; arguments: string }>();
  for await (const { data } of sseEvents(bodyText(endpoint, response))) {
    if (data === '[DONE]') {
      const toolCalls: ToolCall[] = [...calls.entries()]
        .sort(([a], [b]) => a - b)
        .map(([index, call]) => {
          if (!call.name) throw backendFailure(endpoint, `streamed tool call ${index} without a function name`);
          return { id: call.id || `call_${index}`, name: call.name, arguments: toolArguments(endpoint, call.name, call.arguments) };
        });
      return { model, content, toolCalls, stopReason: stopReason(finishReason), usage };
    }
    const chunk = parseReply(endpoint, chunkSchema, data, 'stream chunk');
    if (chunk.error) throw streamError(endpoint, chunk.error.message);
    if (chunk.model) model = chunk.model;
    if (chunk.usage) usage = usageOf(chunk.usage);
    // Only one choice is ever asked for (no `n`), so index 0 is the answer.
    const choice = chunk.choices?.[0];
    if (!choice) continue;
    if (choice.finish_reason) finishReason = choice.finish_reason;
    const text = choice.delta?.content;
    if (text) {
      content += text;
      options.onText?.(text);
    }
    for (const piece of choice.delta?.tool_calls ?? []) {
      const call = calls.get(piece.index) ?? { id: '', name: '', arguments: '' };
      if (piece.id) call.id = piece.id;
      // The name comes whole in the call's first piece; some servers repeat it in later ones.
      if (piece.function?.name && !call.name) call.name = piece.function.name;
      if (piece.function?.arguments) call.arguments += piece.function.arguments;
      calls.set(piece.index, call);
    }
  }
  // Without [DONE] the answer may be cut short and its usage is missing: not a result to settle on.
  throw backendFailure(endpoint, 'ended the stream before "data: [DONE]"');
}

function usageOf(usage: z.infer<typeof usageSchema> | null | undefined): ChatUsage | null {
  if (!usage) return null;
  return {
    inputTokens: usage.prompt_tokens,
    outputTokens: usage.completion_tokens,
    cachedInputTokens: usage.prompt_tokens_details?.cached_tokens ?? 0,
    cacheWriteInputTokens: 0,
  };
}

function stopReason(finishReason: string | null | undefined): StopReason {
  switch (finishReason) {
    case 'stop':
      return 'end';
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    default:
      return 'other';
  }
}

/**
 * The request's tools as OpenAI "function" tools (Ollama takes the same shape), or nothing when
 * there are none: some servers refuse an empty list.
 *
 * @example
 * const body = { model, messages, ...functionTools(request) };
 */
export function functionTools(request: ChatRequest): { tools?: { type: 'function'; function: { name: string; description: string; parameters: Record<string, unknown> } }[] } {
  if (!request.tools || request.tools.length === 0) return {};
  return {
    tools: request.tools.map((tool) => ({ type: 'function', function: { name: tool.name, description: tool.description, parameters: tool.parameters } })),
  };
}
