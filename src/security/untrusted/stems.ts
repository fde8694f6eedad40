/**
 * One regex over many literal stems, for the passes that find where the rules can match. The
 * alternatives are nested by shared prefix (a trie), so at each position the engine tests a
 * character or two rather than every stem: a megabyte is read in a few milliseconds where a flat
 * alternation of the same words takes several times that.
 */

/**
 * Stems written as one `|`-separated string, `\|` for a literal bar.
 *
 * @example
 * stems(String.raw`ignor|<\||ai$`); // ['ignor', '<|', 'ai$']
 */
export function stems(list: string): string[] {
  return list.split(/(?<!\\)\|/).map((stem) => stem.replace('\\|', '|'));
}

/** Ends a stem that must end a word: "ai$" finds "ai" but not "aim". */
const WORD_END = '$';

/**
 * The source of a regex matching any of the stems. Stems starting with an ASCII letter or
 * digit match at the start of a word only; a stem that another one starts is dropped (the
 * shorter finds every place the longer would).
 *
 * @example
 * new RegExp(stemSource(['ignor', 'ignore', 'ai$', '<|']), 'g').source; // '\\b(?:ignor|ai\\b)|<\\|'
 */
export function stemSource(stems: Iterable<string>): string {
  const kept = shortest(stems);
  const words = kept.filter((stem) => /^[a-z0-9_]/i.test(stem));
  const others = kept.filter((stem) => !/^[a-z0-9_]/i.test(stem));
  return [...(words.length > 0 ? [`\\b${trie(words)}`] : []), ...(others.length > 0 ? [trie(others)] : [])].join('|');
}

/**
 * A pattern over the stems of many owners (rules), and the owners of a hit: those with a stem
 * at that place. The pattern finds only the shortest stems ("email" for "email" and "email
 * tool"), its `stems`, none found wherever another is (so at most one starts at a place); an owner
 * of a longer stem is one of a hit's owners only where that stem is there too.
 *
 * @example
 * const index = stemIndex([['ignor', 'a'], ['ignore', 'b']]);
 * index.owners('ignored', 0, 'ignor'); // ['a', 'b']
 * index.owners('ignoring', 0, 'ignor'); // ['a']
 */
export function stemIndex<T>(entries: readonly (readonly [string, T])[]): {
  stems: readonly string[];
  pattern: RegExp;
  owners: (text: string, at: number, hit: string) => readonly T[];
  /** Every owner a hit of the stem can have, wherever it is. */
  everyOwner: (stem: string) => readonly T[];
} {
  const kept = shortest(entries.map(([stem]) => stem));
  const byStem = new Map<string, { always: T[]; longer: { owner: T; text: string; wordEnd: boolean }[] }>(kept.map((stem) => [literal(stem), { always: [], longer: [] }]));
  for (const [stem, owner] of entries) {
    const covering = kept.find((candidate) => candidate === stem || covers(candidate, stem))!;
    const { always, longer } = byStem.get(literal(covering))!;
    if (stem === covering) {
      if (!always.includes(owner)) always.push(owner);
    } else longer.push({ owner, text: literal(stem), wordEnd: stem.endsWith(WORD_END) });
  }
  const owners = (text: string, at: number, hit: string): readonly T[] => {
    const found = byStem.get(hit);
    if (!found) return [];
    if (found.longer.length === 0) return found.always;
    const all = [...found.always];
    for (const { owner, text: stem, wordEnd } of found.longer) {
      if (!all.includes(owner) && text.startsWith(stem, at) && (!wordEnd || boundary(text, at + stem.length))) all.push(owner);
    }
    return all;
  };
  const everyOwner = (stem: string): readonly T[] => {
    const found = byStem.get(stem);
    return found ? [...found.always, ...found.longer.map(({ owner }) => owner)] : [];
  };
  return { stems: kept, pattern: new RegExp(stemSource(kept), 'g'), owners, everyOwner };
}

/**
 * Stems that each hold a character beyond Latin-1, found from the first such character on:
 * their `tails`, which the native scanner notes where it narrows text to Latin-1 (match.ts).
 * `at(text, offset)` gives the stems whose tail is at `offset`, each with where it starts, having
 * checked what comes before the tail and the word boundaries the whole stem needs, as the
 * regex of stemSource would.
 *
 * @example
 * const index = tailIndex(['yukarıdaki', 'игнорир']);
 * index.tails; // ['ıdaki', 'игнорир']
 * index.at('tüm yukarıdaki', 9); // [[4, 'yukarıdaki']]
 */
export function tailIndex(stems: readonly string[]): { tails: string[]; at: (text: string, offset: number) => [number, string][] } {
  const byFirst = new Map<string, { lead: number; stem: string; wordStart: boolean; wordEnd: boolean }[]>();
  const tails = stems.map((stem) => {
    const text = literal(stem);
    const lead = text.search(/[\u0100-\uffff]/);
    if (lead < 0) throw new Error(`stem ${JSON.stringify(stem)}: no character beyond Latin-1`);
    const tail = text.slice(lead);
    byFirst.set(tail[0]!, [...(byFirst.get(tail[0]!) ?? []), { lead, stem: text, wordStart: /^[a-z0-9_]/i.test(text), wordEnd: stem.endsWith(WORD_END) }]);
    return tail;
  });
  const at = (text: string, offset: number): [number, string][] =>
    (byFirst.get(text[offset]!) ?? []).flatMap(({ lead, stem, wordStart, wordEnd }): [number, string][] => {
      const start = offset - lead;
      if (start < 0 || !text.startsWith(stem, start)) return [];
      if (wordStart && !boundary(text, start)) return [];
      return wordEnd && !boundary(text, start + stem.length) ? [] : [[start, stem]];
    });
  return { tails, at };
}

/** What `\b` counts as a word character. */
const WORD = /^\w$/;

/** Whether a regex's `\b` (no u flag) holds at `at`: a word character on one side only. */
function boundary(text: string, at: number): boolean {
  return WORD.test(text[at - 1] ?? '') !== WORD.test(text[at] ?? '');
}

/** The stems no other stem covers. */
function shortest(stems: Iterable<string>): string[] {
  const unique = [...new Set(stems)];
  return unique.filter((stem) => !unique.some((other) => other !== stem && covers(other, stem)));
}

/**
 * Whether `other` is found wherever `stem` is: its text starts stem's, and if other must end a
 * word, what follows in stem does not go on with it ("tell$" covers "tell me", not "teller").
 */
function covers(other: string, stem: string): boolean {
  const text = literal(other);
  if (!literal(stem).startsWith(text)) return false;
  if (!other.endsWith(WORD_END)) return true;
  const after = literal(stem)[text.length];
  return after === undefined ? stem.endsWith(WORD_END) : !WORD.test(after);
}

/** The text a stem matches (without its word-end mark). */
export function literal(stem: string): string {
  return stem.endsWith(WORD_END) ? stem.slice(0, -1) : stem;
}

function trie(stems: readonly string[]): string {
  const byFirst = new Map<string, string[]>();
  for (const stem of stems) {
    const first = String.fromCodePoint(stem.codePointAt(0)!);
    byFirst.set(first, [...(byFirst.get(first) ?? []), stem.slice(first.length)]);
  }
  const alternatives = [...byFirst].map(([first, rests]) => {
    const head = first === WORD_END ? '\\b' : escape(first);
    const tails = rests.filter((rest) => rest.length > 0);
    return tails.length === 0 ? head : head + (tails.length === 1 ? suffix(tails[0]!) : `(?:${trie(tails)})`);
  });
  return alternatives.length === 1 ? alternatives[0]! : `(?:${alternatives.join('|')})`;
}

function suffix(rest: string): string {
  return rest.endsWith(WORD_END) ? `${escape(rest.slice(0, -1))}\\b` : escape(rest);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}
