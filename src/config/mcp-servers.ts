/**
 * The `mcp_servers:` section of aosiq.yaml: upstream MCP servers whose tools AOSIQ offers as
 * its own, as `<prefix>.<tool>`, behind the syscall. An upstream tool is irreversible unless
 * the operator marks it reversible here; its annotations are never trusted.
 */
import { z } from 'zod';
import { BLAST_RADIUS_LEVELS, envName, nameSchema, positiveInt } from './primitives.js';

/** Tool families the runtime itself uses; an upstream prefix may not take one. */
export const RESERVED_PREFIXES = ['fs', 'http', 'command', 'llm', 'aosiq'] as const;

const upstreamToolSchema = z.strictObject({
  reversible: z.boolean().default(false),
  blast_radius: z.enum(BLAST_RADIUS_LEVELS).optional(),
  reason: z.string().min(1).optional(),
});

const headerName = z.string().regex(/^[A-Za-z0-9-]+$/, { error: 'expected an HTTP header name, e.g. Authorization' });

const mcpServerSchema = z
  .strictObject({
    // stdio: the program and its arguments, started directly (never through a shell).
    command: z.array(z.string().min(1)).min(1).optional(),
    cwd: z.string().min(1).optional(),
    // Variables copied from AOSIQ's environment by name; the program otherwise gets only a minimal
    // one (PATH, HOME, USER, LOGNAME, SHELL, TERM, LANG, TMPDIR), so no capability token or key leaks to it.
    pass_env: z
      .array(envName.refine((name) => !name.startsWith('AOS_'), { error: 'AOS_* variables hold AOSIQ credentials and are never passed upstream' }))
      .default([]),
    env: z.record(envName, z.string()).default({}),
    // Streamable HTTP: the server's MCP endpoint, with headers whose values come from the environment.
    url: z
      .url({ protocol: /^https?$/, error: 'expected an absolute http:// or https:// URL' })
      .refine((url) => !/^[a-z]+:\/\/[^/]*@/i.test(url), { error: 'put credentials in headers_from_env, not in the URL' })
      .optional(),
    headers_from_env: z.record(headerName, envName).default({}),
    // Our tool names are `<prefix>.<upstream tool>`; the prefix defaults to the server's key.
    prefix: nameSchema.optional(),
    // What an approver is shown for this server's tools unless a tool says otherwise.
    blast_radius: z.enum(BLAST_RADIUS_LEVELS).default('high'),
    reason: z.string().min(1).optional(),
    // Per upstream tool name: reversible (default false), blast_radius, reason.
    tools: z.record(z.string().min(1), upstreamToolSchema).default({}),
    timeout_ms: positiveInt.max(60_000).default(60_000),
    connect_timeout_ms: positiveInt.max(120_000).default(15_000),
    // A tool is verified against a listing at most this old: fetched again when older (a stateless
    // HTTP server cannot announce changes), and whenever the server announces one.
    list_max_age_seconds: positiveInt.max(86_400).default(60),
    max_result_bytes: positiveInt.max(64 * 1048576).default(1048576),
  })
  .superRefine((server, context) => {
    const stdio = server.command !== undefined;
    if (stdio === (server.url !== undefined)) {
      context.addIssue({ code: 'custom', path: [], message: 'give exactly one of command (a program speaking MCP on stdio) or url (a Streamable HTTP endpoint)' });
    }
    const stdioOnly = { cwd: server.cwd !== undefined, pass_env: server.pass_env.length > 0, env: Object.keys(server.env).length > 0 };
    for (const [key, present] of Object.entries(stdioOnly)) {
      if (present && !stdio) context.addIssue({ code: 'custom', path: [key], message: `${key} applies to a command (stdio) server only` });
    }
    if (stdio && Object.keys(server.headers_from_env).length > 0) {
      context.addIssue({ code: 'custom', path: ['headers_from_env'], message: 'headers_from_env applies to a url (HTTP) server only' });
    }
  });

export const mcpServersSchema = z.record(nameSchema, mcpServerSchema).default({});

export type McpServerConfig = z.infer<typeof mcpServerSchema>;
