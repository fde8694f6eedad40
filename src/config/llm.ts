/**
 * The `llm:` section of aosiq.yaml: the model backends actors may call, by name. The name is
 * what actor classes list in `allowed_backends`; the key itself stays in the environment.
 */
import { z } from 'zod';

export const LLM_BACKEND_KINDS = ['openai', 'anthropic', 'ollama'] as const;

const positiveInt = z.int().positive();

const priceSchema = z.strictObject({
  input_per_mtok: z.number().nonnegative(),
  output_per_mtok: z.number().nonnegative(),
  cached_input_per_mtok: z.number().nonnegative().optional(),
  cache_write_per_mtok: z.number().nonnegative().optional(),
});

const backendNameSchema = z.string().regex(/^[a-z][a-z0-9_-]*$/, {
  error: 'expected a backend name of lowercase letters, digits, "_" or "-", starting with a letter',
});

const backendSchema = z
  .strictObject({
    // openai: any server speaking OpenAI chat completions (OpenAI, vLLM, llama.cpp, LM Studio).
    kind: z.enum(LLM_BACKEND_KINDS),
    // As the provider's own SDK takes it: "https://api.openai.com/v1", "http://localhost:8000/v1",
    // "https://api.anthropic.com", "http://localhost:11434".
    base_url: z.url({ protocol: /^https?$/, error: 'expected an absolute http:// or https:// URL' }),
    // The environment variable holding the API key; needed for anthropic, optional elsewhere.
    api_key_env: z
      .string()
      .regex(/^[A-Z_][A-Z0-9_]*$/, { error: 'expected an environment variable name, e.g. OPENAI_API_KEY' })
      .optional(),
    // Many OpenAI-compatible servers silently ignore max_completion_tokens and generate without
    // bound, while OpenAI refuses max_tokens loudly for models that need the other; so the
    // widely honoured field is the default and OpenAI reasoning models opt in to the newer one.
    max_tokens_field: z.enum(['max_tokens', 'max_completion_tokens']).optional(),
    timeout_ms: positiveInt.default(120000),
    max_response_bytes: positiveInt.default(8388608),
    // USD per million tokens by model name ("gpt-4o*" matches by prefix); these come before the
    // shipped table for openai and anthropic (src/ledger/prices.ts). An unpriced model is refused
    // unless the actor's class sets allow_unpriced_models.
    prices: z.record(z.string().min(1), priceSchema).default({}),
    // For a local backend: what an hour of its time costs; a call is charged its wall time.
    compute_usd_per_hour: z.number().nonnegative().optional(),
  })
  .superRefine((backend, context) => {
    if (backend.kind === 'anthropic' && backend.api_key_env === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['api_key_env'],
        message: 'an anthropic backend needs api_key_env: the environment variable holding the API key, e.g. ANTHROPIC_API_KEY',
      });
    }
    if (backend.kind !== 'openai' && backend.max_tokens_field !== undefined) {
      context.addIssue({
        code: 'custom',
        path: ['max_tokens_field'],
        message: `max_tokens_field applies to openai backends only; a ${backend.kind} backend has one field for it`,
      });
    }
  });

/**
 * The LLM backends of a runtime, keyed by name.
 *
 * @example
 * llmConfigSchema.parse({ backends: { local: { kind: 'ollama', base_url: 'http://localhost:11434' } } });
 */
export const llmConfigSchema = z.strictObject({
  backends: z.record(backendNameSchema, backendSchema).default({}),
});

export type LlmConfig = z.infer<typeof llmConfigSchema>;
export type LlmBackendConfig = LlmConfig['backends'][string];
export type LlmBackendKind = (typeof LLM_BACKEND_KINDS)[number];
