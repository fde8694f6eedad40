import { describe, expect, it } from 'vitest';
import { stemIndex, stems, stemSource, tailIndex } from './stems.js';

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

  it('gives the owners of a hit: those of the stem found, and those of a longer stem only where it is there', () => {
    const index = stemIndex([
      ['ignore', 'override'],
      ['ignor', 'spanish'],
      ['sys', 'bracket'],
      ['system', 'header'],
      ['email', 'send'],
      ['email tool', 'vocative'],
      ['ai', 'identifier'],
      ['ai$', 'vocative'],
    ]);
    const text = 'ignore the system; ignoring sysctl, an email tool, an email, aim, ai_hint, ai.';
    const owners = (hit: string) => index.owners(text, Number(hit.split('@')[1]), hit.split('@')[0]!);
    expect(hits(index.pattern, text).map((hit) => [hit, owners(hit)])).toEqual([
      ['ignor@0', ['spanish', 'override']],
      ['sys@11', ['bracket', 'header']],
      ['ignor@19', ['spanish']],
      ['sys@28', ['bracket']],
      ['email@39', ['send', 'vocative']],
      ['email@54', ['send']],
      ['ai@61', ['identifier']],
      ['ai@66', ['identifier']],
      ['ai@75', ['identifier', 'vocative']],
    ]);
    expect(index.owners(text, 0, 'ignore')).toEqual([]);
  });

  it('reads a stem that must end a word as found wherever a longer one is whose next character ends the word ("tell$" in "tell me"), not where it goes on ("teller")', () => {
    const index = stemIndex([
      ['tell$', 'have_it'],
      ['tell me', 'reveal'],
      ['teller', 'bank'],
    ]);
    expect(index.stems).toEqual(['tell$', 'teller']);
    const text = 'tell me, tell them, teller';
    const owners = (hit: string) => index.owners(text, Number(hit.split('@')[1]), hit.split('@')[0]!);
    expect(hits(index.pattern, text).map((hit) => [hit, owners(hit)])).toEqual([
      ['tell@0', ['have_it', 'reveal']],
      ['tell@9', ['have_it']],
      ['teller@20', ['bank']],
    ]);
  });

  it('finds stems beyond Latin-1 from their first such character, giving back where each starts, with the boundaries the whole stem has', () => {
    const index = tailIndex(['yukarıdaki', 'игнорир', 'bỏ qua$']);
    expect(index.tails).toEqual(['ıdaki', 'игнорир', 'ỏ qua']);
    const text = 'tüm yukarıdaki; xyukarıdaki; проигнорируй; bỏ qua, bỏ quax';
    const found = [...text].flatMap((_, offset) => index.at(text, offset));
    expect(found).toEqual([[4, 'yukarıdaki'], [32, 'игнорир'], [43, 'bỏ qua']]);
    expect(index.at(text, 0)).toEqual([]);
    expect(() => tailIndex(['ignore'])).toThrow('stem "ignore": no character beyond Latin-1');
    // A stem ending in a character that is no word character to a regex ends where one follows, as \b would have it.
    const agent = tailIndex(['агент$']);
    const pattern = new RegExp(stemSource(['агент$']), 'g');
    for (const text of ['агент ', 'агентa', 'агент', 'xагентy']) {
      expect([...text].flatMap((_, offset) => agent.at(text, offset)), text).toEqual([...text.matchAll(pattern)].map((match) => [match.index, 'агент']));
    }
  });
});
