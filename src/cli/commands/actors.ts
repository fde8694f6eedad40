import type { Command } from 'commander';
import { AosError } from '../../errors.js';
import { listActors } from '../../kernel/list-actors.js';
import { parseStrictJson } from '../../security/canonical/index.js';
import { type Grant, grantSchema } from '../../security/capability/index.js';
import { type Run, withRuntime } from '../context.js';
import { assertWritable, readOptionFile, writePrivateFile } from '../files.js';
import { emit, type Io, parseJsonOption } from '../output.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `--grant fs.read` (repeatable) and `--grants '[{"tool":"fs.delete","constraints":…}]'`, validated. */
function requestedGrants(options: { grant: string[]; grants?: string }): Grant[] | null {
  const raw: unknown[] = options.grant.map((tool) => ({ tool }));
  if (options.grants !== undefined) {
    const parsed = parseJsonOption('--grants', options.grants);
    if (!Array.isArray(parsed))
      throw new AosError('INVALID_INPUT', '--grants: expected a JSON array of grants');
    raw.push(...(parsed as unknown[]));
  }
  if (raw.length === 0) return null;
  return raw.map((grant, index) => {
    const result = grantSchema.safeParse(grant);
    if (!result.success) {
      const issue = result.error.issues[0];
      throw new AosError(
        'INVALID_INPUT',
        `grant ${index + 1} (${JSON.stringify(grant).slice(0, 100)}): ${issue?.path.join('.') || 'grant'}: ${issue?.message}`,
        { field: 'grants', index },
      );
    }
    return result.data;
  });
}

function readToken(options: { token?: string; tokenFile?: string }): string {
  if (options.tokenFile) return readOptionFile('--token-file', options.tokenFile).trim();
  const token = options.token ?? process.env.AOS_TOKEN;
  if (!token) {
    throw new AosError(
      'INVALID_INPUT',
      'no capability token: pass --token-file FILE, --token TOKEN, or set AOS_TOKEN',
      {
        field: 'token',
      },
    );
  }
  return token.trim();
}

export function registerActors(program: Command, io: Io, run: Run): void {
  program
    .command('spawn')
    .description(
      "spawn an actor of a class; its grants are the class template ∩ the operator's (or parent's) grants ∩ the request",
    )
    .argument('<class>', 'actor class from aosiq.yaml')
    .option(
      '--grant <tool>',
      'request a grant by tool name or family (repeatable); default: the whole class template',
      collect,
      [],
    )
    .option('--grants <json>', 'request grants as a JSON array, with argument constraints')
    .option(
      '--parent-token-file <file>',
      "spawn a child of the actor holding this token (narrows the parent's grants)",
    )
    .option('--token-out <file>', 'write the new token to this file (mode 0600) instead of printing it')
    .action(
      run(
        async (
          className: string,
          options: { grant: string[]; grants?: string; parentTokenFile?: string; tokenOut?: string },
          command: Command,
        ) => {
          if (options.tokenOut) assertWritable('--token-out', options.tokenOut);
          await withRuntime(command, async (runtime, global) => {
            const cls = runtime.deps.classes.get(className);
            const grants = requestedGrants(options) ?? cls?.capabilities ?? [];
            const parentToken = options.parentTokenFile
              ? readOptionFile('--parent-token-file', options.parentTokenFile).trim()
              : undefined;
            const spawned = await runtime.syscall.spawn({ className, grants, parentToken });
            if (options.tokenOut) writePrivateFile(options.tokenOut, `${spawned.token}\n`);
            const shown = options.tokenOut
              ? { ...spawned, token: `(written to ${options.tokenOut})` }
              : spawned;
            emit(io, global.json, shown, [
              `spawned actor ${spawned.actorId} (class ${className}) in session ${spawned.sessionId}`,
              `grants: ${spawned.grants.map((grant) => JSON.stringify(grant)).join(', ')}`,
              ...spawned.dropped.map((entry) => `dropped ${JSON.stringify(entry.grant)}: ${entry.reason}`),
              `token expires ${spawned.expiresAt.toISOString()}`,
              options.tokenOut ? `token written to ${options.tokenOut}` : `token: ${spawned.token}`,
            ]);
          });
        },
      ),
    );

  program
    .command('call')
    .description("call a tool through the syscall with an actor's capability token")
    .argument('<tool>', 'tool name, e.g. fs.read')
    .option('--args <json>', 'arguments as a JSON object', '{}')
    .option('--args-file <file>', 'read the arguments from a JSON file')
    .option('--token-file <file>', 'file holding the capability token')
    .option(
      '--token <token>',
      'the capability token (visible to other users in the process list; prefer --token-file or AOS_TOKEN)',
    )
    .action(
      run(
        async (
          tool: string,
          options: { args: string; argsFile?: string; token?: string; tokenFile?: string },
          command: Command,
        ) => {
          const text = options.argsFile ? readOptionFile('--args-file', options.argsFile) : options.args;
          const args = parseStrictJson(text, 'args');
          const token = readToken(options);
          await withRuntime(command, async (runtime, global) => {
            const outcome = await runtime.syscall.callTool(token, tool, args, runtime.deps.operator.name);
            emit(io, global.json, outcome, [
              `${tool} completed (call ${outcome.callId}${outcome.approvalId ? `, approval ${outcome.approvalId} consumed` : ''})`,
              JSON.stringify(outcome.result, null, 2),
            ]);
          });
        },
      ),
    );

  const actors = program.command('actors').description('inspect and kill actors');
  actors
    .command('list')
    .description('list actors, newest first')
    .option('--session <id>', 'only this session')
    .option('--limit <n>', 'at most this many', '50')
    .action(
      run(async (options: { session?: string; limit: string }, command: Command) => {
        await withRuntime(command, async (runtime, global) => {
          const rows = await listActors(runtime.db, {
            sessionId: options.session,
            limit: Number.parseInt(options.limit, 10) || 50,
          });
          emit(
            io,
            global.json,
            rows,
            rows.length === 0
              ? ['no actors yet: aosiq spawn <class>']
              : rows.map(
                  (a) =>
                    `${a.id}  ${a.state.padEnd(16)} ${a.class.padEnd(12)} session ${a.session_id}${a.parent_id ? `  parent ${a.parent_id}` : ''}  expires ${new Date(a.token_expires_at).toISOString()}`,
                ),
          );
        });
      }),
    );
  actors
    .command('renew')
    .description("re-mint an actor's token (new jti, its class's TTL); a token_expired actor resumes from its last checkpoint")
    .argument('<actor-id>')
    .option('--reason <text>', 'why (recorded in the audit log)', 'renewed by an operator')
    .option('--as <operator>', 'operator identity recorded with the renewal')
    .option('--token-out <file>', 'write the new token to this file (mode 0600) instead of printing it')
    .action(
      run(async (actorId: string, options: { reason: string; as?: string; tokenOut?: string }, command: Command) => {
        if (options.tokenOut) assertWritable('--token-out', options.tokenOut);
        await withRuntime(command, async (runtime, global) => {
          const renewed = await runtime.syscall.renew(actorId, options.as ?? runtime.deps.operator.name, options.reason);
          if (options.tokenOut) writePrivateFile(options.tokenOut, `${renewed.token}\n`);
          const { claims: _claims, ...view } = renewed;
          const shown = options.tokenOut ? { ...view, token: `(written to ${options.tokenOut})` } : view;
          emit(io, global.json, shown, [
            `renewed ${actorId}: ${renewed.from}${renewed.from === renewed.to ? '' : ` → ${renewed.to}`}, token expires ${renewed.expiresAt.toISOString()}`,
            renewed.to === 'runnable' && renewed.from === 'token_expired' ? 'a worker resumes it from its last checkpoint' : '',
            options.tokenOut ? `token written to ${options.tokenOut}` : `token: ${renewed.token}`,
          ].filter(Boolean));
        });
      }),
    );
  actors
    .command('kill')
    .description('kill an actor (or every actor of a session or class) and live descendants; their tokens stop working at once')
    .argument('[actor-id]')
    .option('--session <id>', 'kill every live actor of this session')
    .option('--class <name>', 'kill every live actor of this class, in every session')
    .requiredOption('--reason <text>', 'why (recorded in the audit log)')
    .option('--as <operator>', 'operator identity recorded with the kill')
    .action(
      run(async (actorId: string | undefined, options: { reason: string; as?: string; session?: string; class?: string }, command: Command) => {
        const chosen = [actorId, options.session, options.class].filter((value) => value !== undefined);
        if (chosen.length !== 1) {
          throw new AosError('INVALID_INPUT', 'name exactly one of: an actor id, --session <id>, --class <name>', { field: 'actor-id' });
        }
        await withRuntime(command, async (runtime, global) => {
          const principal = options.as ?? runtime.deps.operator.name;
          const killed =
            actorId !== undefined
              ? await runtime.syscall.kill(actorId, principal, options.reason)
              : await runtime.syscall.killAll(options.session !== undefined ? { sessionId: options.session } : { className: options.class! }, principal, options.reason);
          if (killed.length === 0 && !global.json) io.err('no live actor matched');
          emit(
            io,
            global.json,
            { killed },
            killed.map((id) => `killed ${id}`),
          );
        });
      }),
    );
}
