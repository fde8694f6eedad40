import { createHash } from 'node:crypto';
import { expect, it } from 'vitest';
import { describeEachStore } from '../../../test/support/stores.js';
import { manualClock } from '../../clock.js';
import { type ErrorCode, isAosError } from '../../errors.js';
import { authenticateApiKey, createApiKey, listApiKeys, revokeApiKey, rotateApiKey } from './api-keys.js';

const clock = manualClock(new Date('2026-01-01T00:00:00Z'));

/** `aos_<16 hex id>_<secret>`: the secret is everything after the second underscore. */
function secretOf(key: string): string {
  return key.slice('aos_0123456789abcdef_'.length);
}

async function refusal(promise: Promise<unknown>): Promise<ErrorCode> {
  try {
    await promise;
  } catch (error) {
    if (isAosError(error)) return error.code;
    throw error;
  }
  throw new Error('expected an AosError, but the call succeeded');
}

describeEachStore('API keys', (store) => {
  const scopes = {
    spawn_classes: ['reviewer'],
    grants: [{ tool: 'fs.read', constraints: { path: [{ prefix: 'docs/' }] } }],
    approve: false,
    audit: true,
    admin: false,
  };

  it('authenticates a new key and round-trips its scopes', async () => {
    const { db } = store();
    const { key, record } = await createApiKey(db, clock, { name: 'ci', scopes, createdBy: 'alice' });
    expect(key).toMatch(/^aos_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(record).toMatchObject({ name: 'ci', scopes, created_by: 'alice', expires_at: null, revoked_at: null, replaced_by: null });
    const authenticated = await authenticateApiKey(db, clock, key);
    expect(authenticated.id).toBe(record.id);
    expect(authenticated.scopes).toEqual(scopes);
    expect(authenticated).not.toHaveProperty('secret_sha256');
    expect(authenticated.last_used_at?.toISOString()).toBe(clock.now().toISOString());
    const used = await db.query<{ last_used_at: Date }>('SELECT last_used_at FROM api_keys WHERE id = $1', [record.id]);
    expect(used.rows[0]!.last_used_at.toISOString()).toBe(clock.now().toISOString());
    expect((await listApiKeys(db)).map((listed) => listed.id)).toContain(record.id);
  });

  it('fills in scopes left out, and refuses bad names and scopes', async () => {
    const { db } = store();
    const { record } = await createApiKey(db, clock, { name: 'bare', scopes: {}, createdBy: 'alice' });
    expect(record.scopes).toEqual({ spawn_classes: [], grants: [], approve: false, audit: false, admin: false });
    expect(await refusal(createApiKey(db, clock, { name: 'Bad Name', scopes: {}, createdBy: 'alice' }))).toBe('INVALID_INPUT');
    // Revoke and rotate take a name or an id: a name that looks like an id would be ambiguous.
    expect(await refusal(createApiKey(db, clock, { name: 'abcdef0123456789', scopes: {}, createdBy: 'alice' }))).toBe('INVALID_INPUT');
    expect(await refusal(createApiKey(db, clock, { name: 'x', scopes: { root: true }, createdBy: 'alice' }))).toBe('INVALID_INPUT');
    expect(await refusal(createApiKey(db, clock, { name: 'x', scopes: { grants: [{ tool: '' }] }, createdBy: 'alice' }))).toBe(
      'INVALID_INPUT',
    );
  });

  it('stores only the SHA-256 of the secret', async () => {
    const { db } = store();
    const { key, record } = await createApiKey(db, clock, { name: 'hashed', scopes, createdBy: 'alice' });
    const secret = secretOf(key);
    const { rows } = await db.query<Record<string, unknown>>('SELECT * FROM api_keys WHERE id = $1', [record.id]);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.secret_sha256).toBe(createHash('sha256').update(secret).digest('hex'));
    const stored = JSON.stringify(rows[0]);
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain(key);
  });

  it('refuses a wrong secret, an unknown id and a malformed key with distinct codes', async () => {
    const { db } = store();
    const { key, record } = await createApiKey(db, clock, { name: 'probe', scopes, createdBy: 'alice' });
    const secret = secretOf(key);
    const wrongSecret = `aos_${record.id}_${secret.startsWith('A') ? 'B' : 'A'}${secret.slice(1)}`;
    expect(await refusal(authenticateApiKey(db, clock, wrongSecret))).toBe('AUTH_INVALID');
    expect(await refusal(authenticateApiKey(db, clock, `aos_${'0'.repeat(16)}_${secret}`))).toBe('AUTH_INVALID');
    for (const malformed of ['', 'aos_', `aos_${record.id}`, `aos_${record.id.toUpperCase()}_${secret}`, `${key}x`, `Bearer ${key}`]) {
      expect(await refusal(authenticateApiKey(db, clock, malformed)), malformed).toBe('AUTH_MALFORMED');
    }
  });

  it('refuses a revoked key, and an unknown key cannot be revoked', async () => {
    const { db } = store();
    const { key, record } = await createApiKey(db, clock, { name: 'leaked', scopes, createdBy: 'alice' });
    const revoked = await revokeApiKey(db, clock, 'leaked', 'bob');
    expect(revoked.map((row) => [row.id, row.revoked_by])).toEqual([[record.id, 'bob']]);
    expect(await refusal(authenticateApiKey(db, clock, key))).toBe('AUTH_REVOKED');
    expect(await refusal(revokeApiKey(db, clock, 'leaked', 'bob'))).toBe('NOT_FOUND');
    expect(await refusal(revokeApiKey(db, clock, 'never-made', 'bob'))).toBe('NOT_FOUND');
    // The name is free again once its key is revoked.
    await createApiKey(db, clock, { name: 'leaked', scopes, createdBy: 'alice' });
  });

  it('refuses a key past its expiry', async () => {
    const { db } = store();
    const expiresAt = new Date(clock.now().getTime() + 60_000);
    const { key } = await createApiKey(db, clock, { name: 'short', scopes, createdBy: 'alice', expiresAt });
    await authenticateApiKey(db, clock, key);
    clock.advance(60_000);
    expect(await refusal(authenticateApiKey(db, clock, key))).toBe('AUTH_EXPIRED');
  });

  it('keeps both keys working through a rotation overlap, then only the new one', async () => {
    const { db } = store();
    const first = await createApiKey(db, clock, { name: 'rotated', scopes, createdBy: 'alice' });
    clock.advance(1000);
    const rotated = await rotateApiKey(db, clock, 'rotated', { overlapSeconds: 600, by: 'bob' });
    expect(rotated.old.id).toBe(first.record.id);
    expect(rotated.old.replaced_by).toBe(rotated.record.id);
    expect(rotated.old.expires_at?.getTime()).toBe(clock.now().getTime() + 600_000);
    expect(rotated.record).toMatchObject({ name: 'rotated', scopes, created_by: 'bob', expires_at: null });
    expect(rotated.key).not.toBe(first.key);

    clock.advance(599_000);
    expect((await authenticateApiKey(db, clock, first.key)).id).toBe(first.record.id);
    expect((await authenticateApiKey(db, clock, rotated.key)).id).toBe(rotated.record.id);
    clock.advance(1000);
    expect(await refusal(authenticateApiKey(db, clock, first.key))).toBe('AUTH_EXPIRED');
    expect((await authenticateApiKey(db, clock, rotated.key)).scopes).toEqual(scopes);

    expect(await refusal(rotateApiKey(db, clock, first.record.id, { overlapSeconds: 60, by: 'bob' }))).toBe('CONFLICT');
    expect(await refusal(rotateApiKey(db, clock, 'no-such-key', { overlapSeconds: 60, by: 'bob' }))).toBe('NOT_FOUND');
  });

  it('rotates the current key when rotated repeatedly within one clock tick', async () => {
    const { db } = store();
    let current = (await createApiKey(db, clock, { name: 'twice', scopes, createdBy: 'alice' })).record;
    for (let round = 0; round < 5; round += 1) {
      const rotated = await rotateApiKey(db, clock, 'twice', { overlapSeconds: 60, by: 'bob' });
      expect(rotated.old.id).toBe(current.id);
      current = rotated.record;
    }
  });

  it('refuses a second current key of the same name', async () => {
    const { db } = store();
    await createApiKey(db, clock, { name: 'dup', scopes, createdBy: 'alice' });
    expect(await refusal(createApiKey(db, clock, { name: 'dup', scopes, createdBy: 'alice' }))).toBe('CONFLICT');
    await rotateApiKey(db, clock, 'dup', { overlapSeconds: 60, by: 'alice' });
    expect(await refusal(createApiKey(db, clock, { name: 'dup', scopes, createdBy: 'alice' }))).toBe('CONFLICT');
  });

  it('audits creation, revocation and rotation in the system session, without secrets', async () => {
    const { db } = store();
    const created = await createApiKey(db, clock, { name: 'audited', scopes, createdBy: 'alice' });
    const rotated = await rotateApiKey(db, clock, 'audited', { overlapSeconds: 60, by: 'bob' });
    await revokeApiKey(db, clock, rotated.record.id, 'carol');
    const { rows } = await db.query<{ session_id: string; type: string; principal: string; payload: Record<string, unknown> }>(
      `SELECT session_id, type, principal, payload FROM audit_events
        WHERE type LIKE 'API_KEY_%' AND payload->>'name' = 'audited' ORDER BY chain_seq`,
    );
    expect(rows.map((row) => [row.session_id, row.type, row.principal, row.payload.key_id])).toEqual([
      ['system', 'API_KEY_CREATED', 'alice', created.record.id],
      ['system', 'API_KEY_ROTATED', 'bob', rotated.record.id],
      ['system', 'API_KEY_REVOKED', 'carol', rotated.record.id],
    ]);
    expect(rows[1]!.payload.replaces).toBe(created.record.id);
    const text = JSON.stringify(rows);
    for (const key of [created.key, rotated.key]) {
      expect(text).not.toContain(secretOf(key));
      expect(text).not.toContain(createHash('sha256').update(secretOf(key)).digest('hex'));
    }
  });
});
