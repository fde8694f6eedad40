import { AosError } from '../errors.js';
import type { ChatUsage } from '../llm/types.js';
import { type Pico, perHourToPicoPerMs, perMillionToPicoPerToken } from './money.js';

/** A model's price in USD per million tokens, as providers publish it. */
export interface ModelPrice {
  input_per_mtok: number;
  output_per_mtok: number;
  /** Input served from the provider's prompt cache; the input price when absent. */
  cached_input_per_mtok?: number | undefined;
  /** Input written to the prompt cache (Anthropic charges more for it); the input price when absent. */
  cache_write_per_mtok?: number | undefined;
}

/** How one backend is priced: per model (a key ending in "*" is a prefix), or by wall time. */
export interface BackendPricing {
  kind: string;
  prices: Record<string, ModelPrice>;
  /** For local backends: what an hour of the model server's time costs. */
  compute_usd_per_hour?: number | undefined;
}

/** A resolved price: per-token rates in pico-dollars, or a rate per millisecond of wall time. */
export type Rate =
  | { kind: 'tokens'; entry: string; input: Pico; output: Pico; cachedInput: Pico; cacheWrite: Pico }
  | { kind: 'compute'; perMs: Pico };

/**
 * Published list prices for common models, in USD per million tokens (as of late 2025; check
 * yours and override them under `llm.backends.<name>.prices`). Dated model ids are matched by
 * prefix; the longest matching entry wins.
 */
export const DEFAULT_PRICES: Record<string, Record<string, ModelPrice>> = {
  openai: {
    'gpt-4o*': { input_per_mtok: 2.5, output_per_mtok: 10, cached_input_per_mtok: 1.25 },
    'gpt-4o-mini*': { input_per_mtok: 0.15, output_per_mtok: 0.6, cached_input_per_mtok: 0.075 },
    'gpt-4.1*': { input_per_mtok: 2, output_per_mtok: 8, cached_input_per_mtok: 0.5 },
    'gpt-4.1-mini*': { input_per_mtok: 0.4, output_per_mtok: 1.6, cached_input_per_mtok: 0.1 },
    'gpt-4.1-nano*': { input_per_mtok: 0.1, output_per_mtok: 0.4, cached_input_per_mtok: 0.025 },
    'gpt-5*': { input_per_mtok: 1.25, output_per_mtok: 10, cached_input_per_mtok: 0.125 },
    'gpt-5-mini*': { input_per_mtok: 0.25, output_per_mtok: 2, cached_input_per_mtok: 0.025 },
    'gpt-5-nano*': { input_per_mtok: 0.05, output_per_mtok: 0.4, cached_input_per_mtok: 0.005 },
    'o3*': { input_per_mtok: 2, output_per_mtok: 8, cached_input_per_mtok: 0.5 },
    'o4-mini*': { input_per_mtok: 1.1, output_per_mtok: 4.4, cached_input_per_mtok: 0.275 },
  },
  anthropic: {
    'claude-opus-4*': { input_per_mtok: 15, output_per_mtok: 75, cached_input_per_mtok: 1.5, cache_write_per_mtok: 18.75 },
    'claude-opus-4-5*': { input_per_mtok: 5, output_per_mtok: 25, cached_input_per_mtok: 0.5, cache_write_per_mtok: 6.25 },
    'claude-sonnet-4*': { input_per_mtok: 3, output_per_mtok: 15, cached_input_per_mtok: 0.3, cache_write_per_mtok: 3.75 },
    'claude-3-7-sonnet*': { input_per_mtok: 3, output_per_mtok: 15, cached_input_per_mtok: 0.3, cache_write_per_mtok: 3.75 },
    'claude-haiku-4-5*': { input_per_mtok: 1, output_per_mtok: 5, cached_input_per_mtok: 0.1, cache_write_per_mtok: 1.25 },
    'claude-3-5-haiku*': { input_per_mtok: 0.8, output_per_mtok: 4, cached_input_per_mtok: 0.08, cache_write_per_mtok: 1 },
  },
};

/**
 * The rate for a model on a backend: the configured prices first, then the shipped table for
 * the backend's kind (exact name, else the longest matching prefix), then the backend's compute
 * rate. Null when the model has no price at all: the caller refuses it unless its class allows
 * unpriced models.
 *
 * @example
 * rateFor({ kind: 'openai', prices: {} }, 'gpt-4o-2024-08-06'); // the gpt-4o* entry
 */
export function rateFor(pricing: BackendPricing, model: string): Rate | null {
  const found = lookup(pricing.prices, model) ?? lookup(DEFAULT_PRICES[pricing.kind] ?? {}, model);
  if (found) {
    const [entry, price] = found;
    const input = perMillionToPicoPerToken(price.input_per_mtok);
    return {
      kind: 'tokens',
      entry,
      input,
      output: perMillionToPicoPerToken(price.output_per_mtok),
      cachedInput: price.cached_input_per_mtok === undefined ? input : perMillionToPicoPerToken(price.cached_input_per_mtok),
      cacheWrite: price.cache_write_per_mtok === undefined ? input : perMillionToPicoPerToken(price.cache_write_per_mtok),
    };
  }
  if (pricing.compute_usd_per_hour !== undefined) return { kind: 'compute', perMs: perHourToPicoPerMs(pricing.compute_usd_per_hour) };
  return null;
}

function lookup(table: Record<string, ModelPrice>, model: string): [string, ModelPrice] | null {
  if (Object.hasOwn(table, model)) return [model, table[model]!];
  let best: [string, ModelPrice] | null = null;
  for (const [key, price] of Object.entries(table)) {
    if (key.endsWith('*') && model.startsWith(key.slice(0, -1)) && (best === null || key.length > best[0].length)) best = [key, price];
  }
  return best;
}

/**
 * The most a call can cost: every input token at the dearest input rate, plus `maxTokens`
 * output; for a compute-priced backend, the whole timeout.
 *
 * @example
 * const hold = worstCase(rate, { inputTokens: 1200, maxTokens: 1024, timeoutMs: 120_000 });
 */
export function worstCase(rate: Rate, call: { inputTokens: number; maxTokens: number; timeoutMs: number }): Pico {
  if (rate.kind === 'compute') return rate.perMs * BigInt(call.timeoutMs);
  const dearestInput = [rate.input, rate.cachedInput, rate.cacheWrite].reduce((a, b) => (b > a ? b : a));
  return dearestInput * BigInt(call.inputTokens) + rate.output * BigInt(call.maxTokens);
}

/**
 * What a finished call cost from its reported usage (or its wall time, compute-priced).
 *
 * @example
 * const usd = actualCost(rate, { inputTokens: 900, outputTokens: 120, cachedInputTokens: 0, cacheWriteInputTokens: 0 }, 850);
 */
export function actualCost(rate: Rate, usage: ChatUsage, wallMs: number): Pico {
  if (rate.kind === 'compute') return rate.perMs * BigInt(Math.max(0, Math.ceil(wallMs)));
  const cached = usage.cachedInputTokens;
  const written = usage.cacheWriteInputTokens;
  const plain = usage.inputTokens - cached - written;
  if (plain < 0 || [usage.inputTokens, usage.outputTokens, cached, written].some((n) => !Number.isSafeInteger(n) || n < 0)) {
    throw new AosError('INVALID_INPUT', `usage: token counts must be whole numbers with cached and cache-write tokens within the input, got ${JSON.stringify(usage)}`, {
      field: 'usage',
    });
  }
  return rate.input * BigInt(plain) + rate.cachedInput * BigInt(cached) + rate.cacheWrite * BigInt(written) + rate.output * BigInt(usage.outputTokens);
}

/**
 * A conservative count of a request's input tokens without the provider's tokenizer: its UTF-8
 * bytes. Byte-level BPE tokenizers (GPT, Claude, Llama) never produce more tokens than bytes, so
 * this never under-reserves; the per-message allowance covers role and framing tokens.
 *
 * @example
 * estimateInputTokens(JSON.stringify(messages), messages.length);
 */
export function estimateInputTokens(text: string, messages: number): number {
  return Buffer.byteLength(text, 'utf8') + 8 * (messages + 1);
}
