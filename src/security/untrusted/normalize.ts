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
const CONFUSABLE: Record<string, string> = {
  а: 'a', в: 'b', е: 'e', ё: 'e', к: 'k', м: 'm', н: 'h', о: 'o', р: 'p', с: 'c', т: 't', у: 'y', х: 'x', і: 'i', ї: 'i', ј: 'j', ѕ: 's', ԁ: 'd', һ: 'h', ӏ: 'l', ԛ: 'q', ԝ: 'w', ɡ: 'g',
  α: 'a', β: 'b', ε: 'e', η: 'n', ι: 'i', κ: 'k', ν: 'v', ο: 'o', ρ: 'p', τ: 't', υ: 'u', χ: 'x', ζ: 'z', μ: 'u',
};
const LATIN = /[a-z]/;
const LETTER = /\p{L}/u;
/** Embeddings, overrides and isolates (not the LRM/RLM marks right-to-left text uses). */
const OVERRIDE = /[\u202a-\u202e\u2066-\u2069]/;
const FOLDABLE = /[\u0370-\u03ff\u0400-\u04ff\u0500-\u052f\u0261]/;
/** Unicode tag characters (U+E0000-E007F): invisible copies of ASCII, read as the letters they copy. */
const TAG = /\udb40[\udc00-\udc7f]/;
const FOLDABLE_ALL = new RegExp(FOLDABLE.source, 'g');
const FOLD_EACH = new RegExp(FOLDABLE.source, 'g');
const WORD_CHARACTER = /[\p{L}\p{M}]/u;
// eslint-disable-next-line no-misleading-character-class -- built from INVISIBLE above
const SUSPICIOUS = new RegExp(`${INVISIBLE.source}|${BIDI.source}|${FOLDABLE.source}|${TAG.source}`);

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
}

/**
 * @example
 * normalize('Ig\u200bnore').text; // 'ignore'
 */
export function normalize(original: string): Normalized {
  // ASCII needs no Unicode work and is lowercased a window at a time by the reader (cased: true).
  if (Buffer.byteLength(original, 'utf8') === original.length) return { text: original, cased: true, toOriginal: same, invisible: 0, bidi: 0, mixedWords: 0, tags: 0 };
  // Text with nothing to remove, fold or recompose is only lowercased (when that keeps its length).
  if (!SUSPICIOUS.test(original) && original.normalize('NFKC') === original) {
    const lower = original.toLowerCase();
    if (lower.length === original.length) return { text: lower, cased: false, toOriginal: same, invisible: 0, bidi: 0, mixedWords: 0, tags: 0 };
  }
  const parts: string[] = [];
  // Where each emitted part starts in the output and came from in the original: ASCII runs map
  // unit for unit, a transformed character's units all map to that character (`~offset`).
  const segments = { at: [] as number[], from: [] as number[] };
  let length = 0;
  const emit = (part: string, from: number, perUnit: boolean) => {
    segments.at.push(length);
    segments.from.push(perUnit ? from : ~from);
    length += part.length;
    parts.push(part);
  };
  let invisible = 0;
  let bidi = 0;
  let tags = 0;
  // An invisible character counts when it sits inside a word (between two letters): emoji
  // sequences use joiners and variation selectors legitimately, between symbols.
  let skippedAfterLetter = false;
  let last = '';
  const NON_ASCII = /[\u0080-\uffff]/g;
  for (let index = 0; index < original.length; ) {
    NON_ASCII.lastIndex = index;
    const next = NON_ASCII.exec(original)?.index ?? original.length;
    if (next > index) {
      // A run of ASCII, most of any text: lowercased in one piece, no Unicode tables.
      const run = original.slice(index, next);
      if (skippedAfterLetter && LETTER.test(run[0]!)) invisible += 1;
      skippedAfterLetter = false;
      emit(run.toLowerCase(), index, true);
      last = run[run.length - 1]!;
      index = next;
      if (index >= original.length) break;
    }
    const codePoint = String.fromCodePoint(original.codePointAt(index)!);
    const offset = index;
    index += codePoint.length;
    if (TAG.test(codePoint)) {
      const ascii = codePoint.codePointAt(0)! - 0xe0000;
      if (ascii >= 0x20 && ascii < 0x7f) {
        last = String.fromCharCode(ascii).toLowerCase();
        emit(last, offset, false);
      }
      tags += 1;
    } else if (INVISIBLE.test(codePoint)) {
      skippedAfterLetter ||= LETTER.test(last);
    } else if (BIDI.test(codePoint)) {
      if (OVERRIDE.test(codePoint)) bidi += 1;
    } else {
      if (skippedAfterLetter && LETTER.test(codePoint)) invisible += 1;
      skippedAfterLetter = false;
      const folded = codePoint.normalize('NFKC').toLowerCase();
      if (folded.length > 0) {
        emit(folded, offset, false);
        last = folded[folded.length - 1]!;
      }
    }
  }
  let text = parts.join('');
  let mixedWords = 0;
  // Only text holding both Latin and Cyrillic or Greek letters can mix them within a word; only
  // the words around a Cyrillic or Greek letter are looked at (folding keeps lengths).
  if (FOLDABLE.test(text) && /[a-z]/.test(text)) {
    const pieces: string[] = [];
    let copied = 0;
    FOLDABLE_ALL.lastIndex = 0;
    for (let hit = FOLDABLE_ALL.exec(text); hit; hit = FOLDABLE_ALL.exec(text)) {
      let start = hit.index;
      while (start > 0 && WORD_CHARACTER.test(text[start - 1]!)) start -= 1;
      let end = hit.index + 1;
      while (end < text.length && WORD_CHARACTER.test(text[end]!)) end += 1;
      FOLDABLE_ALL.lastIndex = end;
      const word = text.slice(start, end);
      if (!LATIN.test(word)) continue;
      mixedWords += 1;
      pieces.push(text.slice(copied, start), word.replace(FOLD_EACH, (char) => CONFUSABLE[char] ?? char));
      copied = end;
    }
    if (pieces.length > 0) text = pieces.join('') + text.slice(copied);
  }
  return { text, cased: false, toOriginal: (offset) => originOf(segments, offset, length, original.length), invisible, bidi, mixedWords, tags };
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
