import { describe, expect, it } from 'vitest';
import { configured, native, nativeReason } from './native.js';

describe('the shared native scanner', () => {
  it('is left to JavaScript, saying why, when it refuses its configuration (a build older than the code)', () => {
    expect(native).not.toBeNull();
    expect(nativeReason()).toBeNull();
    expect(configured((scanner) => scanner)).toBe(native);
    expect(
      configured(() => {
        throw new TypeError('scanner.configureTriggers is not a function');
      }),
    ).toBeNull();
    expect(nativeReason()).toBe('not usable (scanner.configureTriggers is not a function); npm run build:native rebuilds it');
  });
});
