import { describe, expect, it } from 'vitest';
import { stemIndex, stems, stemSource } from './stems.js';

const hits = (pattern: RegExp, text: string) => [...text.matchAll(pattern)].map((match) => `${match[0]}@${match.index}`);

describe('stem patterns', () => {
  it('matches word stems at the start of a word only, symbols anywhere, and "$" stems at a word end', () => {
    const pattern = new RegExp(stemSource(stems(String.raw`ignor|ai$|<\||![`)), 'g');
    expect(hits(pattern, 'Ignoring? no: ignored, signor, ai, aim, said, x<|im_start|>, a![b]')).toEqual(['ignor@14', 'ai@31', '<|@47', '![@62']);
  });

  it('drops a stem another one starts, and escapes what regexes treat specially', () => {
    expect(stemSource(['ignore', 'ignor', 'a.i.'])).toBe(String.raw`\b(?:ignor|a\.i\.)`);
    expect(new RegExp(stemSource(['a.i.']), 'g').test('axixi')).toBe(false);
    expect(stems(String.raw`a|<\||b`)).toEqual(['a', '<|', 'b']);
  });

  it('gives every owner of a stem, through the shorter stem that covers it', () => {
    const index = stemIndex([
      ['ignore', 'override'],
      ['ignor', 'spanish'],
      ['sys', 'bracket'],
      ['system', 'header'],
    ]);
    expect(index.owners('ignor')).toEqual(['override', 'spanish']);
    expect(index.owners('sys')).toEqual(['bracket', 'header']);
    expect(index.owners('ignore')).toEqual([]);
    expect(hits(index.pattern, 'ignore the system')).toEqual(['ignor@0', 'sys@11']);
  });
});
