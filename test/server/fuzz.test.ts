/**
 * Property-based fuzzing of the HTTP API over real HTTP, auth enforced: whatever a client sends
 * (bodies, credentials, paths, query strings), the server answers without a 5xx, every refusal is
 * a problem document with one of our codes, a refusal writes nothing but its own audit row, and
 * an actor's token never runs a tool beyond its grants.
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/errors.js';
import { startTestServer, type TestServer } from './support.js';

type Credential = 'all' | 'noscope' | 'reviewer' | 'janitor' | 'missing' | 'tampered-key' | 'tampered-token' | 'unknown-key';
type Auth = { credential: Credential } | { header: string };

interface Request {
  method: 'GET' | 'POST';
  url: string;
  auth: Auth;
  contentType?: string | undefined;
  body?: string | undefined;
}

interface Response {
  status: number;
  contentType: string;
  text: string;
}

const CODES = Object.keys(ERROR_CODES);
const REVIEWER_TOOLS = ['fs.read', 'fs.list'];
const FILES: Record<string, string> = { 'notes.txt': 'hello\n', 'tmp/old.log': 'stale\n', 'sub/deeper.txt': 'deep\n' };

let t: TestServer;
const credentials = new Map<Credential, string>();
/** Ids the fuzzers mix into paths and queries, so some requests reach real rows. */
const known = { actors: [] as string[], sessions: [] as string[], approvals: [] as string[], victim: '' };
let reviewerId = '';
let tools: string[] = [];

// ---------------------------------------------------------------------------------------------
// Talking to the server

function authorization(auth: Auth): string | undefined {
  if ('header' in auth) return auth.header;
  if (auth.credential === 'missing') return undefined;
  return `Bearer ${credentials.get(auth.credential)!}`;
}

async function send(request: Request): Promise<Response> {
  const headers: Record<string, string> = {};
  const header = authorization(request.auth);
  if (header !== undefined) headers.authorization = header;
  if (request.contentType !== undefined) headers['content-type'] = request.contentType;
  const response = await fetch(`${t.server.url}${request.url}`, {
    method: request.method,
    headers,
    body: request.method === 'POST' ? request.body : undefined,
  });
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', text: await response.text() };
}

function describeExchange(request: Request, response: Response): string {
  const body = request.body === undefined ? '' : ` ${request.body.slice(0, 200)}${request.body.length > 200 ? `… (${request.body.length} chars)` : ''}`;
  return `${request.method} ${request.url.slice(0, 200)}${body} → ${response.status} ${response.text.slice(0, 300)}`;
}

/** Property 1's check: below 500, and every non-2xx answer a problem document with one of our codes. */
function expectWellFormed(request: Request, response: Response): void {
  const where = describeExchange(request, response);
  expect(response.status, where).toBeLessThan(500);
  if (response.status >= 200 && response.status < 300) return;
  expect(response.contentType, where).toMatch(/^application\/problem\+json/);
  let problem: { code?: unknown; detail?: unknown; status?: unknown };
  try {
    problem = JSON.parse(response.text);
  } catch {
    throw new Error(`the problem document is not JSON: ${where}`);
  }
  expect(CODES, where).toContain(problem.code);
  expect(typeof problem.detail, where).toBe('string');
  expect(problem.status, where).toBe(response.status);
}

interface Snapshot {
  actors: number;
  approvals: number;
  api_keys: number;
  votes: number;
  events: number;
  last_event: number;
  fingerprint: string;
}

async function snapshot(): Promise<Snapshot> {
  const { rows } = await t.runtime.db.query<Record<keyof Snapshot, string>>(
    `SELECT (SELECT count(*) FROM actors)::text AS actors,
            (SELECT count(*) FROM approvals)::text AS approvals,
            (SELECT count(*) FROM api_keys)::text AS api_keys,
            (SELECT count(*) FROM approval_votes)::text AS votes,
            (SELECT count(*) FROM audit_events)::text AS events,
            (SELECT coalesce(max(id), 0) FROM audit_events)::text AS last_event,
            (SELECT md5(coalesce(string_agg(id || ':' || state, ',' ORDER BY id), '')) FROM actors)
              || (SELECT md5(coalesce(string_agg(id || ':' || status || ':' || coalesce(decided_by, ''), ',' ORDER BY id), '')) FROM approvals)
              || (SELECT md5(coalesce(string_agg(id || ':' || coalesce(revoked_at::text, '') || ':' || coalesce(replaced_by, ''), ',' ORDER BY id), '')) FROM api_keys)
              AS fingerprint`,
  );
  const row = rows[0]!;
  return {
    actors: Number(row.actors),
    approvals: Number(row.approvals),
    api_keys: Number(row.api_keys),
    votes: Number(row.votes),
    events: Number(row.events),
    last_event: Number(row.last_event),
    fingerprint: row.fingerprint,
  };
}

async function eventsAfter(id: number): Promise<{ type: string; actor_id: string | null; payload: { tool?: unknown; reversible?: unknown } }[]> {
  return (await t.runtime.db.query<{ type: string; actor_id: string | null; payload: { tool?: unknown; reversible?: unknown } }>(
    'SELECT type, actor_id, payload FROM audit_events WHERE id > $1 ORDER BY id',
    [id],
  )).rows;
}

function workspaceFiles(): Record<string, string> {
  const root = path.join(t.dir, 'workspace');
  const files: Record<string, string> = {};
  for (const entry of fs.readdirSync(root, { recursive: true, withFileTypes: true })) {
    const full = path.join(entry.parentPath, entry.name);
    files[path.relative(root, full)] = entry.isFile() ? fs.readFileSync(full, 'utf8') : `<${entry.isDirectory() ? 'dir' : 'other'}>`;
  }
  return files;
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

const KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', 'tool', 'args', 'class', 'grants', 'reason', 'path', 'root', 'constraints', 'prefix', 'eq', 'oneOf', 'range', 'encoding', 'recursive', 'max_bytes', ''];
const NUMBER_TEXTS = ['0', '-0', '1', '-1', '1.5', '1E2', '0.1e1', '1e309', '-1e309', '1e-400', '9007199254740991', '9007199254740992', '9007199254740993', '-9007199254740993', '123456789012345678901234567890', '01', '1.', '.5', '+1', 'NaN', 'Infinity', '0x10'];
const STRING_TEXTS = ['"\\u0000"', '"\\ud800"', '"\\udc00\\ud800"', '"\\ud83d\\ude00"', '"\t"', '"unterminated', '"\\x41"', '"\\u12"', '"../../etc/passwd"', '"tmp/old.log"', '"notes.txt"', '"*"', '"fs.*"'];
const TOOL_NAMES = ['fs.read', 'fs.list', 'fs.write', 'fs.delete', 'http.get', 'http.request', 'command.announce', 'fs.*', '*', 'fs', 'fs.read.x', 'FS.READ', 'fs.read ', ' fs.read', 'fs.readx', 'fs\u0000.read', 'command.', '.', ''];
const CLASSES = ['reviewer', 'janitor', 'deployer', 'reviewer', 'janitor', 'deployer', 'nope', '*', '', 'Reviewer', '__proto__', 'constructor'];

const anyString = fc.oneof(fc.string({ unit: 'binary', maxLength: 24 }), fc.string({ maxLength: 12 }));

/** Mostly a value that passes validation, so the fuzz reaches the code behind it; sometimes a hostile one. */
function mostly<T>(valid: fc.Arbitrary<T>, hostile: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 8, arbitrary: valid }, { weight: 1, arbitrary: hostile });
}

/** An object with, now and then, one hostile extra key (`__proto__`, `constructor`, a field another shape takes). */
function withExtraKey(shape: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .tuple(shape, fc.option(fc.tuple(fc.constantFrom(...KEYS, 'content', 'create_dirs', 'url'), fc.jsonValue({ maxDepth: 2 })), { freq: 10 }))
    .map(([value, extra]) => (extra === null ? value : Object.defineProperty({ ...value }, extra[0], { value: extra[1], enumerable: true, writable: true, configurable: true })));
}

const toolName = fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...TOOL_NAMES) }, { weight: 1, arbitrary: anyString }, {
  weight: 1,
  arbitrary: fc.constantFrom(199, 200, 201, 5000).map((n) => `fs.${'r'.repeat(n - 3)}`),
});

/** Paths that reach the tools' confinement and error handling: existing files used as folders, over-long names, traversal. */
const PATH_PARTS = ['notes.txt', 'tmp', 'old.log', 'sub', 'deeper.txt', 'missing', 'a'.repeat(256)];
const HOSTILE_PATH_PARTS = ['.', '..', '', '~', '%2e%2e', '\\', '..\\..', 'ab'.repeat(2100), '.aosiq', 'C:'];
const fsPath = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .tuple(fc.integer({ min: 0, max: 9 }), fc.array(mostly(fc.constantFrom(...PATH_PARTS), fc.constantFrom(...HOSTILE_PATH_PARTS)), { minLength: 1, maxLength: 4 }))
      .map(([absolute, parts]) => `${absolute === 0 ? '/' : ''}${parts.join('/')}`),
  },
  { weight: 1, arbitrary: anyString },
);

const root = mostly(fc.constant('workspace'), fc.oneof(anyString, fc.constantFrom('__proto__', 'constructor', 'Workspace')));
const encoding = mostly(fc.constantFrom('utf8', 'base64'), fc.constantFrom('latin1', '', null));
const maxBytes = mostly(fc.integer({ min: 1, max: 1 << 21 }), fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -1, 2 ** 53 - 1)));
const flag = mostly(fc.boolean(), fc.jsonValue({ maxDepth: 1 }));

/** Each tool's own argument shape with hostile values, so calls reach the grant check and the tools themselves. */
const url = fc.constantFrom('http://127.0.0.1:1/', 'http://localhost:1/x', 'file:///etc/passwd', 'http://169.254.169.254/', 'http://[::1]:1/', '');
const ARGS_BY_TOOL: Record<string, fc.Arbitrary<Record<string, unknown>>> = {
  'fs.read': withExtraKey(fc.record({ root, path: fsPath, encoding, max_bytes: maxBytes }, { requiredKeys: ['path'] })),
  'fs.list': withExtraKey(fc.record({ root, path: fsPath, recursive: flag }, { requiredKeys: [] })),
  'fs.write': withExtraKey(fc.record({ root, path: fsPath, content: anyString, encoding, create_dirs: flag }, { requiredKeys: ['path', 'content'] })),
  'fs.delete': withExtraKey(fc.record({ root, path: mostly(fsPath.map((rest) => `tmp/${rest}`), fsPath) }, { requiredKeys: ['path'] })),
  'command.announce': withExtraKey(fc.record({ message: mostly(fc.constantFrom('deploy-started', 'deploy-finished'), fc.oneof(fc.constantFrom('$(id)', '--help', ''), anyString)) })),
  'http.get': withExtraKey(fc.record({ url, headers: mostly(fc.dictionary(fc.constantFrom('accept', 'authorization', 'x'), fc.string()), fc.jsonValue({ maxDepth: 1 })) }, { requiredKeys: ['url'] })),
  'http.request': withExtraKey(fc.record({ method: mostly(fc.constantFrom('POST', 'PUT', 'PATCH', 'DELETE'), fc.constantFrom('GET', 'post', '')), url, body: fc.string() }, { requiredKeys: ['method', 'url'] })),
};
const anyArgs = fc.oneof(...Object.values(ARGS_BY_TOOL), fc.jsonValue({ maxDepth: 3 }));

/** A tool call: mostly a tool with arguments of its own shape; sometimes any name with any arguments. */
const toolCall: fc.Arbitrary<{ tool?: unknown; args?: unknown }> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...Object.keys(ARGS_BY_TOOL)).chain((tool) => fc.record({ tool: fc.constant(tool), args: ARGS_BY_TOOL[tool]! }, { requiredKeys: ['tool'] })) },
  { weight: 2, arbitrary: fc.record({ tool: toolName, args: anyArgs }, { requiredKeys: ['tool'] }) },
  { weight: 1, arbitrary: fc.record({ tool: fc.jsonValue({ maxDepth: 1 }), args: fc.jsonValue({ maxDepth: 2 }) }, { requiredKeys: [] }) },
);

const constraint = mostly(
  fc.oneof(
    fc.record({ prefix: fc.oneof(fc.constantFrom('tmp/', 'sub/', '', '../'), anyString) }),
    fc.record({ eq: fc.oneof(fc.constantFrom('notes.txt', 'deploy-started'), anyString) }),
    fc.record({ oneOf: fc.array(fc.oneof(fc.constantFrom('notes.txt', 'tmp/old.log'), anyString), { maxLength: 3 }) }),
    fc.record({ range: fc.tuple(fc.oneof(fc.integer(), fc.double()), fc.oneof(fc.integer(), fc.double())) }),
  ),
  fc.jsonValue({ maxDepth: 2 }),
);
const grant = mostly(
  fc.record(
    {
      tool: toolName,
      constraints: mostly(fc.dictionary(fc.constantFrom('path', 'root', 'message', 'url', 'x', '__proto__'), fc.array(constraint, { maxLength: 2 }), { maxKeys: 2 }), fc.jsonValue({ maxDepth: 2 })),
    },
    { requiredKeys: ['tool'] },
  ),
  fc.jsonValue({ maxDepth: 2 }),
);

const reason = mostly(fc.string({ minLength: 1, maxLength: 40 }), fc.oneof(anyString, fc.constantFrom('x'.repeat(1000), 'x'.repeat(1001), '', ' '), fc.jsonValue({ maxDepth: 2 })));

/** Bodies shaped like each route's, so the fuzz gets past the schema to the syscalls. */
function shapedBody(route: string): fc.Arbitrary<string> {
  let shaped: fc.Arbitrary<Record<string, unknown>>;
  if (route === '/api/v1/agents') {
    shaped = fc.record({ class: mostly(fc.constantFrom(...CLASSES), anyString), grants: mostly(fc.array(grant, { maxLength: 3 }), fc.jsonValue({ maxDepth: 1 })) }, { requiredKeys: ['class', 'grants'] });
  } else if (route === '/api/v1/calls') {
    shaped = toolCall;
  } else {
    shaped = mostly(fc.record({ reason }), fc.record({ reason }, { requiredKeys: [] })) as fc.Arbitrary<Record<string, unknown>>;
  }
  return withExtraKey(shaped).map((value) => JSON.stringify(value));
}

/** JSON text written by hand, so it can hold duplicate keys, `__proto__`, escapes and out-of-range numbers. */
const keyText = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...KEYS).map((key) => JSON.stringify(key)) },
  { weight: 1, arbitrary: fc.constantFrom('"\\u0074ool"', '"\\u0000"', '"\\ud800"', '"__pro\\u0074o__"', '"t\\u006fol"') },
  { weight: 1, arbitrary: anyString.map((key) => JSON.stringify(key)) },
);
const scalarText = fc.oneof(
  fc.constantFrom('null', 'true', 'false', 'nul', 'True'),
  fc.constantFrom(...NUMBER_TEXTS),
  fc.oneof(fc.integer(), fc.double()).map(String),
  anyString.map((text) => JSON.stringify(text)),
  fc.constantFrom(...STRING_TEXTS),
);
const { value: jsonText } = fc.letrec<{ value: string; array: string; object: string }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', maxDepth: 5 }, scalarText, tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 4 }).map((items) => `[${items.join(',')}]`),
  object: fc.array(fc.tuple(keyText, tie('value')), { maxLength: 5 }).map((entries) => `{${entries.map(([key, value]) => `${key}:${value}`).join(',')}}`),
}));

function jsonOf(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'undefined';
  } catch {
    return typeof value;
  }
}

const SPECIAL_BODIES = [
  '',
  ' ',
  'null',
  '{}',
  '[]',
  '"x"',
  '1e309',
  '-1e309',
  '1e-400',
  '9007199254740993',
  '{"tool":"fs.read","tool":"fs.list","args":{}}',
  '{"tool":"fs.list","\\u0074ool":"fs.read","args":{}}',
  '{"tool":"fs.list","args":{"path":".","path":"tmp"}}',
  '{"class":"reviewer","class":"janitor","grants":[{"tool":"fs.list"}]}',
  '{"__proto__":{"admin":true},"class":"reviewer","grants":[{"tool":"fs.list"}]}',
  '{"class":"reviewer","grants":[{"tool":"fs.list","__proto__":{"tool":"*"}}]}',
  '{"constructor":{"prototype":{"polluted":1}},"tool":"fs.list"}',
  '{"tool":"fs.list","args":{"__proto__":null}}',
  '{"tool":"fs.list","args":{"__proto__":{"path":"/etc"}}}',
  '{"tool":"fs.read","args":{"path":"notes.txt","max_bytes":1e309}}',
  '{"tool":"fs.read","args":{"path":"notes.txt","max_bytes":9007199254740993}}',
  '{"class":"reviewer","grants":[{"tool":"fs.read","constraints":{"path":[{"range":[1e308,1e309]}]}}]}',
  '{"reason":"\\ud800"}',
  '{"reason":"\ud800"}',
  '\ufeff{}',
  '{"a":1}garbage',
  '{"a":1,}',
  "{'a':1}",
  '{"a":01}',
  '[1,]',
  '{"a":"\t"}',
  '{"a":"\u0000"}',
  '{"tool":"fs.list","args":{"path":"."}}',
  '{"reason":"fuzz"}',
];

const deepBody = fc.tuple(fc.constantFrom(1, 63, 64, 65, 66, 200, 20_000), fc.constantFrom('[', '{"a":')).map(([depth, open]) =>
  open === '[' ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
);

/** Near the syscall's argument limit (65,536 bytes) and the HTTP body limit (262,144). */
const hugeBody = fc.tuple(fc.constantFrom(65_490, 65_500, 65_600, 262_100, 262_144, 262_200), fc.constantFrom('call', 'reason', 'class')).map(([size, shape]) => {
  const filler = 'x'.repeat(size);
  if (shape === 'call') return `{"tool":"fs.read","args":{"path":"${filler}"}}`;
  if (shape === 'reason') return `{"reason":"${filler}"}`;
  return `{"class":"${filler}","grants":[]}`;
});

const parserNoise = fc.string({ unit: fc.constantFrom('{', '}', '[', ']', '"', ':', ',', '\\', 'u', '0', 'd', '8', '1', 'e', '-', '.', ' ', 't', 'n', 'a', '_'), maxLength: 40 });

function bodyFor(route: string): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    { weight: 14, arbitrary: shapedBody(route) },
    { weight: 3, arbitrary: jsonText },
    { weight: 1, arbitrary: fc.jsonValue().map((value) => JSON.stringify(value)) },
    {
      weight: 1,
      arbitrary: fc
        .anything({ withBoxedValues: true, withMap: true, withSet: true, withObjectString: true, withNullPrototype: true, withDate: true, withTypedArray: true, withSparseArray: true, withUnicodeString: true, maxDepth: 3 })
        .map(jsonOf),
    },
    { weight: 1, arbitrary: fc.oneof(fc.string({ unit: 'binary', maxLength: 60 }), parserNoise) },
    { weight: 2, arbitrary: fc.constantFrom(...SPECIAL_BODIES) },
    { weight: 1, arbitrary: deepBody },
    { weight: 1, arbitrary: hugeBody },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}

const contentType = fc.oneof(
  { weight: 12, arbitrary: fc.constant('application/json') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      undefined,
      'application/json; charset=utf-8',
      'application/json; charset=latin1',
      'APPLICATION/JSON',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/problem+json',
      'application/jsonx',
    ),
  },
);

/** Credentials: valid ones most of the time (weighted to what the route takes), else missing, tampered, unknown or malformed. */
function authFor(route: 'key' | 'capability'): fc.Arbitrary<Auth> {
  const valid: Credential[] = route === 'key' ? ['all', 'all', 'all', 'noscope', 'reviewer'] : ['all', 'noscope', 'reviewer', 'reviewer', 'janitor', 'janitor'];
  return fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...valid).map((credential) => ({ credential })) },
    { weight: 2, arbitrary: fc.constantFrom<Credential>('missing', 'tampered-key', 'tampered-token', 'unknown-key').map((credential) => ({ credential })) },
    {
      weight: 1,
      arbitrary: fc
        .oneof(
          fc.constantFrom('Basic YWxhZGRpbjpvcGVu', 'Bearer', 'bearer   x', 'Bearer a b', 'Bearer aos_', 'Bearer a.b.c', 'Bearer ..', 'Bearer x.y.z.w', 'Token aos_x'),
          fc.stringMatching(/^[!-~]{0,60}$/).map((text) => `Bearer ${text}`),
        )
        .map((header) => ({ header })),
    },
  );
}

/** One path segment: real ids, printable text percent-encoded, raw escapes (some invalid), and over-long ones. */
function segment(ids: () => string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant(null).map(() => ids()).chain((list) => (list.length > 0 ? fc.constantFrom(...list) : fc.constant('none'))) },
    { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }).map((text) => encodeURIComponent(text.toWellFormed())) },
    { weight: 2, arbitrary: fc.constantFrom('%00', '%ZZ', '%', '%FF', '%C0%80', '%ED%A0%80', 'apr_%00x', '..', '.', '%2F', '%2e%2e', 'x%00y', 'act_x', 'ses_x', 'system', '0', '-1') },
    { weight: 1, arbitrary: fc.constantFrom(99, 100, 101, 5000).map((n) => 'a'.repeat(n)) },
  );
}

const QUERY_NAMES = ['session_id', 'actor_id', 'type', 'since', 'until', 'limit', 'status'];
const RAW_QUERY_VALUES = ['', '0', '-1', '1', '1000', '1001', '1e3', '0x10', 'NaN', 'Infinity', '1.5', '%20%205', '%00', '%ZZ', '%FF', '%ED%A0%80', 'pending', 'approved', 'AUTH_REJECTED', 'system', '2024-02-30T00:00:00Z', '2024-02-29T00:00:00Z', '0000-01-01T00:00:00Z', '9999-12-31T23:59:59.999999999%2B23:59', '2024-01-01T00:00:00', '2024-01-01', 'a&b', '=='];
const queryValue = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...RAW_QUERY_VALUES) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }).map((text) => encodeURIComponent(text.toWellFormed())) },
  { weight: 1, arbitrary: fc.date({ noInvalidDate: true }).map((date) => encodeURIComponent(date.toISOString())) },
  { weight: 1, arbitrary: fc.constant(null).map(() => known.sessions).chain((list) => fc.constantFrom(...list)) },
);
const query = fc
  .array(fc.tuple(fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...QUERY_NAMES) }, { weight: 1, arbitrary: fc.constantFrom('%00', '__proto__', 'constructor', 'x', '') }), queryValue), { maxLength: 4 })
  .map((pairs) => (pairs.length === 0 ? '' : `?${pairs.map(([name, value]) => `${name}=${value}`).join('&')}`));

const POST_ROUTES = ['agents', 'calls', 'kill', 'approve', 'deny'] as const;

const postRequest: fc.Arbitrary<Request> = fc.constantFrom(...POST_ROUTES).chain((route) => {
  const url =
    route === 'agents' || route === 'calls'
      ? fc.constant(`/api/v1/${route}`)
      : route === 'kill'
        ? segment(() => [known.victim]).map((id) => `/api/v1/agents/${id}/kill`)
        : segment(() => known.approvals).map((id) => `/api/v1/approvals/${id}/${route}`);
  const base = route === 'agents' || route === 'calls' ? `/api/v1/${route}` : '/api/v1/approvals/:id/approve';
  return fc.record({ method: fc.constant<'POST'>('POST'), url, auth: authFor(route === 'agents' || route === 'calls' ? 'capability' : 'key'), contentType, body: bodyFor(base) });
});

const proofId = fc.oneof(
  fc.constantFrom('1', '2', '0', '-1', '1.5', '1e3', '0x10', '9007199254740991', '9007199254740992', '1e400', 'abc', '%20%201', '%00'),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
);

const getRequest: fc.Arbitrary<Request> = fc.record({
  method: fc.constant<'GET'>('GET'),
  url: fc.oneof(
    query.map((q) => `/api/v1/agents${q}`),
    segment(() => known.actors).map((id) => `/api/v1/agents/${id}`),
    query.map((q) => `/api/v1/approvals${q}`),
    segment(() => known.approvals).map((id) => `/api/v1/approvals/${id}`),
    query.map((q) => `/api/v1/audit/events${q}`),
    segment(() => known.sessions).map((id) => `/api/v1/audit/sessions/${id}/verify`),
    proofId.map((id) => `/api/v1/audit/events/${id}/proof`),
    query.map((q) => `/api/v1/health${q}`),
    segment(() => []).map((id) => `/api/v1/${id}`),
  ),
  auth: authFor('key'),
});

/**
 * Inputs that once broke a property, run before the random ones on every run so that a
 * regression fails deterministically: NUL in a path or query value reached Postgres (500); an
 * undecodable or over-long path segment got Fastify's own non-problem 400/414; a path through a
 * file, or with a component over 255 bytes, made fs.read/fs.list answer 502 TOOL_FAILED.
 */
const CALL_REGRESSIONS: { tool: string; args: Record<string, unknown> }[] = [
  { tool: 'fs.read', args: { path: 'notes.txt/x' } },
  { tool: 'fs.list', args: { path: 'a'.repeat(256) } },
];
const POST_REGRESSIONS: Request[] = [
  ...CALL_REGRESSIONS.map((call): Request => ({ method: 'POST', url: '/api/v1/calls', auth: { credential: 'reviewer' }, contentType: 'application/json', body: JSON.stringify(call) })),
  { method: 'POST', url: '/api/v1/agents/%00/kill', auth: { credential: 'all' }, contentType: 'application/json', body: '{"reason":"x"}' },
  { method: 'POST', url: '/api/v1/approvals/%00/deny', auth: { credential: 'all' }, contentType: 'application/json', body: '{"reason":"x"}' },
  { method: 'POST', url: '/api/v1/approvals/%ZZ/approve', auth: { credential: 'all' }, contentType: 'application/json', body: '{}' },
];
const GET_REGRESSIONS: Request[] = [
  '/api/v1/agents/%00',
  '/api/v1/agents?session_id=%00',
  '/api/v1/approvals/%00',
  '/api/v1/audit/events?type=%00',
  '/api/v1/audit/sessions/%00/verify',
  '/api/v1/audit/sessions/%ZZ/verify',
  `/api/v1/agents/${'a'.repeat(101)}`,
].map((url): Request => ({ method: 'GET', url, auth: { credential: 'all' } }));

// ---------------------------------------------------------------------------------------------

describe('HTTP API fuzzing, auth enforced', () => {
  beforeAll(async () => {
    t = await startTestServer('enforced');
    for (const [file, content] of Object.entries(FILES)) {
      fs.mkdirSync(path.dirname(path.join(t.dir, 'workspace', file)), { recursive: true });
      fs.writeFileSync(path.join(t.dir, 'workspace', file), content);
    }
    const all = await t.key('fuzz-all', { spawn_classes: ['*'], grants: [{ tool: '*' }], approve: true, audit: true, admin: true });
    credentials.set('all', all);
    credentials.set('noscope', await t.key('fuzz-none', {}));
    const spawn = async (body: unknown) => {
      const spawned = await t.request('POST', '/api/v1/agents', { key: all, body });
      expect(spawned.status).toBe(201);
      known.actors.push(spawned.body.actor_id);
      known.sessions.push(spawned.body.session_id);
      return spawned.body as { actor_id: string; token: string };
    };
    const reviewer = await spawn({ class: 'reviewer', grants: [{ tool: 'fs.read' }, { tool: 'fs.list' }] });
    reviewerId = reviewer.actor_id;
    credentials.set('reviewer', reviewer.token);
    const janitor = await spawn({ class: 'janitor', grants: [{ tool: 'fs.list' }, { tool: 'fs.delete', constraints: { path: [{ prefix: 'tmp/' }] } }] });
    credentials.set('janitor', janitor.token);
    known.victim = (await spawn({ class: 'reviewer', grants: [{ tool: 'fs.list' }] })).actor_id;
    const pending = await t.request('POST', '/api/v1/calls', { key: janitor.token, body: { tool: 'fs.delete', args: { path: 'tmp/old.log' } } });
    expect(pending.status).toBe(202);
    known.approvals.push(pending.body.approval_id);
    known.sessions.push('system');

    const [head, payload, signature] = reviewer.token.split('.') as [string, string, string];
    const middle = Math.floor(payload.length / 2);
    credentials.set('tampered-token', `${head}.${payload.slice(0, middle)}${payload[middle] === 'A' ? 'B' : 'A'}${payload.slice(middle + 1)}.${signature}`);
    credentials.set('tampered-key', `${all.slice(0, 30)}${all[30] === 'A' ? 'B' : 'A'}${all.slice(31)}`);
    credentials.set('unknown-key', `aos_0123456789abcdef_${'A'.repeat(43)}`);
    tools = t.runtime.tools.list().map((tool) => tool.name);
    expect(tools).toEqual(expect.arrayContaining(['fs.read', 'fs.list', 'fs.write', 'fs.delete', 'command.announce']));
  });
  afterAll(() => t?.stop());

  it('answers any POST body, credential and content type on every POST route below 500, refusing with a problem document', async () => {
    await fc.assert(
      fc.asyncProperty(postRequest, async (request) => {
        expectWellFormed(request, await send(request));
      }),
      { numRuns: 150, examples: POST_REGRESSIONS.map((request): [Request] => [request]) },
    );
  }, 180_000);

  it('answers any path parameter and query string on every GET route below 500, refusing with a problem document', async () => {
    await fc.assert(
      fc.asyncProperty(getRequest, async (request) => {
        expectWellFormed(request, await send(request));
      }),
      { numRuns: 150, examples: GET_REGRESSIONS.map((request): [Request] => [request]) },
    );
  }, 180_000);

  it('writes nothing for a refused request but its one AUTH_REJECTED or CAPABILITY_DENIED row', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(postRequest, getRequest), async (request) => {
        const before = await snapshot();
        const response = await send(request);
        if (response.status < 400) return;
        const where = describeExchange(request, response);
        const after = await snapshot();
        const added = await eventsAfter(before.last_event);
        // A call the syscall admitted ran its tool, which then failed (a missing file, say):
        // not a refusal, and its STARTED/FAILED pair is the record it must leave.
        const types = added.map((event) => event.type);
        const ranAndFailed = request.url === '/api/v1/calls' && types.join() === 'TOOL_CALL_STARTED,TOOL_CALL_FAILED';
        const { events: countBefore, last_event: _b, ...rowsBefore } = before;
        const { events: countAfter, last_event: _a, ...rowsAfter } = after;
        expect(rowsAfter, where).toEqual(rowsBefore);
        expect(countAfter - countBefore, where).toBe(added.length);
        if (!ranAndFailed) {
          expect(added.length, where).toBeLessThanOrEqual(1);
          for (const type of types) expect(['AUTH_REJECTED', 'CAPABILITY_DENIED'], where).toContain(type);
        }
      }),
      { numRuns: 150, examples: [...POST_REGRESSIONS, ...GET_REGRESSIONS].map((request): [Request] => [request]) },
    );
  }, 180_000);

  it('runs only the granted reversible tools for a reviewer token, whatever the tool name and arguments', async () => {
    const files = workspaceFiles();
    const approvalsBefore = await t.count('SELECT count(*)::int AS n FROM approvals');
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          { weight: 3, arbitrary: fc.constantFrom(...REVIEWER_TOOLS).chain((tool) => ARGS_BY_TOOL[tool]!.map((args) => ({ tool, args }))) },
          { weight: 3, arbitrary: toolCall },
          { weight: 1, arbitrary: fc.record({ tool: fc.oneof(fc.constantFrom(...tools), toolName), args: fc.option(anyArgs, { nil: undefined }) }) },
        ),
        async ({ tool, args }) => {
          const before = await snapshot();
          const request: Request = {
            method: 'POST',
            url: '/api/v1/calls',
            auth: { credential: 'reviewer' },
            contentType: 'application/json',
            body: JSON.stringify({ tool, args }),
          };
          const response = await send(request);
          const where = describeExchange(request, response);
          expectWellFormed(request, response);
          // 202 would mean an approval was filed; only a granted tool may answer 2xx at all.
          expect(response.status, where).not.toBe(202);
          if (response.status < 300) expect(REVIEWER_TOOLS, where).toContain(tool);
          const started = (await eventsAfter(before.last_event)).filter((event) => event.type === 'TOOL_CALL_STARTED');
          expect(started.length, where).toBeLessThanOrEqual(1);
          for (const event of started) {
            expect({ actor: event.actor_id, tool: event.payload.tool, reversible: event.payload.reversible }, where).toEqual({
              actor: reviewerId,
              tool: expect.toBeOneOf(REVIEWER_TOOLS),
              reversible: true,
            });
          }
          expect(await t.count('SELECT count(*)::int AS n FROM approvals WHERE actor_id = $1', [reviewerId]), where).toBe(0);
        },
      ),
      { numRuns: 150, examples: CALL_REGRESSIONS.map((call): [{ tool?: unknown; args?: unknown }] => [call]) },
    );
    expect(await t.count('SELECT count(*)::int AS n FROM approvals')).toBe(approvalsBefore);
    expect(workspaceFiles()).toEqual(files);
  }, 180_000);
});
