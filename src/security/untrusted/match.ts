/**
 * Every rule's matches in a normalized text, found without running every rule over all of it:
 * one pass finds the rules' trigger words (rules.ts); a rule whose matches start with its
 * trigger is tried at each one and nowhere else, any other rule at the positions a little before
 * each of its triggers where what its matches hold at the trigger is there (Rule.atTrigger). A
 * rule without trigger words reads the whole text, or only the stretches it says can hold a match.
 */
import { CANDIDATE, configured, type NativeScanner, stemWords, URL_GATE, wide } from './native.js';
import { MULTILINGUAL_RULES, type Rule, RULES, URL_GATES } from './rules.js';
import { stemIndex, tailIndex } from './stems.js';

export const ALL_RULES: readonly Rule[] = [...RULES, ...MULTILINGUAL_RULES];

/** How far before its trigger word a rule's match can start. */
const BEFORE = 150;
const ESCAPED_BREAK = /\\[nrt]/g;

/** A rule with what trying it at a trigger takes: its place in ALL_RULES, and its sticky copy if it is tried at its triggers only. */
interface Triggered {
  rule: Rule;
  index: number;
  sticky: RegExp | null;
}

const TRIGGERS = stemIndex(
  ALL_RULES.flatMap((rule, index) => {
    const entry: Triggered = { rule, index, sticky: rule.startsAtTrigger ? new RegExp(rule.pattern.source, 'y') : null };
    return rule.triggers ? rule.triggers.map((stem) => [stem, entry] as const) : [];
  }),
);
/** Whether every rule a stem triggers has a URL gate (rules.ts URL_GATES): then the native scanner reports it only where the URL there may pass. */
function urlGated(stem: string): boolean {
  const owners = TRIGGERS.everyOwner(stem);
  return owners.length > 0 && owners.every(({ rule }) => rule.atTrigger !== undefined && URL_GATES.includes(rule.atTrigger));
}

/**
 * The trigger stems as the native scanner finds them: those within Latin-1 as words (the text is
 * lowercase, so its case-folding changes nothing; a one-character stem is a candidate to it, no
 * other stem starting with it), the rest by their tails from their first character beyond Latin-1.
 */
const NATIVE_WORDS = stemWords(TRIGGERS.stems.filter((stem) => !wide(stem)), 'latin1').map((word) => ({ ...word, flags: word.flags | (word.text.length === 1 ? CANDIDATE : 0) | (urlGated(word.text) ? URL_GATE : 0) }));
const BEYOND_LATIN1 = tailIndex(TRIGGERS.stems.filter(wide));
const LONG_TAILS = BEYOND_LATIN1.tails.filter((tail) => tail.length > 1);
const SHORT_TAILS = BEYOND_LATIN1.tails.filter((tail) => tail.length === 1).join('');
const UNTRIGGERED = ALL_RULES.filter((rule) => rule.triggers === null);
/**
 * The other triggered rules behind a lazy run of up to BEFORE characters, sticky: tried at the
 * BEFORE + 1 positions from where they are set, the engine never scanning past them.
 */
const BOUNDED = new Map(ALL_RULES.filter((rule) => rule.triggers && !rule.startsAtTrigger).map((rule) => [rule, new RegExp(String.raw`[\s\S]{0,${BEFORE}}?(${rule.pattern.source})`, 'y')]));

export interface RuleMatch {
  rule: Rule;
  start: number;
  end: number;
}

/**
 * The matches in `text`, which is normalized and lowercase (normalize.ts; the rules are written
 * in lowercase, and the native trigger pass reads ASCII letters in either case).
 *
 * @example
 * ruleMatches('please ignore all previous instructions').map((match) => match.rule.id); // ['override.ignore_previous']
 */
export function ruleMatches(text: string): RuleMatch[] {
  const found: RuleMatch[] = [];
  /** By rule (its place in ALL_RULES): the stretches before its triggers to try it in. */
  const near: [number, number][][] = [];
  /** By rule: where one tried at its triggers last matched to, or where its extent from a trigger it did not match at ends (a trigger before is not tried). */
  const matchedTo = new Int32Array(ALL_RULES.length);
  const passOver = (rule: Rule, index: number, at: number) => {
    if (rule.extent) matchedTo[index] = Math.max(matchedTo[index]!, rule.extent(text, at));
  };
  const stretches = forEachTrigger(text, (at, stem) => {
    for (const { rule, index, sticky } of TRIGGERS.owners(text, at, stem)) {
      if (sticky && at < matchedTo[index]!) continue;
      const { atTrigger } = rule;
      if (atTrigger) {
        atTrigger.lastIndex = at;
        if (!atTrigger.test(text)) {
          if (sticky) passOver(rule, index, at);
          continue;
        }
      }
      if (sticky) {
        sticky.lastIndex = at;
        const match = sticky.exec(text);
        if (match && !rule.exclude?.(match[0])) {
          found.push({ rule, start: at, end: at + match[0].length });
          matchedTo[index] = at + match[0].length;
        } else passOver(rule, index, at);
        continue;
      }
      const regions = (near[index] ??= []);
      const last = regions[regions.length - 1];
      if (last && at - BEFORE <= last[1]) last[1] = at;
      else regions.push([Math.max(0, at - BEFORE), at]);
    }
  });
  for (const rule of UNTRIGGERED) {
    const within: [number, number][] = rule.spelledOut ? (stretches ?? alternating(text)) : [[0, text.length]];
    for (const [from, to] of within) {
      // With the characters either side, for the pattern's word boundaries.
      const lead = Math.max(0, from - 1);
      for (const match of text.slice(lead, to + 1).matchAll(rule.pattern)) {
        if (!rule.exclude?.(match[0])) found.push({ rule, start: lead + match.index, end: lead + match.index + match[0].length });
      }
    }
  }
  near.forEach((regions, index) => {
    for (const [from, to] of regions) matchesBefore(ALL_RULES[index]!, text, from, to, found);
  });
  return found;
}

/** The word rules (not the encoding ones) that match a decoded or de-obfuscated text. */
export function rulesMatching(text: string): Rule[] {
  return [...new Set(ruleMatches(text).map((match) => match.rule))].filter((rule) => rule.family !== 'encoding');
}

/** A rule's matches starting from `from` to `to` (and up to BEFORE characters past it). */
function matchesBefore(rule: Rule, text: string, from: number, to: number, found: RuleMatch[]): void {
  const bounded = BOUNDED.get(rule)!;
  for (let at = from; at <= to; ) {
    bounded.lastIndex = at;
    const match = bounded.exec(text);
    if (!match) {
      at += BEFORE + 1;
      continue;
    }
    const matched = match[1]!;
    const start = at + match[0].length - matched.length;
    if (!rule.exclude?.(matched)) found.push({ rule, start, end: start + matched.length });
    at = start + Math.max(1, matched.length);
  }
}

/** Each place a trigger stem starts and the stem's text, in text order, found by `scanner` (configured by withTriggers) or else by regex; exported for the tests. */
export function triggerHits(text: string, scanner: NativeScanner | null): [number, string][] {
  const found: [number, string][] = [];
  forEachTrigger(text, (at, stem) => found.push([at, stem]), scanner);
  return found;
}

/** The stretches of spelled-out letters as the native trigger pass of `scanner` finds them (null without one); exported for the tests. */
export function nativeStretches(text: string, scanner: NativeScanner | null): [number, number][] | null {
  return forEachTrigger(text, () => undefined, scanner);
}

/**
 * Calls `visit` with each place a trigger stem starts (the stem's text), in text order: by the
 * native scanner when it is built, else by regex. A word after an escaped line break ("\\nAssistant:"
 * in JSON) starts a line, as the rules read it: its triggers are found as if a space came before
 * (the native scanner so changes its copy of the text). The native scanner finds the stretches of
 * spelled-out letters in the same pass, in the text as it is (`alternating`'s): returned, or null
 * where it did not read the text.
 */
function forEachTrigger(text: string, visit: (at: number, stem: string) => void, scanner = native): [number, number][] | null {
  let found: Int32Array | null = null;
  try {
    found = scanner?.triggers(text, wide(text)) ?? null;
  } catch {
    // Out of memory for one huge text, say: the regex finds the same.
  }
  const spaced = () => (text.includes('\\') ? text.replace(ESCAPED_BREAK, '\\ ') : text);
  if (!found) {
    regexTriggers(spaced(), visit);
    return null;
  }
  const end = 1 + 2 * found[0]!;
  const starts = found.subarray(end + 1, end + 1 + found[end]!);
  const stretchesAt = end + 1 + starts.length;
  const stretches: [number, number][] = [];
  for (let i = stretchesAt + 1; i < stretchesAt + 1 + 2 * found[stretchesAt]!; i += 2) stretches.push([found[i]!, found[i + 1]!]);
  // Where a tail is, its stem starts (a few characters) before: in text order, they go in among the words.
  const read = starts.length === 0 ? text : spaced();
  const others = starts.length === 0 ? [] : [...starts].flatMap((offset) => BEYOND_LATIN1.at(read, offset)).sort((a, b) => a[0] - b[0]);
  let next = 0;
  for (let i = 1; i < end; i += 2) {
    for (; next < others.length && others[next]![0] < found[i]!; next += 1) visit(...others[next]!);
    visit(found[i]!, NATIVE_WORDS[found[i + 1]!]!.text);
  }
  for (; next < others.length; next += 1) visit(...others[next]!);
  return stretches;
}

/**
 * The stretches where lowercase letters alternate with separators (" .-_|*") for 13 characters
 * or more, where a rule that is spelledOut can match, found by JavaScript (the native trigger
 * pass finds the same: native/signs.c); exported for the tests. A stretch that long covers a
 * whole aligned block of six characters, so only blocks are tested, and on text most fail at
 * their second character.
 */
export function alternating(text: string): [number, number][] {
  const kind = (at: number) => {
    const code = text.charCodeAt(at);
    return code >= 97 && code <= 122 ? 1 : code === 32 || code === 46 || code === 45 || code === 95 || code === 124 || code === 42 ? 2 : 0;
  };
  const stretches: [number, number][] = [];
  for (let at = 0; at + 6 <= text.length; at += 6) {
    let whole = kind(at) !== 0;
    for (let i = at + 1; i < at + 6 && whole; i += 1) whole = kind(i) === 3 - kind(i - 1);
    if (!whole) continue;
    let start = at;
    while (start > 0 && kind(start - 1) === 3 - kind(start)) start -= 1;
    let end = at + 6;
    while (end < text.length && kind(end) === 3 - kind(end - 1)) end += 1;
    if (end - start >= 13) stretches.push([start, end]);
    // The next stretch starts at `end` or later: go on from the block before the first that can be in it.
    at = Math.ceil(end / 6) * 6 - 6;
  }
  return stretches;
}

/** Every place the trigger regex matches (stems overlap, "<<sys" holding "sys": each search starts one character on, not after the hit). */
function regexTriggers(text: string, visit: (at: number, stem: string) => void): void {
  const { pattern } = TRIGGERS;
  pattern.lastIndex = 0;
  for (let hit = pattern.exec(text); hit; hit = pattern.exec(text)) {
    pattern.lastIndex = hit.index + 1;
    visit(hit.index, hit[0]);
  }
}

/** The native scanner, configured with the trigger stems; exported for the tests. */
export function withTriggers(scanner: NativeScanner): NativeScanner {
  scanner.configureTriggers(
    NATIVE_WORDS.map((word) => word.text),
    NATIVE_WORDS.map((word) => word.flags),
    SHORT_TAILS,
    LONG_TAILS,
  );
  return scanner;
}

const native = configured(withTriggers);
