import type { Command } from 'commander';
import { AosError } from '../../errors.js';
import { parseStrictJson } from '../../security/canonical/index.js';
import { type Grant, grantSchema } from '../../security/capability/index.js';
import {
  type ApiKeyRecord,
  createApiKey,
  KEY_NAME_PATTERN,
  listApiKeys,
  revokeApiKey,
  rotateApiKey,
} from '../../server/auth/api-keys.js';
import type { Scopes } from '../../server/auth/scopes.js';
import { type Run, withRuntime } from '../context.js';
import { assertWritable, readOptionFile, writePrivateFile } from '../files.js';
import { emit, type Io } from '../output.js';

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;
/** Longer than any sensible key lifetime, and far inside what a Date and timestamptz hold. */
const MAX_DURATION_SECONDS = 10 * 366 * 86_400;
const NOT_STORED = 'This key is not stored (only its SHA-256 is) and cannot be shown again: copy it now.';

/**
 * Seconds in a duration such as `90d`, `12h`, `30m` or `45s`, or INVALID_INPUT naming the option.
 *
 * @example
 * parseDuration('--expires-in', '90d'); // 7776000
 */
export function parseDuration(option: string, text: string, allowZero = false): number {
  const match = /^(\d{1,9})([smhd])$/.exec(text.trim());
  const seconds = match ? Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS] : NaN;
  if (!match || seconds > MAX_DURATION_SECONDS || (seconds === 0 && !allowZero)) {
    throw new AosError(
      'INVALID_INPUT',
      `${option}: expected a ${allowZero ? '' : 'positive '}duration of at most 10 years such as 90d, 12h, 30m or 45s, got ${JSON.stringify(text)}`,
      { field: option, value: text },
    );
  }
  return seconds;
}

/** A new key as --json shows it: the key itself only when it was not written to a file. */
function newKeyView(record: ApiKeyRecord, key: string, out: string | undefined) {
  return {
    key: out === undefined ? key : `(written to ${out})`,
    id: record.id,
    name: record.name,
    scopes: record.scopes,
    expires_at: record.expires_at?.toISOString() ?? null,
  };
}

function requireKeyName(name: string): void {
  if (!KEY_NAME_PATTERN.test(name)) {
    throw new AosError(
      'INVALID_INPUT',
      `name: expected lowercase letters, digits, ".", "_" or "-", starting with a letter (at most 64), got ${JSON.stringify(name)}`,
      { field: 'name', value: name },
    );
  }
}

/** `--classes reviewer,janitor` or `--classes '*'`; every named class must be configured. */
function parseClasses(text: string | undefined, configured: ReadonlySet<string>): string[] {
  if (text === undefined) return [];
  const classes = text.split(',').map((name) => name.trim());
  for (const name of classes) {
    if (name === '*' || configured.has(name)) continue;
    throw new AosError(
      'INVALID_INPUT',
      `--classes: ${name === '' ? 'an empty class name' : `no actor class ${JSON.stringify(name)}`} in ${JSON.stringify(text)}; configured classes: ${[...configured].join(', ') || '(none)'}, or "*" for any`,
      { field: '--classes', value: text },
    );
  }
  return [...new Set(classes)];
}

/** `--grants '[{"tool":"fs.read"}]'` or `--grants-file grants.json`, validated grant by grant. */
function parseGrants(options: { grants?: string; grantsFile?: string }): Grant[] {
  if (options.grants !== undefined && options.grantsFile !== undefined) {
    throw new AosError('INVALID_INPUT', '--grants and --grants-file: pass one of them, not both', { field: '--grants' });
  }
  const option = options.grantsFile !== undefined ? '--grants-file' : '--grants';
  const text = options.grantsFile !== undefined ? readOptionFile(option, options.grantsFile) : options.grants;
  if (text === undefined) return [];
  const parsed = parseStrictJson(text, option);
  if (!Array.isArray(parsed)) {
    throw new AosError('INVALID_INPUT', `${option}: expected a JSON array of grants such as [{"tool":"fs.read"}], got ${text.slice(0, 80)}`, {
      field: option,
    });
  }
  return parsed.map((grant, index) => {
    const result = grantSchema.safeParse(grant);
    if (result.success) return result.data;
    const issue = result.error.issues[0];
    throw new AosError(
      'INVALID_INPUT',
      `${option}[${index}] (${JSON.stringify(grant).slice(0, 100)}): ${issue?.path.join('.') || 'grant'}: ${issue?.message}`,
      { field: option, index },
    );
  });
}

function scopesSummary(scopes: Scopes): string {
  const grants = scopes.grants.map((grant) => (grant.constraints ? `${grant.tool}(constrained)` : grant.tool));
  const flags = (['approve', 'audit', 'admin'] as const).filter((flag) => scopes[flag]);
  return `classes=${scopes.spawn_classes.join(',') || '-'} grants=${grants.join(',') || '-'} flags=${flags.join(',') || '-'}`;
}

type KeyState = 'current' | 'rotating' | 'expired' | 'revoked';

function keyState(record: ApiKeyRecord, now: Date): { state: KeyState; label: string } {
  if (record.revoked_at !== null) return { state: 'revoked', label: 'revoked' };
  if (record.expires_at !== null && record.expires_at <= now) return { state: 'expired', label: 'expired' };
  if (record.replaced_by !== null) {
    return { state: 'rotating', label: `rotating until ${record.expires_at?.toISOString() ?? '(no end)'}` };
  }
  return { state: 'current', label: 'current' };
}

/** The key once: to stdout, or to a private file when `--out` names one. */
function keyLines(key: string, out: string | undefined): string[] {
  if (out === undefined) return [`key: ${key}`, NOT_STORED];
  return [`key written to ${out} (mode 0600); it is not stored anywhere else and cannot be shown again`];
}

interface CreateOptions {
  classes?: string;
  grants?: string;
  grantsFile?: string;
  approve?: boolean;
  audit?: boolean;
  admin?: boolean;
  expiresIn?: string;
  out?: string;
}

/**
 * Adds `keys api create|list|revoke|rotate`: the operator's side of the HTTP API's keys.
 *
 * @example
 * const keys = program.command('keys'); registerApiKeys(keys, io, run);
 */
export function registerApiKeys(keys: Command, io: Io, run: Run): void {
  const api = keys.command('api').description('API keys for the HTTP API: created, listed, revoked, rotated; stored hashed');

  api
    .command('create')
    .description('create an API key and print it once; only its SHA-256 is stored')
    .argument('<name>', 'lowercase name, e.g. ci-deployer (one current key per name)')
    .option('--classes <list>', 'actor classes it may spawn, comma-separated, or "*" for any (default: none)')
    .option('--grants <json>', 'the most it may grant the actors it spawns, a JSON array like aosiq.yaml capabilities (default: none)')
    .option('--grants-file <file>', 'read --grants from a JSON file')
    .option('--approve', 'may decide approvals')
    .option('--audit', 'may read the audit log, verify sessions, fetch proofs and read approvals')
    .option('--admin', 'may kill actors and see every actor')
    .option('--expires-in <duration>', 'stop working after this long, e.g. 90d, 12h, 30m (default: never)')
    .option('--out <file>', 'write the key to this file (mode 0600) instead of printing it')
    .addHelpText(
      'after',
      `
Example:
  $ aosiq keys api create ci-deployer --classes reviewer --grants '[{"tool":"fs.read"}]' --expires-in 90d --out ci.key
  $ aosiq keys api create auditor --audit --approve`,
    )
    .action(
      run(async (name: string, options: CreateOptions, command: Command) => {
        requireKeyName(name);
        const expiresInSeconds = options.expiresIn === undefined ? null : parseDuration('--expires-in', options.expiresIn);
        const grants = parseGrants(options);
        if (options.out !== undefined) assertWritable('--out', options.out);
        await withRuntime(command, async (runtime, global) => {
          const clock = runtime.deps.clock;
          const scopes: Scopes = {
            spawn_classes: parseClasses(options.classes, new Set(runtime.deps.classes.keys())),
            grants,
            approve: options.approve === true,
            audit: options.audit === true,
            admin: options.admin === true,
          };
          const expiresAt = expiresInSeconds === null ? null : new Date(clock.now().getTime() + expiresInSeconds * 1000);
          const { key, record } = await createApiKey(runtime.db, clock, { name, scopes, createdBy: runtime.deps.operator.name, expiresAt });
          if (options.out !== undefined) writePrivateFile(options.out, `${key}\n`);
          const lines = [
            `created API key "${record.name}" (id ${record.id}) for ${runtime.deps.operator.name}`,
            `scopes: ${scopesSummary(record.scopes)}`,
            `expires: ${record.expires_at?.toISOString() ?? 'never'}`,
          ];
          if (record.scopes.spawn_classes.length > 0 && record.scopes.grants.length === 0) {
            lines.push('note: no --grants, so the actors it spawns get no tools');
          }
          emit(
            io,
            global.json,
            newKeyView(record, key, options.out),
            [...lines, ...keyLines(key, options.out)],
          );
        });
      }),
    );

  api
    .command('list')
    .description('list API keys, newest first: name, id, state, scopes, created, last used (never a secret)')
    .addHelpText(
      'after',
      `
States: current | rotating until <time> (replaced; still works until then) | expired | revoked

Example:
  $ aosiq keys api list
  $ aosiq --json keys api list`,
    )
    .action(
      run(async (_options: unknown, command: Command) => {
        await withRuntime(command, async (runtime, global) => {
          const now = runtime.deps.clock.now();
          const records = await listApiKeys(runtime.db);
          const width = Math.max(4, ...records.map((record) => record.name.length));
          const labelWidth = Math.max(7, ...records.map((record) => keyState(record, now).label.length));
          emit(
            io,
            global.json,
            records.map((record) => ({ ...record, state: keyState(record, now).state })),
            records.length === 0
              ? ['no API keys yet: aosiq keys api create <name>']
              : records.map((record) => {
                  const { state, label } = keyState(record, now);
                  const expiry = state === 'current' && record.expires_at !== null ? `  expires ${record.expires_at.toISOString()}` : '';
                  return [
                    record.name.padEnd(width),
                    record.id,
                    label.padEnd(labelWidth),
                    scopesSummary(record.scopes),
                    `created ${record.created_at.toISOString()} by ${record.created_by}`,
                    `last used ${record.last_used_at?.toISOString() ?? 'never'}${expiry}`,
                  ].join('  ');
                }),
          );
        });
      }),
    );

  api
    .command('revoke')
    .description('revoke an API key at once; by name, every live key of that name (including one in its rotation overlap)')
    .argument('<name-or-id>', 'the key name, or one key id')
    .addHelpText(
      'after',
      `
Example:
  $ aosiq keys api revoke ci-deployer
  $ aosiq keys api revoke 0123456789abcdef`,
    )
    .action(
      run(async (nameOrId: string, _options: unknown, command: Command) => {
        await withRuntime(command, async (runtime, global) => {
          const revoked = await revokeApiKey(runtime.db, runtime.deps.clock, nameOrId, runtime.deps.operator.name);
          emit(
            io,
            global.json,
            revoked,
            revoked.map(
              (record) => `revoked API key "${record.name}" (id ${record.id}) at ${record.revoked_at?.toISOString() ?? '?'}; it stops working at once`,
            ),
          );
        });
      }),
    );

  api
    .command('rotate')
    .description('replace an API key with a new one of the same name and scopes; the old one keeps working for the overlap')
    .argument('<name>', 'the key name')
    .option('--overlap <duration>', 'how long the old key keeps working, e.g. 1h, 30m, 0s', '1h')
    .option('--out <file>', 'write the new key to this file (mode 0600) instead of printing it')
    .addHelpText(
      'after',
      `
Example:
  $ aosiq keys api rotate ci-deployer --overlap 2h --out ci.key`,
    )
    .action(
      run(async (name: string, options: { overlap: string; out?: string }, command: Command) => {
        requireKeyName(name);
        const overlapSeconds = parseDuration('--overlap', options.overlap, true);
        if (options.out !== undefined) assertWritable('--out', options.out);
        await withRuntime(command, async (runtime, global) => {
          const by = runtime.deps.operator.name;
          const { key, record, old } = await rotateApiKey(runtime.db, runtime.deps.clock, name, { overlapSeconds, by });
          if (options.out !== undefined) writePrivateFile(options.out, `${key}\n`);
          const oldEnds = old.expires_at?.toISOString() ?? '(no end)';
          emit(
            io,
            global.json,
            {
              ...newKeyView(record, key, options.out),
              old: { id: old.id, expires_at: old.expires_at?.toISOString() ?? null },
            },
            [
              `rotated API key "${record.name}": new id ${record.id}`,
              `the old key ${old.id} keeps working until ${oldEnds}, then stops`,
              `scopes: ${scopesSummary(record.scopes)}`,
              `expires: ${record.expires_at?.toISOString() ?? 'never'}`,
              ...keyLines(key, options.out),
            ],
          );
        });
      }),
    );
}
