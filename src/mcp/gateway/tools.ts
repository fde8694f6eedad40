/**
 * Upstream MCP tools as entries of our registry: the pinned definition is what models and
 * approvers see, the operator's config says whether the effect can be undone (never the
 * server's annotations), and every call first checks the live definition against its pin.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { McpServerConfig } from '../../config/index.js';
import { AosError } from '../../errors.js';
import { canonicalJson, type JsonValue } from '../../security/canonical/index.js';
import type { ToolDefinition } from '../../tools/index.js';
import type { Pin } from './pins.js';

/** What a tool needs of its server's connection. */
export interface UpstreamPort {
  /** Throws TOOL_DEFINITION_CHANGED or UPSTREAM_UNAVAILABLE unless the live definition matches the pin. */
  verify(tool: string, pinnedSha256: string): Promise<void>;
  call(tool: string, args: Record<string, unknown>, options: { signal: AbortSignal; idempotencyKey: string }): Promise<CallToolResult>;
}

/**
 * The registry entry for one pinned upstream tool.
 *
 * @example
 * registry.register(upstreamTool('files', config, 'files.read_text_file', pin, upstream, log));
 */
export function upstreamTool(server: string, config: McpServerConfig, localName: string, pin: Pin, upstream: UpstreamPort, log: (line: string) => void): ToolDefinition<Record<string, unknown>> {
  const { definition } = pin;
  const settings = config.tools[definition.name];
  return {
    name: localName,
    description: definition.description || definition.title || `${definition.name} (upstream MCP server ${server})`,
    input: argumentsSchema(definition.inputSchema, localName, log),
    inputJsonSchema: definition.inputSchema,
    reversible: settings?.reversible ?? false,
    blastRadius: {
      level: settings?.blast_radius ?? config.blast_radius,
      reason: settings?.reason ?? config.reason ?? `${definition.name} on upstream MCP server ${server}: its effect has not been reviewed`,
    },
    check: () => upstream.verify(definition.name, pin.sha256),
    async run(args, context) {
      await upstream.verify(definition.name, pin.sha256);
      const result = await upstream.call(definition.name, args, { signal: context.signal, idempotencyKey: context.idempotencyKey });
      return resultValue(localName, result, config.max_result_bytes);
    },
  };
}

/** The pinned JSON Schema as a validator; a schema zod cannot read still takes a JSON object (the server validates too). */
function argumentsSchema(schema: Record<string, unknown>, localName: string, log: (line: string) => void): z.ZodType<Record<string, unknown>> {
  try {
    return z.fromJSONSchema(schema) as z.ZodType<Record<string, unknown>>;
  } catch (error) {
    log(`${localName}: its input schema cannot be checked here (${(error as Error).message}); arguments go to the server unchecked but for being a JSON object`);
    return z.record(z.string(), z.json());
  }
}

/** The server's content blocks and structured content; an error result becomes TOOL_FAILED with its text. */
function resultValue(localName: string, result: CallToolResult, maxBytes: number): JsonValue {
  if (result.isError) {
    const text = result.content.map((block) => (block.type === 'text' ? block.text : `[${block.type}]`)).join('\n');
    throw new AosError('TOOL_FAILED', `${localName} failed upstream: ${text.slice(0, 2000) || '(no message)'}`, { tool: localName });
  }
  const value = {
    content: result.content,
    ...(result.structuredContent === undefined ? {} : { structuredContent: result.structuredContent }),
  } as unknown as JsonValue;
  let bytes: number;
  try {
    bytes = Buffer.byteLength(canonicalJson(value, 'result'));
  } catch (error) {
    throw new AosError('TOOL_FAILED', `${localName} returned a result that is not storable JSON (${(error as Error).message}); the call ran upstream, its result was discarded`, { tool: localName });
  }
  if (bytes > maxBytes) {
    throw new AosError('TOOL_FAILED', `${localName} returned ${bytes} bytes, more than max_result_bytes (${maxBytes}); the result was discarded`, { tool: localName, bytes });
  }
  return value;
}
