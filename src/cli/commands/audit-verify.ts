import fs from 'node:fs';
import readline from 'node:readline';
import type { Command } from 'commander';
import { type AnchoredCheckpoint, type AnchorSink, anchorSinkFor } from '../../audit/anchors/index.js';
import { parseVerifierKey } from '../../audit/checkpoint/index.js';
import { verifyStoredChains } from '../../audit/index.js';
import { type LogReport, LogVerifier, type LoggedEvent, parseExportLine, readLoggedEvents } from '../../audit/log/index.js';
import { AosError } from '../../errors.js';
import { globalOptions, type Run, withRuntime } from '../context.js';
import { readOptionFile } from '../files.js';
import { emit, type Io } from '../output.js';

const PROGRESS_EVERY = 10_000;

function progress(enabled: boolean): (count: number) => void {
  return enabled ? (count) => count % PROGRESS_EVERY === 0 && process.stderr.write(`\rchecked ${count} events`) : () => {};
}

async function runVerifier(events: AsyncIterable<LoggedEvent>, verifier: LogVerifier, tick: (n: number) => void): Promise<LogReport> {
  let count = 0;
  for await (const event of events) {
    if (!verifier.check(event)) break;
    tick(++count);
  }
  return verifier.finish();
}

function report(io: Io, json: boolean | undefined, result: LogReport, anchors: number): void {
  if (!result.ok) {
    const bad = result.firstBreak!;
    const where =
      bad.id === null ? '' : `event ${bad.id} (session ${bad.session_id}, chain_seq ${bad.chain_seq}, log position ${bad.log_index ?? 'none yet'}): `;
    throw new AosError('AUDIT_CHAIN_BROKEN', `${where}${bad.reason}`, { ...bad });
  }
  emit(io, json, result, [
    `ok: ${result.events} events in ${result.sessions} sessions; ${result.checkpointsVerified} of ${anchors} anchored checkpoints match`,
    ...(anchors === 0 ? ['warning: no anchored checkpoints: a truncated or consistently rewritten log would pass'] : []),
  ]);
}

/** Every checkpoint in the given stores; a store that cannot be read fails the verification. */
async function readAnchors(sinks: readonly AnchorSink[]): Promise<AnchoredCheckpoint[]> {
  const all: AnchoredCheckpoint[] = [];
  for (const sink of sinks) {
    try {
      all.push(...(await sink.list()));
    } catch (error) {
      if (error instanceof AosError) throw error;
      throw new AosError('STORE_UNAVAILABLE', `anchor store ${sink.name} could not be read: ${(error as Error).message}`, { anchors: sink.name });
    }
  }
  return all;
}

async function* exportFileEvents(file: string): AsyncGenerator<LoggedEvent> {
  const lines = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
  let number = 0;
  for await (const line of lines) {
    number++;
    if (line.trim() !== '') yield parseExportLine(line, number);
  }
}

export function registerAuditVerify(audit: Command, io: Io, run: Run): void {
  audit
    .command('verify')
    .description(
      'verify chains, log positions and every anchored checkpoint; names the first bad event and exits non-zero. With --export, needs no database',
    )
    .option('--session <id>', 'only this session\'s chain')
    .option('--export <file>', 'verify an `aosiq audit export` file instead of the database')
    .option('--key <vkey-file>', 'checkpoint verifier key (default: this runtime\'s own; required with --export)')
    .option(
      '--anchors <dir|s3-url...>',
      'anchor stores to check against: directories or s3://bucket/prefix (S3 keys and endpoint from AOS_ANCHOR_S3_*; see docs/audit-format.md). Default: the configured stores; with --export, none unless given',
    )
    .action(
      run(async (options: { session?: string; export?: string; key?: string; anchors?: string[] }, command: Command) => {
        const global = globalOptions(command);
        const tick = progress(!global.json && process.stderr.isTTY);
        if (options.export !== undefined) {
          if (options.key === undefined) throw new AosError('INVALID_INPUT', '--key: required with --export (get it with `aosiq audit key`)');
          const key = parseVerifierKey(readOptionFile('--key', options.key).trim());
          readOptionFile('--export', options.export);
          const anchors = await readAnchors((options.anchors ?? []).map((location) => anchorSinkFor(location, process.env)));
          report(io, global.json, await runVerifier(exportFileEvents(options.export), new LogVerifier(anchors, key), tick), anchors.length);
          return;
        }
        await withRuntime(command, async (runtime) => {
          if (options.session !== undefined) {
            const chains = await verifyStoredChains(runtime.db, { sessionId: options.session });
            if (chains.sessions === 0) {
              throw new AosError('NOT_FOUND', `no audit events for session ${options.session}; list sessions with \`aosiq audit log\``, {
                sessionId: options.session,
              });
            }
            const bad = chains.firstBreak;
            if (bad) throw new AosError('AUDIT_CHAIN_BROKEN', `session ${bad.session_id}, chain_seq ${bad.chain_seq} (row id ${bad.id}): ${bad.reason}`, { ...bad });
            emit(io, global.json, chains, [`ok: ${chains.events} events in session ${options.session} verified`]);
            return;
          }
          const key = options.key ? parseVerifierKey(readOptionFile('--key', options.key).trim()) : runtime.checkpointKey.verifier;
          const sinks = options.anchors ? options.anchors.map((location) => anchorSinkFor(location, process.env)) : runtime.anchorSinks;
          const anchors = await readAnchors(sinks);
          report(io, global.json, await runVerifier(readLoggedEvents(runtime.db), new LogVerifier(anchors, key), tick), anchors.length);
        });
      }),
    );

  audit
    .command('export')
    .description('write the whole log as JSON Lines, in log order, for offline verification')
    .option('--out <file>', 'write here (default: stdout)')
    .action(
      run(async (options: { out?: string }, command: Command) => {
        const tick = progress(options.out !== undefined && process.stderr.isTTY);
        await withRuntime(command, async (runtime) => {
          await runtime.seal();
          const out: NodeJS.WritableStream = options.out ? fs.createWriteStream(options.out, { mode: 0o600 }) : process.stdout;
          let count = 0;
          for await (const event of readLoggedEvents(runtime.db)) {
            if (!out.write(`${JSON.stringify(event)}\n`)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
            tick(++count);
          }
          if (options.out) {
            await new Promise<void>((resolve, reject) => (out as fs.WriteStream).end((error?: Error | null) => (error ? reject(error) : resolve())));
            io.err(`exported ${count} events to ${options.out}`);
          }
        });
      }),
    );
}
