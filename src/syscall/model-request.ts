import { z } from 'zod';
import { AosError } from '../errors.js';
import type { ChatMessage, ChatRequest } from '../llm/types.js';

const toolCallSchema = z.strictObject({
  id: z.string().min(1).max(200),
  name: z.string().min(1).max(200),
  arguments: z.record(z.string(), z.unknown()),
});

const messageSchema = z.discriminatedUnion('role', [
  z.strictObject({ role: z.literal('user'), content: z.string() }),
  z.strictObject({ role: z.literal('assistant'), content: z.string(), tool_calls: z.array(toolCallSchema).optional() }),
  z.strictObject({ role: z.literal('tool'), tool_call_id: z.string().min(1).max(200), content: z.string() }),
]);

/**
 * A model call as actors make it. Strict: there is no field that names a base URL, a provider
 * or an alternative backend, so nothing in a request can route around the class's envelope.
 */
export const modelRequestSchema = z.strictObject({
  backend: z.string().min(1).max(100),
  model: z.string().min(1).max(200),
  messages: z.array(messageSchema).min(1).max(10_000),
  system: z.string().optional(),
  max_tokens: z.int().positive().max(1_000_000).optional(),
  temperature: z.number().min(0).max(2).optional(),
  tools: z
    .array(z.strictObject({ name: z.string().min(1).max(200), description: z.string().default(''), parameters: z.record(z.string(), z.unknown()) }))
    .optional(),
  stream: z.boolean().optional(),
});

export type ModelRequest = z.infer<typeof modelRequestSchema>;

/**
 * Validates a model call, naming the first bad field.
 *
 * @example
 * const request = parseModelRequest({ backend: 'local', model: 'llama3.2', messages: [{ role: 'user', content: 'hi' }] });
 */
export function parseModelRequest(input: unknown): ModelRequest {
  const parsed = modelRequestSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join('.') || '(request)';
    throw new AosError('INVALID_INPUT', `${field}: ${issue.message}`, { field });
  }
  return parsed.data;
}

/** The adapters' shape of a validated request, with the output cap the ceiling reserved for. */
export function chatRequestOf(request: ModelRequest, maxTokens: number): ChatRequest {
  const messages: ChatMessage[] = request.messages.map((message) => {
    if (message.role === 'tool') return { role: 'tool', toolCallId: message.tool_call_id, content: message.content };
    if (message.role === 'assistant') return { role: 'assistant', content: message.content, ...(message.tool_calls ? { toolCalls: message.tool_calls } : {}) };
    return message;
  });
  return {
    model: request.model,
    messages,
    maxTokens,
    ...(request.system !== undefined ? { system: request.system } : {}),
    ...(request.tools ? { tools: request.tools } : {}),
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
  };
}
