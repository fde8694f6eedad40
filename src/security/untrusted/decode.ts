/**
 * Instructions hidden by an encoding or a transformation: base64 and hex runs, leetspeak,
 * escapes, text written backwards, letters spelled out with separators. Each is undone and
 * read again by the word rules; a rule that matches only then is an encoded instruction.
 */
import { native, type NativeScanner, wide } from './native.js';
import { normalize } from './normalize.js';
import type { Prefiltered } from './prefilter.js';
import type { Family } from './rules.js';
import { ruleMatches, rulesMatching } from './match.js';

export interface Decoded {
  rule: string;
  family: Family;
  weight: number;
  start: number;
  end: number;
}

/** The families that make text an instruction to the model, as opposed to a suspicious form. */
export const INSTRUCTION_FAMILIES = new Set<Family>(['override', 'addressed_to_ai', 'exfiltration']);
const HEX_RUN = /\b(?:[0-9a-fA-F]{2}[\s:]?){16,}\b/g;
const SEPARATOR = /[\s:]/;

/** Base64 and hex runs (`runs`, found by the prefilter) that decode to readable text holding an instruction. */
export function encodedInstructions(text: string, runs: Pick<Prefiltered, 'base64' | 'hex' | 'unreadable'>): Decoded[] {
  const matches: Decoded[] = [];
  const { unreadable } = runs;
  for (const [start, end] of base64Runs(text, unreadable ? runs.base64.filter((_, i) => unreadable[i] === 0) : runs.base64)) {
    const run = text.slice(start, end);
    const hex = /^[0-9a-f]+$/i.test(run) && run.length % 2 === 0;
    const decoded = Buffer.from(run, hex ? 'hex' : 'base64').toString('utf8');
    if (printable(decoded) && instructs(decoded)) matches.push({ rule: hex ? 'encoding.hex_instruction' : 'encoding.base64_instruction', family: 'encoding', weight: 0.9, start, end });
  }
  // Hex pairs with separators ("69 67 6e ..."): 16 pairs or more (a run without a separator, a commit hash, has none).
  for (const [from, to] of runs.hex) {
    const run = text.slice(from, to);
    if (!SEPARATOR.test(run)) continue;
    for (const found of run.matchAll(HEX_RUN)) {
      if (!SEPARATOR.test(found[0])) continue;
      const decoded = Buffer.from(found[0].replace(/[\s:]/g, ''), 'hex').toString('utf8');
      if (printable(decoded) && instructs(decoded)) matches.push({ rule: 'encoding.hex_instruction', family: 'encoding', weight: 0.9, start: from + found.index, end: from + found.index + found[0].length });
    }
  }
  return matches;
}

function instructs(decoded: string): boolean {
  const normalized = normalize(decoded);
  return rulesMatching(normalized.cased ? normalized.text.toLowerCase() : normalized.text).length > 0;
}

/** Of the runs of 24 or more base64 characters, those that hold a digit, "+" or "/" or mix cases (with their padding). */
function base64Runs(text: string, candidates: readonly [number, number][]): [number, number][] {
  const runs: [number, number][] = [];
  for (const [start, runEnd] of candidates) {
    let mixed = 0;
    for (let i = start; i < runEnd; i += 1) {
      const code = text.charCodeAt(i);
      mixed |= code >= 65 && code <= 90 ? 1 : code >= 97 && code <= 122 ? 2 : 4;
    }
    if (!(mixed & 4 || mixed === 3)) continue;
    let end = runEnd;
    while (end < text.length && text.charCodeAt(end) === 61 && end - runEnd < 2) end += 1;
    runs.push([start, end]);
  }
  return runs;
}

/** A character that reads as text: a letter, digit, punctuation, symbol, space or newline. */
const READABLE = /[\p{L}\p{N}\p{P}\p{S}\p{Zs}\n]/uy;

/**
 * Whether decoded bytes read as text: at least 12 characters, at most a tenth of them (in UTF-16
 * units) unreadable or U+FFFD, which stands for bytes that are not UTF-8. Counted in one pass
 * that stops once a tenth is passed: decoded binary (a WebAssembly module inlined in JavaScript)
 * fails within its first few hundred characters.
 */
export function printable(text: string): boolean {
  if (text.length < 12) return false;
  const most = text.length * 0.1;
  let bad = 0;
  for (let i = 0; i < text.length && bad <= most; i += 1) {
    const code = text.charCodeAt(i);
    if (code < 0x7f) {
      if (code < 32 && code !== 10) bad += 1;
    } else if (code === 0xfffd) bad += 1;
    else {
      // A pair of surrogates is one character, of two units.
      const units = code >= 0xd800 && code <= 0xdbff && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
      READABLE.lastIndex = i;
      if (!READABLE.test(text)) bad += units;
      i += units - 1;
    }
  }
  return bad <= most;
}

const LEET: Record<string, string> = { '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '9': 'g', '8': 'b', '@': 'a', '$': 's' };
const ESCAPES = /%[0-9a-f]{2}|\\u[0-9a-f]{4}|\\x[0-9a-f]{2}|&#x?[0-9a-f]+;/g;
const SURROGATE = /[\ud800-\udfff]/;
const REVERSED_HINT = /\b(?:backwards|reversed|in reverse|right to left|reverse (?:it|this|the))\b/;

/** Obfuscation signs are counted per block of this many characters (the detector's windows start and end on blocks). */
const BLOCK = 400;

/**
 * What a region holds that an obfuscated instruction needs, counted per block in one pass so
 * that a window without it is passed over unread: the words leetspeak() counts (by where they
 * end), those that mix digits into letters, the characters an escape starts with, and whether
 * a hint to read text backwards is there at all. Counted by the native scanner when it is built
 * (`scanner`; null for the loop below, which counts the same: decode.test.ts).
 */
export interface ObfuscationSigns {
  length: number;
  words: Int32Array;
  mixed: Int32Array;
  escapeStarts: Int32Array;
  reversed: boolean;
}

export function obfuscationSigns(region: string, scanner: NativeScanner | null = native): ObfuscationSigns {
  const counts = nativeSigns(region, scanner);
  if (counts) {
    const blocks = (counts.length - 1) / 3;
    return { length: region.length, words: counts.subarray(0, blocks), mixed: counts.subarray(blocks, 2 * blocks), escapeStarts: counts.subarray(2 * blocks, 3 * blocks), reversed: counts[3 * blocks] === 1 };
  }
  const blocks = Math.ceil(region.length / BLOCK) + 1;
  const words = new Int32Array(blocks);
  const mixed = new Int32Array(blocks);
  const escapeStarts = new Int32Array(blocks);
  let length = 0;
  let digits = 0;
  let letters = 0;
  let other = false;
  for (let i = 0; i <= region.length; i += 1) {
    const code = i < region.length ? region.charCodeAt(i) : 32;
    const digit = code >= 48 && code <= 57;
    const lower = code >= 97 && code <= 122;
    if (digit || lower || code === 95 || (code >= 65 && code <= 90)) {
      length += 1;
      if (digit) digits += 1;
      else if (lower) letters += 1;
      else other = true;
      continue;
    }
    if (code === 37 || code === 38 || code === 92) escapeStarts[(i / BLOCK) | 0]! += 1;
    if (length >= 3 && !other) {
      const block = ((i - 1) / BLOCK) | 0;
      words[block]! += 1;
      if (digits > 0 && letters > 0) mixed[block]! += 1;
    }
    length = digits = letters = 0;
    other = false;
  }
  // (Every hint holds one of these words.)
  const reversed = region.includes('revers') || region.includes('backwards') || region.includes('right to left');
  return { length: region.length, words, mixed, escapeStarts, reversed };
}

/** The native count of the signs, or null without a scanner or when it fails (out of memory for one huge text, say). */
function nativeSigns(region: string, scanner: NativeScanner | null): Int32Array | null {
  try {
    return scanner?.signs(region, wide(region), BLOCK) ?? null;
  } catch {
    return null;
  }
}

/** The most signs of a kind in [from, to): those of every block that meets it. */
function atMost(counts: Int32Array, from: number, to: number): number {
  let sum = 0;
  for (let block = Math.floor(from / BLOCK); block * BLOCK < to; block += 1) sum += counts[block]!;
  return sum;
}

/** The fewest signs of a kind in [from, to): those of the blocks inside it (the last may end at the region's end). */
function atLeast(counts: Int32Array, from: number, to: number, length: number): number {
  let sum = 0;
  for (let block = Math.ceil(from / BLOCK); Math.min((block + 1) * BLOCK, length) <= to && block * BLOCK < length; block += 1) sum += counts[block]!;
  return sum;
}

/**
 * Whether a window might read as leetspeak, from its region's words: those ending in it, give
 * or take the two cut at its edges (a cut word can count in the window and not in the region).
 */
function mightBeLeetspeak(signs: ObfuscationSigns, from: number, to: number): boolean {
  const mixed = atMost(signs.mixed, from, to) + 2;
  return mixed >= 4 && mixed >= 0.3 * (atLeast(signs.words, from, to, signs.length) - 1);
}

/**
 * Instructions hidden by leetspeak, escapes (URL, \\u, \\x, HTML entities), or text written
 * backwards with a hint to read it so, in one window of normalized text; `signs` are those of
 * the region the window starts `offset` characters into.
 */
export function deobfuscated(window: string, signs: ObfuscationSigns = obfuscationSigns(window), offset = 0): Decoded[] {
  const end = offset + window.length;
  const candidates: Reading[] = [];
  if (mightBeLeetspeak(signs, offset, end) && leetspeak(window)) {
    // One character for one: the decoded text's offsets are the window's.
    const text = window.replace(/\b(?=[a-z0-9@$]*[a-z])(?=[a-z@$]*[\d@$])[a-z0-9@$]{2,}\b/g, (word) => word.replace(/[0-9@$]/g, (char) => LEET[char] ?? char));
    candidates.push({ rule: 'encoding.leetspeak_instruction', text, toWindow: (from, to) => [from, to] });
  }
  if (atMost(signs.escapeStarts, offset, end) >= 6 && (window.match(ESCAPES) ?? []).length >= 6) {
    candidates.push({ rule: 'encoding.escaped_instruction', ...unescaped(window) });
  }
  if (signs.reversed && REVERSED_HINT.test(window)) {
    // Code points in reverse order: [from, to) of the reversed text is [length - to, length - from) of the window.
    candidates.push({ rule: 'encoding.reversed_instruction', text: reversed(window), toWindow: (from, to) => [window.length - to, window.length - from] });
  }
  return candidates.flatMap(({ rule, text, toWindow }) => {
    const found = ruleMatches(text).filter((match) => INSTRUCTION_FAMILIES.has(match.rule.family));
    if (found.length === 0) return [];
    // The span is where the instruction is hidden: the stretch of the window its matches were decoded from.
    const [start, stop] = found.map((match) => toWindow(match.start, match.end)).reduce(([a, b], [c, d]) => [Math.min(a, c), Math.max(b, d)]);
    return [{ rule, family: 'encoding' as const, weight: 0.85, start, end: stop }];
  });
}

/** A window read another way, and where in the window a stretch of that reading came from. */
interface Reading {
  rule: string;
  text: string;
  toWindow: (from: number, to: number) => [number, number];
}

/** The window with its escapes (URL, \\u, \\x, HTML entities) decoded, each decoded character placed at its escape. */
function unescaped(window: string): Pick<Reading, 'text' | 'toWindow'> {
  let text = '';
  /** For each unit of `text`, the window's offsets it came from. */
  const starts: number[] = [];
  const ends: number[] = [];
  let last = 0;
  const copy = (from: number, to: number) => {
    text += window.slice(from, to);
    for (let i = from; i < to; i += 1) {
      starts.push(i);
      ends.push(i + 1);
    }
  };
  for (const escape of window.matchAll(ESCAPES)) {
    copy(last, escape.index);
    last = escape.index + escape[0].length;
    const code = decodedEscape(escape[0]);
    const decoded = Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code).toLowerCase() : escape[0];
    text += decoded;
    for (let i = 0; i < decoded.length; i += 1) {
      starts.push(escape.index);
      ends.push(last);
    }
  }
  copy(last, window.length);
  return { text, toWindow: (from, to) => [starts[from] ?? window.length, to > from ? ends[to - 1]! : (starts[from] ?? window.length)] };
}

function decodedEscape(escape: string): number {
  if (escape.startsWith('%')) return parseInt(escape.slice(1), 16);
  if (escape.startsWith('&#x')) return parseInt(escape.slice(3, -1), 16);
  if (escape.startsWith('&#')) return parseInt(escape.slice(2, -1), 10);
  return parseInt(escape.slice(2), 16);
}

/**
 * The text backwards, a code point at a time: reversed as bytes (UTF-16 units put back in order)
 * where no surrogate pair holds a code point, 30 times faster than reversing its array of characters.
 *
 * @example
 * reversed('snoitcurtsni'); // 'instructions'
 */
export function reversed(text: string): string {
  if (!wide(text)) return Buffer.from(text, 'latin1').reverse().toString('latin1');
  if (!SURROGATE.test(text)) return Buffer.from(text, 'utf16le').reverse().swap16().toString('utf16le');
  return [...text].reverse().join('');
}

/**
 * Whether a window reads as leetspeak: four or more of its words mix digits into letters, and they
 * are at least 30% of its words (not the odd hex id in a log). A word here is three or more
 * characters between word boundaries, all lowercase ASCII letters or digits.
 */
export function leetspeak(window: string): boolean {
  const signs = obfuscationSigns(window);
  const mixed = atMost(signs.mixed, 0, window.length);
  return mixed >= 4 && mixed >= 0.3 * atMost(signs.words, 0, window.length);
}

/** Letters spelled out with separators ("i g n o r e ..."; `runs` are their places), joined and read again. */
export function spacedOut(text: string, runs: readonly { start: number; end: number }[]): Decoded[] {
  return runs.flatMap(({ start, end }) => (rulesMatching(text.slice(start, end).replace(/[ .\-_|*]/g, '')).length > 0 ? [{ rule: 'encoding.spaced_instruction', family: 'encoding' as const, weight: 0.85, start, end }] : []));
}
