import type { Command } from 'commander';
import { buildProofFile, verifyProofFile } from '../../audit/log/index.js';
import { AosError } from '../../errors.js';
import { globalOptions, type Run, withRuntime } from '../context.js';
import { readOptionFile, writePrivateFile } from '../files.js';
import { emit, type Io } from '../output.js';

/** `aosiq audit checkpoint | anchors | key | proof | verify-proof`: the transparency log over the audit chains. */
export function registerAuditLog(audit: Command, io: Io, run: Run): void {
  audit
    .command('checkpoint')
    .description('integrate new events into the log now, sign a checkpoint and anchor it')
    .action(
      run(async (_options: unknown, command: Command) => {
        await withRuntime(command, async (runtime, global) => {
          const { size, checkpoint } = await runtime.seal(true);
          if (!checkpoint) {
            emit(io, global.json, { size }, ['the log is empty: nothing to checkpoint']);
            return;
          }
          const { anchors } = runtime;
          const anchored = anchors.sinks.filter((sink) => sink.anchoredSize >= checkpoint.size).map((sink) => sink.sink);
          emit(io, global.json, { size, checkpoint, anchored, anchors }, [
            checkpoint.note.trimEnd(),
            '',
            ...(anchored.length > 0 ? [`anchored in ${anchored.join(', ')}`] : []),
            ...anchors.sinks.filter((sink) => sink.anchoredSize < checkpoint.size).map((sink) => `NOT anchored in ${sink.sink}: ${sink.lastError}`),
            `verify with the public key: aosiq audit key > checkpoint.vkey`,
          ]);
        });
      }),
    );
  audit
    .command('anchors')
    .description('anchor stores: what protects each, what it holds, failures and lag; exits non-zero when a store is failing')
    .action(
      run(async (_options: unknown, command: Command) => {
        await withRuntime(command, async (runtime, global) => {
          await runtime.probeAnchors();
          await runtime.seal();
          const status = runtime.anchors;
          emit(io, global.json, status, [
            `signed checkpoint: size ${status.checkpointSize}; anchored everywhere: size ${status.anchoredSize} (lag ${status.lagEvents} events, ${status.lagSeconds}s)`,
            ...status.sinks.map(
              (sink) =>
                `${sink.sink}: holds size ${sink.anchoredSize}; ${sink.protection ?? 'protection unknown'}${sink.ok ? "" : `; FAILING: ${sink.lastError}`}`,
            ),
          ]);
          const failing = status.sinks.filter((sink) => !sink.ok);
          if (failing.length > 0) {
            throw new AosError('STORE_UNAVAILABLE', `${failing.length} anchor store(s) failing: ${failing.map((sink) => sink.sink).join(', ')}`, {
              failing: failing.map((sink) => sink.sink),
            });
          }
        });
      }),
    );
  audit
    .command('key')
    .description("print the verifier key of this log's checkpoints (C2SP vkey), for outside verifiers")
    .action(
      run(async (_options: unknown, command: Command) => {
        await withRuntime(command, async (runtime) => {
          io.out(runtime.checkpointKey.verifierKey.trim());
        });
      }),
    );
  audit
    .command('proof')
    .description('write a self-contained proof that one audit event is in the signed log')
    .argument('<event-id>', 'the id column of audit_events (see audit log --json)')
    .option('--out <file>', 'write the proof here (default: stdout)')
    .action(
      run(async (eventId: string, options: { out?: string }, command: Command) => {
        const id = Number(eventId);
        if (!Number.isSafeInteger(id) || id <= 0) {
          throw new AosError('INVALID_INPUT', `event-id: expected a positive integer, got "${eventId}"`, { field: 'event-id' });
        }
        await withRuntime(command, async (runtime) => {
          await runtime.seal(true);
          const proof = await buildProofFile(runtime.db, id);
          if (options.out) {
            writePrivateFile(options.out, proof);
            io.out(`wrote ${options.out}`);
          } else {
            io.out(proof.trimEnd());
          }
        });
      }),
    );
  audit
    .command('verify-proof')
    .description('check a proof file offline, with only the log verifier key: no database needed')
    .argument('<file>', 'a proof written by `aosiq audit proof`')
    .requiredOption('--key <vkey-file>', 'the verifier key (from `aosiq audit key`)')
    .action(
      run(async (file: string, options: { key: string }, command: Command) => {
        const result = verifyProofFile(readOptionFile('<file>', file), readOptionFile('--key', options.key));
        emit(io, globalOptions(command).json, result, [
          `ok: event at log position ${result.logIndex} is included in ${result.origin}'s signed tree of size ${result.size}`,
        ]);
      }),
    );
}
