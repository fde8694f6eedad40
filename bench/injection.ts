/**
 * The injection detector on the labelled corpus (test/fixtures/injection/), against a classic
 * phrase list in the same run: precision, recall, F1 and the false-positive rate on benign text,
 * per category, on the dev split (what the rules were tuned on) and the holdout split (never
 * read while tuning), all of them again buried in 64 KB of ordinary output and in 64 KB of
 * the installed READMEs (the long-text path), and the false-positive rate on files written by
 * others (the READMEs and a sample of the JavaScript of the installed packages). Then the cost: scanning 1 KB, 10 KB and 1 MB of
 * tool output (the installed READMEs and JavaScript, prose, prose with typographic
 * punctuation, Russian and Chinese prose, generated logs, JSON and a markdown table, the
 * corpus's trigger-dense benign text and a chat transcript) against `String.prototype.includes` over the same text,
 * the phrase list, and one PostgreSQL commit, with p50/p99 (and three megabytes of text written to
 * make the detector slow), saying which prefilter (native or
 * JavaScript) read the long text.
 *
 * Run: npm run bench:injection [-- --misses]   (--misses lists the dev samples it gets wrong;
 * PostgreSQL from AOS_BENCH_DATABASE_URL, else AOS_TEST_DATABASE_URL, else
 * postgres://postgres@127.0.0.1:5432/postgres; without one the commit comparison is skipped)
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { DEFAULT_THRESHOLD, type Detection, detectInjection } from '../src/security/untrusted/index.js';
import { detectBounded } from '../src/security/untrusted/offload.js';
import { prefilterKind } from '../src/security/untrusted/prefilter.js';
import { openPostgres } from '../src/store/postgres.js';
import { packageRoot } from '../src/version.js';
import { loadCorpus, type Sample } from '../test/support/injection-corpus.js';
import { BASELINE_TABLE, baseline, measure, percentile, scratchDatabase } from './support.js';

/** What a phrase-list filter looks for: the classic override phrases. */
const PHRASES = [
  'ignore previous instructions',
  'ignore all previous instructions',
  'ignore the above',
  'disregard previous instructions',
  'disregard all previous',
  'forget your instructions',
  'forget all previous',
  'new instructions',
  'system prompt',
  'you are now',
  'act as',
  'jailbreak',
  'do anything now',
  'developer mode',
  'ignore all prior',
];
const phraseList = (text: string) => {
  const lower = text.toLowerCase();
  return PHRASES.some((phrase) => lower.includes(phrase));
};

interface Tally {
  attacks: number;
  caught: number;
  benign: number;
  falseAlarms: number;
}

function tally(samples: Sample[], flagged: (sample: Sample) => boolean): { total: Tally; byCategory: Map<string, Tally> } {
  const total: Tally = { attacks: 0, caught: 0, benign: 0, falseAlarms: 0 };
  const byCategory = new Map<string, Tally>();
  for (const sample of samples) {
    const category = byCategory.get(`${sample.label}:${sample.category}`) ?? { attacks: 0, caught: 0, benign: 0, falseAlarms: 0 };
    byCategory.set(`${sample.label}:${sample.category}`, category);
    const hit = flagged(sample);
    for (const t of [total, category]) {
      if (sample.label === 'attack') {
        t.attacks += 1;
        if (hit) t.caught += 1;
      } else {
        t.benign += 1;
        if (hit) t.falseAlarms += 1;
      }
    }
  }
  return { total, byCategory };
}

function figures(t: Tally): string {
  const precision = t.caught + t.falseAlarms === 0 ? 0 : t.caught / (t.caught + t.falseAlarms);
  const recall = t.attacks === 0 ? 0 : t.caught / t.attacks;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  const fpr = t.benign === 0 ? 0 : t.falseAlarms / t.benign;
  return `precision ${precision.toFixed(3)}  recall ${recall.toFixed(3)}  F1 ${f1.toFixed(3)}  FPR ${fpr.toFixed(3)}  (${t.caught}/${t.attacks} attacks, ${t.falseAlarms}/${t.benign} benign flagged)`;
}

/** Each sample's verdict read alone, found once for every figure that needs it. */
type Verdicts = ReadonlyMap<Sample, Detection>;

function evaluate(split: string, samples: Sample[], verdicts: Verdicts, showMisses: boolean): void {
  const ours = tally(samples, (sample) => verdicts.get(sample)!.flagged);
  const phrases = tally(samples, (sample) => phraseList(sample.text));
  console.log(`\n${split}: ${samples.filter((s) => s.label === 'attack').length} attacks, ${samples.filter((s) => s.label === 'benign').length} benign (threshold ${DEFAULT_THRESHOLD})`);
  console.log(`  detector     ${figures(ours.total)}`);
  console.log(`  phrase list  ${figures(phrases.total)}`);
  for (const [key, t] of [...ours.byCategory].sort()) {
    const [label = '', category = ''] = key.split(':');
    const line = label === 'attack' ? `recall ${(t.caught / t.attacks).toFixed(3)} (${t.caught}/${t.attacks})` : `FPR ${(t.falseAlarms / t.benign).toFixed(3)} (${t.falseAlarms}/${t.benign})`;
    const p = phrases.byCategory.get(key)!;
    const theirs = label === 'attack' ? `recall ${(p.caught / p.attacks).toFixed(3)}` : `FPR ${(p.falseAlarms / p.benign).toFixed(3)}`;
    console.log(`    ${label.padEnd(7)} ${category.padEnd(20)} ${line.padEnd(26)} phrase list ${theirs}`);
  }
  if (!showMisses) return;
  for (const sample of samples) {
    const detection = verdicts.get(sample)!;
    if (detection.flagged === (sample.label === 'attack')) continue;
    const why = detection.spans.map((span) => `${span.rule}:${JSON.stringify(span.excerpt.slice(0, 60))}`).join(' | ');
    console.log(`  MISS ${sample.id} (${sample.label}) score ${detection.score} ${why}`);
  }
}

/**
 * Files nobody wrote for this corpus, from what `npm install` put in node_modules (fixed by the
 * lockfile): the README and the changelog of every package, every twentieth JavaScript file
 * (1 KB to 200 KB, not minified), and every text file (Markdown, JavaScript, TypeScript, JSON,
 * source maps; 200 bytes to 4 MB). Benign, and full of the words the rules look for: ignore,
 * decode, prompt, agent, tokens, tools, shell commands; the SDKs of model providers among them.
 */
function installedFiles(): { readmes: Installed[]; changelogs: Installed[]; sources: Installed[]; everything: Installed[] } {
  const root = join(packageRoot(), 'node_modules');
  const paths = readdirSync(root, { recursive: true, encoding: 'utf8' }).sort();
  const read = (path: string) => ({ path, text: readFileSync(join(root, path), 'utf8') });
  const sized = (path: string, least: number, most: number) => {
    const stat = statSync(join(root, path), { throwIfNoEntry: false });
    return stat !== undefined && stat.isFile() && stat.size > least && stat.size < most;
  };
  const sources = paths.filter((path) => path.endsWith('.js') && !path.endsWith('.min.js') && sized(path, 1024, 200 * 1024));
  return {
    readmes: paths.filter((path) => /(^|\/)readme\.md$/i.test(path)).map(read),
    changelogs: paths.filter((path) => /(^|\/)changelog\.md$/i.test(path)).map(read),
    sources: sources.filter((_, i) => i % 20 === 0).map(read),
    everything: paths.filter((path) => /\.(?:md|[cm]?js|ts|json|map)$/i.test(path) && sized(path, 200, 4 * 1024 * 1024)).map(read),
  };
}

interface Installed {
  path: string;
  text: string;
}

/** The false-positive rate on files written by others (installedFiles), listing those flagged. */
function realWorld(label: string, files: readonly Installed[]): void {
  const flagged = files.map((file) => ({ path: file.path, detection: detectInjection(file.text) })).filter(({ detection }) => detection.flagged);
  console.log(`\nreal-world benign: ${label} (${files.length} files, written by others)`);
  console.log(`  detector     FPR ${(flagged.length / files.length).toFixed(3)} (${flagged.length}/${files.length} flagged)`);
  console.log(`  phrase list  FPR ${(files.filter((file) => phraseList(file.text)).length / files.length).toFixed(3)}`);
  for (const { path, detection } of flagged.slice(0, 12)) {
    const spans = detection.spans.slice(0, 4).map((span) => `${span.rule}:${JSON.stringify(span.excerpt.slice(0, 40))}`);
    console.log(`    flagged ${path}: ${spans.join(' | ')}`);
  }
  if (flagged.length > 12) console.log(`    ... and ${flagged.length - 12} more`);
}

/**
 * Every sample again, in the middle of 64 KB of other text: ordinary output (prose and generated
 * logs), real documentation (the installed READMEs, which say "for example", hold code fences and
 * the rules' words every few kilobytes), and an agent's trace (JSON records, "assistant" in every
 * other one). Text over 16 KB is read only around its anchors, so this is that path's recall and
 * false-positive rate, beside the same samples read alone.
 */
function buried(samples: Sample[], verdicts: Verdicts, label: string, filler: string): void {
  const inside = (text: string) => `${filler.slice(0, 32_768)}\n${text}\n${filler.slice(32_768)}`;
  if (detectInjection(filler).flagged) throw new Error(`bench: the filler alone (${label}) is flagged`);
  const buriedFlagged = new Map(samples.map((sample) => [sample, detectInjection(inside(sample.text)).flagged]));
  const long = tally(samples, (sample) => buriedFlagged.get(sample)!);
  const alone = tally(samples, (sample) => verdicts.get(sample)!.flagged);
  console.log(`\nburied in 64 KB of ${label} (${samples.length} samples; read around anchors, as any result over 16 KB):`);
  console.log(`  detector     ${figures(long.total)}`);
  console.log(`  read alone   ${figures(alone.total)}`);
  const lost = samples.filter((sample) => sample.label === 'attack' && verdicts.get(sample)!.flagged && !buriedFlagged.get(sample));
  console.log(`  attacks caught alone, missed buried: ${lost.length}${lost.length > 0 ? ` (${lost.map((sample) => sample.id).join(', ')})` : ''}`);
}

/** 64 KB of prose with generated logs every third line. */
function proseAndLogs(): string {
  const logs = applicationLogs();
  let line = 0;
  return megabyte(() => ((line += 1) % 3 === 0 ? logs() : 'The quarterly report shows that revenue grew by twelve percent, driven by demand in the northern region. ')).slice(0, 65_536);
}

/** p50 and p99 of `runs` calls of `fn` after one to warm up; a promise it returns is awaited, nothing else is. */
async function timed(runs: number, fn: () => unknown): Promise<{ p50: number; p99: number }> {
  const times: number[] = [];
  for (let i = -1; i < runs; i++) {
    const began = performance.now();
    const out = fn();
    if (out instanceof Promise) await out;
    if (i >= 0) times.push(performance.now() - began);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99) };
}

/** The project's baseline (bench/support.ts): one transaction taking a session lock and inserting a row. */
async function commitLatency(): Promise<{ p50: number; p99: number } | null> {
  const scratch = await scratchDatabase().catch(() => null);
  if (!scratch) return null;
  const db = await openPostgres(scratch.url, 2);
  try {
    await db.exec(BASELINE_TABLE);
    await measure(1, 20, baseline(db));
    return await measure(1, 300, baseline(db));
  } finally {
    await db.close();
    await scratch.drop();
  }
}

function megabyte(unit: string | (() => string)): string {
  const parts: string[] = [];
  let length = 0;
  while (length < 1_048_576) {
    const part = typeof unit === 'string' ? unit : unit();
    parts.push(part);
    length += part.length;
  }
  return parts.join('').slice(0, 1_048_576);
}

/** Deterministic pseudo-random integers below `below` (mulberry32), for generated tool output. */
function generator(seed: number): (below: number) => number {
  return (below) => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (((t ^ (t >>> 14)) >>> 0) % below);
  };
}

/** A service's log lines: timestamps, levels, request paths with query strings, ids, durations, errors. */
function applicationLogs(): () => string {
  const next = generator(7);
  const pick = <T>(items: readonly T[]): T => items[next(items.length)]!;
  const messages = ['request completed', 'cache miss, loading from database', 'retrying upstream call', 'connection pool exhausted, waiting', 'order state changed', 'payment authorised', 'slow query', 'user signed in', 'job finished'];
  let second = 0;
  return () => {
    second += next(3);
    const id = next(0xffffff).toString(16).padStart(6, '0');
    const path = `${pick(['/api/v1/orders', '/api/v1/customers', '/healthz', '/api/v1/invoices/search', '/static/app.js'])}${next(3) === 0 ? `?page=${next(40)}&sort=${pick(['date', 'amount', 'name'])}` : ''}`;
    const level = pick(['INFO', 'INFO', 'INFO', 'DEBUG', 'WARN', 'ERROR']);
    const extra = level === 'ERROR' ? ` error="${pick(['ECONNRESET', 'timeout after 30000 ms', 'duplicate key value violates unique constraint "orders_pkey"'])}"` : '';
    return `2026-12-02T04:${String(Math.floor(second / 60) % 60).padStart(2, '0')}:${String(second % 60).padStart(2, '0')}.${String(next(1000)).padStart(3, '0')}Z ${level.padEnd(5)} [worker-${next(8)}] ${pick(messages)} request_id=${id} method=${pick(['GET', 'POST', 'PUT'])} path=${path} status=${pick([200, 200, 201, 304, 404, 500])} duration_ms=${next(900)}${extra}\n`;
  };
}

/** A markdown table of invoices, as a tool that renders query results might return. */
function markdownRows(): () => string {
  const next = generator(13);
  let id = 0;
  return () => `| ${(id += 1)} | INV-${String(next(100000)).padStart(5, '0')} | ${['paid', 'open', 'overdue'][next(3)]} | ${(next(100000) / 100).toFixed(2)} EUR |\n`;
}

/**
 * Sentences in another language picked at random, as a page or document in that language reads;
 * like the English prose, without anchor words (text that has them every few sentences is read
 * whole, as the trigger-dense input shows for English).
 */
function sentences(seed: number, from: readonly string[]): () => string {
  const next = generator(seed);
  return () => from[next(from.length)]!;
}

const RUSSIAN = [
  'Квартальный отчёт показывает, что выручка выросла на двенадцать процентов. ',
  'Команда представит результаты совету директоров на следующей неделе. ',
  'Спрос в северном регионе остаётся высоким, несмотря на сезонные колебания. ',
  'Новая версия API доступна с понедельника; старая будет отключена в марте. ',
  'Обновление базы данных PostgreSQL запланировано на субботу. ',
  'Пожалуйста, проверьте счета за октябрь до конца месяца.\n',
];
const CHINESE = [
  '季度报告显示，由于北部地区的需求，收入增长了百分之十二。',
  '团队将于下周向董事会介绍调查结果，并回答相关问题。',
  '新版本的接口已于周一上线，旧版本将在三月停止服务。',
  '请在月底前更新数据库，并核对十月份的发票。',
  '客户反馈总体积极，但部分用户希望改进搜索功能（尤其是移动端）。',
  '会议纪要已上传到共享文件夹。\n',
];

/** A JSON API result: an array of customer records. */
function jsonRecords(): () => string {
  const next = generator(11);
  const pick = <T>(items: readonly T[]): T => items[next(items.length)]!;
  let id = 0;
  return () =>
    `${JSON.stringify({
      id: (id += 1),
      name: `${pick(['Ana', 'Bo', 'Chen', 'Dara', 'Emeka', 'Farah'])} ${pick(['Lopez', 'Nakamura', 'Okafor', 'Schmidt', 'Singh'])}`,
      email: `customer${id}@example.com`,
      created_at: `2026-${String(next(12) + 1).padStart(2, '0')}-${String(next(28) + 1).padStart(2, '0')}T10:00:00Z`,
      plan: pick(['free', 'team', 'enterprise']),
      tags: [pick(['priority', 'churn-risk', 'new', 'renewal']), pick(['emea', 'apac', 'amer'])],
      balance_cents: next(1_000_000),
      notes: pick(['Prefers invoices by post.', 'Renewal due next quarter.', '', 'Asked about volume pricing on the call.']),
    })},\n`;
}

/**
 * An exported conversation with a model, as an agent's trace or a chat log holds it: every other
 * record's role is "assistant", a word the rules that address a model are keyed on.
 */
function chatTranscript(): () => string {
  const next = generator(23);
  let turn = 0;
  return () => {
    turn += 1;
    const invoice = `INV-${String(next(100000)).padStart(5, '0')}`;
    const content = turn % 2 === 0 ? `Invoice ${invoice} was paid on ${1 + next(28)} November; nothing else is due this month.` : `Is invoice ${invoice} paid?`;
    return `${JSON.stringify({ role: turn % 2 === 0 ? 'assistant' : 'user', content })},\n`;
  };
}

async function main(): Promise<void> {
  const samples = loadCorpus();
  console.log(`Node ${process.version}, ${os.cpus().length} cores; corpus: ${samples.length} samples`);
  const verdicts: Verdicts = new Map(samples.map((sample) => [sample, detectInjection(sample.text)]));
  evaluate('dev', samples.filter((sample) => sample.split === 'dev'), verdicts, process.argv.includes('--misses'));
  evaluate('holdout', samples.filter((sample) => sample.split === 'holdout'), verdicts, false);
  evaluate('all', samples, verdicts, false);
  buried(samples, verdicts, 'prose and logs', proseAndLogs());
  const { readmes, changelogs, sources, everything } = installedFiles();
  const readmeText = readmes.map((readme) => readme.text).join('\n');
  buried(samples, verdicts, 'installed READMEs', readmeText.slice(0, 65_536));
  buried(samples, verdicts, 'a chat transcript (JSON records)', megabyte(chatTranscript()).slice(0, 65_536));
  realWorld('the README of every installed package', readmes);
  realWorld('every twentieth JavaScript file in node_modules', sources);
  realWorld('every text file in node_modules (Markdown, JavaScript, TypeScript, JSON, source maps)', everything);

  const benign = samples.filter((sample) => sample.label === 'benign' && /logs|data/.test(sample.category)).map((sample) => sample.text);
  const web = samples.filter((sample) => sample.category === 'web_pages').map((sample) => sample.text).join('\n');
  const structured = samples.filter((sample) => sample.category === 'structured_output').map((sample) => sample.text).join('\n');
  const inputs = {
    'a 1 KB structured result': structured.slice(0, 1024),
    'a 10 KB web page (corpus)': web.slice(0, 10_240),
    // Real documents, dense with the rules' words: every region read, most of the text.
    'installed packages\' READMEs': readmeText.slice(0, 1_048_576),
    'installed JavaScript (sampled)': sources.map((source) => source.text).join('\n').slice(0, 1_048_576),
    // Commit hashes and links on every line, and in the SDKs of model providers the words for a model on most.
    'installed packages\' changelogs': megabyte(changelogs.map((changelog) => changelog.text).join('\n')),
    'English prose': megabyte('The quarterly report shows that revenue grew by twelve percent, driven by demand in the northern region. The team presents the findings to the board next week. '),
    // One character beyond Latin-1 makes the whole string UTF-16: most real pages and documents are.
    'prose with “quotes” and dashes': megabyte('The quarterly report shows that revenue grew by twelve percent — driven by “demand” in the northern region. The team’s findings go to the board next week. '),
    'Russian prose': megabyte(sentences(17, RUSSIAN)),
    'Chinese prose': megabyte(sentences(19, CHINESE)),
    'application logs (generated)': megabyte(applicationLogs()),
    'JSON records (generated)': megabyte(jsonRecords()),
    // Thick with the pipe that starts a shell anchor: the native scan hands it to the regex.
    'markdown table (generated)': megabyte(markdownRows()),
    // The corpus's benign logs and data, written to hold trigger words: every region is read.
    'benign corpus, trigger-dense': megabyte(benign.join('\n')),
    // "assistant" every other line: the text is all regions, and the rules that address a model run at each.
    'chat transcript (generated)': megabyte(chatTranscript()),
    // Hostile text, written to make the detector slow: addresses inside one address, filler words glued by hyphens (minutes each, once).
    'hostile: images in one address': megabyte('![a](http://x/?{'),
    'hostile: URLs in one address': megabyte('http://jailbreak/'),
    'hostile: "ignore-" repeated': megabyte('ignore-'),
  };
  const kind = prefilterKind();
  console.log(`\nprefilter: ${kind.native ? `native (${kind.simd ? 'AVX2' : 'no SIMD'})` : `JavaScript; the native scanner is ${kind.reason}`}`);
  const commit = await commitLatency();
  console.log(`scanning 1 KB, 10 KB and 1 MB (${commit ? `one PostgreSQL commit (lock + insert): p50 ${commit.p50.toFixed(3)} ms, p99 ${commit.p99.toFixed(3)} ms` : 'PostgreSQL not reachable: no commit comparison'}):`);
  for (const [label, text] of Object.entries(inputs)) {
    const runs = text.length < 100_000 ? 500 : 30;
    const ours = await timed(runs, () => detectInjection(text));
    const plain = await timed(runs, () => text.includes('ignore previous instructions'));
    const phrases = await timed(runs, () => phraseList(text));
    const mbps = (ms: number) => (text.length / 1048576 / (ms / 1000)).toFixed(0);
    console.log(`  ${label.padEnd(31)} ${(text.length / 1024).toFixed(0).padStart(5)} KB: detector p50 ${ours.p50.toFixed(2)} ms p99 ${ours.p99.toFixed(2)} ms (${mbps(ours.p50)} MB/s); includes p50 ${plain.p50.toFixed(3)} ms (${mbps(plain.p50)} MB/s); phrase list p50 ${phrases.p50.toFixed(2)} ms; detector/includes ${(ours.p50 / plain.p50).toFixed(0)}${commit ? `; detector/commit ${(ours.p50 / commit.p50).toFixed(2)}` : ''}`);
  }
  // As the syscall scans a result: in a worker thread (offload.ts), the text copied to it and the detection back.
  console.log('off the event loop (a worker thread, as the syscall scans a result over 4 KB), against the detector in place:');
  for (const label of ['a 10 KB web page (corpus)', 'English prose', "installed packages' READMEs"] as const) {
    const text = inputs[label];
    const runs = text.length < 100_000 ? 2000 : 100;
    const away = await timed(runs, () => detectBounded(text, DEFAULT_THRESHOLD, 60_000));
    const here = await timed(runs, () => detectInjection(text));
    console.log(`  ${label.padEnd(31)} ${(text.length / 1024).toFixed(0).padStart(5)} KB: worker p50 ${away.p50.toFixed(3)} ms p99 ${away.p99.toFixed(3)} ms; in place p50 ${here.p50.toFixed(3)} ms; worker/in place ${(away.p50 / here.p50).toFixed(2)}${commit ? `; worker/commit ${(away.p50 / commit.p50).toFixed(2)}` : ''}`);
  }
}

await main();
