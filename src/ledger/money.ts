/**
 * Amounts of money as integer pico-dollars (1e-12 USD) in a bigint: sums and comparisons are
 * exact, a price of $0.075 per million tokens is 75,000 pico-dollars per token, and a bigint
 * column holds up to about nine million dollars per row.
 */
export type Pico = bigint;

const PICO_PER_USD = 1_000_000_000_000n;

/**
 * A dollar amount from configuration (a JSON number) in pico-dollars, to a millionth of a cent.
 *
 * @example
 * usdToPico(2.5); // 2_500_000_000_000n
 */
export function usdToPico(usd: number): Pico {
  return BigInt(Math.round(usd * 1e8)) * 10_000n;
}

/**
 * A price per million tokens as pico-dollars per token.
 *
 * @example
 * perMillionToPicoPerToken(0.15); // 150_000n
 */
export function perMillionToPicoPerToken(usdPerMillion: number): Pico {
  return BigInt(Math.round(usdPerMillion * 1e6));
}

/**
 * An hourly rate as pico-dollars per millisecond, rounded up so time is never charged low.
 *
 * @example
 * perHourToPicoPerMs(3.6); // 1_000_000n
 */
export function perHourToPicoPerMs(usdPerHour: number): Pico {
  return (usdToPico(usdPerHour) + 3_599_999n) / 3_600_000n;
}

/**
 * Pico-dollars as a decimal dollar string, rounded up to `digits` places so that a displayed
 * amount is never less than what was spent.
 *
 * @example
 * formatUsd(1_234_500_000n); // "0.001235"
 */
export function formatUsd(pico: Pico, digits = 6): string {
  const unit = 10n ** BigInt(12 - digits);
  const rounded = (pico + unit - 1n) / unit;
  const whole = rounded / 10n ** BigInt(digits);
  const fraction = (rounded % 10n ** BigInt(digits)).toString().padStart(digits, '0');
  return `${whole}.${fraction}`;
}

/** Pico-dollars as a plain number of dollars, for JSON output next to the exact string. */
export function picoToUsd(pico: Pico): number {
  return Number(pico) / Number(PICO_PER_USD);
}
