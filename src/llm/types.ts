/**
 * The one shape every LLM backend is called through. Adapters translate it to and from their
 * provider's wire format; nothing above this folder sees a provider's field names.
 */
import type { LlmBackendKind } from '../config/llm.js';

/** A tool the model may call: its name, what it does, and its arguments as JSON Schema. */
export interface ToolSpec {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

/** A call the model asked for; `id` pairs it with the tool message that answers it. */
export interface ToolCall {
  id: string;
  name: string;
  arguments: Record<string, unknown>;
}

/**
 * One turn of the conversation. The system prompt is not a message: it is `ChatRequest.system`,
 * since Anthropic takes it only as a top-level field.
 */
export type ChatMessage =
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string; toolCalls?: ToolCall[] }
  | { role: 'tool'; toolCallId: string; content: string };

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  /** Upper bound on generated tokens: always sent, since cost ceilings reserve against it. */
  maxTokens: number;
  system?: string;
  tools?: ToolSpec[];
  temperature?: number;
}

/**
 * Token counts as the provider reported them. `inputTokens` is the whole prompt; the two cache
 * counts are parts of it, kept apart because providers price them differently.
 */
export interface ChatUsage {
  inputTokens: number;
  outputTokens: number;
  /** Prompt tokens read from the provider's cache. */
  cachedInputTokens: number;
  /** Prompt tokens written to the provider's cache (Anthropic only; 0 elsewhere). */
  cacheWriteInputTokens: number;
}

export type StopReason = 'end' | 'max_tokens' | 'tool_use' | 'other';

export interface ChatResult {
  /** The model that answered, as the provider named it (may be more specific than asked). */
  model: string;
  content: string;
  toolCalls: ToolCall[];
  stopReason: StopReason;
  /** Null when the provider reported no (or incomplete) counts: callers settle conservatively. */
  usage: ChatUsage | null;
}

export interface ChatOptions {
  signal?: AbortSignal;
  /** Ask the provider to stream; the result is the same, `onText` sees the text as it comes. */
  stream?: boolean;
  onText?: (delta: string) => void;
}

/** A configured backend, ready to call. */
export interface LlmBackend {
  readonly name: string;
  readonly kind: LlmBackendKind;
  chat(request: ChatRequest, options?: ChatOptions): Promise<ChatResult>;
}
