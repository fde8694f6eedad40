/**
 * Pinned definitions of upstream MCP tools. An operator reviews a tool's definition (name,
 * title, description, input and output schema) once and pins its SHA-256; the gateway then
 * offers exactly that reviewed definition, and refuses the tool while the live one differs
 * (a "rug pull": a server changing what a tool says or takes after it was approved).
 * The file sits beside aosiq.yaml so it can be reviewed and versioned with it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { AosError } from '../../errors.js';
import { canonicalJson, type JsonValue, sha256Hex } from '../../security/canonical/index.js';
import { TOOL_NAME_PATTERN } from '../../tools/index.js';

export const PINS_FORMAT = 'aosiq-mcp-pins/1';

/** What of an upstream tool is pinned: everything a model or a validator reads. */
export interface ToolDefinitionDoc {
  name: string;
  title?: string;
  description: string;
  inputSchema: { [key: string]: JsonValue };
  outputSchema?: { [key: string]: JsonValue };
}

const jsonObject = z.record(z.string(), z.json());

const definitionSchema = z.strictObject({
  name: z.string().min(1),
  title: z.string().optional(),
  description: z.string(),
  inputSchema: jsonObject,
  outputSchema: jsonObject.optional(),
});

const pinSchema = z.strictObject({
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  pinned_at: z.string(),
  pinned_by: z.string(),
  definition: definitionSchema,
});

const pinsFileSchema = z.strictObject({
  format: z.literal(PINS_FORMAT),
  servers: z.record(z.string(), z.strictObject({ tools: z.record(z.string(), pinSchema) })),
});

export type Pin = z.infer<typeof pinSchema>;
export type PinsFile = z.infer<typeof pinsFileSchema>;

/**
 * The pinned part of a tool as listed by a server (annotations and metadata are left out:
 * we never trust them, so they cannot change what we do).
 *
 * @example
 * pinnedPart({ name: 'read', description: 'Reads', inputSchema: { type: 'object' } });
 */
export function pinnedPart(tool: { name: string; title?: string | undefined; description?: string | undefined; inputSchema: unknown; outputSchema?: unknown; [other: string]: unknown }): ToolDefinitionDoc {
  return {
    name: tool.name,
    ...(tool.title === undefined ? {} : { title: tool.title }),
    description: tool.description ?? '',
    inputSchema: tool.inputSchema as ToolDefinitionDoc['inputSchema'],
    ...(tool.outputSchema === undefined ? {} : { outputSchema: tool.outputSchema as ToolDefinitionDoc['outputSchema'] & object }),
  };
}

/**
 * SHA-256 of the definition's RFC 8785 canonical JSON, lowercase hex.
 *
 * @example
 * definitionHash(pinnedPart(tool)); // '3f1c…'
 */
export function definitionHash(definition: ToolDefinitionDoc): string {
  return sha256Hex(canonicalJson(definition, `definition of ${definition.name}`));
}

/**
 * Our name for an upstream tool: `<prefix>.<name>`, camelCase split with "_", lowercased, any
 * other character replaced by "_"; null when that still is not a valid tool name.
 *
 * @example
 * localToolName('files', 'readTextFile'); // 'files.read_text_file'
 */
export function localToolName(prefix: string, upstream: string): string | null {
  const converted = upstream
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9_.-]/g, '_');
  const name = `${prefix}.${converted}`;
  return TOOL_NAME_PATTERN.test(name) ? name : null;
}

/**
 * The pins file, or an empty one when it does not exist yet. A file that does not parse, or an
 * entry whose hash does not match its definition (edited by hand), is CONFIG_INVALID: a pin
 * that cannot be trusted must not quietly admit or refuse a tool.
 *
 * @example
 * const pins = readPins('/etc/aosiq/aosiq.mcp-pins.json');
 */
export function readPins(file: string): PinsFile {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { format: PINS_FORMAT, servers: {} };
    throw invalidPins(file, `cannot be read: ${(error as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw invalidPins(file, `is not JSON: ${(error as Error).message}`);
  }
  const parsed = pinsFileSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw invalidPins(file, `${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  for (const [server, entry] of Object.entries(parsed.data.servers)) {
    for (const [tool, pin] of Object.entries(entry.tools)) {
      if (pin.definition.name !== tool || definitionHash(pin.definition) !== pin.sha256) {
        throw invalidPins(file, `servers.${server}.tools.${tool}: the sha256 does not match the pinned definition (edited by hand?); pin it again with "aosiq mcp-servers pin ${server}"`);
      }
    }
  }
  return parsed.data;
}

/**
 * Writes the pins file whole (a temporary file renamed into place), sorted so diffs review well.
 *
 * @example
 * writePins(file, pins);
 */
export function writePins(file: string, pins: PinsFile): void {
  const sorted: PinsFile = {
    format: PINS_FORMAT,
    servers: Object.fromEntries(
      Object.entries(pins.servers)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([server, entry]) => [server, { tools: Object.fromEntries(Object.entries(entry.tools).sort(([a], [b]) => a.localeCompare(b))) }]),
    ),
  };
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(temporary, `${JSON.stringify(sorted, null, 2)}\n`, { mode: 0o644 });
  fs.renameSync(temporary, file);
}

function invalidPins(file: string, what: string): AosError {
  return new AosError('CONFIG_INVALID', `MCP pins file ${file} ${what}`, { file });
}
