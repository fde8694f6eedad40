import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { listApprovals } from '../../approvals/index.js';
import { isAosError } from '../../errors.js';
import { globalOptions, type Run, withRuntime } from '../context.js';
import { writePrivateFile } from '../files.js';
import type { Io } from '../output.js';
import { initConfig } from './init.js';

/**
 * `aosiq start`: writes the example configuration on first run, opens the runtime (applying
 * migrations), and walks one example actor through the boundary so a new user sees every
 * guard fire: a granted call, a denied call, and an irreversible call waiting for approval.
 */
/** How the user can run the CLI again: `aosiq` when it is on the PATH, else the script's path. */
function invokedAs(): string {
  const script = process.argv[1] ?? 'aosiq';
  return path.basename(script) === 'aosiq'
    ? 'aosiq'
    : `node ${path.relative(process.cwd(), script) || script}`;
}

export function registerStart(program: Command, io: Io, run: Run): void {
  program
    .command('start')
    .description(
      'first run: create aosiq.yaml if missing, apply migrations, and demonstrate the syscall boundary',
    )
    .action(
      run(async (_options: unknown, command: Command) => {
        const global = globalOptions(command);
        if (!fs.existsSync(global.config)) {
          const written = initConfig(global.config, { force: false });
          io.out(`wrote the example configuration ${written.config} and ${written.workspace}/`);
        }
        await withRuntime(command, async (runtime) => {
          const { store, config, tools } = runtime;
          io.out(
            `store: ${store.location} (${runtime.db.kind})${store.applied.length ? `, applied migrations ${store.applied.join(', ')}` : ', schema up to date'}`,
          );
          io.out(
            `config: ${global.config}: ${Object.keys(config.actor_classes).length} actor classes, ${tools.list().length} tools`,
          );
          const workspace = Object.values(config.tools.roots)[0];
          if (!workspace || !config.actor_classes.janitor) {
            io.out(
              'the configuration is not the example one: skipping the demonstration. Try: aosiq spawn <class>',
            );
            return;
          }
          const tokenFile = path.join(global.dataDir, 'janitor.token');
          if (fs.existsSync(tokenFile)) {
            const pending = await listApprovals(runtime.db, { status: 'pending' });
            io.out(
              `the demonstration ran before (its janitor's token is in ${tokenFile}; delete that file to run it again)`,
            );
            io.out(
              `pending approvals: ${pending.length}${pending.length ? ` (${invokedAs()} approvals list)` : ''}`,
            );
            return;
          }
          fs.mkdirSync(`${workspace}/tmp`, { recursive: true });
          fs.writeFileSync(`${workspace}/tmp/stale.log`, 'left over by a previous job\n');

          const janitor = await runtime.syscall.spawn({
            className: 'janitor',
            grants: config.actor_classes.janitor.capabilities,
          });
          writePrivateFile(tokenFile, `${janitor.token}\n`);
          io.out(
            `spawned janitor ${janitor.actorId} in session ${janitor.sessionId}; its token is in ${tokenFile}`,
          );
          const listing = await runtime.syscall.callTool(janitor.token, 'fs.list', { path: 'tmp' });
          io.out(`  ${'fs.list tmp'.padEnd(24)} → allowed, recorded as ${listing.callId}`);
          for (const [tool, args] of [
            ['fs.delete', { path: 'notes/keep.txt' }],
            ['fs.read', { path: 'tmp/stale.log' }],
          ] as const) {
            try {
              await runtime.syscall.callTool(janitor.token, tool, args);
            } catch (error) {
              if (!isAosError(error)) throw error;
              io.out(`  ${`${tool} ${args.path}`.padEnd(24)} → ${error.code}: ${error.message}`);
            }
          }
          try {
            await runtime.syscall.callTool(janitor.token, 'fs.delete', { path: 'tmp/stale.log' });
          } catch (error) {
            if (!isAosError(error, 'APPROVAL_REQUIRED')) throw error;
            const id = String(error.details.approvalId);
            io.out(
              `  ${'fs.delete tmp/stale.log'.padEnd(24)} → APPROVAL_REQUIRED: approval ${id} is pending`,
            );
            const { checkpoint } = await runtime.seal(true);
            if (checkpoint) {
              io.out(
                `audit log: every step above is in a signed checkpoint of ${checkpoint.size} events, anchored in ${runtime.config.audit.anchors.directory}`,
              );
            }
            io.out('');
            const cli = invokedAs();
            io.out('next steps:');
            io.out(`  ${cli} approvals show ${id}   # what exactly would run`);
            io.out(`  ${cli} approvals approve ${id} --reason "stale log"`);
            io.out(
              `  ${cli} call fs.delete --args '{"path":"tmp/stale.log"}' --token-file ${tokenFile}   # runs once`,
            );
            io.out(`  ${cli} audit log --session ${janitor.sessionId}   # every step above, hash-chained`);
            io.out(`  ${cli} audit verify   # check every chain`);
            io.out(`  ${cli} --help   # spawn your own actors and call tools`);
          }
        });
      }),
    );
}
