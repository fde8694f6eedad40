/**
 * Public types of the tool layer. A tool is a pure effect: it gets validated arguments and
 * a context of plain data, never a handle on the registry, the database or the audit log,
 * so the only way to reach another tool is back through the syscall.
 */
import type { z } from 'zod';
import type { BlastRadiusLevel } from '../config/schema.js';
import type { JsonValue } from '../security/canonical/index.js';

export type { BlastRadiusLevel, JsonValue };

/** How much damage a wrong call could do, and why; shown to the approver. */
export interface BlastRadius {
  readonly level: BlastRadiusLevel;
  readonly reason: string;
}

/** What a tool learns about the call besides its arguments: plain data and a cancel signal. */
export interface ToolContext {
  readonly signal: AbortSignal;
  readonly idempotencyKey: string;
  readonly actorId: string;
  readonly sessionId: string;
  /**
   * Where a tool that can measure the CPU time of its effect (a child process) writes it; plain
   * data like the rest, so the context still offers no function to call.
   */
  readonly usage?: { cpuMs: number | null };
}

/** A tool the runtime can dispatch to. `input` validates and types the arguments. */
export interface ToolDefinition<A = unknown> {
  readonly name: string;
  readonly description: string;
  readonly input: z.ZodType<A>;
  /** False when the effect cannot be undone; such calls need a human approval first. */
  readonly reversible: boolean;
  readonly blastRadius: BlastRadius;
  run(args: A, context: ToolContext): Promise<JsonValue>;
  /**
   * Throws when the tool cannot be called now (an upstream MCP tool whose definition no longer
   * matches its pin, or whose server is down). The syscall asks after the grant check and before
   * any approval, so an unusable tool is refused before a human is asked about it.
   */
  check?(): Promise<void>;
  /** The arguments' JSON Schema as published, when the tool has one of its own (upstream MCP tools). */
  readonly inputJsonSchema?: Record<string, unknown>;
}

/** How a tool is shown in listings, the API and the MCP server. */
export interface ToolDescriptor {
  name: string;
  description: string;
  reversible: boolean;
  blastRadius: BlastRadius;
  inputSchema: Record<string, unknown>;
}

/**
 * Builds the frozen context handed to a tool, copying only its declared fields so no caller
 * can smuggle a handle in through extra properties.
 *
 * @example
 * const context = createToolContext({ signal, idempotencyKey: 'k1', actorId: 'a1', sessionId: 's1' });
 */
export function createToolContext(fields: ToolContext): ToolContext {
  return Object.freeze({
    signal: fields.signal,
    idempotencyKey: fields.idempotencyKey,
    actorId: fields.actorId,
    sessionId: fields.sessionId,
    ...(fields.usage ? { usage: fields.usage } : {}),
  });
}
