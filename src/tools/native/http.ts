/**
 * HTTP tools limited to the operator's host allow-list: http.get (reversible) and
 * http.request (POST/PUT/PATCH/DELETE, irreversible). Redirects are returned, not followed,
 * so a listed host cannot bounce a call to an unlisted one.
 */
import { z } from 'zod';
import { redactUrlSecrets } from '../../security/secrets.js';
import type { HttpConfig } from '../../config/schema.js';
import { AosError } from '../../errors.js';
import type { ToolContext, ToolDefinition } from '../types.js';

/** Response headers worth showing a caller; the rest are transport detail. */
const SHOWN_HEADERS = [
  'content-type',
  'content-length',
  'content-encoding',
  'location',
  'etag',
  'last-modified',
  'cache-control',
  'retry-after',
  'www-authenticate',
];

const headersField = z
  .record(
    z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, { error: 'expected an HTTP header name' }),
    z.string(),
  )
  .default({});
const urlField = z.url({ protocol: /^https?$/, error: 'expected an absolute http:// or https:// URL' });

const getInput = z.strictObject({ url: urlField, headers: headersField });
const requestInput = z.strictObject({
  method: z.enum(['POST', 'PUT', 'PATCH', 'DELETE']),
  url: urlField,
  headers: headersField,
  body: z.string().optional(),
});

interface Call {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | undefined;
}

/**
 * The two HTTP tools, bound to the allow-list, timeout and response cap from config.
 *
 * @example
 * for (const tool of createHttpTools(config.tools.http)) registry.register(tool);
 */
export function createHttpTools(config: HttpConfig): ToolDefinition[] {
  const hosts = config.allow_hosts.join(', ') || 'none';
  const get: ToolDefinition<z.infer<typeof getInput>> = {
    name: 'http.get',
    description: `Fetches a URL with GET. Allowed hosts: ${hosts}. Redirects are returned, not followed.`,
    input: getInput,
    reversible: true,
    blastRadius: { level: 'low', reason: 'reads from an allowed host' },
    run: (args, context) => send(config, { method: 'GET', ...args }, context),
  };
  const request: ToolDefinition<z.infer<typeof requestInput>> = {
    name: 'http.request',
    description: `Sends a POST, PUT, PATCH or DELETE request. Allowed hosts: ${hosts}.`,
    input: requestInput,
    reversible: false,
    blastRadius: { level: 'high', reason: 'may change state on a remote system' },
    run: (args, context) => send(config, args, context),
  };
  return [get, request];
}

/**
 * True when `hostname` is on the allow-list; an entry "*.example.com" covers subdomains only.
 *
 * @example
 * isHostAllowed('api.example.com', ['*.example.com']); // true
 */
export function isHostAllowed(hostname: string, allowHosts: readonly string[]): boolean {
  const host = hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return allowHosts.some((entry) => {
    const allowed = entry.toLowerCase().replace(/^\[(.*)\]$/, '$1');
    return allowed.startsWith('*.') ? host.endsWith(allowed.slice(1)) : host === allowed;
  });
}

async function send(config: HttpConfig, call: Call, context: ToolContext) {
  const url = new URL(call.url);
  if (!isHostAllowed(url.hostname, config.allow_hosts)) {
    throw new AosError(
      'EGRESS_DENIED',
      `host "${url.hostname}" is not in tools.http.allow_hosts (${config.allow_hosts.join(', ') || 'empty'}); add it to aosiq.yaml to allow ${call.method} ${url.origin}`,
      { host: url.hostname, url: call.url },
    );
  }
  const timeout = AbortSignal.timeout(config.timeout_ms);
  const signal = AbortSignal.any([context.signal, timeout]);
  try {
    const response = await fetch(url, {
      method: call.method,
      // The same key on every attempt of one workflow or agent step, so a server that honours
      // Idempotency-Key applies a retried request once; a caller's own header wins.
      headers: Object.keys(call.headers ?? {}).some((name) => name.toLowerCase() === 'idempotency-key')
        ? call.headers
        : { 'Idempotency-Key': context.idempotencyKey, ...call.headers },
      body: call.body ?? null,
      redirect: 'manual',
      signal,
    });
    const { text, truncated } = await readCapped(response, config.max_response_bytes);
    const headers: Record<string, string> = {};
    for (const name of SHOWN_HEADERS) {
      const value = response.headers.get(name);
      if (value !== null) headers[name] = value;
    }
    return { status: response.status, headers, body: text, truncated };
  } catch (error) {
    if (timeout.aborted) {
      throw new AosError(
        'TOOL_FAILED',
        `${call.method} ${redactUrlSecrets(call.url)} timed out after ${config.timeout_ms} ms`,
        {
          url: call.url,
          timeout_ms: config.timeout_ms,
        },
      );
    }
    if (context.signal.aborted) throw error;
    const reason =
      error instanceof Error
        ? error.cause instanceof Error
          ? error.cause.message
          : error.message
        : String(error);
    throw new AosError(
      'TOOL_FAILED',
      `${call.method} ${redactUrlSecrets(call.url)} failed: ${redactUrlSecrets(reason)}`,
      { url: call.url },
      { cause: error },
    );
  }
}

/** Reads at most `limit` bytes of the body and drops the rest of the stream. */
async function readCapped(response: Response, limit: number): Promise<{ text: string; truncated: boolean }> {
  if (!response.body) return { text: '', truncated: false };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  while (true) {
    const { done, value } = (await reader.read()) as { done: boolean; value: Uint8Array | undefined };
    if (done || value === undefined) break;
    const room = limit - size;
    chunks.push(value.subarray(0, room));
    size += Math.min(value.length, room);
    if (value.length > room) {
      truncated = true;
      await reader.cancel();
      break;
    }
  }
  return { text: Buffer.concat(chunks).toString('utf8'), truncated };
}
