/**
 * Scanning off the event loop, within a time budget. A tool result is attacker-chosen text: one
 * that makes the detector slow (a megabyte of it can cost a second; a rule that backtracks badly
 * on some text would cost more) must not hold the event loop, which every other call needs, nor,
 * past its budget, its own call. Each scan of more than a few kilobytes runs in a worker thread
 * (scan-worker.ts); one that has not finished within its budget is cut off (the thread is
 * terminated, which stops even a regex in the middle of a match) and fails closed: it counts as
 * flagged. So does a thread that fails or dies.
 */
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { packageRoot } from '../../version.js';
import { type Detection, detectInjection } from './detect.js';
import { wide } from './native.js';

/** A thread scans one text at a time: its reply is to the one request it holds. */
export interface ScanRequest {
  /** The text as Latin-1 (one byte a character) or, where it holds more, UTF-16LE: lossless both ways. */
  bytes: Uint8Array;
  encoding: 'latin1' | 'utf16le';
  threshold: number;
}

export type ScanReply = { ready: true } | { detection: Detection } | { error: string };

/** How long a thread may take to load the detector before the scans waiting for it fail closed. */
const STARTUP_MS = 30_000;

/**
 * The thread's script: built beside this module, or, when the test runner runs this module from
 * src/, the build of it in dist/ (`npm test` and `npm install` build it first).
 */
function workerScript(): string {
  const here = fileURLToPath(import.meta.url);
  return here.endsWith('.ts') ? join(packageRoot(), 'dist', 'src', 'security', 'untrusted', 'scan-worker.js') : join(here, '..', 'scan-worker.js');
}

/**
 * What a scan that did not finish reports: flagged, at the highest score, with one span saying
 * why (no family: nothing was matched).
 */
export function failedScan(rule: 'detector.error' | 'detector.timeout', reason: string): Detection {
  return { score: 1, flagged: true, families: [], spans: [{ family: 'encoding', rule, start: 0, end: 0, excerpt: reason }] };
}

/** Why a detection is a failed scan's (failedScan), or null for a scan that finished. */
export function scanFailure(detection: Detection): string | null {
  const span = detection.spans.find((found) => found.rule === 'detector.error' || found.rule === 'detector.timeout');
  return span ? span.excerpt : null;
}

interface Job {
  text: string;
  threshold: number;
  timeoutMs: number;
  done: (detection: Detection) => void;
}

interface Slot {
  worker: Worker;
  /** Where the thread's replies arrive: read by the timer too, for a reply the busy event loop has not handled yet. */
  port: MessagePort;
  ready: boolean;
  job: Job | null;
  /** The startup deadline, then the running job's. */
  timer: NodeJS.Timeout;
}

/**
 * Worker threads that scan texts one at a time each. Texts wait for a free thread in lanes (one
 * a session, say), taken in turn: a lane that queues many slow texts (a hostile tool's results,
 * each cut off only at its budget) delays the others' by one of its texts a turn, not by all of them.
 *
 * @example
 * const pool = new ScanPool(2);
 * const detection = await pool.detect('Ignore all previous instructions', 0.5, 2000, 'session-1');
 * await pool.close();
 */
export class ScanPool {
  private readonly slots = new Set<Slot>();
  /** The waiting texts by lane, the lanes in turn order (a Map keeps the order its keys were set in). */
  private readonly lanes = new Map<string, Job[]>();

  constructor(
    private readonly size = Math.max(1, Math.min(4, os.availableParallelism() - 1)),
    private readonly script = workerScript(),
  ) {}

  /**
   * The detection of `text`, or a failed scan (flagged) if it takes longer than `timeoutMs` once a
   * thread starts it, or the thread fails. It waits in `lane`, behind that lane's earlier texts only.
   */
  detect(text: string, threshold: number, timeoutMs: number, lane = ''): Promise<Detection> {
    return new Promise((done) => {
      const waiting = this.lanes.get(lane);
      if (waiting) waiting.push({ text, threshold, timeoutMs, done });
      else this.lanes.set(lane, [{ text, threshold, timeoutMs, done }]);
      this.pump();
    });
  }

  /** Stops every thread; scans still waiting or running fail closed. */
  async close(): Promise<void> {
    this.failWaiting('the scanning threads were stopped');
    await Promise.all([...this.slots].map((slot) => this.retire(slot, failedScan('detector.error', 'the scanning threads were stopped'))));
  }

  /** Gives waiting texts to idle threads, and starts threads while texts wait and fewer than `size` run. */
  private pump(): void {
    for (let idle = this.idle(); idle && this.lanes.size > 0; idle = this.idle()) this.run(idle, this.next());
    const starting = [...this.slots].filter((slot) => !slot.ready).length;
    if (this.waiting() > starting && this.slots.size < this.size) this.start();
  }

  /** The first lane's first text; the lane, if it has more, goes to the back of the turn. */
  private next(): Job {
    const [lane, jobs] = this.lanes.entries().next().value as [string, Job[]];
    const job = jobs.shift()!;
    this.lanes.delete(lane);
    if (jobs.length > 0) this.lanes.set(lane, jobs);
    return job;
  }

  private waiting(): number {
    let count = 0;
    for (const jobs of this.lanes.values()) count += jobs.length;
    return count;
  }

  private failWaiting(reason: string): void {
    const jobs = [...this.lanes.values()].flat();
    this.lanes.clear();
    for (const job of jobs) job.done(failedScan('detector.error', reason));
  }

  private idle(): Slot | undefined {
    return [...this.slots].find((slot) => slot.ready && !slot.job);
  }

  private start(): void {
    const { port1, port2 } = new MessageChannel();
    let worker: Worker;
    try {
      // Not the process's own flags: some (--input-type, loaders) stop a worker from loading a module file.
      worker = new Worker(this.script, { execArgv: [], workerData: { replies: port2 }, transferList: [port2] });
    } catch (error) {
      port1.close();
      this.failWaiting(`the scanning thread could not start: ${(error as Error).message}`);
      return;
    }
    const slot: Slot = {
      worker,
      port: port1,
      ready: false,
      job: null,
      timer: setTimeout(() => void this.failStart(slot, `the scanning thread did not start within ${STARTUP_MS / 1000} s`), STARTUP_MS),
    };
    this.slots.add(slot);
    port1.on('message', (reply: ScanReply) => this.settle(slot, reply));
    worker.on('error', (error) => void (slot.ready ? this.retire(slot, failedScan('detector.error', `the scanning thread failed: ${error.message}`)) : this.failStart(slot, `the scanning thread could not start: ${error.message}`)));
    worker.on('exit', (code) => void (slot.ready ? this.retire(slot, failedScan('detector.error', `the scanning thread exited (code ${code})`)) : this.failStart(slot, `the scanning thread exited while starting (code ${code})`)));
    // The threads never keep the process alive by themselves: a pending scan's timer does. (After the listeners: adding one refs again.)
    port1.unref();
    worker.unref();
  }

  private settle(slot: Slot, reply: ScanReply): void {
    if ('ready' in reply) {
      if (slot.ready) return;
      clearTimeout(slot.timer);
      slot.ready = true;
      this.pump();
      return;
    }
    const job = slot.job;
    if (!job) return;
    clearTimeout(slot.timer);
    slot.job = null;
    job.done('error' in reply ? failedScan('detector.error', `the detector failed: ${reply.error}`) : reply.detection);
    this.pump();
  }

  private run(slot: Slot, job: Job): void {
    const encoding = wide(job.text) ? 'utf16le' : 'latin1';
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = new Uint8Array(encoding === 'latin1' ? job.text.length : 2 * job.text.length);
      Buffer.from(bytes.buffer).write(job.text, encoding);
    } catch (error) {
      job.done(failedScan('detector.error', `the text could not be handed to the scanning thread: ${(error as Error).message}`));
      return;
    }
    slot.job = job;
    slot.timer = setTimeout(() => {
      // A reply already here, which the event loop was too busy to read, is the finished scan's.
      const waiting = receiveMessageOnPort(slot.port);
      if (waiting) this.settle(slot, waiting.message as ScanReply);
      else void this.retire(slot, failedScan('detector.timeout', `the detector did not finish within ${job.timeoutMs} ms; the result is treated as flagged`));
    }, job.timeoutMs);
    slot.worker.postMessage({ bytes, encoding, threshold: job.threshold } satisfies ScanRequest, [bytes.buffer]);
  }

  /** Ends a thread: its scan, if any, gets `outcome`; a new thread starts if texts wait. */
  private async retire(slot: Slot, outcome: Detection): Promise<void> {
    if (!this.slots.delete(slot)) return;
    clearTimeout(slot.timer);
    slot.job?.done(outcome);
    slot.job = null;
    slot.port.close();
    this.pump();
    await slot.worker.terminate();
  }

  /** A thread that did not start: the texts waiting fail closed now rather than wait on threads that may never start either. */
  private async failStart(slot: Slot, reason: string): Promise<void> {
    if (!this.slots.has(slot)) return;
    const ready = [...this.slots].some((other) => other.ready);
    if (!ready) this.failWaiting(reason);
    await this.retire(slot, failedScan('detector.error', reason));
  }
}

let shared: ScanPool | null = null;
/**
 * Texts up to this long are scanned in place: a thread's round trip costs more than their scan
 * (tens of microseconds), and at 64 sessions making calls it cost a fifth to a half of the
 * syscall's throughput. Their worst known cost is bounded: no 4 KB of any trigger word glued to
 * any separator (match.test.ts), nor any attack a ReDoS checker writes against the rules
 * (`npm run bench:redos`), takes over 40 ms.
 */
export const IN_PLACE_LIMIT = 4096;

/**
 * The detection of `text`: in place when it is short (IN_PLACE_LIMIT), else by the process's
 * shared pool of scanning threads (started on first use) within `timeoutMs`, waiting in `lane`,
 * as ScanPool.detect.
 *
 * @example
 * const detection = await detectBounded(result, 0.5, 2000, sessionId);
 */
export async function detectBounded(text: string, threshold: number, timeoutMs: number, lane = ''): Promise<Detection> {
  if (text.length <= IN_PLACE_LIMIT) return detectInjection(text, threshold);
  shared ??= new ScanPool();
  return shared.detect(text, threshold, timeoutMs, lane);
}
