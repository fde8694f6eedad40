/**
 * A ReDoS audit of the injection detector. A result of 4 KB or less is scanned in place, with no
 * time budget (src/security/untrusted/offload.ts): one regex that backtracks badly on some short
 * text would hold the event loop, and with it every session's calls. recheck
 * (a ReDoS checker: automata theory where it can, fuzzing where it cannot) reads each rule's
 * pattern, its gate, and the anchor patterns, and writes an attack for each it finds vulnerable;
 * the regex alone, searched anywhere in a text, is what it judges. The detector reads most rules
 * only at their trigger words and within bounded runs, so each attack is then run through the
 * detector itself, at 4 KB (read in place) and 16 KB (read whole by a thread, within its budget),
 * in a scanning thread with a budget of its own so that a bad one cannot hang the audit.
 * Exits 1 when an attack of 4 KB takes longer than LIMIT_MS.
 *
 * Run: npm run bench:redos [-- RULE...]   (about three minutes for all; recheck's fuzzing is seeded
 * at random, so a run can find attacks another did not; names of rules audit only those)
 */
import { check } from 'recheck';
import { detectInjection } from '../src/security/untrusted/detect.js';
import { ALL_RULES } from '../src/security/untrusted/match.js';
import { ScanPool } from '../src/security/untrusted/offload.js';
import { ANCHOR, UNICODE_ANCHOR } from '../src/security/untrusted/prefilter.js';

/** What the documentation promises of a text read in place (docs/threat-model.md, "Hostile text"). */
const LIMIT_MS = 40;
/** A thread's budget per attack: past it the attack counts as taking that long. */
const BUDGET_MS = 10_000;
const SIZES = [4096, 16_384] as const;

interface Attack {
  pumps: { prefix: string; pump: string; bias: number }[];
  suffix: string;
}

/** The attack grown to at most `size` characters, its pumps repeated alike (as recheck's own strings are). */
function grown(attack: Attack, size: number): string {
  const make = (n: number) => attack.pumps.map((part) => part.prefix + part.pump.repeat(Math.max(0, n + part.bias))).join('') + attack.suffix;
  let low = 1;
  let high = 2;
  while (make(high).length <= size && high < size) [low, high] = [high, high * 2];
  while (high - low > 1) {
    const middle = (low + high) >> 1;
    if (make(middle).length <= size) low = middle;
    else high = middle;
  }
  return make(low).slice(0, size);
}

async function main(): Promise<void> {
  const named = process.argv.slice(2);
  const unknownNames = named.filter((name) => !ALL_RULES.some((rule) => rule.id === name));
  if (unknownNames.length > 0) {
    console.error(`bench:redos: no rule named ${unknownNames.join(', ')} (the rules are in src/security/untrusted/rules.ts)`);
    process.exitCode = 2;
    return;
  }
  const patterns: [string, RegExp][] = [
    ...ALL_RULES.filter((rule) => named.length === 0 || named.includes(rule.id)).flatMap((rule): [string, RegExp][] => [[rule.id, rule.pattern], ...(rule.atTrigger ? [[`${rule.id} (gate)`, rule.atTrigger] as [string, RegExp]] : [])]),
    ...(named.length === 0 ? ([['anchors', ANCHOR], ['anchors beyond Latin-1', UNICODE_ANCHOR]] as [string, RegExp][]) : []),
  ];
  const pool = new ScanPool(1);
  // The thread starts (and loads the detector) before the first attack is timed.
  await pool.detect('warm', 0.5, BUDGET_MS);
  const rows: { id: string; complexity: string; attack: string; times: number[] }[] = [];
  let safe = 0;
  let unknown = 0;
  console.log(`${patterns.length} patterns; recheck reads each, then its attacks run through the detector at ${SIZES.map((size) => `${size / 1024} KB`).join(' and ')}:`);
  for (const [i, [id, pattern]] of patterns.entries()) {
    const diagnosis = await check(pattern.source, pattern.flags.replace(/[gy]/g, ''), { timeout: 20_000 });
    if (diagnosis.status === 'safe') safe += 1;
    if (diagnosis.status === 'unknown') unknown += 1;
    if (diagnosis.status !== 'vulnerable') continue;
    const times: number[] = [];
    for (const size of SIZES) {
      const text = grown(diagnosis.attack, size);
      const began = performance.now();
      const detection = await pool.detect(text, 0.5, BUDGET_MS);
      times.push(detection.spans.some((span) => span.rule === 'detector.timeout') ? BUDGET_MS : performance.now() - began);
    }
    rows.push({ id, complexity: diagnosis.complexity.summary, attack: diagnosis.attack.pattern, times });
    console.log(`  [${i + 1}/${patterns.length}] ${id.padEnd(40)} ${diagnosis.complexity.summary.padEnd(34)} ${times.map((ms, k) => `${SIZES[k]! / 1024} KB ${ms >= BUDGET_MS ? `over ${BUDGET_MS} ms` : `${ms.toFixed(1)} ms`}`).join('   ')}   ${diagnosis.attack.pattern.slice(0, 100)}`);
  }
  await pool.close();
  // The scanning thread's round trip is in those times (tens of microseconds); an ordinary 4 KB scan in place is printed for scale.
  const worst = rows.sort((a, b) => b.times[0]! - a.times[0]!)[0];
  console.log(`\n${safe} safe, ${rows.length} vulnerable as a regex searched anywhere, ${unknown} unknown (recheck's time ran out)`);
  if (worst) console.log(`slowest at 4 KB through the detector: ${worst.id}, ${worst.times[0]!.toFixed(1)} ms (limit ${LIMIT_MS} ms); a plain 4 KB scan in place takes ${timeInPlace().toFixed(1)} ms`);
  const over = rows.filter((row) => row.times[0]! > LIMIT_MS);
  if (over.length > 0) {
    console.log('over the limit at 4 KB (the attack as recheck writes it):');
    for (const row of over) console.log(`  ${row.id}: ${row.attack}`);
    process.exitCode = 1;
  }
}

/** A 4 KB ordinary result's scan in place, for scale. */
function timeInPlace(): number {
  const text = 'The build passed; 42 tests ran in 3.1 s. Deploy to staging is queued. '.repeat(60).slice(0, 4096);
  detectInjection(text);
  const began = performance.now();
  detectInjection(text);
  return performance.now() - began;
}

await main();
