import type { ApprovalPolicies } from '../approvals/index.js';
import type { Clock } from '../clock.js';
import type { JsonValue } from '../security/canonical/index.js';
import type { CapabilityClaims, Grant, MintClaims } from '../security/capability/index.js';
import type { BackendPricing, Pico } from '../ledger/index.js';
import type { LlmBackend } from '../llm/types.js';
import type { InjectionPolicy } from '../security/untrusted/index.js';
import type { Db } from '../store/db.js';
import type { ToolDefinition } from '../tools/index.js';

/** An actor class as the syscall needs it (from aosiq.yaml's actor_classes). */
export interface ActorClass {
  name: string;
  kind: 'agent' | 'job' | 'script';
  capabilities: Grant[];
  tokenTtlSeconds: number;
  /** Its agents must cite read evidence before proposing an irreversible call. */
  requireGrounding?: boolean;
  /** Refresh the token when a worker dispatches the actor, up to this long after its spawn. */
  tokenRefresh?: { maxLifetimeSeconds: number } | undefined;
  /** What is done with tool results that look like injection (default: warn at 0.5). */
  untrusted?: InjectionPolicy;
  /** What a millisecond of its tool calls costs, for the compute ledger; 0 when absent. */
  computePerMs?: Pico;
  /** The egress envelope and spending limits of its model calls; absent: no model at all. */
  models?: {
    allowedBackends: string[];
    sessionCeiling: Pico | null;
    dailyCeiling: Pico | null;
    allowUnpriced: boolean;
    /** The output cap of a request that sets none: never unlimited. */
    defaultMaxTokens: number;
  };
}

/** A configured model backend with how it is priced. */
export interface ModelBackend {
  backend: LlmBackend;
  pricing: BackendPricing;
  /** The adapter aborts a call after this long; a reservation's hold outlives it. */
  timeoutMs: number;
}

/** What the syscall asks of the token layer. */
export interface TokenPort {
  mint(claims: MintClaims): Promise<{ token: string; claims: CapabilityClaims }>;
  verify(token: string): Promise<CapabilityClaims>;
}

/** What the syscall asks of the tool registry. */
export interface ToolPort {
  get(name: string): ToolDefinition;
  parseArgs(name: string, args: unknown): unknown;
}

export interface SyscallDeps {
  db: Db;
  clock: Clock;
  tokens: TokenPort;
  tools: ToolPort;
  classes: ReadonlyMap<string, ActorClass>;
  /** The authority of the local operator: top-level spawns are clamped to it. */
  operator: { name: string; grants: Grant[] };
  maxDelegationDepth: number;
  maxArgsBytes: number;
  /** How long one tool call may run before it is aborted. */
  toolTimeoutMs: number;
  /** aosiq.yaml `approvals:`; the built-in default policy when absent. */
  approvalPolicies?: ApprovalPolicies | undefined;
  /** aosiq.yaml `llm.backends`, by name; absent: none. */
  models?: ReadonlyMap<string, ModelBackend> | undefined;
}

export type ToolResult = JsonValue;
