import { runTool } from '../../../test/support/tools.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ToolDefinition } from '../types.js';
import { createHttpTools, isHostAllowed } from './http.js';

let server: Server;
let base: string;
const received: { method: string; url: string; body: string; header: string | undefined; idempotencyKey?: string | undefined }[] = [];

beforeAll(async () => {
  server = createServer((request, response) => void handle(request, response));
  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    received.push({
      method: request.method!,
      url: request.url!,
      body,
      header: request.headers['x-trace'] as string,
      idempotencyKey: request.headers['idempotency-key'] as string,
    });
    if (request.url === '/hang') return; // never answers: the tool's timeout must fire
    if (request.url === '/big') {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end('x'.repeat(5000));
      return;
    }
    if (request.url === '/moved') {
      response.writeHead(302, { location: 'http://example.com/' });
      response.end();
      return;
    }
    response.writeHead(201, { 'content-type': 'application/json', 'x-internal': 'hidden' });
    response.end(JSON.stringify({ method: request.method, body }));
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

const [get, request] = createHttpTools({
  allow_hosts: ['127.0.0.1'],
  timeout_ms: 300,
  max_response_bytes: 1000,
}) as [ToolDefinition, ToolDefinition];

const call = runTool;

describe('http tools', () => {
  it('marks http.get reversible and http.request irreversible', () => {
    expect([get.name, get.reversible, get.blastRadius.level]).toEqual(['http.get', true, 'low']);
    expect([request.name, request.reversible, request.blastRadius.level]).toEqual([
      'http.request',
      false,
      'high',
    ]);
  });

  it("sends the call's idempotency key as Idempotency-Key, unless the caller sets its own", async () => {
    await call(get, { url: `${base}/hello` });
    expect(received.at(-1)).toMatchObject({ idempotencyKey: 'k' });
    await call(get, { url: `${base}/hello`, headers: { 'idempotency-key': 'mine' } });
    expect(received.at(-1)).toMatchObject({ idempotencyKey: 'mine' });
  });

  it('gets a URL on an allowed host with the shown headers only', async () => {
    const result = await call(get, { url: `${base}/hello`, headers: { 'x-trace': 't1' } });
    expect(result).toEqual({
      status: 201,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ method: 'GET', body: '' }),
      truncated: false,
    });
    expect(received.at(-1)).toMatchObject({ method: 'GET', url: '/hello', header: 't1' });
  });

  it('sends a request with a body', async () => {
    const result = await call(request, { method: 'POST', url: `${base}/items`, body: 'payload' });
    expect(result).toMatchObject({ status: 201, body: JSON.stringify({ method: 'POST', body: 'payload' }) });
  });

  it('truncates a response larger than the cap', async () => {
    const result = (await call(get, { url: `${base}/big` })) as { body: string; truncated: boolean };
    expect(result.body).toHaveLength(1000);
    expect(result.truncated).toBe(true);
  });

  it('returns a redirect instead of following it', async () => {
    expect(await call(get, { url: `${base}/moved` })).toMatchObject({
      status: 302,
      headers: { location: 'http://example.com/' },
    });
  });

  it('refuses a host that is not on the allow-list, without sending anything', async () => {
    const before = received.length;
    const port = new URL(base).port;
    await expect(call(get, { url: `http://localhost:${port}/hello` })).rejects.toMatchObject({
      code: 'EGRESS_DENIED',
      message: expect.stringContaining('"localhost" is not in tools.http.allow_hosts'),
    });
    expect(received.length).toBe(before);
  });

  it('fails with a timeout message when the server does not answer', async () => {
    await expect(call(get, { url: `${base}/hang` })).rejects.toMatchObject({
      code: 'TOOL_FAILED',
      message: expect.stringContaining('timed out after 300 ms'),
    });
  });

  it('rejects URLs that are not http(s) and methods that are not allowed', () => {
    expect(get.input.safeParse({ url: 'file:///etc/passwd' }).success).toBe(false);
    expect(get.input.safeParse({ url: 'not a url' }).success).toBe(false);
    expect(request.input.safeParse({ method: 'GET', url: `${base}/` }).success).toBe(false);
  });
});

describe('isHostAllowed', () => {
  it('matches exact hosts and wildcard subdomains, case-insensitively', () => {
    expect(isHostAllowed('API.example.com', ['*.example.com'])).toBe(true);
    expect(isHostAllowed('example.com', ['*.example.com'])).toBe(false);
    expect(isHostAllowed('evilexample.com', ['*.example.com'])).toBe(false);
    expect(isHostAllowed('[::1]', ['::1'])).toBe(true);
    expect(isHostAllowed('localhost.evil.com', ['localhost'])).toBe(false);
  });
});
