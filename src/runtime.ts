import fs from 'node:fs';
import path from 'node:path';
import { type CheckpointKey, loadOrCreateCheckpointKey } from './audit/checkpoint/index.js';
import { type AnchorSink, type AnchorStatus, newAnchorStatus, openAnchorSinks } from './audit/anchors/index.js';
import { sealLog } from './audit/log/index.js';
import { type Clock, systemClock } from './clock.js';
import { type Config, loadConfig } from './config/index.js';
import { AosError } from './errors.js';
import { perHourToPicoPerMs, usdToPico } from './ledger/index.js';
import { type KeyStore, loadOrCreateKeyStore, TokenIssuer } from './security/capability/index.js';
import { type Db, openStore } from './store/index.js';
import { openBackends } from './llm/index.js';
import { type ActorClass, type ModelBackend, Syscall, type SyscallDeps } from './syscall/index.js';
import { createToolRegistry, type ToolRegistry } from './tools/index.js';
import { type Scheduler, type SchedulerOptions, startScheduler } from './kernel/scheduler.js';
import { agentRunner } from './agents/index.js';
import { McpGateway } from './mcp/gateway/index.js';
import { recordAuditEvent, SYSTEM_SESSION } from './audit/index.js';

export interface RuntimeOptions {
  configPath: string;
  dataDir: string;
  databaseUrl?: string | undefined;
  clock?: Clock;
  env?: NodeJS.ProcessEnv;
  /** Where upstream MCP servers' stderr and the gateway's notices go (default: stderr, prefixed). */
  log?: (line: string) => void;
}

export interface Runtime {
  config: Config;
  db: Db;
  keys: KeyStore;
  tools: ToolRegistry;
  syscall: Syscall;
  deps: SyscallDeps;
  /** The key that signs the transparency log's checkpoints (not the token key). */
  checkpointKey: CheckpointKey;
  /** The anchor stores checkpoints go to, and how anchoring is going. */
  anchorSinks: readonly AnchorSink[];
  anchors: AnchorStatus;
  /** Asks each anchor store what protects it (e.g. Object Lock) and records the answer; throws CONFIG_INVALID on a misconfigured lock. */
  probeAnchors(): Promise<void>;
  /** Integrates new audit events into the log, signs a checkpoint when due (or now, if forced), anchors it. */
  seal(force?: boolean): ReturnType<typeof sealLog>;
  /** Starts workers and cron triggers in this process, with aosiq.yaml's `scheduler:` settings unless overridden. */
  startScheduler(options?: Partial<SchedulerOptions>): Promise<Scheduler>;
  /** Upstream MCP servers (mcp_servers:) whose pinned tools are in `tools`. */
  gateway: McpGateway;
  /** Where the data lives and which migrations this start applied, for the start-up summary. */
  store: { location: string; applied: string[] };
  close(): Promise<void>;
}

/** Tool calls that run longer than this are aborted. */
const TOOL_TIMEOUT_MS = 60_000;

const stderrLog = (line: string) => process.stderr.write(`${line}\n`);

/**
 * The tool registry with the MCP gateway whose pinned upstream tools it holds (no upstream
 * server is started until a call needs it).
 *
 * @example
 * const { tools, gateway } = await openTools(config, process.env);
 */
export async function openTools(config: Config, env: NodeJS.ProcessEnv, log: (line: string) => void = stderrLog): Promise<{ gateway: McpGateway; tools: ToolRegistry }> {
  const gateway = new McpGateway({ servers: config.mcp_servers, pinsFile: config.mcp_pins_file, env, log: (server, line) => log(`[mcp_servers.${server}] ${line}`) });
  return { gateway, tools: await createToolRegistry(config, gateway.tools()) };
}

/** The syscall's view of the configured actor classes. */
export function actorClasses(config: Config): Map<string, ActorClass> {
  return new Map(
    Object.entries(config.actor_classes).map(([name, cls]) => [
      name,
      {
        name,
        kind: cls.kind,
        capabilities: cls.capabilities,
        tokenTtlSeconds: cls.token_ttl_seconds ?? config.token.ttl_seconds,
        tokenRefresh: cls.token_refresh ? { maxLifetimeSeconds: cls.token_refresh.max_lifetime_seconds } : undefined,
        requireGrounding: cls.require_grounding,
        untrusted: { action: cls.untrusted_content.action, threshold: cls.untrusted_content.threshold, timeoutMs: cls.untrusted_content.scan_timeout_ms },
        computePerMs: perHourToPicoPerMs(cls.compute_usd_per_hour),
        models: {
          allowedBackends: cls.allowed_backends,
          sessionCeiling: cls.session_ceiling_usd === undefined ? null : usdToPico(cls.session_ceiling_usd),
          dailyCeiling: cls.daily_ceiling_usd === undefined ? null : usdToPico(cls.daily_ceiling_usd),
          allowUnpriced: cls.allow_unpriced_models,
          defaultMaxTokens: cls.default_max_tokens,
        },
      },
    ]),
  );
}

/** The configured model backends with their prices; a missing API key stops start-up. */
function modelBackends(config: Config, env: NodeJS.ProcessEnv): Map<string, ModelBackend> {
  const backends = openBackends(config.llm, env);
  return new Map(
    [...backends].map(([name, backend]) => {
      const { kind, prices, compute_usd_per_hour, timeout_ms } = config.llm.backends[name]!;
      return [name, { backend, pricing: { kind, prices, compute_usd_per_hour }, timeoutMs: timeout_ms }];
    }),
  );
}

/**
 * Opens everything the syscall needs, in the order that fails fastest: configuration (a bad
 * file stops here, before any data is touched), tools, signing keys, then the store with its
 * migrations.
 *
 * @example
 * const runtime = await openRuntime({ configPath: 'aosiq.yaml', dataDir: '.aosiq' });
 * try { await runtime.syscall.spawn({ className: 'reviewer', grants: [{ tool: 'fs.read' }] }); }
 * finally { await runtime.close(); }
 */
export async function openRuntime(options: RuntimeOptions): Promise<Runtime> {
  const env = options.env ?? process.env;
  const clock = options.clock ?? systemClock;
  const config = loadConfig(options.configPath, env);
  const log = options.log ?? stderrLog;
  const { gateway, tools } = await openTools(config, env, log);
  const models = modelBackends(config, env);
  checkPrograms(config, tools);
  fs.mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const keys = await loadOrCreateKeyStore(path.join(options.dataDir, 'keys'), {
    now: () => clock.now(),
    env,
  });
  const tokens = new TokenIssuer({
    keys,
    issuer: config.token.issuer,
    audience: config.token.audience,
    now: () => clock.now(),
  });
  const anchorSinks = openAnchorSinks(config.audit.anchors, env);
  const checkpointKey = loadOrCreateCheckpointKey(path.join(options.dataDir, 'checkpoint-key'), config.audit.origin);
  // A frozen worker's open transaction must end before its leases are due for recovery.
  const opened = await openStore({ dataDir: options.dataDir, databaseUrl: options.databaseUrl, idleTransactionTimeoutMs: config.scheduler.lease_ms });
  const deps: SyscallDeps = {
    db: opened.db,
    clock,
    tokens,
    tools,
    classes: actorClasses(config),
    operator: { name: env.AOS_OPERATOR || config.operator.name, grants: config.operator.grants },
    maxDelegationDepth: config.token.max_delegation_depth,
    maxArgsBytes: config.limits.max_args_bytes,
    toolTimeoutMs: TOOL_TIMEOUT_MS,
    approvalPolicies: config.approvals,
    models,
  };
  const anchors = newAnchorStatus(anchorSinks);
  const syscall = new Syscall(deps);
  gateway.onDefinitionChanged = (event) => {
    recordAuditEvent(opened.db, clock, { sessionId: SYSTEM_SESSION, type: 'MCP_TOOL_DEFINITION_CHANGED', actorId: null, principal: null, payload: { ...event } }).catch((error: Error) =>
      log(`[mcp_servers.${event.server}] recording MCP_TOOL_DEFINITION_CHANGED failed: ${error.message}`),
    );
  };
  return {
    config,
    checkpointKey,
    anchorSinks,
    anchors,
    probeAnchors: () => probeAnchors(anchorSinks, anchors),
    seal: (force = false) =>
      sealLog(opened.db, {
        signer: checkpointKey.signer,
        origin: config.audit.origin,
        sinks: anchorSinks,
        everyEvents: config.audit.checkpoint_every_events,
        everySeconds: config.audit.checkpoint_every_seconds,
        clock,
        status: anchors,
        force,
      }),
    db: opened.db,
    keys,
    tools,
    syscall,
    deps,
    startScheduler: (overrides = {}) =>
      startScheduler(
        syscall,
        deps,
        config.workflows,
        {
          concurrency: config.scheduler.concurrency,
          leaseMs: config.scheduler.lease_ms,
          sweepMs: config.scheduler.sweep_ms,
          pollMs: config.scheduler.poll_ms,
          ...overrides,
        },
        {
          agent: agentRunner({
            agents: config.agents,
            tools: tools.list(),
            classes: deps.classes,
          }),
        },
      ),
    gateway,
    store: { location: opened.location, applied: opened.applied },
    close: async () => {
      await gateway.close();
      await opened.db.close();
    },
  };
}

/** Every workflow step and agent names registered tools and a configured backend; CONFIG_INVALID names the first that does not. */
function checkPrograms(config: Config, tools: ToolRegistry): void {
  for (const [name, agent] of Object.entries(config.agents)) {
    if (!(agent.backend in config.llm.backends)) {
      throw new AosError('CONFIG_INVALID', `agents.${name}.backend: no backend "${agent.backend}" under llm.backends`, { field: `agents.${name}.backend` });
    }
    for (const tool of agent.tools ?? []) {
      if (!tools.has(tool)) throw new AosError('CONFIG_INVALID', `agents.${name}.tools: no tool named "${tool}" is registered`, { field: `agents.${name}.tools`, value: tool });
    }
  }
  for (const [name, workflow] of Object.entries(config.workflows)) {
    workflow.steps.forEach((step, index) => {
      if (!tools.has(step.tool)) {
        throw new AosError('CONFIG_INVALID', `workflows.${name}.steps[${index}].tool: no tool named "${step.tool}" is registered (run "aosiq tools" to see them)`, {
          field: `workflows.${name}.steps[${index}].tool`,
          value: step.tool,
        });
      }
    });
  }
}

async function probeAnchors(sinks: readonly AnchorSink[], status: AnchorStatus): Promise<void> {
  for (const [i, sink] of sinks.entries()) {
    const entry = status.sinks[i]!;
    try {
      entry.protection = await sink.probe();
      entry.ok = true;
    } catch (error) {
      if (error instanceof AosError && error.code === 'CONFIG_INVALID') throw error;
      entry.protection = null;
      entry.ok = false;
      entry.lastError = `${sink.name}: probe failed: ${(error as Error).message}`;
    }
  }
}
