/**
 * What the detector must know of a long text before reading any of it: where its anchor words
 * are (long text is read only around them), where its runs of base64 or hex characters are, and
 * whether it holds characters beyond Latin-1 (for the other-script anchors). The native scanner
 * (native/scan.c, built by `npm install` when a C compiler is at hand) finds all of it in one
 * pass; without it, the regexes and block tests below find the same (prefilter.test.ts).
 */
import { CANDIDATE, configured, FOLLOWED, nativeReason, type NativeScanner, stemWords, VALUE_NAME, VALUE_S, WORD_END, WORD_START, wide } from './native.js';
import { stemSource, stems } from './stems.js';

/**
 * Words whose stems some rule needs nearby; common ones (user, system, https) are left out on
 * purpose. Hints that text is to be read backwards are here too: the reversed text holds no anchor.
 */
const ANCHOR_STEMS = stems(
  'disregard|forget|instruc|prompt|assisten|ai$|a.i.|llm|language model|model:|summaris|summariz|chatbot|copilot|bot$|bots$|you are now|you are no longer|from now on|' +
    'your response|your reply|your answer|your summary|your output|<\\||[inst]|[/inst]|<<sys|</tool|</untrusted|</function|</document|</context|</data|</search|</user|</email|</webpage|</content|' +
    'rm -|curl |wget |approve|grant yourself|grant itself|grant me|exfil|rot13|rot 13|encode your|jailbr|developer mode|reveal|revoked|superseded|function_call|tool_call|' +
    'anweisung|istruzion|instrukc|talimat|instruksi|ki$|ia$|yapay zek|asisten|automated assistant|automated agent|automated system|automated tool|tool call|tool use|' +
    'reversed|in reverse|right to left',
);
interface AnchorPattern {
  source: string;
  starts: readonly string[];
  then?: readonly string[];
  /** True wherever the pattern matches and cheaper than it: where the native scanner found a start and this is false, the regex is not tried. */
  mayMatch?: (text: string, at: number) => boolean;
  /** A native flag (native.ts) by which the scanner itself passes over some starts where the pattern does not match. */
  native?: number;
}

/** What the rules say is ignored, in their languages. */
const IGNORED = 'previous|prior|above|earlier|preceding|original|initial|existing|current|old|system|safety|developer|other|what|anything|instruc|instruç|indicaci|indicazion|órdenes|ordenes|reglas|regras|regole|directrices|diretrizes|directives|direttive|orientaç|consignes|règles|regles|vorherig|bisherig|obigen|vorigen|früher|ursprünglich|poprzednie|wcześniejsze|wczesniejsze|powyższe'.split('|');
const IGNORE_REACH = /ignor\w*[^.!?]{0,300}/iy;
const IGNORED_WORD = new RegExp(`(?:${IGNORED.join('|')})`, 'i');
const LONGEST_IGNORED = Math.max(...IGNORED.map((word) => word.length));

/**
 * Whether the "ignore" anchor can match at `at`: one of the words ignored starts within its reach
 * (the word, then up to 300 characters of the same sentence). Its lazy regex tries every word at
 * every character, 2 µs a try on code, where most have none; this finds that out four times faster.
 */
function ignoredInReach(text: string, at: number): boolean {
  IGNORE_REACH.lastIndex = at;
  if (!IGNORE_REACH.test(text)) return false;
  const from = at + 'ignor'.length;
  const found = IGNORED_WORD.exec(text.slice(from, IGNORE_REACH.lastIndex + LONGEST_IGNORED));
  return found !== null && found.index <= IGNORE_REACH.lastIndex - from;
}

/**
 * Anchors that are patterns, each with the texts every match of it starts with (case aside), or
 * with the character it starts with and the words that come after it and any spaces (`then`).
 */
const SECRETS = ['key', 'token', 'secret', 'password', 'email'];
/**
 * Names for a model that are anchors unless they are a JSON string's whole value ("role":
 * "assistant", "model": "claude-sonnet-4"): an agent's trace has one in every record, and no rule
 * reads a name followed by its closing quote and a comma, a brace, or a bracket that no colon
 * follows (`["claude"]: ...` can be a vocative) as addressed to a model. "agent-directives" and
 * "assistant_instructions" are not such a value: a rule reads those.
 */
const CLOSES_VALUE = String.raw`"\s*(?:[,}]|\](?![)\]*_"'’\s]*:))`;
const NAMES_NOT_VALUES: readonly [name: string, rest: string, native: number][] = [
  ['assistant', 's?', VALUE_S],
  ['agent', 's?', VALUE_S],
  ['claude', String.raw`[\w.-]{0,40}`, VALUE_NAME],
  ['gemini', String.raw`[\w.-]{0,40}`, VALUE_NAME],
  ['chatgpt', String.raw`[\w.-]{0,40}`, VALUE_NAME],
];
const ANCHOR_PATTERNS: readonly AnchorPattern[] = [
  ...NAMES_NOT_VALUES.map(([name, rest, native]) => ({ source: String.raw`\b${name}(?!${rest}${CLOSES_VALUE})`, starts: [name], native })),
  // "Ignore" in the rules' languages, before (a few words on, in the same sentence) what the rules
  // say is ignored: not ".gitignore", "ignored files" or "ignoreCase", which documentation is full of.
  { source: String.raw`\bignor\w*(?:[^.!?\w][^.!?]{0,299}?)??(?:${IGNORED.join('|')})`, starts: ['ignor'], mayMatch: ignoredInReach },
  // "Decode" before what to do with the result; "base64" as the form of an answer; "backwards" not as in "backwards compatible".
  { source: String.raw`\bdecode[^.\n]{0,80}?\b(?:follow|execute|obey|run|do|carry out|perform|comply|act on|apply)\b`, starts: ['decode'] },
  { source: String.raw`\b(?<=\b(?:in|as|using|with|into)\s{1,3})base ?64`, starts: ['base64', 'base 64'] },
  { source: String.raw`\bbackwards\b(?![ -]?compat)`, starts: ['backwards'] },
  { source: String.raw`\| *(?:ba|z)?sh\b`, starts: ['|'], then: ['sh', 'bash', 'zsh'] },
  { source: String.raw`\b(?:call|use|with) (?:the|your) \w+\s+tool`, starts: ['call the ', 'call your ', 'use the ', 'use your ', 'with the ', 'with your '] },
  // A placeholder ("%7b" is "{"), or a run of escapes that can spell words no anchor sees.
  { source: String.raw`%7b[a-z_]|(?:%[0-9a-f]{2}){4}`, starts: [...'0123456789abcdef'].map((digit) => `%${digit}`) },
  { source: String.raw`(?:&#x?[0-9a-f]+;){4}`, starts: ['&#'] },
  { source: String.raw`(?:\\u[0-9a-f]{4}){4}`, starts: ['\\u'] },
  { source: String.raw`[?&#/=]\{\{?[a-z_]+\}`, starts: [...'?&#/='].map((before) => `${before}{`) },
  // (As rules.ts exfil.image_beacon: the address read once, to its first query character, then on to the first placeholder; the query
  // character within 2 048 characters, as where the native scan finds too many anchors this is tried at every "![" a regex passes.)
  { source: String.raw`!\[[^\]\n]{0,100}\]\(\s*https?://[^)\s?&#]{0,2048}[?&#][^)\s]*?(?:\{|\[|<|%7b|%5b|%3c|\$\{)`, starts: ['!['] },
  // A query parameter whose value names a secret ("?q=api_key"), found at the "=" or "_" before that name, not at every "?" and "&" of code and URLs.
  // Each lookbehind comes after the character it ends with (before it, the regex would try it at every position), and the one at "_" reads
  // back at most eight words: unbounded, it read the whole run at every "_" of "key_key_key...", quadratic in the run's length.
  { source: String.raw`(?:=(?<=[?&][a-z_]+=)|_(?<=[?&][a-z_]+=(?:[a-z]+_){0,8}))(?:${SECRETS.join('|')})`, starts: SECRETS.flatMap((secret) => [`=${secret}`, `_${secret}`]) },
];
/** Long text is read only around these (case-insensitive, on the original text). */
export const ANCHOR = new RegExp([stemSource(ANCHOR_STEMS), ...ANCHOR_PATTERNS.map((pattern) => pattern.source)].join('|'), 'gi');
/**
 * Characters that are anchors in themselves, as ranges of UTF-16 units: the soft hyphen,
 * invisible and bidi controls, and fullwidth Latin letters (NFKC makes them ASCII: words spelled
 * in them hold no ASCII anchor).
 */
const OTHER_CHARACTERS: readonly (readonly [number, number])[] = [[0xad, 0xad], [0x200b, 0x200d], [0x2060, 0x2060], [0xfeff, 0xfeff], [0x202a, 0x202e], [0x2066, 0x2069], [0xff21, 0xff3a], [0xff41, 0xff5a]];
/**
 * Letters that are anchors where a Latin letter touches one: Greek and Cyrillic look-alikes
 * inside a Latin word ("іgnоre"), which normalization must see. Text in Greek or Russian is
 * read around its own anchor words below, not everywhere.
 */
const LOOK_ALIKES: readonly (readonly [number, number])[] = [[0x261, 0x261], [0x370, 0x52f]];
/** The first unit of every tag character (U+E0000 to U+E007F, a surrogate pair each). */
const TAG_FIRST = 0xdb40;
/**
 * The words for instructions and AI that some rule needs nearby, in scripts beyond Latin-1; those
 * with case as written, capitalized and in capitals (the regex is not case-insensitive: under
 * `i`, characters outside a range can match it, which the native scan would not know).
 */
const OTHER_WORDS = [
  ...stems('指令|指示|無視|无视|忽略|무시|지시|تعليمات|निर्देश|hướng dẫn|인공지능|人工智能|人工知能|アシスタント|एआई|الذكاء|הבינה|ปัญญาประดิษฐ์'),
  ...stems('игнорир|проигнорир|забудь|не обращай|отбрось|инструкц|ассистент|асистент|агент|языковая|если ты|τεχνητής|βοηθ').flatMap((word) => [word, `${word[0]!.toUpperCase()}${word.slice(1)}`, word.toUpperCase()]),
  // "AI" in Russian and Ukrainian, in capitals only: in lowercase these letters are inside most words ("линии").
  'ИИ',
  'ШІ',
];
const unit = (code: number) => `\\u${code.toString(16).padStart(4, '0')}`;
const units = (ranges: readonly (readonly [number, number])[]) => `[${ranges.map(([from, to]) => (from === to ? unit(from) : `${unit(from)}-${unit(to)}`)).join('')}]`;
/** Anchors beyond Latin-1 (and the soft hyphen): those characters, look-alikes touching Latin, tag characters and words. */
export const UNICODE_ANCHOR = new RegExp(
  [units(OTHER_CHARACTERS), `[a-zA-Z]${units(LOOK_ALIKES)}|${units(LOOK_ALIKES)}[a-zA-Z]`, `${unit(TAG_FIRST)}[\\udc00-\\udc7f]`, stemSource(OTHER_WORDS)].join('|'),
  'g',
);

export interface Prefiltered {
  /** Where ANCHOR matches, skipping ahead by `spacing` after each hit. */
  anchors: number[];
  /** Where UNICODE_ANCHOR matches, skipping ahead likewise. */
  otherAnchors: number[];
  /** Runs (maximal, [start, end)) of 24 or more base64 characters. */
  base64: [number, number][];
  /** Runs of 40 or more hex digits and separators (space, tab, newline, colon). */
  hex: [number, number][];
  /**
   * From the native scan: for each base64 run, 1 where it surely does not decode to text that
   * reads (paths, identifiers and commit hashes in documentation do not), which decode.ts then
   * passes over without decoding it; the JavaScript prefilter does not say.
   */
  unreadable?: Int32Array;
  /**
   * Whether the text holds a character beyond Latin-1. V8 then holds the whole string two bytes
   * a character, and every slice of it: the detector copies the parts it reads that hold none
   * into strings of one byte a character, on which its regexes run up to four times faster.
   */
  wide: boolean;
}

/** The long-text facts, from the native scanner when it is built (and not turned off), else from JavaScript. */
export function prefilter(text: string, spacing: number): Prefiltered {
  if (!native) return scriptPrefilter(text, spacing);
  try {
    return nativePrefilter(native, text, spacing);
  } catch {
    // Out of memory for one huge text, say: the JavaScript prefilter finds the same.
    return scriptPrefilter(text, spacing);
  }
}

/** Whether the native scanner is in use (for the prefilter and the trigger words alike), and why not when it is not. */
export function prefilterKind(): { native: boolean; simd: boolean; reason: string | null } {
  const reason = nativeReason();
  return { native: native !== null && reason === null, simd: native?.avx2 ?? false, reason };
}

/** The same facts found by JavaScript alone. */
export function scriptPrefilter(text: string, spacing: number): Prefiltered {
  const beyond = wide(text);
  return { anchors: anchorsOf(text, ANCHOR, spacing), otherAnchors: beyond || text.includes('\u00ad') ? anchorsOf(text, UNICODE_ANCHOR, spacing) : [], ...encodedRuns(text), wide: beyond };
}

/** Where a global pattern matches, skipping ahead by `spacing` (at least the match) after each hit. */
export function anchorsOf(text: string, pattern: RegExp, spacing: number): number[] {
  const hits: number[] = [];
  pattern.lastIndex = 0;
  for (let hit = pattern.exec(text); hit; hit = pattern.exec(text)) {
    hits.push(hit.index);
    pattern.lastIndex = Math.max(pattern.lastIndex, hit.index + spacing);
  }
  return hits;
}

/** Base64 and hex runs, found by JavaScript (short texts, and long ones without the native scanner). */
export function encodedRuns(text: string): Pick<Prefiltered, 'base64' | 'hex'> {
  return { base64: runsOf(text, 24, BASE64), hex: runsOf(text, 40, HEX_OR_SEPARATOR) };
}

/** What the first number of a scan's result says of the text (native/scan.c). */
const DENSE = 4;

/** The same facts from a native scanner configured with the anchors; exported for the tests. */
export function nativePrefilter(scanner: NativeScanner, text: string, spacing: number): Prefiltered {
  // Text with no character beyond Latin-1 is handed over as Latin-1 (half the bytes), the rest as UTF-16.
  // Text dense with anchors or candidates (markdown tables, braces) is read faster by the regex:
  // past one hit in 64 characters the native scan stops and says so.
  const beyond = wide(text);
  const out = scanner.scan(text, beyond, 1024 + Math.floor(text.length / 64));
  if (out[0]! & DENSE) return scriptPrefilter(text, spacing);
  const hits: number[] = [];
  let next = 0;
  let at = 2;
  for (const end = 2 + 2 * out[1]!; at < end; at += 2) {
    const offset = out[at]!;
    if (offset < next) continue;
    const word = WORDS[out[at + 1]!]!;
    let length = word.length;
    if (word.pattern) {
      if (word.mayMatch && !word.mayMatch(text, offset)) continue;
      word.pattern.lastIndex = offset;
      if (!word.pattern.test(text)) continue;
      length = word.pattern.lastIndex - offset;
    }
    hits.push(offset);
    next = offset + Math.max(length, spacing);
  }
  const runs = (): [number, number][] => {
    const count = out[at++]!;
    const found: [number, number][] = [];
    for (let i = 0; i < count; i += 1, at += 2) found.push([out[at]!, out[at + 1]!]);
    return found;
  };
  const base64 = runs();
  const unreadable = out.subarray(at, at + base64.length);
  at += base64.length;
  const hex = runs();
  // Past maxHits places that can start one (text thick with look-alikes beside Latin letters, say), the regex finds them.
  const starts = out[at++]!;
  const otherAnchors = starts < 0 ? anchorsOf(text, UNICODE_ANCHOR, spacing) : otherAnchorsFrom(text, out.subarray(at, at + starts), spacing);
  return { anchors: hits, otherAnchors, base64, hex, unreadable, wide: beyond };
}

/** Every unit in the ranges. */
const every = (ranges: readonly (readonly [number, number])[]) => ranges.flatMap(([from, to]) => Array.from({ length: to - from + 1 }, (_, i) => from + i));
/** What the native scanner notes for the other-script anchors: the characters, look-alikes and words; the regex confirms each. */
const STARTS = String.fromCharCode(...every(OTHER_CHARACTERS), TAG_FIRST);
const TOUCHES = String.fromCharCode(...every(LOOK_ALIKES));
const OTHERS = OTHER_WORDS.map((word) => (word.endsWith('$') ? word.slice(0, -1) : word));
const OTHER_AT = new RegExp(UNICODE_ANCHOR.source, 'y');

/** Where UNICODE_ANCHOR matches, tried only at the places the scanner noted. */
function otherAnchorsFrom(text: string, starts: Int32Array, spacing: number): number[] {
  const hits: number[] = [];
  let next = 0;
  for (const at of starts) {
    if (at < next) continue;
    OTHER_AT.lastIndex = at;
    if (!OTHER_AT.test(text)) continue;
    hits.push(at);
    next = Math.max(OTHER_AT.lastIndex, at + spacing);
  }
  return hits;
}

/**
 * The words the native scanner looks for: the anchor stems (a hit is an anchor) and, as
 * candidates, the texts the pattern anchors start with (a hit is where no stem starts and only
 * that pattern can match: its regex decides). Exported for the tests; throws on an anchor the
 * scanner cannot take, or would take slowly.
 */
export function scannerWords(stems: readonly string[], patterns: readonly AnchorPattern[]): { text: string; flags: number; length: number; pattern: RegExp | null; mayMatch?: AnchorPattern['mayMatch'] }[] {
  return [
    ...stemWords(stems, 'ascii').map((word) => ({ ...word, length: word.text.length, pattern: null })),
    ...patterns.flatMap((pattern) => {
      const sticky = new RegExp(pattern.source, 'iy');
      const flags = CANDIDATE | (pattern.source.startsWith('\\b') ? WORD_START : 0) | (pattern.native ?? 0);
      // A word starting with a letter or digit that the native filter may find inside other words loosens its bucket for all of them (prose
      // read 0.6 -> 1.1 ms a megabyte); one starting with "_" sits with the other non-letters.
      if (!(flags & WORD_START) && pattern.starts.some((start) => /^[a-z0-9]/i.test(start))) throw new Error(`anchor pattern ${pattern.source}: a start that is a word needs \\b first`);
      // A markdown table has a "|" every few characters: the native scan reads on past the spaces after each.
      if (pattern.then) return pattern.starts.map((start) => ({ text: [start, ...pattern.then!].join(' '), flags: flags | FOLLOWED | (pattern.source.endsWith('\\b') ? WORD_END : 0), length: 0, pattern: sticky }));
      return pattern.starts.map((text) => ({ text, flags, length: 0, pattern: sticky, mayMatch: pattern.mayMatch }));
    }),
  ];
}

const WORDS = scannerWords(ANCHOR_STEMS, ANCHOR_PATTERNS);

/** The native scanner, configured with the anchors; exported for the tests. */
export function withAnchors(scanner: NativeScanner): NativeScanner {
  scanner.configure(
    WORDS.map((word) => word.text),
    WORDS.map((word) => word.flags),
    STARTS,
    TOUCHES,
    OTHERS,
  );
  return scanner;
}

const native = configured(withAnchors);

/**
 * The runs of at least `least` characters that pass `accepts`. A run that long covers a whole
 * aligned block of half its length, so only blocks are tested, and most fail at their first
 * characters: a few reads per block on prose rather than a regex attempt at every position.
 */
function runsOf(text: string, least: number, accepts: Uint8Array): [number, number][] {
  const runs: [number, number][] = [];
  const block = Math.floor(least / 2);
  const ok = (at: number) => {
    const code = text.charCodeAt(at);
    return code < 128 && accepts[code] === 1;
  };
  for (let at = 0; at + block <= text.length; at += block) {
    let whole = true;
    for (let i = at; i < at + block && whole; i += 1) whole = ok(i);
    if (!whole) continue;
    let start = at;
    while (start > 0 && ok(start - 1)) start -= 1;
    let end = at + block;
    while (end < text.length && ok(end)) end += 1;
    if (end - start >= least) runs.push([start, end]);
    at = Math.floor(end / block) * block;
  }
  return runs;
}

/** ASCII characters a set accepts, as a table indexed by character code. */
function charSet(characters: string): Uint8Array {
  const table = new Uint8Array(128);
  for (const char of characters) table[char.charCodeAt(0)] = 1;
  return table;
}

const BASE64 = charSet('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/');
const HEX_OR_SEPARATOR = charSet('0123456789abcdefABCDEF: \t\n\r');
