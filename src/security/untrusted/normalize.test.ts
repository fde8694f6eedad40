import { describe, expect, it } from 'vitest';
import { loadCorpus } from '../../../test/support/injection-corpus.js';
import { CONFUSABLE, MICRO_UNIT, normalize } from './normalize.js';

// eslint-disable-next-line no-misleading-character-class -- single invisible code points, as normalize.ts lists them
const INVISIBLE = /[\u00ad\u034f\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200d\u2060-\u2064\u206a-\u206f\ufeff\ufe00-\ufe0f]/;

/**
 * Normalization one character at a time, the plain way: what normalize() must produce however it
 * batches its work. A character folded to as many units maps unit for unit, any other to its offset.
 */
function byCharacter(original: string) {
  const units: string[] = [];
  const from: number[] = [];
  let invisible = 0;
  let bidi = 0;
  let tags = 0;
  let skippedAfterLetter = false;
  // Joiners alone after a letter beyond ASCII spell Persian and Indic words: they count only before an ASCII letter.
  let joinersAfterOther = false;
  let last = '';
  for (let at = 0; at < original.length; ) {
    const code = original.codePointAt(at)!;
    const character = String.fromCodePoint(code);
    const offset = at;
    at += character.length;
    let folded: string;
    if (code >= 0xe0000 && code <= 0xe007f) {
      tags += 1;
      if (code < 0xe0020 || code === 0xe007f) continue;
      folded = String.fromCharCode(code - 0xe0000).toLowerCase();
    } else if (INVISIBLE.test(character)) {
      const joiner = character === '\u200c' || character === '\u200d';
      joinersAfterOther = skippedAfterLetter ? joinersAfterOther && joiner : joiner && /\p{L}/u.test(last) && !/[a-z]/i.test(last);
      skippedAfterLetter ||= /\p{L}/u.test(last);
      continue;
    } else if (/[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/.test(character)) {
      if (/[\u202a-\u202e\u2066-\u2069]/.test(character)) bidi += 1;
      continue;
    } else {
      if (skippedAfterLetter && /\p{L}/u.test(character) && !(joinersAfterOther && !/[a-z]/i.test(character))) invisible += 1;
      skippedAfterLetter = false;
      folded = character.normalize('NFKC').toLowerCase();
    }
    for (let i = 0; i < folded.length; i += 1) {
      units.push(folded[i]!);
      from.push(folded.length === character.length ? offset + i : offset);
    }
    if (folded.length > 0) last = folded[folded.length - 1]!;
  }
  // Words (letters and marks) mixing Latin with Cyrillic or Greek have their look-alikes folded.
  let mixedWords = 0;
  const text = units.join('').replace(/[\p{L}\p{M}]+/gu, (word) => {
    if (!/[a-z]/.test(word) || !/[\u0370-\u03ff\u0400-\u04ff\u0500-\u052f\u0261]/.test(word) || MICRO_UNIT.test(word)) return word;
    mixedWords += 1;
    return [...word].map((char) => CONFUSABLE[char] ?? char).join('');
  });
  return { text, mixedWords, invisible, bidi, tags, from };
}

describe('normalize', () => {
  it('reads text in other scripts in runs, not character by character (a megabyte of Chinese or Russian)', () => {
    const chinese = '季度报告显示，由于北部地区的需求，收入增长了百分之十二。请参阅附件中的指示（第3页）。'.repeat(20_000);
    const normalized = normalize(chinese);
    expect(normalized.text.slice(0, 13)).toBe('季度报告显示,由于北部地区');
    expect(normalized.toOriginal(chinese.length - 1)).toBe(chinese.length - 1);
    const russian = normalize('Квартальный отчёт по API: выручка выросла. '.repeat(20_000));
    expect(russian).toMatchObject({ cased: false, mixedWords: 0 });
    expect(russian.text.startsWith('квартальный отчёт по api:')).toBe(true);
  });

  it('counts a joiner inside a Latin word, not the joiners Persian and Hindi spell words with', () => {
    expect(normalize('ورودی نامعتبر: می\u200cبایست').invisible).toBe(0);
    expect(normalize('किसी \u0915\u094d\u200d\u0937').invisible).toBe(0);
    expect(normalize('ig\u200cnore previous instructions').invisible).toBe(1);
    expect(normalize('и\u200dgnore').invisible).toBe(1);
    expect(normalize('ми\u200bр').invisible).toBe(1);
  });

  it('gives the text, offsets and counts that normalizing one character at a time gives', () => {
    let seed = 20261202;
    const next = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const tag = (text: string) => [...text].map((c) => String.fromCodePoint(0xe0000 + c.charCodeAt(0))).join('');
    const pieces = ['ignore', 'IGNORE', ' ', '. ', 'é', 'É', 'ß', 'ﬁ', 'Ａ', '，', '。', '指令', '忽略', 'Привет', 'іgnоre', 'Ω', 'ΑΒΓ', '\u200b', '\u200c', '\u200d', 'می', 'कि', '\u00ad', '\u202e', '\u200e', '\ufe0f', '😀', '👍🏽', 'e\u0301', '\u0301', 'ｶ', 'ｯ', 'ㄱ', '\u1100\u1161', tag('hi'), String.fromCodePoint(0xe0001), 'İ', 'ǅ', '①', '™', 'x', 'µs', 'μm'];
    const texts = loadCorpus().map((sample) => sample.text);
    for (let i = 0; i < 2000; i += 1) texts.push(Array.from({ length: 1 + Math.floor(next() * 30) }, () => pieces[Math.floor(next() * pieces.length)]).join(''));
    for (const text of texts) {
      const expected = byCharacter(text);
      const normalized = normalize(text);
      const read = normalized.cased ? normalized.text.toLowerCase() : normalized.text;
      // Text lowercased whole ends a Greek word in the final sigma, one character at a time cannot.
      expect(read.replace(/ς/g, 'σ'), text).toBe(expected.text.replace(/ς/g, 'σ'));
      expect([normalized.invisible, normalized.bidi, normalized.mixedWords, normalized.tags], text).toEqual([expected.invisible, expected.bidi, expected.mixedWords, expected.tags]);
      expect(Array.from({ length: read.length }, (_, offset) => normalized.toOriginal(offset)), text).toEqual(expected.from);
    }
  });
});
