/**
 * The LLM backends named in aosiq.yaml, each behind the one `LlmBackend` interface. Keys are
 * read from the environment here, once, so a missing one stops startup instead of a call.
 */
import type { LlmBackendConfig, LlmConfig } from '../config/llm.js';
import { AosError } from '../errors.js';
import { createAnthropicBackend } from './anthropic.js';
import { createOllamaBackend } from './ollama.js';
import { createOpenAiBackend } from './openai.js';
import type { LlmBackend } from './types.js';

export type { ChatMessage, ChatOptions, ChatRequest, ChatResult, ChatUsage, LlmBackend, StopReason, ToolCall, ToolSpec } from './types.js';
export { createAnthropicBackend } from './anthropic.js';
export { createOllamaBackend } from './ollama.js';
export { createOpenAiBackend } from './openai.js';

const ADAPTERS: Record<LlmBackendConfig['kind'], (name: string, config: LlmBackendConfig, apiKey: string | undefined) => LlmBackend> = {
  openai: createOpenAiBackend,
  anthropic: createAnthropicBackend,
  ollama: createOllamaBackend,
};

/**
 * One backend per entry of `llm.backends`, keyed by its name.
 *
 * @example
 * const backends = openBackends(config.llm, process.env);
 * await backends.get('ollama')!.chat({ model: 'llama3.2', messages: [{ role: 'user', content: 'Hi' }], maxTokens: 256 });
 */
export function openBackends(config: LlmConfig, env: NodeJS.ProcessEnv = process.env): Map<string, LlmBackend> {
  const backends = new Map<string, LlmBackend>();
  for (const [name, backend] of Object.entries(config.backends)) {
    let apiKey: string | undefined;
    if (backend.api_key_env !== undefined) {
      apiKey = env[backend.api_key_env];
      // A variable named in the config is a promise that a key exists; an unset one is a
      // deployment mistake, better found now than as a 401 in the middle of a session.
      if (apiKey === undefined || apiKey === '') {
        throw new AosError(
          'CONFIG_INVALID',
          `llm.backends.${name}.api_key_env names ${backend.api_key_env}, which is not set in the environment; export the ${backend.kind} API key as ${backend.api_key_env}`,
          { backend: name, variable: backend.api_key_env },
        );
      }
    }
    backends.set(name, ADAPTERS[backend.kind](name, backend, apiKey));
  }
  return backends;
}
