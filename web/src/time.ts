import { useEffect, useState } from 'react';

/**
 * The current time, refreshed every `intervalMs`, so countdowns and ages move without a refetch.
 *
 * @example
 * const now = useNow(1000);
 */
export function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), intervalMs);
    return () => window.clearInterval(timer);
  }, [intervalMs]);
  return now;
}

/**
 * A duration as its two largest units, precise enough to act on.
 *
 * @example
 * formatDuration(252_000); // '4m 12s'
 */
export function formatDuration(milliseconds: number): string {
  const seconds = Math.max(0, Math.floor(milliseconds / 1000));
  const units: [number, string][] = [
    [Math.floor(seconds / 86_400), 'd'],
    [Math.floor((seconds % 86_400) / 3600), 'h'],
    [Math.floor((seconds % 3600) / 60), 'm'],
    [seconds % 60, 's'],
  ];
  const first = units.findIndex(([amount]) => amount > 0);
  if (first === -1) return '0s';
  return units
    .slice(first, first + 2)
    .filter(([amount]) => amount > 0)
    .map(([amount, unit]) => `${amount}${unit}`)
    .join(' ');
}

/**
 * How long ago a moment was.
 *
 * @example
 * formatAge('2025-01-01T00:00:00Z', Date.now()); // '3d 4h ago'
 */
export function formatAge(iso: string, now: number): string {
  return `${formatDuration(now - Date.parse(iso))} ago`;
}

/**
 * Time left before a deadline, or 'expired'.
 *
 * @example
 * formatExpiry(approval.expires_at, now); // 'expires in 4m 12s'
 */
export function formatExpiry(iso: string | null, now: number): string {
  if (iso === null) return 'no expiry';
  const left = Date.parse(iso) - now;
  return left <= 0 ? 'expired' : `expires in ${formatDuration(left)}`;
}

/**
 * A timestamp in the operator's locale, for display next to the machine-readable value.
 *
 * @example
 * formatTime('2025-01-01T00:00:00Z'); // '1/1/2025, 1:00:00 AM'
 */
export function formatTime(iso: string): string {
  return new Date(iso).toLocaleString();
}

/**
 * A datetime-local value as ISO 8601 with the browser's UTC offset, which the API requires.
 *
 * @example
 * localToIso('2025-05-01T10:00'); // '2025-05-01T10:00:00+02:00' in Paris
 */
export function localToIso(local: string): string | undefined {
  if (local === '') return undefined;
  const date = new Date(local);
  if (Number.isNaN(date.getTime())) return undefined;
  const pad = (value: number) => String(Math.floor(Math.abs(value))).padStart(2, '0');
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const day = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  return `${day}T${time}${sign}${pad(offset / 60)}:${pad(offset % 60)}`;
}
