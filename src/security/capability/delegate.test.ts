import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AosError, isAosError } from '../../errors.js';
import { clampToAuthority, delegate } from './delegate.js';
import type { CapabilityClaims } from './token.js';

const NOW = new Date('2025-01-01T00:00:00Z');
const NOW_SECONDS = NOW.getTime() / 1000;

const parent = (overrides: Partial<CapabilityClaims> = {}): CapabilityClaims => ({
  iss: 'aosiq',
  aud: 'aosiq-api',
  sub: 'actor-parent',
  jti: 'jti-parent',
  iat: NOW_SECONDS - 60,
  exp: NOW_SECONDS + 300,
  sid: 'session-1',
  cls: 'planner',
  grants: [{ tool: 'fs.*', constraints: { path: [{ prefix: '/data/' }] } }, { tool: 'http.get' }],
  depth: 1,
  ...overrides,
});

function thrown(action: () => unknown): AosError {
  try {
    action();
  } catch (error) {
    if (error instanceof AosError) return error;
    throw error;
  }
  throw new Error('expected an AosError');
}

describe('delegate', () => {
  it('narrows grants, caps the lifetime at the parent and counts depth', () => {
    const result = delegate({
      parent: parent(),
      template: [{ tool: 'fs.read' }, { tool: 'http.*' }],
      templateName: 'triage',
      request: [{ tool: 'fs.*' }, { tool: 'db.query' }],
      ttlSeconds: 3600,
      maxDepth: 3,
      now: NOW,
    });
    expect(result).toEqual({
      grants: [{ tool: 'fs.read', constraints: { path: [{ prefix: '/data/' }] } }],
      dropped: [{ grant: { tool: 'db.query' }, reason: 'parent token has no grant covering db.query' }],
      exp: NOW_SECONDS + 300,
      depth: 2,
    });
  });

  it('gives a short ttl when it ends before the parent', () => {
    const result = delegate({
      parent: parent(),
      template: null,
      request: [{ tool: 'http.get' }],
      ttlSeconds: 60,
      maxDepth: 3,
      now: NOW,
    });
    expect(result.exp).toBe(NOW_SECONDS + 60);
  });

  it('refuses an expired parent', () => {
    const error = thrown(() =>
      delegate({
        parent: parent({ exp: NOW_SECONDS }),
        template: null,
        request: [{ tool: 'http.get' }],
        ttlSeconds: 60,
        maxDepth: 3,
        now: NOW,
      }),
    );
    expect(error.code).toBe('TOKEN_EXPIRED');
    expect(error.message).toContain('expired at 2025-01-01T00:00:00.000Z');
  });

  it('refuses to go deeper than the limit', () => {
    const error = thrown(() =>
      delegate({
        parent: parent({ depth: 3 }),
        template: null,
        request: [{ tool: 'http.get' }],
        ttlSeconds: 60,
        maxDepth: 3,
        now: NOW,
      }),
    );
    expect(error.code).toBe('INSUFFICIENT_AUTHORITY');
    expect(error.message).toMatch(/depth 4 exceeds the limit 3/);
  });

  it('raises INSUFFICIENT_AUTHORITY listing why each grant was dropped when nothing survives', () => {
    const error = thrown(() =>
      delegate({
        parent: parent(),
        template: [{ tool: 'fs.read' }],
        templateName: 'triage',
        request: [{ tool: 'fs.delete' }, { tool: 'fs.read', constraints: { path: [{ prefix: '/etc/' }] } }],
        ttlSeconds: 60,
        maxDepth: 3,
        now: NOW,
      }),
    );
    expect(error.code).toBe('INSUFFICIENT_AUTHORITY');
    expect(error.message).toContain("fs.delete: class template 'triage' does not allow fs.delete");
    expect(error.message).toContain(
      'fs.read: constraints contradict: path prefix "/data/" vs prefix "/etc/"',
    );
    expect(error.details.dropped).toHaveLength(2);
  });

  it('refuses a non-positive ttl', () => {
    const error = thrown(() =>
      delegate({ parent: parent(), template: null, request: [], ttlSeconds: 0, maxDepth: 3, now: NOW }),
    );
    expect(error.code).toBe('INVALID_INPUT');
  });

  it('never lets an expired parent mint a live child, nor a child outlive its parent (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1000, max: 1000 }),
        fc.integer({ min: 0, max: 999 }),
        fc.integer({ min: 1, max: 5000 }),
        (expOffset, millis, ttlSeconds) => {
          const now = new Date(NOW.getTime() + millis);
          const claims = parent({ exp: NOW_SECONDS + expOffset });
          const input = {
            parent: claims,
            template: null,
            request: [{ tool: '*' }],
            ttlSeconds,
            maxDepth: 5,
            now,
          };
          if (claims.exp * 1000 <= now.getTime()) {
            expect(
              isAosError(
                thrown(() => delegate(input)),
                'TOKEN_EXPIRED',
              ),
            ).toBe(true);
            return;
          }
          const child = delegate(input);
          expect(child.exp).toBeLessThanOrEqual(claims.exp);
          expect(child.exp * 1000).toBeGreaterThan(now.getTime());
        },
      ),
    );
  });
});

describe('clampToAuthority', () => {
  it('clamps an operator spawn to the caller authority at depth 0', () => {
    const result = clampToAuthority({
      authority: [{ tool: 'fs.read' }],
      template: null,
      request: [{ tool: 'fs.*' }, { tool: 'fs.delete' }],
      ttlSeconds: 3600,
      now: NOW,
    });
    expect(result).toEqual({
      grants: [{ tool: 'fs.read' }],
      dropped: [
        { grant: { tool: 'fs.delete' }, reason: "caller's authority has no grant covering fs.delete" },
      ],
      exp: NOW_SECONDS + 3600,
      depth: 0,
    });
  });

  it('raises INSUFFICIENT_AUTHORITY when the caller holds none of it', () => {
    const error = thrown(() =>
      clampToAuthority({ authority: [], template: null, request: [{ tool: '*' }], ttlSeconds: 60, now: NOW }),
    );
    expect(error.code).toBe('INSUFFICIENT_AUTHORITY');
  });
});
