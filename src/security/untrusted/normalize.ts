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
// eslint-disable-next-line no-misleading-character-class -- built from INVISIBLE above
const SUSPICIOUS = new RegExp(`${INVISIBLE.source}|${BIDI.source}|${FOLDABLE.source}|${TAG.source}`);

export interface Normalized {
  /** The text the rules read (lowercase unless `cased`). */
  text: string;
  /** True for ASCII input, returned as it is: lowercase each window before reading it. */
  cased: boolean;
  /** `origin[i]` is the offset in the original text of `text[i]`; null when the two are the same (ASCII input, lowercased). */
  origin: Int32Array | null;
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
  if (Buffer.byteLength(original, 'utf8') === original.length) return { text: original, cased: true, origin: null, invisible: 0, bidi: 0, mixedWords: 0, tags: 0 };
  // Text with nothing to remove, fold or recompose is only lowercased (when that keeps its length).
  if (!SUSPICIOUS.test(original) && original.normalize('NFKC') === original) {
    const lower = original.toLowerCase();
    if (lower.length === original.length) return { text: lower, cased: false, origin: null, invisible: 0, bidi: 0, mixedWords: 0, tags: 0 };
  }
  const chars: string[] = [];
  const origins: number[] = [];
  let invisible = 0;
  let bidi = 0;
  let tags = 0;
  let offset = 0;
  // An invisible character counts when it sits inside a word (between two letters): emoji
  // sequences use joiners and variation selectors legitimately, between symbols.
  let skippedAfterLetter = false;
  for (let index = 0; index < original.length; ) {
    const unit = original.charCodeAt(index);
    // ASCII, most of any text, takes the short way: lowercased, no Unicode tables.
    if (unit < 0x80) {
      if (skippedAfterLetter && LETTER.test(original[index]!)) invisible += 1;
      skippedAfterLetter = false;
      chars.push(unit >= 65 && unit <= 90 ? String.fromCharCode(unit + 32) : original[index]!);
      origins.push(index);
      index += 1;
      offset = index;
      continue;
    }
    const codePoint = String.fromCodePoint(original.codePointAt(index)!);
    index += codePoint.length;
    if (TAG.test(codePoint)) {
      const ascii = codePoint.codePointAt(0)! - 0xe0000;
      if (ascii >= 0x20 && ascii < 0x7f) {
        chars.push(String.fromCharCode(ascii).toLowerCase());
        origins.push(offset);
      }
      tags += 1;
    } else if (INVISIBLE.test(codePoint)) {
      skippedAfterLetter ||= LETTER.test(chars[chars.length - 1] ?? '');
    } else if (BIDI.test(codePoint)) {
      if (OVERRIDE.test(codePoint)) bidi += 1;
    } else {
      if (skippedAfterLetter && LETTER.test(codePoint)) invisible += 1;
      skippedAfterLetter = false;
      for (const char of codePoint.normalize('NFKC').toLowerCase()) {
        chars.push(char);
        origins.push(offset);
      }
    }
    offset = index;
  }
  // Only text holding both Latin and Cyrillic or Greek letters can mix them within a word.
  const mixedWords = FOLDABLE.test(original) && /[a-z]/i.test(original) ? foldMixedWords(chars) : 0;
  // Strings are UTF-16: one entry per code unit, so offsets line up with `text`.
  const text = chars.join('');
  const origin = new Int32Array(text.length);
  let unit = 0;
  chars.forEach((char, index) => {
    for (let i = 0; i < char.length; i += 1) origin[unit++] = origins[index]!;
  });
  return { text, cased: false, origin, invisible, bidi, mixedWords, tags };
}

/** Folds look-alikes in words that also hold Latin letters; returns how many words it changed. */
function foldMixedWords(chars: string[]): number {
  let folded = 0;
  let start = 0;
  for (let i = 0; i <= chars.length; i += 1) {
    const char = chars[i];
    if (char !== undefined && /[\p{L}\p{M}]/u.test(char)) continue;
    let latin = false;
    let foldable = false;
    for (let j = start; j < i; j += 1) {
      if (LATIN.test(chars[j]!)) latin = true;
      else if (FOLDABLE.test(chars[j]!)) foldable = true;
    }
    if (latin && foldable) {
      folded += 1;
      for (let j = start; j < i; j += 1) chars[j] = CONFUSABLE[chars[j]!] ?? chars[j]!;
    }
    start = i + 1;
  }
  return folded;
}
