import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { recordAuditEvent } from '../../audit/append.js';
import { SYSTEM_SESSION } from '../../audit/event.js';
import type { Clock } from '../../clock.js';
import { AosError } from '../../errors.js';
import type { JsonValue } from '../../security/canonical/index.js';
import type { Db, Queryable } from '../../store/db.js';
import { type Scopes, scopesSchema } from './scopes.js';

/** `aos_<16 hex id>_<43 base64url secret>`: the id finds the row, the secret proves possession. */
const KEY_PATTERN = /^aos_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
export const KEY_NAME_PATTERN = /^[a-z][a-z0-9_.-]{0,63}$/;
/** last_used_at is refreshed at most this often, so authenticating is not a write per request. */
const TOUCH_EVERY_MS = 60_000;

export interface ApiKeyRecord {
  id: string;
  name: string;
  scopes: Scopes;
  created_at: Date;
  created_by: string;
  expires_at: Date | null;
  revoked_at: Date | null;
  revoked_by: string | null;
  replaced_by: string | null;
  last_used_at: Date | null;
}

const COLUMNS = 'id, name, scopes, created_at, created_by, expires_at, revoked_at, revoked_by, replaced_by, last_used_at';

function secretHash(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

// A key's id: 16 hex digits. Revoke and rotate take a name or an id, so no name may look like one.
const KEY_ID_PATTERN = /^[0-9a-f]{16}$/;

function requireName(name: string): void {
  if (KEY_ID_PATTERN.test(name)) {
    throw new AosError('INVALID_INPUT', `name: ${JSON.stringify(name)} looks like a key id (16 hex digits); choose a name that does not`, { field: 'name', value: name });
  }
  if (!KEY_NAME_PATTERN.test(name)) {
    throw new AosError('INVALID_INPUT', `name: expected lowercase letters, digits, ".", "_" or "-", starting with a letter (at most 64), got ${JSON.stringify(name)}`, {
      field: 'name',
    });
  }
}

function parseScopes(scopes: unknown): Scopes {
  const parsed = scopesSchema.safeParse(scopes);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new AosError('INVALID_INPUT', `scopes${issue.path.map((p) => `.${String(p)}`).join('')}: ${issue.message}`, { field: 'scopes' });
}

async function insertKey(tx: Queryable, clock: Clock, fields: { name: string; scopes: Scopes; createdBy: string; expiresAt: Date | null }) {
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  const { rows } = await tx.query<ApiKeyRecord>(
    `INSERT INTO api_keys (id, name, secret_sha256, scopes, created_at, created_by, expires_at)
     VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7) RETURNING ${COLUMNS}`,
    [id, fields.name, secretHash(secret), JSON.stringify(fields.scopes), clock.now(), fields.createdBy, fields.expiresAt],
  );
  return { key: `aos_${id}_${secret}`, record: rows[0]! };
}

function audited(record: ApiKeyRecord): { [key: string]: JsonValue } {
  return { key_id: record.id, name: record.name, scopes: record.scopes, expires_at: record.expires_at?.toISOString() ?? null };
}

/**
 * Creates a key and returns its text, which is shown once and stored only as a hash.
 *
 * @example
 * const { key } = await createApiKey(db, clock, { name: 'ci', scopes: { spawn_classes: ['reviewer'] }, createdBy: 'alice' });
 */
export async function createApiKey(
  db: Db,
  clock: Clock,
  request: { name: string; scopes: unknown; createdBy: string; expiresAt?: Date | null },
): Promise<{ key: string; record: ApiKeyRecord }> {
  requireName(request.name);
  const scopes = parseScopes(request.scopes);
  const exists = () =>
    new AosError('CONFLICT', `an API key named "${request.name}" exists; rotate it (aosiq keys api rotate ${request.name}) or revoke it first`, {
      name: request.name,
    });
  const created = await db
    .transaction(async (tx) => {
      const current = await tx.query('SELECT 1 FROM api_keys WHERE name = $1 AND revoked_at IS NULL AND replaced_by IS NULL', [request.name]);
      if (current.rows.length > 0) throw exists();
      return insertKey(tx, clock, { name: request.name, scopes, createdBy: request.createdBy, expiresAt: request.expiresAt ?? null });
    })
    .catch((error: unknown) => {
      // A concurrent create of the same name loses on the unique index.
      throw (error as { code?: string }).code === '23505' ? exists() : error;
    });
  await recordAuditEvent(db, clock, { sessionId: SYSTEM_SESSION, type: 'API_KEY_CREATED', actorId: null, principal: request.createdBy, payload: audited(created.record) });
  return created;
}

/** Every key, current or not, newest first; never the secrets. */
export async function listApiKeys(db: Queryable): Promise<ApiKeyRecord[]> {
  return (await db.query<ApiKeyRecord>(`SELECT ${COLUMNS} FROM api_keys ORDER BY created_at DESC, id`)).rows;
}

async function currentKey(tx: Queryable, nameOrId: string): Promise<ApiKeyRecord> {
  const { rows } = await tx.query<ApiKeyRecord>(
    `SELECT ${COLUMNS} FROM api_keys WHERE (name = $1 OR id = $1) AND revoked_at IS NULL ORDER BY (replaced_by IS NULL) DESC, created_at DESC FOR UPDATE`,
    [nameOrId],
  );
  if (rows.length === 0) {
    throw new AosError('NOT_FOUND', `no live API key named or with id "${nameOrId}"; list them with \`aosiq keys api list\``, { key: nameOrId });
  }
  return rows[0]!;
}

/**
 * Revokes a key at once (by name: every unrevoked key of that name, including one still in its
 * rotation overlap).
 *
 * @example
 * await revokeApiKey(db, clock, 'ci', 'alice');
 */
export async function revokeApiKey(db: Db, clock: Clock, nameOrId: string, by: string): Promise<ApiKeyRecord[]> {
  const revoked = await db.transaction(async (tx) => {
    await currentKey(tx, nameOrId);
    return (
      await tx.query<ApiKeyRecord>(
        `UPDATE api_keys SET revoked_at = $2, revoked_by = $3 WHERE (name = $1 OR id = $1) AND revoked_at IS NULL RETURNING ${COLUMNS}`,
        [nameOrId, clock.now(), by],
      )
    ).rows;
  });
  for (const record of revoked) {
    await recordAuditEvent(db, clock, { sessionId: SYSTEM_SESSION, type: 'API_KEY_REVOKED', actorId: null, principal: by, payload: audited(record) });
  }
  return revoked;
}

/**
 * Replaces a key with a new one of the same name and scopes. The old key keeps working for
 * the overlap window, so clients can switch without downtime.
 *
 * @example
 * const { key } = await rotateApiKey(db, clock, 'ci', { overlapSeconds: 3600, by: 'alice' });
 */
export async function rotateApiKey(
  db: Db,
  clock: Clock,
  name: string,
  options: { overlapSeconds: number; by: string },
): Promise<{ key: string; record: ApiKeyRecord; old: ApiKeyRecord }> {
  const rotated = await db.transaction(async (tx) => {
    const old = await currentKey(tx, name);
    if (old.expires_at !== null && old.expires_at <= clock.now()) {
      throw new AosError('CONFLICT', `API key "${old.name}" (${old.id}) expired at ${old.expires_at.toISOString()}; revoke it and create a new one`, { key: old.id });
    }
    if (old.replaced_by !== null) {
      throw new AosError('CONFLICT', `API key "${old.name}" (${old.id}) was already rotated; rotate the current key by its name`, { key: old.id });
    }
    const overlapEnds = new Date(clock.now().getTime() + options.overlapSeconds * 1000);
    const expiresAt = old.expires_at && old.expires_at < overlapEnds ? old.expires_at : overlapEnds;
    const placeholder = `rotating-${old.id}`;
    await tx.query('UPDATE api_keys SET replaced_by = $2 WHERE id = $1', [old.id, placeholder]);
    const created = await insertKey(tx, clock, { name: old.name, scopes: old.scopes, createdBy: options.by, expiresAt: old.expires_at });
    const updated = await tx.query<ApiKeyRecord>(`UPDATE api_keys SET replaced_by = $2, expires_at = $3 WHERE id = $1 RETURNING ${COLUMNS}`, [
      old.id,
      created.record.id,
      expiresAt,
    ]);
    return { ...created, old: updated.rows[0]! };
  });
  await recordAuditEvent(db, clock, {
    sessionId: SYSTEM_SESSION,
    type: 'API_KEY_ROTATED',
    actorId: null,
    principal: options.by,
    payload: { ...audited(rotated.record), replaces: rotated.old.id, old_key_expires_at: rotated.old.expires_at?.toISOString() ?? null },
  });
  return rotated;
}

/**
 * The key a request presented, or AUTH_MALFORMED / AUTH_INVALID / AUTH_REVOKED / AUTH_EXPIRED.
 * The secret is compared as a hash, in constant time.
 *
 * @example
 * const record = await authenticateApiKey(db, clock, 'aos_0123456789abcdef_…');
 */
export async function authenticateApiKey(db: Queryable, clock: Clock, presented: string): Promise<ApiKeyRecord> {
  const match = KEY_PATTERN.exec(presented);
  if (!match) throw new AosError('AUTH_MALFORMED', 'the credential is not an AOSIQ API key (aos_<id>_<secret>)');
  const [, id, secret] = match as unknown as [string, string, string];
  const { rows } = await db.query<ApiKeyRecord & { secret_sha256: string }>(`SELECT ${COLUMNS}, secret_sha256 FROM api_keys WHERE id = $1`, [id]);
  const row = rows[0];
  const expected = Buffer.from(row?.secret_sha256 ?? '0'.repeat(64), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(secretHash(secret), 'hex')) || !row) {
    throw new AosError('AUTH_INVALID', 'unknown API key or wrong secret', { keyId: id });
  }
  const now = clock.now();
  if (row.revoked_at !== null) throw new AosError('AUTH_REVOKED', `API key "${row.name}" (${id}) was revoked`, { keyId: id, name: row.name });
  if (row.expires_at !== null && row.expires_at <= now) {
    throw new AosError('AUTH_EXPIRED', `API key "${row.name}" (${id}) expired at ${row.expires_at.toISOString()}`, { keyId: id, name: row.name });
  }
  const { secret_sha256, ...record } = row;
  if (row.last_used_at === null || now.getTime() - row.last_used_at.getTime() > TOUCH_EVERY_MS) {
    await db.query('UPDATE api_keys SET last_used_at = $2 WHERE id = $1', [id, now]);
    record.last_used_at = now;
  }
  return record;
}
