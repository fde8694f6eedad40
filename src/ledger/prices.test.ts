import { describe, expect, it } from 'vitest';
import { isAosError } from '../errors.js';
import { formatUsd, perMillionToPicoPerToken, usdToPico } from './money.js';
import { actualCost, estimateInputTokens, rateFor, worstCase } from './prices.js';

const usage = (inputTokens: number, outputTokens: number, cachedInputTokens = 0, cacheWriteInputTokens = 0) => ({
  inputTokens,
  outputTokens,
  cachedInputTokens,
  cacheWriteInputTokens,
});

describe('money', () => {
  it('converts dollars and per-million prices exactly and rounds display up', () => {
    expect(usdToPico(2.5)).toBe(2_500_000_000_000n);
    expect(usdToPico(0.1) + usdToPico(0.2)).toBe(usdToPico(0.3));
    expect(perMillionToPicoPerToken(0.075)).toBe(75_000n);
    expect(formatUsd(1_234_500_000n)).toBe('0.001235');
    expect(formatUsd(1n)).toBe('0.000001');
    expect(formatUsd(0n)).toBe('0.000000');
    expect(formatUsd(usdToPico(12.5), 2)).toBe('12.50');
  });
});

describe('prices', () => {
  it('prefers configured prices, then the shipped table by longest prefix, then the compute rate', () => {
    const openai = { kind: 'openai', prices: { 'gpt-4o-mini': { input_per_mtok: 1, output_per_mtok: 2 } } };
    expect(rateFor(openai, 'gpt-4o-mini')).toMatchObject({ kind: 'tokens', entry: 'gpt-4o-mini', input: 1_000_000n });
    expect(rateFor(openai, 'gpt-4o-mini-2024-07-18')).toMatchObject({ entry: 'gpt-4o-mini*', input: 150_000n, cachedInput: 75_000n });
    expect(rateFor(openai, 'gpt-4o-2024-08-06')).toMatchObject({ entry: 'gpt-4o*', output: 10_000_000n });
    expect(rateFor({ kind: 'anthropic', prices: {} }, 'claude-opus-4-5-20251101')).toMatchObject({ entry: 'claude-opus-4-5*', input: 5_000_000n });
    expect(rateFor({ kind: 'anthropic', prices: {} }, 'claude-opus-4-1-20250805')).toMatchObject({ entry: 'claude-opus-4*', input: 15_000_000n });
    expect(rateFor({ kind: 'ollama', prices: {} }, 'llama3.2')).toBeNull();
    expect(rateFor({ kind: 'openai', prices: {} }, 'my-finetune')).toBeNull();
    expect(rateFor({ kind: 'ollama', prices: {}, compute_usd_per_hour: 3.6 }, 'llama3.2')).toEqual({ kind: 'compute', perMs: 1_000_000n });
  });

  it('reserves every input token at the dearest input rate plus the whole output cap', () => {
    const rate = rateFor({ kind: 'anthropic', prices: {} }, 'claude-sonnet-4-20250514')!;
    // 1000 input at the cache-write rate (3.75/M) + 500 output at 15/M.
    expect(worstCase(rate, { inputTokens: 1000, maxTokens: 500, timeoutMs: 1 })).toBe(1000n * 3_750_000n + 500n * 15_000_000n);
    const compute = rateFor({ kind: 'ollama', prices: {}, compute_usd_per_hour: 3.6 }, 'x')!;
    expect(worstCase(compute, { inputTokens: 1, maxTokens: 1, timeoutMs: 120_000 })).toBe(120_000n * 1_000_000n);
  });

  it('charges cached, cache-write and plain input at their own rates, never more than the worst case', () => {
    const rate = rateFor({ kind: 'anthropic', prices: {} }, 'claude-sonnet-4-20250514')!;
    const cost = actualCost(rate, usage(1000, 200, 600, 100), 5);
    expect(cost).toBe(300n * 3_000_000n + 600n * 300_000n + 100n * 3_750_000n + 200n * 15_000_000n);
    expect(cost <= worstCase(rate, { inputTokens: 1000, maxTokens: 200, timeoutMs: 1 })).toBe(true);
  });

  it('refuses usage whose parts exceed the whole', () => {
    const rate = rateFor({ kind: 'openai', prices: {} }, 'gpt-4o')!;
    let caught: unknown;
    try {
      actualCost(rate, usage(10, 1, 20), 1);
    } catch (error) {
      caught = error;
    }
    expect(isAosError(caught, 'INVALID_INPUT')).toBe(true);
  });

  it('estimates input tokens as at least the bytes of the request', () => {
    expect(estimateInputTokens('héllo', 1)).toBe(6 + 16);
  });
});
