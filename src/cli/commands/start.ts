import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { listApprovals } from '../../approvals/index.js';
import { isAosError } from '../../errors.js';
import { type GlobalOptions, globalOptions, type Run, withRuntime } from '../context.js';
import { writePrivateFile } from '../files.js';
import type { Io } from '../output.js';
import { initConfig } from './init.js';
import { demonstratePrograms } from './start-programs.js';
import { type ServeCliOptions, serveUntilSignal, withServeOptions } from './serve.js';
import type { Runtime } from '../../runtime.js';
import { createApiKey, listApiKeys } from '../../server/auth/index.js';

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

/** On first run, an all-scopes API key for the local operator, in a private file. */
async function firstAdminKey(runtime: Runtime, dataDir: string, io: Io): Promise<void> {
  const file = path.join(dataDir, 'admin.key');
  if ((await listApiKeys(runtime.db)).length > 0) return;
  const { key } = await createApiKey(runtime.db, runtime.deps.clock, {
    name: 'local-admin',
    scopes: { spawn_classes: ['*'], grants: runtime.config.operator.grants, approve: true, audit: true, admin: true },
    createdBy: runtime.deps.operator.name,
  });
  writePrivateFile(file, `${key}\n`);
  io.out(`created the API key local-admin (every scope) in ${file}; make narrower ones with aosiq keys api create`);
}

export function registerStart(program: Command, io: Io, run: Run): void {
  withServeOptions(
    program
      .command('start')
      .description(
        'create aosiq.yaml and an admin API key if missing, apply migrations, demonstrate the syscall boundary once, then serve the HTTP API',
      )
      .option('--no-serve', 'stop after the demonstration instead of serving the API'),
  )
    .action(
      run(async (options: ServeCliOptions & { serve: boolean }, command: Command) => {
        const global = globalOptions(command);
        await demonstrate(command, global, io, options.serve ? `http://${options.host}:${options.port}` : null);
        if (options.serve) await serveUntilSignal(global, options, io);
      }),
    );
}

/** While the API serves, the embedded database is its alone: the next steps go over HTTP. */
function printHttpSteps(io: Io, base: string, approvalId: string, keyFile: string, tokenFile: string): void {
  const key = `-H "authorization: Bearer $(cat ${keyFile})"`;
  const json = `-H 'content-type: application/json'`;
  io.out('next steps, once the API below is up:');
  io.out(`  open ${base}/#/approvals/${approvalId}   # the dashboard: sign in with the key in ${keyFile}, read the call, approve or deny it`);
  io.out('  or with curl:');
  io.out(`  curl ${key} ${base}/api/v1/approvals/${approvalId}   # what exactly would run`);
  io.out(`  curl -X POST ${key} ${json} -d '{"reason":"stale log"}' ${base}/api/v1/approvals/${approvalId}/approve`);
  io.out(
    `  curl -X POST -H "authorization: Bearer $(cat ${tokenFile})" ${json} -d '{"tool":"fs.delete","args":{"path":"tmp/stale.log"}}' ${base}/api/v1/calls   # runs once`,
  );
  io.out(`  open ${base}/api/v1/docs   # every route`);
}

async function demonstrate(command: Command, global: GlobalOptions, io: Io, serving: string | null): Promise<void> {
        if (!fs.existsSync(global.config)) {
          const written = initConfig(global.config, { force: false });
          io.out(`wrote the example configuration ${written.config} and ${written.workspace}/`);
        }
        await withRuntime(command, async (runtime) => {
          const { store, config, tools } = runtime;
          await firstAdminKey(runtime, global.dataDir, io);
          io.out(
            `store: ${store.location} (${runtime.db.kind})${store.applied.length ? `, applied migrations ${store.applied.join(', ')}` : ', schema up to date'}`,
          );
          io.out(
            `config: ${global.config}: ${Object.keys(config.actor_classes).length} actor classes, ${tools.list().length} tools`,
          );
          await runtime.probeAnchors();
          for (const sink of runtime.anchors.sinks) {
            io.out(`anchors: ${sink.sink}: ${sink.ok ? sink.protection : `NOT REACHABLE (${sink.lastError}); checkpoints wait until it is`}`);
          }
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
            const anchoredIn = runtime.anchors.sinks.filter((sink) => checkpoint && sink.anchoredSize >= checkpoint.size);
            if (checkpoint && anchoredIn.length > 0) {
              io.out(
                `audit log: every step above is in a signed checkpoint of ${checkpoint.size} events, anchored in ${anchoredIn.map((sink) => sink.sink).join(', ')}`,
              );
            }
            const cli = invokedAs();
            await demonstratePrograms(runtime, io, cli);
            io.out('');
            if (serving) {
              printHttpSteps(io, serving, id, path.join(global.dataDir, 'admin.key'), tokenFile);
              return;
            }
            io.out('next steps:');
            io.out(`  ${cli} approvals show ${id}   # what exactly would run`);
            io.out(`  ${cli} approvals approve ${id} --as alice --reason "stale log"   # not the operator who started the janitor`);
            io.out(
              `  ${cli} call fs.delete --args '{"path":"tmp/stale.log"}' --token-file ${tokenFile}   # runs once`,
            );
            io.out(`  ${cli} audit log --session ${janitor.sessionId}   # every step above, hash-chained`);
            io.out(`  ${cli} audit verify   # check every chain`);
            io.out(`  ${cli} --help   # spawn your own actors and call tools`);
          }
        });
}
