/**
 * Ollama's native chat (POST {base_url}/api/chat). Tool-call arguments are JSON objects, the
 * token cap is options.num_predict, and a stream is newline-delimited JSON whose last line
 * (done: true) carries prompt_eval_count and eval_count.
 */
import { z } from 'zod';
import type { LlmBackendConfig } from '../config/llm.js';
import { ndjsonLines } from './stream.js';
import { functionTools } from './openai.js';
import { backendFailure, bodyText, type Endpoint, endpointOf, exchange, parseReply, postJson, readText, streamError } from './transport.js';
import type { ChatOptions, ChatRequest, ChatResult, ChatUsage, LlmBackend, StopReason, ToolCall } from './types.js';

const count = z.int().nonnegative();

const toolCallSchema = z.object({
  id: z.string().nullish(),
  function: z.object({ name: z.string(), arguments: z.record(z.string(), z.unknown()).nullish() }),
});

const lineSchema = z.object({
  model: z.string().nullish(),
  message: z.object({ content: z.string().nullish(), tool_calls: z.array(toolCallSchema).nullish() }).nullish(),
  done: z.boolean().nullish(),
  done_reason: z.string().nullish(),
  prompt_eval_count: count.nullish(),
  eval_count: count.nullish(),
  error: z.string().nullish(),
});

type Line = z.infer<typeof lineSchema>;

/**
 * A backend speaking Ollama's /api/chat.
 *
 * @example
 * const backend = createOllamaBackend('ollama', { kind: 'ollama', base_url: 'http://localhost:11434', timeout_ms: 120000, max_response_bytes: 8388608 }, undefined);
 * const result = await backend.chat({ model: 'llama3.2', messages: [{ role: 'user', content: 'Hi' }], maxTokens: 256 });
 */
export function createOllamaBackend(name: string, config: LlmBackendConfig, apiKey: string | undefined): LlmBackend {
  const endpoint = endpointOf(name, config, apiKey);
  // Ollama itself takes no key; one set here is for a proxy in front of it or Ollama's cloud.
  const headers: Record<string, string> = apiKey ? { authorization: `Bearer ${apiKey}` } : {};
  return {
    name,
    kind: 'ollama',
    chat: (request, options = {}) =>
      exchange(endpoint, options, async (signal) => {
        const stream = options.stream === true;
        const response = await postJson(endpoint, '/api/chat', headers, encode(request, stream), signal);
        if (stream) return decodeStream(endpoint, request, response, options);
        const line = parseReply(endpoint, lineSchema, await readText(endpoint, response), 'chat response');
        if (line.error) throw streamError(endpoint, line.error);
        return result(request, line, line.message?.content ?? '', toolCallsOf(line, 0));
      }),
  };
}

function encode(request: ChatRequest, stream: boolean): Record<string, unknown> {
  const messages: Record<string, unknown>[] = request.system ? [{ role: 'system', content: request.system }] : [];
  // Ollama pairs a tool result with its call by the tool's name, not an id.
  const toolNames = new Map<string, string>();
  for (const message of request.messages) {
    if (message.role === 'user') messages.push({ role: 'user', content: message.content });
    else if (message.role === 'tool') {
      const toolName = toolNames.get(message.toolCallId);
      messages.push({ role: 'tool', content: message.content, ...(toolName ? { tool_name: toolName } : {}) });
    } else {
      for (const call of message.toolCalls ?? []) toolNames.set(call.id, call.name);
      messages.push({
        role: 'assistant',
        content: message.content,
        ...(message.toolCalls && message.toolCalls.length > 0
          ? { tool_calls: message.toolCalls.map((call) => ({ function: { name: call.name, arguments: call.arguments } })) }
          : {}),
      });
    }
  }
  return {
    model: request.model,
    messages,
    ...functionTools(request),
    // Ollama streams unless told not to, so the flag is always sent.
    stream,
    options: { num_predict: request.maxTokens, ...(request.temperature === undefined ? {} : { temperature: request.temperature }) },
  };
}

async function decodeStream(endpoint: Endpoint, request: ChatRequest, response: Response, options: ChatOptions): Promise<ChatResult> {
  let content = '';
  const toolCalls: ToolCall[] = [];
  for await (const text of ndjsonLines(bodyText(endpoint, response))) {
    const line = parseReply(endpoint, lineSchema, text, 'stream line');
    if (line.error) throw streamError(endpoint, line.error);
    const piece = line.message?.content;
    if (piece) {
      content += piece;
      options.onText?.(piece);
    }
    // Calls arrive whole, each in one line; a later line may bring more.
    toolCalls.push(...toolCallsOf(line, toolCalls.length));
    if (line.done) return result(request, line, content, toolCalls);
  }
  throw backendFailure(endpoint, 'ended the stream before its "done": true line');
}

function toolCallsOf(line: Line, first: number): ToolCall[] {
  return (line.message?.tool_calls ?? []).map((call, i) => ({
    // Older Ollama releases send no id; the position in the answer stands in for one.
    id: call.id ?? `call_${first + i}`,
    name: call.function.name,
    arguments: call.function.arguments ?? {},
  }));
}

function result(request: ChatRequest, last: Line, content: string, toolCalls: ToolCall[]): ChatResult {
  return {
    model: last.model ?? request.model,
    content,
    toolCalls,
    stopReason: stopReason(last.done_reason, toolCalls.length > 0),
    usage: usageOf(last),
  };
}

/**
 * Both counts or none: Ollama leaves prompt_eval_count out when it reused a cached prompt, and
 * a missing count read as zero would under-charge the call.
 */
function usageOf(line: Line): ChatUsage | null {
  if (typeof line.prompt_eval_count !== 'number' || typeof line.eval_count !== 'number') return null;
  return { inputTokens: line.prompt_eval_count, outputTokens: line.eval_count, cachedInputTokens: 0, cacheWriteInputTokens: 0 };
}

/** Ollama says "stop" after tool calls too; the calls themselves tell the two apart. */
function stopReason(doneReason: string | null | undefined, calledTools: boolean): StopReason {
  if (doneReason === 'length') return 'max_tokens';
  if (calledTools) return 'tool_use';
  if (doneReason === 'stop' || doneReason === undefined || doneReason === null) return 'end';
  return 'other';
}
