import { AosError } from '../errors.js';

/**
 * A LISTEN/NOTIFY channel name, checked: it is written into SQL as an identifier.
 *
 * @example
 * checkChannel('aos_runnable'); // 'aos_runnable'
 */
export function checkChannel(channel: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(channel)) {
    throw new AosError('INVALID_INPUT', `channel: expected a lowercase identifier, got ${JSON.stringify(channel)}`, { field: 'channel', value: channel });
  }
  return channel;
}
