/**
 * The two wire formats the gateway speaks, OpenAI Chat Completions and Anthropic Messages: their
 * request schemas, the translation of a request into the syscall's model request, and the
 * replies, stream events and error bodies each provider's SDK expects.
 *
 * Fields are decided one by one. Used: what the syscall can carry. Accepted and ignored: hints
 * and client metadata that do not change what a correct answer is (sampling knobs, `user`,
 * `metadata`, `store`...). Refused with a reason: options that would change the answer in a way
 * the gateway cannot honour (`stop`, `response_format`, `n` > 1, forced tool choice...). Anything
 * else is refused as unknown, so no field (`base_url`, `api_base`, `provider`...) can route a
 * call: the backend comes from `model` alone.
 */
import { z } from 'zod';
import { AosError } from '../../errors.js';
import type { ChatResult, ChatUsage, StopReason } from '../../llm/types.js';
import { parseStrictJson } from '../../security/canonical/index.js';
import type { ModelRequest } from '../../syscall/index.js';

/** A model request as the syscall takes it, still holding the client's `model` ("<backend>/<model>" or bare). */
export type GatewayRequest = Omit<ModelRequest, 'backend'>;
type Message = ModelRequest['messages'][number];
type ToolCall = NonNullable<Extract<Message, { role: 'assistant' }>['tool_calls']>[number];

const ignored = z.json().optional().describe('accepted and ignored');
const objectSchema = z.record(z.string(), z.json());
const modelName = z.string().min(1).max(300).describe('"<backend>/<model>", e.g. "local/llama3.2"; a bare model name means the one backend of a class allowed exactly one');

/** Unknown top-level fields get a message that says why, instead of zod's bare "unrecognized key". */
function unknownFields(issue: { code?: string; keys?: string[] }): string | undefined {
  if (issue.code !== 'unrecognized_keys') return undefined;
  const keys = (issue.keys ?? []).map((key) => JSON.stringify(key)).join(', ');
  return `unsupported field ${keys}: the gateway takes the backend from "model" ("<backend>/<model>") only, and no routing, provider or unlisted option; remove it`;
}

function refuse(field: string, reason: string): never {
  throw new AosError('INVALID_INPUT', `${field}: ${reason}`, { field });
}

// ---------------------------------------------------------------------------------------------
// OpenAI Chat Completions

const openAiPart = z.object({ type: z.string(), text: z.string().optional() });
const openAiContent = z.union([z.string(), z.array(openAiPart)]);
const openAiToolCallSchema = z.object({
  id: z.string().min(1).max(200),
  type: z.literal('function').optional(),
  function: z.object({ name: z.string().min(1).max(200), arguments: z.string() }),
});

const openAiMessage = z.discriminatedUnion(
  'role',
  [
    z.object({ role: z.literal('system'), content: openAiContent }),
    z.object({ role: z.literal('developer'), content: openAiContent }),
    z.object({ role: z.literal('user'), content: openAiContent }),
    z.object({ role: z.literal('assistant'), content: openAiContent.nullish(), tool_calls: z.array(openAiToolCallSchema).nullish() }),
    z.object({ role: z.literal('tool'), tool_call_id: z.string().min(1).max(200), content: openAiContent }),
  ],
  { error: 'expected a message with role system, developer, user, assistant or tool' },
);

export const openAiChatSchema = z.strictObject(
  {
    model: modelName,
    messages: z.array(openAiMessage).min(1).max(10_000).describe('system and developer messages become the system prompt, in order'),
    max_tokens: z.int().positive().max(1_000_000).nullish(),
    max_completion_tokens: z.int().positive().max(1_000_000).nullish().describe('with max_tokens, the smaller applies; neither: the class default'),
    temperature: z.number().min(0).max(2).nullish(),
    stream: z.boolean().nullish(),
    stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
    tools: z
      .array(
        z.object({
          type: z.literal('function', { error: 'only tools of type "function" are supported' }),
          function: z.object({ name: z.string().min(1).max(200), description: z.string().nullish(), parameters: objectSchema.nullish() }),
        }),
      )
      .nullish(),
    tool_choice: z.enum(['auto', 'none'], { error: 'only "auto" and "none" are supported: the gateway cannot force a tool call' }).nullish(),
    n: z.literal(1, { error: 'the gateway returns one choice; n must be 1' }).nullish(),
    // Sampling hints and client metadata: the answer is still a correct one without them.
    user: ignored,
    metadata: ignored,
    store: ignored,
    service_tier: ignored,
    top_p: ignored,
    frequency_penalty: ignored,
    presence_penalty: ignored,
    seed: ignored,
    logit_bias: ignored,
    parallel_tool_calls: ignored,
    prompt_cache_key: ignored,
    safety_identifier: ignored,
    reasoning_effort: ignored,
    // Refused unless empty or default (see fromOpenAi): they change what the answer must be.
    stop: z.json().optional().describe('refused unless empty'),
    response_format: z.json().optional().describe('refused unless { type: "text" }'),
    logprobs: z.json().optional().describe('refused unless false'),
    top_logprobs: z.json().optional().describe('refused unless 0'),
    modalities: z.json().optional().describe('refused unless ["text"]'),
  },
  { error: unknownFields },
);

export type OpenAiChat = z.infer<typeof openAiChatSchema>;

function openAiText(content: z.infer<typeof openAiContent> | null | undefined, field: string): string {
  if (content === null || content === undefined || typeof content === 'string') return content ?? '';
  return content
    .map((part, index) => {
      if (part.type !== 'text' || part.text === undefined) refuse(`${field}.${index}`, `content parts of type "${part.type}" are not supported by the gateway; send text`);
      return part.text;
    })
    .join('');
}

function argumentsOf(text: string, field: string): Record<string, unknown> {
  const value = parseStrictJson(text === '' ? '{}' : text, field);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) refuse(field, 'expected a JSON object (as a string)');
  return value;
}

function isDefault(value: unknown, ...defaults: unknown[]): boolean {
  if (value === undefined || value === null) return true;
  if (Array.isArray(value) && value.length === 0) return true;
  return defaults.some((fallback) => JSON.stringify(fallback) === JSON.stringify(value));
}

/**
 * Translates an OpenAI chat completion request.
 *
 * @example
 * const request = fromOpenAi({ model: 'local/llama3.2', messages: [{ role: 'user', content: 'hi' }] });
 */
export function fromOpenAi(body: OpenAiChat): GatewayRequest {
  if (!isDefault(body.stop)) refuse('stop', 'stop sequences are not supported by the gateway; remove stop');
  if (!isDefault(body.response_format, { type: 'text' })) refuse('response_format', 'only { "type": "text" } is supported by the gateway');
  if (!isDefault(body.logprobs, false) || !isDefault(body.top_logprobs, 0)) refuse('logprobs', 'log probabilities are not supported by the gateway');
  if (!isDefault(body.modalities, ['text'])) refuse('modalities', 'only text output is supported by the gateway');
  const system: string[] = [];
  const messages: Message[] = [];
  body.messages.forEach((message, index) => {
    const field = `messages.${index}`;
    if (message.role === 'system' || message.role === 'developer') return void system.push(openAiText(message.content, `${field}.content`));
    if (message.role === 'assistant') {
      const calls = (message.tool_calls ?? []).map(
        (call, at): ToolCall => ({ id: call.id, name: call.function.name, arguments: argumentsOf(call.function.arguments, `${field}.tool_calls.${at}.function.arguments`) }),
      );
      return void messages.push({ role: 'assistant', content: openAiText(message.content, `${field}.content`), ...(calls.length > 0 ? { tool_calls: calls } : {}) });
    }
    if (message.role === 'tool') return void messages.push({ role: 'tool', tool_call_id: message.tool_call_id, content: openAiText(message.content, `${field}.content`) });
    messages.push({ role: 'user', content: openAiText(message.content, `${field}.content`) });
  });
  const caps = [body.max_tokens, body.max_completion_tokens].filter((cap): cap is number => typeof cap === 'number');
  const tools = body.tool_choice === 'none' ? [] : (body.tools ?? []);
  return {
    model: body.model,
    messages,
    ...(system.length > 0 ? { system: system.join('\n\n') } : {}),
    ...(caps.length > 0 ? { max_tokens: Math.min(...caps) } : {}),
    ...(typeof body.temperature === 'number' ? { temperature: body.temperature } : {}),
    ...(tools.length > 0
      ? { tools: tools.map(({ function: tool }) => ({ name: tool.name, description: tool.description ?? '', parameters: tool.parameters ?? { type: 'object', properties: {} } })) }
      : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Anthropic Messages

const anthropicText = z.object({ type: z.literal('text'), text: z.string() });
const anthropicBlock = z.discriminatedUnion(
  'type',
  [
    anthropicText,
    z.object({ type: z.literal('tool_use'), id: z.string().min(1).max(200), name: z.string().min(1).max(200), input: objectSchema }),
    z.object({
      type: z.literal('tool_result'),
      tool_use_id: z.string().min(1).max(200),
      content: z.union([z.string(), z.array(anthropicText)]).optional(),
      is_error: z.boolean().optional(),
    }),
  ],
  { error: 'expected a content block of type text, tool_use or tool_result; images, documents and thinking blocks are not supported by the gateway' },
);

const toolSchema = z.record(z.string(), z.json(), { error: 'expected a client tool with an input_schema object; server tools are not supported by the gateway' });

export const anthropicMessagesSchema = z.strictObject(
  {
    model: modelName,
    max_tokens: z.int().positive().max(1_000_000),
    messages: z
      .array(z.object({ role: z.enum(['user', 'assistant']), content: z.union([z.string(), z.array(anthropicBlock)]) }))
      .min(1)
      .max(10_000),
    system: z.union([z.string(), z.array(anthropicText)]).nullish(),
    temperature: z.number().min(0).max(1).nullish(),
    stream: z.boolean().nullish(),
    tools: z.array(z.object({ name: z.string().min(1).max(200), description: z.string().nullish(), input_schema: toolSchema })).nullish(),
    tool_choice: z
      .object({ type: z.enum(['auto', 'none'], { error: 'only "auto" and "none" are supported: the gateway cannot force a tool call' }) })
      .nullish(),
    stop_sequences: z.array(z.string()).max(0, { error: 'stop sequences are not supported by the gateway; remove stop_sequences' }).nullish(),
    metadata: ignored,
    top_p: ignored,
    top_k: ignored,
    service_tier: ignored,
    thinking: ignored,
  },
  { error: unknownFields },
);

export type AnthropicMessages = z.infer<typeof anthropicMessagesSchema>;

const joined = (blocks: { text: string }[]) => blocks.map((block) => block.text).join('\n');

/**
 * Translates an Anthropic Messages request. Tool results in a user turn become tool messages,
 * before the turn's text; an error result keeps its text, marked "Error: ".
 *
 * @example
 * const request = fromAnthropic({ model: 'local/llama3.2', max_tokens: 256, messages: [{ role: 'user', content: 'hi' }] });
 */
export function fromAnthropic(body: AnthropicMessages): GatewayRequest {
  const messages: Message[] = [];
  body.messages.forEach(({ role, content }, index) => {
    if (typeof content === 'string') return void messages.push({ role, content });
    const text: string[] = [];
    const calls: ToolCall[] = [];
    content.forEach((block, at) => {
      const where = `messages.${index}.content.${at}`;
      if (block.type === 'text') return void text.push(block.text);
      if (block.type === 'tool_use') {
        if (role !== 'assistant') refuse(where, 'tool_use blocks belong in assistant messages');
        return void calls.push({ id: block.id, name: block.name, arguments: block.input });
      }
      if (role !== 'user') refuse(where, 'tool_result blocks belong in user messages');
      const result = typeof block.content === 'string' ? block.content : joined(block.content ?? []);
      messages.push({ role: 'tool', tool_call_id: block.tool_use_id, content: block.is_error === true ? `Error: ${result}` : result });
    });
    if (role === 'assistant') return void messages.push({ role, content: text.join('\n'), ...(calls.length > 0 ? { tool_calls: calls } : {}) });
    if (text.length > 0 || content.length === 0) messages.push({ role, content: text.join('\n') });
  });
  const system = typeof body.system === 'string' ? body.system : joined(body.system ?? []);
  const tools = body.tool_choice?.type === 'none' ? [] : (body.tools ?? []);
  return {
    model: body.model,
    messages,
    max_tokens: body.max_tokens,
    ...(system !== '' ? { system } : {}),
    ...(typeof body.temperature === 'number' ? { temperature: body.temperature } : {}),
    ...(tools.length > 0 ? { tools: tools.map((tool) => ({ name: tool.name, description: tool.description ?? '', parameters: tool.input_schema })) } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Replies, stream events and errors

/** What every reply of one call repeats: its id, its creation time (seconds) and the model named as the client names it. */
export interface ReplyMeta {
  id: string;
  created: number;
  model: string;
}

/** One streamed reply as SSE text: each piece of the answer as it comes, then its end, or the wire's error body as its last event. */
export interface StreamEncoder {
  text(delta: string): string;
  end(result: ChatResult): string;
  error(body: unknown): string;
}

const FINISH_REASONS: Record<StopReason, string> = { end: 'stop', max_tokens: 'length', tool_use: 'tool_calls', other: 'stop' };
const STOP_REASONS: Record<StopReason, string> = { end: 'end_turn', max_tokens: 'max_tokens', tool_use: 'tool_use', other: 'end_turn' };

const data = (value: unknown) => `data: ${JSON.stringify(value)}\n\n`;
const event = (value: { type: string } & Record<string, unknown>) => `event: ${value.type}\ndata: ${JSON.stringify(value)}\n\n`;
const finishReason = (result: ChatResult) => (result.toolCalls.length > 0 ? 'tool_calls' : FINISH_REASONS[result.stopReason]);
const stopReason = (result: ChatResult) => (result.toolCalls.length > 0 ? 'tool_use' : STOP_REASONS[result.stopReason]);

function openAiUsage(usage: ChatUsage | null) {
  if (usage === null) return null;
  const { inputTokens, outputTokens, cachedInputTokens } = usage;
  return { prompt_tokens: inputTokens, completion_tokens: outputTokens, total_tokens: inputTokens + outputTokens, prompt_tokens_details: { cached_tokens: cachedInputTokens } };
}

// Anthropic's input_tokens leaves out the cached parts; a reply without counts says 0 (the ledger holds the estimate).
function anthropicUsage(usage: ChatUsage | null) {
  if (usage === null) return { input_tokens: 0, output_tokens: 0 };
  const { inputTokens, outputTokens, cachedInputTokens, cacheWriteInputTokens } = usage;
  return {
    input_tokens: Math.max(0, inputTokens - cachedInputTokens - cacheWriteInputTokens),
    output_tokens: outputTokens,
    cache_read_input_tokens: cachedInputTokens,
    cache_creation_input_tokens: cacheWriteInputTokens,
  };
}

const openAiToolCall = (call: ChatResult['toolCalls'][number]) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: JSON.stringify(call.arguments) } });

/**
 * A `chat.completion` object.
 *
 * @example
 * reply.send(openAiCompletion({ id: 'chatcmpl-1', created: 1767225600, model: 'local/llama3.2' }, result));
 */
export function openAiCompletion(meta: ReplyMeta, result: ChatResult) {
  const calls = result.toolCalls.map(openAiToolCall);
  const usage = openAiUsage(result.usage);
  const message = { role: 'assistant', content: result.content === '' && calls.length > 0 ? null : result.content, refusal: null, ...(calls.length > 0 ? { tool_calls: calls } : {}) };
  return {
    id: meta.id,
    object: 'chat.completion',
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(result) }],
    ...(usage ? { usage } : {}),
  };
}

/**
 * `chat.completion.chunk` events ending in `data: [DONE]`; with `includeUsage`, a last chunk holds the usage.
 *
 * @example
 * const stream = openAiStream(meta, true); sse.write(stream.text('Hel')); sse.end(stream.end(result));
 */
export function openAiStream(meta: ReplyMeta, includeUsage: boolean): StreamEncoder {
  let opened = false;
  let streamed = false;
  const base = { id: meta.id, object: 'chat.completion.chunk', created: meta.created, model: meta.model };
  const chunk = (delta: Record<string, unknown>, finish: string | null) =>
    data({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...(includeUsage ? { usage: null } : {}) });
  const open = () => (opened ? '' : ((opened = true), chunk({ role: 'assistant', content: '' }, null)));
  return {
    text: (delta) => ((streamed = true), open() + chunk({ content: delta }, null)),
    end(result) {
      let out = open() + (!streamed && result.content !== '' ? chunk({ content: result.content }, null) : '');
      result.toolCalls.forEach((call, index) => (out += chunk({ tool_calls: [{ index, ...openAiToolCall(call) }] }, null)));
      out += chunk({}, finishReason(result));
      if (includeUsage) out += data({ ...base, choices: [], usage: openAiUsage(result.usage) });
      return `${out}data: [DONE]\n\n`;
    },
    error: (body) => data(body),
  };
}

/**
 * A Messages `message` object.
 *
 * @example
 * reply.send(anthropicMessage({ id: 'msg_1', created: 1767225600, model: 'local/llama3.2' }, result));
 */
export function anthropicMessage(meta: ReplyMeta, result: ChatResult) {
  const content = [
    ...(result.content !== '' ? [{ type: 'text', text: result.content }] : []),
    ...result.toolCalls.map((call) => ({ type: 'tool_use', id: call.id, name: call.name, input: call.arguments })),
  ];
  return { id: meta.id, type: 'message', role: 'assistant', model: meta.model, content, stop_reason: stopReason(result), stop_sequence: null, usage: anthropicUsage(result.usage) };
}

/**
 * Messages stream events: message_start, a text block as it comes, tool_use blocks, message_delta, message_stop.
 *
 * @example
 * const stream = anthropicStream(meta); sse.write(stream.text('Hel')); sse.end(stream.end(result));
 */
export function anthropicStream(meta: ReplyMeta): StreamEncoder {
  let started = false;
  let textOpen = false;
  const start = () => {
    if (started) return '';
    started = true;
    const message = { id: meta.id, type: 'message', role: 'assistant', model: meta.model, content: [], stop_reason: null, stop_sequence: null, usage: anthropicUsage(null) };
    return event({ type: 'message_start', message });
  };
  const text = (delta: string) => {
    const head = start() + (textOpen ? '' : event({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }));
    textOpen = true;
    return head + event({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: delta } });
  };
  return {
    text,
    end(result) {
      let out = start() + (!textOpen && result.content !== '' ? text(result.content) : '');
      if (textOpen) out += event({ type: 'content_block_stop', index: 0 });
      result.toolCalls.forEach((call, at) => {
        const index = at + (textOpen ? 1 : 0);
        out += event({ type: 'content_block_start', index, content_block: { type: 'tool_use', id: call.id, name: call.name, input: {} } });
        out += event({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(call.arguments) } });
        out += event({ type: 'content_block_stop', index });
      });
      out += event({ type: 'message_delta', delta: { stop_reason: stopReason(result), stop_sequence: null }, usage: anthropicUsage(result.usage) });
      return out + event({ type: 'message_stop' });
    },
    error: (body) => `event: error\ndata: ${JSON.stringify(body)}\n\n`,
  };
}
