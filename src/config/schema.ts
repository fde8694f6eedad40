/**
 * The shape of `aosiq.yaml`. Every object is strict so a misspelt key is an error rather
 * than a silently ignored setting; defaults live here so the loader and the types agree.
 */
import { z } from 'zod';
import { authConfigSchema } from './auth.js';
import { llmConfigSchema } from './llm.js';
import { agentsSchema } from './agents.js';
import { workflowsSchema } from './workflows.js';
import { grantSchema } from '../security/capability/index.js';
import { mcpServersSchema, RESERVED_PREFIXES } from './mcp-servers.js';
import { BLAST_RADIUS_LEVELS, envName, nameSchema, positiveInt } from './primitives.js';
import { DEFAULT_SCAN_TIMEOUT_MS, INJECTION_ACTIONS } from '../security/untrusted/present.js';

export { BLAST_RADIUS_LEVELS, NAME_PATTERN } from './primitives.js';

/** A `{placeholder}` inside a command's argv, filled from the call's string arguments. */
export const PLACEHOLDER_PATTERN = /\{([a-z_][a-z0-9_]*)\}/g;

export const ACTOR_KINDS = ['agent', 'job', 'script'] as const;

const tokenSchema = z.strictObject({
  issuer: z.string().min(1).default('aosiq'),
  audience: z.string().min(1).default('aosiq'),
  ttl_seconds: positiveInt.default(3600),
  max_delegation_depth: z.int().min(0).default(4),
});

const limitsSchema = z.strictObject({
  max_args_bytes: positiveInt.default(65536),
});

const operatorSchema = z.strictObject({
  name: z.string().min(1).default('local-operator'),
  grants: z.array(grantSchema).default([{ tool: '*' }]),
});

const actorClassSchema = z.strictObject({
  kind: z.enum(ACTOR_KINDS),
  description: z.string().default(''),
  capabilities: z.array(grantSchema),
  allowed_backends: z.array(z.string().min(1)).default([]),
  session_ceiling_usd: z.number().positive().optional(),
  // Agents of this class must call a read (reversible) tool and cite its evidence id before
  // proposing an irreversible one; one that does not ends as abandoned_ungrounded.
  require_grounding: z.boolean().default(false),
  // What the whole class may spend on models per UTC day, across its sessions.
  daily_ceiling_usd: z.number().positive().optional(),
  // Models with no price are refused unless this is set; their calls are then recorded unpriced.
  allow_unpriced_models: z.boolean().default(false),
  // The output cap (max_tokens) of a model call that sets none; ceilings reserve against it.
  default_max_tokens: positiveInt.default(4096),
  // Tool results that look like instructions to the model (injection): warn (a warning inside the
  // wrapper, the default), redact the flagged passages, or block the result; flagged at threshold.
  // A result over 4 KB is scanned off the event loop and cut off after scan_timeout_ms: it then counts as flagged.
  untrusted_content: z
    .strictObject({
      action: z.enum(INJECTION_ACTIONS).default('warn'),
      threshold: z.number().gt(0).max(1).default(0.5),
      scan_timeout_ms: positiveInt.max(600_000).default(DEFAULT_SCAN_TIMEOUT_MS),
    })
    .prefault({}),
  // What an hour of this class's tool calls costs (wall time); every call gets a ledger row.
  compute_usd_per_hour: z.number().nonnegative().default(0),
  token_ttl_seconds: positiveInt.optional(),
  // Runs of this class get a fresh token (the class's TTL) each time a worker dispatches them,
  // so a long wait for approval does not strand them; never beyond max_lifetime_seconds after
  // the actor was spawned, when the usual expiry (token_expired, renewable) applies.
  token_refresh: z.strictObject({ on_dispatch: z.literal(true), max_lifetime_seconds: positiveInt.max(90 * 86400) }).optional(),
});

const commandSchema = z
  .strictObject({
    argv: z.array(z.string().min(1)).min(1),
    description: z.string().optional(),
    blast_radius: z.enum(BLAST_RADIUS_LEVELS),
    reason: z.string().min(1),
    timeout_ms: positiveInt.default(30000),
    max_output_bytes: positiveInt.default(65536),
  })
  .superRefine((command, context) => {
    // The program itself is never chosen by a caller: only its arguments are templated.
    if (new RegExp(PLACEHOLDER_PATTERN.source).test(command.argv[0] ?? '')) {
      context.addIssue({
        code: 'custom',
        path: ['argv', 0],
        message: 'the program (first argv element) must not contain a {placeholder}',
      });
    }
  });

const httpSchema = z.strictObject({
  allow_hosts: z.array(z.string().min(1)).default([]),
  timeout_ms: positiveInt.default(10000),
  max_response_bytes: positiveInt.default(1048576),
});

const toolsSchema = z.strictObject({
  roots: z.record(nameSchema, z.string().min(1)).default({}),
  http: httpSchema.prefault({}),
  commands: z.record(nameSchema, commandSchema).default({}),
  modules: z.array(z.string().min(1)).default([]),
});

// Object storage for anchors, on credentials of its own (read from the environment, never from this file).
const s3AnchorSchema = z.strictObject({
  bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: 'expected an S3 bucket name (3-63 lowercase letters, digits, "." or "-")' }),
  prefix: z
    .string()
    .regex(/^([^/\s][^\s]*\/)?$/, { error: 'expected empty or a key prefix ending in "/", e.g. "prod/"' })
    .default(''),
  region: z.string().min(1).default('us-east-1'),
  endpoint: z.url({ protocol: /^https?$/ }).optional(),
  force_path_style: z.boolean().default(false),
  access_key_id_env: envName.default('AOS_ANCHOR_S3_ACCESS_KEY_ID'),
  secret_access_key_env: envName.default('AOS_ANCHOR_S3_SECRET_ACCESS_KEY'),
  session_token_env: envName.optional(),
  object_lock: z.strictObject({ mode: z.enum(['GOVERNANCE', 'COMPLIANCE']), retain_days: positiveInt }).optional(),
  timeout_ms: positiveInt.default(5000),
});

// How irreversible calls are approved; the most specific setting wins (tool, then class, then default).
const approvalPolicySchema = z
  .strictObject({
    expires_after_seconds: positiveInt.optional(),
    quorum: positiveInt.optional(),
    // Who may approve, as recorded principals (e.g. "key:alice", "alice"); absent: anyone with the approve scope.
    approvers: z.array(z.string().min(1)).min(1).optional(),
    separation_of_duties: z.boolean().optional(),
  })
  .refine((policy) => !policy.approvers || !policy.quorum || policy.quorum <= policy.approvers.length, {
    error: 'quorum is larger than the list of approvers: it could never be reached',
  });

const approvalsSchema = z.strictObject({
  default: approvalPolicySchema.prefault({}),
  classes: z.record(nameSchema, approvalPolicySchema).default({}),
  tools: z.record(z.string().min(1), approvalPolicySchema).default({}),
});

// Webhooks told of approval requests and decisions (JSON with a Slack-compatible `text`).
const webhookSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/ }),
  events: z.array(z.enum(['approval.requested', 'approval.decided', 'approval.expired'])).min(1).default(['approval.requested', 'approval.decided', 'approval.expired']),
  // HMAC-SHA256 of the body with the secret in this environment variable, sent as X-AOS-Signature.
  secret_env: envName.optional(),
  timeout_ms: positiveInt.default(5000),
  max_attempts: positiveInt.default(8),
});

const notificationsSchema = z.strictObject({
  // Where links in notifications point (the dashboard / API); the server's own address when absent.
  base_url: z.url({ protocol: /^https?$/ }).optional(),
  webhooks: z.record(nameSchema, webhookSchema).default({}),
});

const auditSchema = z.strictObject({
  // The checkpoint origin line: names this log to verifiers (C2SP tlog-checkpoint).
  origin: z
    .string()
    .regex(/^[^\s+]+$/, { error: 'expected an origin without spaces or "+", e.g. "aosiq.example.com/log"' })
    .default('aosiq/local'),
  checkpoint_every_events: positiveInt.default(1000),
  checkpoint_every_seconds: positiveInt.default(60),
  anchors: z
    .strictObject({
      // Outside the database, so a database compromise cannot rewrite it too; null turns it off.
      directory: z.string().min(1).nullable().default('.aosiq-anchors'),
      s3: s3AnchorSchema.optional(),
    })
    .prefault({})
    .refine((anchors) => anchors.directory !== null || anchors.s3 !== undefined, {
      error: 'at least one anchor store is needed: set directory or s3',
    }),
});

// How workers hold and recover actors. A worker that stops heartbeating loses its actors
// after lease_ms; another worker's sweep requeues them within lease_ms + sweep_ms.
const schedulerSchema = z.strictObject({
  // Actors one worker runs at once.
  concurrency: positiveInt.max(256).default(4),
  lease_ms: z.int().min(1000).max(3_600_000).default(15_000),
  sweep_ms: z.int().min(100).max(600_000).default(2000),
  // How often an idle worker looks for work when no notification arrives.
  poll_ms: z.int().min(50).max(600_000).default(1000),
});

/**
 * The schema of `aosiq.yaml` as written (paths still relative); `loadConfig` applies it and
 * then resolves paths against the config file's folder.
 *
 * @example
 * configSchema.parse({ version: 1 }).token.ttl_seconds; // 3600
 */
export const configSchema = z.strictObject({
  version: z.literal(1),
  token: tokenSchema.prefault({}),
  limits: limitsSchema.prefault({}),
  operator: operatorSchema.prefault({}),
  actor_classes: z.record(nameSchema, actorClassSchema).default({}),
  tools: toolsSchema.prefault({}),
  audit: auditSchema.prefault({}),
  approvals: approvalsSchema.prefault({}),
  notifications: notificationsSchema.prefault({}),
  auth: authConfigSchema.prefault({}),
  llm: llmConfigSchema.prefault({}),
  workflows: workflowsSchema,
  agents: agentsSchema,
  scheduler: schedulerSchema.prefault({}),
  mcp_servers: mcpServersSchema,
  // The reviewed definitions of upstream MCP tools (written by `aosiq mcp-servers pin`), beside this file.
  mcp_pins_file: z.string().min(1).default('aosiq.mcp-pins.json'),
}).superRefine((config, ctx) => {
  const prefixes = new Map<string, string>();
  for (const [name, server] of Object.entries(config.mcp_servers)) {
    const prefix = server.prefix ?? name;
    const field = server.prefix === undefined ? [] : ['prefix'];
    if ((RESERVED_PREFIXES as readonly string[]).includes(prefix)) {
      ctx.addIssue({ code: 'custom', path: ['mcp_servers', name, ...field], message: `prefix "${prefix}" is used by AOSIQ's own tools; set another prefix` });
    } else if (prefixes.has(prefix)) {
      ctx.addIssue({ code: 'custom', path: ['mcp_servers', name, ...field], message: `prefix "${prefix}" is already used by mcp_servers.${prefixes.get(prefix)}` });
    }
    prefixes.set(prefix, name);
  }
  for (const [name, agent] of Object.entries(config.agents)) {
    const cls = config.actor_classes[agent.class];
    if (!cls) {
      ctx.addIssue({ code: 'custom', path: ['agents', name, 'class'], message: `no actor class "${agent.class}"` });
    } else if (!cls.allowed_backends.includes(agent.backend)) {
      ctx.addIssue({ code: 'custom', path: ['agents', name, 'backend'], message: `class "${agent.class}" may not reach "${agent.backend}" (its allowed_backends: ${cls.allowed_backends.join(', ') || 'none'})` });
    }
    if (name in config.workflows) {
      ctx.addIssue({ code: 'custom', path: ['agents', name], message: `"${name}" is also a workflow; \`aosiq run ${name}\` must name one thing` });
    }
  }
  for (const [name, workflow] of Object.entries(config.workflows)) {
    if (!(workflow.class in config.actor_classes)) {
      ctx.addIssue({
        code: 'custom',
        path: ['workflows', name, 'class'],
        message: `no actor class "${workflow.class}" (classes: ${Object.keys(config.actor_classes).join(', ') || 'none'})`,
      });
    }
  }
});

/** A loaded configuration: defaults applied, root and module paths absolute. */
export type Config = z.infer<typeof configSchema>;
export type ActorClassConfig = Config['actor_classes'][string];
export type CommandConfig = Config['tools']['commands'][string];
export type HttpConfig = Config['tools']['http'];
export type { McpServerConfig } from './mcp-servers.js';
export type ApprovalsConfig = Config['approvals'];
export type NotificationsConfig = Config['notifications'];
export type BlastRadiusLevel = (typeof BLAST_RADIUS_LEVELS)[number];
