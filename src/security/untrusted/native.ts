/**
 * The native scanner (native/scan.c, built by `npm install` when a C compiler is at hand),
 * loaded once and shared: the prefilter configures it with its anchors (prefilter.ts), the rule
 * matcher with the rules' trigger words (match.ts), and it counts the signs of obfuscation
 * (decode.ts). Without it, all of that is found the same by JavaScript.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot } from '../../version.js';
import { literal } from './stems.js';

export interface NativeScanner {
  configure(words: string[], flags: number[], starts?: string, touches?: string, others?: string[]): void;
  scan(text: string, wide: boolean, maxHits: number): Int32Array;
  configureTriggers(words: string[], flags: number[], starts?: string, others?: string[]): void;
  triggers(text: string, wide: boolean): Int32Array;
  signs(text: string, wide: boolean, block: number): Int32Array;
  avx2: boolean;
}

/** A word's flags, as native/words.h defines them. */
export const WORD_START = 1;
export const WORD_END = 2;
export const CANDIDATE = 4;
export const FOLLOWED = 8;
export const URL_GATE = 16;
export const VALUE_S = 32;
export const VALUE_NAME = 64;

export const BUILT = join(packageRoot(), 'build', 'Release', 'aosiq_scan.node');

/** The module at `path`, as built (a copy at another path loads as its own instance). */
export function loadScanner(path = BUILT): NativeScanner {
  return createRequire(import.meta.url)(path) as NativeScanner;
}

/**
 * Stems as the native scanner takes them (`$` marks one that must end a word), for `alphabet`
 * ('ascii' where it matches case aside, as the anchors do, 'latin1' for lowercase text); throws on
 * a stem outside it or not in lowercase.
 */
export function stemWords(stems: readonly string[], alphabet: 'ascii' | 'latin1'): { text: string; flags: number }[] {
  const allowed = alphabet === 'ascii' ? /^[\x20-\x7e]+$/ : /^[\x20-\x7e\xa0-\xff]+$/;
  return stems.map((stem) => {
    const text = literal(stem);
    if (!allowed.test(text) || text !== text.toLowerCase()) throw new Error(`stem ${JSON.stringify(stem)}: the native scanner takes lowercase ${alphabet === 'ascii' ? 'ASCII' : 'Latin-1'}`);
    return { text, flags: (/^\w/.test(text) ? WORD_START : 0) | (stem.endsWith('$') ? WORD_END : 0) };
  });
}

/** Whether a text holds a character beyond Latin-1 (then it goes to the scanner as UTF-16, else as Latin-1). */
export const wide = (text: string): boolean => /[\u0100-\uffff]/.test(text);

let reason: string | null = null;
/** The shared instance, or null (with `nativeReason()` saying why). */
export const native = ((): NativeScanner | null => {
  if (process.env.AOS_SCAN_NATIVE === 'off') {
    reason = 'turned off by AOS_SCAN_NATIVE=off';
    return null;
  }
  try {
    return loadScanner();
  } catch (error) {
    reason = `not built (${(error as Error).message.split('\n')[0]}); npm run build:native builds it`;
    return null;
  }
})();

/** Why the native scanner is not in use, or null when it is. */
export const nativeReason = (): string | null => reason;

/**
 * The shared instance configured by `apply`, or null if there is none or it refuses the
 * configuration (a build older than this code, say): the caller then finds the same by
 * JavaScript, and `nativeReason()` says why.
 */
export function configured(apply: (scanner: NativeScanner) => NativeScanner): NativeScanner | null {
  if (!native) return null;
  try {
    return apply(native);
  } catch (error) {
    reason = `not usable (${(error as Error).message.split('\n')[0]}); npm run build:native rebuilds it`;
    return null;
  }
}
