/**
 * The text the injection rules read: Unicode NFKC (fullwidth and other compatibility forms
 * become plain letters), zero-width and bidi control characters removed, look-alike letters
 * inside words that mix scripts folded to Latin ("іgnоre" with Cyrillic і and о), lowercased.
 * Every character keeps the offset it came from, so a match is reported in the original text.
 * What was removed or folded is counted: hiding words that way is itself a signal.
 */

/** Zero-width and other invisible format characters (soft hyphen, joiners, BOM, variation selectors). */
// eslint-disable-next-line no-misleading-character-class -- a list of single invisible code points, some of them combining marks, on purpose
const INVISIBLE = /[\u00ad\u034f\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200d\u2060-\u2064\u206a-\u206f\ufeff\ufe00-\ufe0f]/;
/** Bidirectional controls: they reorder what a human sees without changing what a model reads. */
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/** Cyrillic and Greek letters that look like Latin ones (lowercase after folding). */
export const CONFUSABLE: Record<string, string> = {
  а: 'a', в: 'b', е: 'e', ё: 'e', к: 'k', м: 'm', н: 'h', о: 'o', р: 'p', с: 'c', т: 't', у: 'y', х: 'x', і: 'i', ї: 'i', ј: 'j', ѕ: 's', ԁ: 'd', һ: 'h', ӏ: 'l', ԛ: 'q', ԝ: 'w', ɡ: 'g',
  α: 'a', β: 'b', ε: 'e', η: 'n', ι: 'i', κ: 'k', ν: 'v', ο: 'o', ρ: 'p', τ: 't', υ: 'u', χ: 'x', ζ: 'z', μ: 'u',
};
const LETTER = /\p{L}/u;
/** Embeddings, overrides and isolates (not the LRM/RLM marks right-to-left text uses). */
const OVERRIDE = /[\u202a-\u202e\u2066-\u2069]/;
const FOLDABLE = /[\u0370-\u03ff\u0400-\u04ff\u0500-\u052f\u0261]/;
/** Unicode tag characters (U+E0000-E007F): invisible copies of ASCII, read as the letters they copy. */
const TAG = /\udb40[\udc00-\udc7f]/;
/** A Latin letter next to a character beyond ASCII. */
const TOUCH = /[a-z][\u0080-\uffff]|[\u0080-\uffff][a-z]/g;
const FOLD_EACH = new RegExp(FOLDABLE.source, 'g');
/** A unit with the micro prefix ("μs", "μm"; NFKC makes the micro sign Greek mu): Greek touching Latin, and no look-alike. */
export const MICRO_UNIT = /^μ[a-z]{1,3}$/;
const WORD_CHARACTER = /[\p{L}\p{M}]/u;
const BEYOND_ASCII = /[\u0080-\uffff]/g;
const ASCII_LETTER = /^[a-z]$/i;
// eslint-disable-next-line no-misleading-character-class -- built from INVISIBLE above
const SPECIAL = new RegExp(`${INVISIBLE.source}|${BIDI.source}|${TAG.source}`);

export interface Normalized {
  /** The text the rules read (lowercase unless `cased`). */
  text: string;
  /** True for ASCII input, returned as it is: lowercase each window before reading it. */
  cased: boolean;
  /** The offset in the original text of `text[offset]` (the original's length past the end). */
  toOriginal: (offset: number) => number;
  /** Invisible characters inside words (between two letters). */
  invisible: number;
  /** Bidi embeddings, overrides and isolates. */
  bidi: number;
  /** Words mixing Latin with Cyrillic or Greek look-alikes, which were folded. */
  mixedWords: number;
  /** Unicode tag characters, read as the ASCII they copy. */
  tags: number;
  /** Where in the original the first of each signal above is (of invisible characters, the first in the word), -1 where there is none. */
  firstAt: Readonly<Places>;
}

interface Places {
  invisible: number;
  bidi: number;
  mixedWord: number;
  tags: number;
}

const NOWHERE: Readonly<Places> = Object.freeze({ invisible: -1, bidi: -1, mixedWord: -1, tags: -1 });

/** What a character beyond ASCII becomes: removed (invisible), counted (bidi), or its NFKC form lowercased. */
type Kind = { invisible: true } | { bidi: boolean } | { folded: string; same: boolean };
const KINDS = new Map<number, Kind>();

function kindOf(code: number): Kind {
  let kind = KINDS.get(code);
  if (kind) return kind;
  const character = String.fromCodePoint(code);
  if (INVISIBLE.test(character)) kind = { invisible: true };
  else if (BIDI.test(character)) kind = { bidi: OVERRIDE.test(character) };
  else {
    const folded = character.normalize('NFKC').toLowerCase();
    kind = { folded, same: folded === character };
  }
  // Text in any script uses a few thousand characters; a text of every character resets the memo.
  if (KINDS.size >= 65_536) KINDS.clear();
  KINDS.set(code, kind);
  return kind;
}

/**
 * @example
 * normalize('Ig\u200bnore').text; // 'ignore'
 */
export function normalize(original: string): Normalized {
  // ASCII needs no Unicode work and is lowercased a window at a time by the reader (cased: true).
  if (Buffer.byteLength(original, 'utf8') === original.length) return { text: original, cased: true, toOriginal: same, invisible: 0, bidi: 0, mixedWords: 0, tags: 0, firstAt: NOWHERE };
  // Text with nothing to remove or recompose is lowercased whole (when that keeps its length).
  if (!SPECIAL.test(original) && original.normalize('NFKC') === original) {
    const lower = original.toLowerCase();
    if (lower.length === original.length) {
      const { text, mixedWords, firstMixed } = foldMixedWords(lower);
      return { text, mixedWords, cased: false, toOriginal: same, invisible: 0, bidi: 0, tags: 0, firstAt: { ...NOWHERE, mixedWord: firstMixed } };
    }
  }
  const parts: string[] = [];
  // Where each part starts in the output and came from in the original: runs of characters
  // folded to as many units map unit for unit, any other character's units all map to it (`~offset`).
  const segments = { at: [] as number[], from: [] as number[] };
  let length = 0;
  /** The original offset the unit-for-unit run being written has reached (-1: none); a part from there extends it. */
  let runTo = -1;
  const emit = (part: string, from: number, perUnit: boolean) => {
    if (!perUnit || runTo !== from) {
      segments.at.push(length);
      segments.from.push(perUnit ? from : ~from);
    }
    runTo = perUnit ? from + part.length : -1;
    length += part.length;
    parts.push(part);
  };
  let invisible = 0;
  let bidi = 0;
  let tags = 0;
  const firstAt: Places = { ...NOWHERE };
  /** Where the invisible characters being skipped inside a word began. */
  let skippedAt = -1;
  /**
   * Whether those are all joiners (U+200C, U+200D) after a letter beyond ASCII: Persian and the
   * Indic scripts spell words with them, so they count only where an ASCII letter comes next.
   */
  let joinersAfterOther = false;
  const countInvisible = (asciiNext: boolean) => {
    if (joinersAfterOther && !asciiNext) return;
    invisible += 1;
    if (firstAt.invisible < 0) firstAt.invisible = skippedAt;
  };
  // An invisible character counts when it sits inside a word (between two letters): emoji
  // sequences use joiners and variation selectors legitimately, between symbols.
  let skippedAfterLetter = false;
  let last = '';
  // Characters normalization leaves as they are (ASCII but for its case) are copied in runs.
  let copyFrom = 0;
  const copyTo = (end: number) => {
    if (end <= copyFrom) return;
    emit(original.slice(copyFrom, end).toLowerCase(), copyFrom, true);
    last = original[end - 1]!;
  };
  for (let index = 0; index < original.length; ) {
    // A run of ASCII is copied as it is: passed over whole, its first character ending a skip of invisible ones.
    BEYOND_ASCII.lastIndex = index;
    const next = BEYOND_ASCII.test(original) ? BEYOND_ASCII.lastIndex - 1 : original.length;
    if (next > index) {
      if (skippedAfterLetter && ASCII_LETTER.test(original[index]!)) countInvisible(true);
      skippedAfterLetter = false;
      index = next;
      continue;
    }
    const code = original.codePointAt(index)!;
    const offset = index;
    index += code > 0xffff ? 2 : 1;
    const tag = code >= 0xe0000 && code <= 0xe007f;
    // CJK ideographs and Hangul syllables need no table.
    const kind = tag || (code >= 0x4e00 && code <= 0x9fff) || (code >= 0xac00 && code <= 0xd7a3) ? null : kindOf(code);
    if (!tag && (kind === null || ('folded' in kind && kind.same))) {
      if (skippedAfterLetter && LETTER.test(String.fromCodePoint(code))) countInvisible(false);
      skippedAfterLetter = false;
      continue;
    }
    copyTo(offset);
    copyFrom = index;
    if (kind === null) {
      // A tag character.
      if (code >= 0xe0020 && code < 0xe007f) {
        last = String.fromCharCode(code - 0xe0000).toLowerCase();
        emit(last, offset, false);
      }
      tags += 1;
      if (firstAt.tags < 0) firstAt.tags = offset;
    } else if ('invisible' in kind) {
      const joiner = code === 0x200c || code === 0x200d;
      if (!skippedAfterLetter) {
        skippedAt = offset;
        joinersAfterOther = joiner && LETTER.test(last) && !ASCII_LETTER.test(last);
      } else joinersAfterOther &&= joiner;
      skippedAfterLetter ||= LETTER.test(last);
    } else if ('bidi' in kind) {
      if (kind.bidi) {
        bidi += 1;
        if (firstAt.bidi < 0) firstAt.bidi = offset;
      }
    } else {
      if (skippedAfterLetter && LETTER.test(String.fromCodePoint(code))) countInvisible(false);
      skippedAfterLetter = false;
      if (kind.folded.length > 0) {
        emit(kind.folded, offset, kind.folded.length === index - offset);
        last = kind.folded[kind.folded.length - 1]!;
      }
    }
  }
  copyTo(original.length);
  const { text, mixedWords, firstMixed } = foldMixedWords(parts.join(''));
  const toOriginal = (offset: number) => originOf(segments, offset, length, original.length);
  return { text, mixedWords, cased: false, toOriginal, invisible, bidi, tags, firstAt: { ...firstAt, mixedWord: firstMixed < 0 ? -1 : toOriginal(firstMixed) } };
}

/**
 * Words (runs of letters and marks) holding both Latin and Cyrillic or Greek letters, their
 * look-alikes folded to Latin, and where the first of them starts. Such a word has a Latin
 * letter next to a letter beyond ASCII: only those places are looked at, so a page in Russian
 * quoting an English name costs little.
 */
function foldMixedWords(text: string): { text: string; mixedWords: number; firstMixed: number } {
  let mixedWords = 0;
  let firstMixed = -1;
  if (!FOLDABLE.test(text) || !/[a-z]/.test(text)) return { text, mixedWords, firstMixed };
  const pieces: string[] = [];
  let copied = 0;
  TOUCH.lastIndex = 0;
  for (let hit = TOUCH.exec(text); hit; hit = TOUCH.exec(text)) {
    // The two characters of the touch are letters (a Latin one and, if a word character, the other).
    if (!WORD_CHARACTER.test(text[hit.index]!) || !WORD_CHARACTER.test(text[hit.index + 1]!)) {
      TOUCH.lastIndex = hit.index + 1;
      continue;
    }
    let start = hit.index;
    while (start > 0 && WORD_CHARACTER.test(text[start - 1]!)) start -= 1;
    let end = hit.index + 2;
    while (end < text.length && WORD_CHARACTER.test(text[end]!)) end += 1;
    TOUCH.lastIndex = end;
    const word = text.slice(start, end);
    if (!FOLDABLE.test(word) || MICRO_UNIT.test(word)) continue;
    mixedWords += 1;
    if (firstMixed < 0) firstMixed = start;
    pieces.push(text.slice(copied, start), word.replace(FOLD_EACH, (char) => CONFUSABLE[char] ?? char));
    copied = end;
  }
  return { text: pieces.length > 0 ? pieces.join('') + text.slice(copied) : text, mixedWords, firstMixed };
}

function same(offset: number): number {
  return offset;
}

/** The original offset of an output offset: the last segment starting at or before it. */
function originOf(segments: { at: number[]; from: number[] }, offset: number, length: number, originalLength: number): number {
  if (offset >= length || segments.at.length === 0) return originalLength;
  let low = 0;
  let high = segments.at.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (segments.at[middle]! <= offset) low = middle;
    else high = middle - 1;
  }
  const from = segments.from[low]!;
  return from >= 0 ? from + offset - segments.at[low]! : ~from;
}
