import { describe, expect, it } from 'vitest';
import {
  delegateGrants,
  findGrant,
  type Grant,
  grantSchema,
  intersectGrants,
  intersectPatterns,
  patternCovers,
} from './grant.js';

describe('grantSchema', () => {
  it('accepts exact names, families and the wildcard', () => {
    for (const tool of ['fs.read', 'fs.*', 'my_tool-2', 'kb.search.fast', 'kb.search.*', '*']) {
      expect(grantSchema.safeParse({ tool }).success, tool).toBe(true);
    }
  });

  it('rejects malformed tool patterns, unknown keys and empty constraint lists', () => {
    for (const grant of [
      { tool: 'FS.read' },
      { tool: 'fs.' },
      { tool: 'fs*' },
      { tool: '*.read' },
      { tool: 'fs..read' },
      { tool: 'fs.read', scope: 'all' },
      { tool: 'fs.read', constraints: { path: [] } },
      { tool: 'fs.read', constraints: { '': [{ eq: 1 }] } },
      { tool: 'fs.read', constraints: { 'a..b': [{ eq: 1 }] } },
      JSON.parse('{"tool": "fs.read", "constraints": {"__proto__": [{"eq": 1}]}}'),
    ]) {
      expect(grantSchema.safeParse(grant).success, JSON.stringify(grant)).toBe(false);
    }
  });
});

describe('patterns', () => {
  it('a family covers names below it, not itself', () => {
    expect(patternCovers('fs.*', 'fs.read')).toBe(true);
    expect(patternCovers('fs.*', 'fs.read.meta')).toBe(true);
    expect(patternCovers('fs.*', 'fs')).toBe(false);
    expect(patternCovers('fs.*', 'fsx.read')).toBe(false);
    expect(patternCovers('*', 'anything')).toBe(true);
  });

  it('intersects as the brief specifies', () => {
    expect(intersectPatterns('fs.read', 'fs.read')).toBe('fs.read');
    expect(intersectPatterns('fs.read', 'fs.write')).toBeNull();
    expect(intersectPatterns('fs.*', 'fs.read')).toBe('fs.read');
    expect(intersectPatterns('fs.read', 'fs.*')).toBe('fs.read');
    expect(intersectPatterns('fs.*', 'fs.read.*')).toBe('fs.read.*');
    expect(intersectPatterns('*', 'fs.*')).toBe('fs.*');
    expect(intersectPatterns('fs.*', 'http.*')).toBeNull();
    expect(intersectPatterns('fs.*', 'fs')).toBeNull();
  });
});

describe('findGrant', () => {
  const grants: Grant[] = [
    { tool: 'fs.read', constraints: { path: [{ prefix: '/data/' }] } },
    { tool: 'http.*', constraints: { method: [{ oneOf: ['GET', 'HEAD'] }] } },
  ];

  it('returns the first grant that permits the call', () => {
    expect(findGrant(grants, 'fs.read', { path: '/data/a' })).toEqual({ grant: grants[0] });
    expect(findGrant(grants, 'http.request', { method: 'GET' })).toEqual({ grant: grants[1] });
  });

  it('names the tool, argument, constraint and value when a constraint fails', () => {
    expect(findGrant(grants, 'fs.read', { path: '/etc/passwd' })).toEqual({
      denied: 'fs.read: argument "path" must match prefix "/data/" but is "/etc/passwd"',
    });
    expect(findGrant(grants, 'fs.read', {})).toEqual({
      denied: 'fs.read: argument "path" is missing but must match prefix "/data/"',
    });
  });

  it('truncates long values in the reason', () => {
    const result = findGrant(grants, 'fs.read', { path: `/etc/${'x'.repeat(5000)}` });
    expect('denied' in result && result.denied.length).toBeLessThan(200);
  });

  it('says when no grant covers the tool', () => {
    expect(findGrant(grants, 'fs.delete', { path: '/data/a' })).toEqual({
      denied: 'fs.delete: no grant covers this tool',
    });
  });
});

describe('intersectGrants', () => {
  it('narrows tools and conjoins constraints', () => {
    expect(
      intersectGrants(
        { tool: 'fs.*', constraints: { path: [{ prefix: '/data' }] } },
        {
          tool: 'fs.read',
          constraints: { path: [{ prefix: '/data/logs' }], limit: [{ range: { max: 10 } }] },
        },
      ),
    ).toEqual({
      tool: 'fs.read',
      constraints: { path: [{ prefix: '/data/logs' }], limit: [{ range: { max: 10 } }] },
    });
  });

  it('returns null for disjoint tools or contradicting constraints', () => {
    expect(intersectGrants({ tool: 'fs.*' }, { tool: 'http.get' })).toBeNull();
    expect(
      intersectGrants(
        { tool: 'fs.read', constraints: { path: [{ prefix: '/a' }] } },
        { tool: 'fs.read', constraints: { path: [{ prefix: '/b' }] } },
      ),
    ).toBeNull();
  });
});

describe('delegateGrants', () => {
  const parent: Grant[] = [
    { tool: 'fs.*', constraints: { path: [{ prefix: '/data/' }] } },
    { tool: 'http.request', constraints: { method: [{ eq: 'GET' }] } },
  ];

  it('clamps a broad request to the parent and the template', () => {
    const result = delegateGrants(parent, [{ tool: 'fs.read' }, { tool: 'fs.list' }], [{ tool: '*' }]);
    expect(result.grants).toEqual([
      { tool: 'fs.read', constraints: { path: [{ prefix: '/data/' }] } },
      { tool: 'fs.list', constraints: { path: [{ prefix: '/data/' }] } },
    ]);
    expect(result.dropped).toEqual([]);
  });

  it('says why each dropped grant was dropped', () => {
    const result = delegateGrants(
      parent,
      [{ tool: 'fs.read' }, { tool: 'fs.delete' }],
      [
        { tool: 'db.query' },
        { tool: 'http.request' },
        { tool: 'fs.read', constraints: { path: [{ prefix: '/etc/' }] } },
        { tool: 'fs.*', constraints: { path: [{ prefix: '/data/x' }] } },
      ],
      { template: 'triage' },
    );
    expect(result.dropped.map((entry) => entry.reason)).toEqual([
      'parent token has no grant covering db.query',
      "class template 'triage' does not allow http.request",
      'constraints contradict: path prefix "/data/" vs prefix "/etc/"',
    ]);
    expect(result.grants).toEqual([
      { tool: 'fs.read', constraints: { path: [{ prefix: '/data/x' }] } },
      { tool: 'fs.delete', constraints: { path: [{ prefix: '/data/x' }] } },
    ]);
  });

  it('explains when parent and template overlap the request but not each other', () => {
    const result = delegateGrants([{ tool: 'fs.read' }], [{ tool: 'fs.write' }], [{ tool: 'fs.*' }], {
      template: 'writer',
    });
    expect(result.dropped[0]?.reason).toBe(
      "parent token and class template 'writer' share no tool within fs.*",
    );
  });

  it('removes duplicate pieces', () => {
    const result = delegateGrants([{ tool: 'fs.*' }, { tool: '*' }], null, [{ tool: 'fs.read' }]);
    expect(result.grants).toEqual([{ tool: 'fs.read' }]);
  });
});
