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
        throw invalidPins(file, `servers.${server}.tools.${tool}: the sha256 does not match the pinned definition (edited by hand?); remove that entry from the file, then review and pin it again (aosiq mcp-servers diff ${server}; aosiq mcp-servers pin ${server} --tool ${tool})`);
      }
    }
  }
  return parsed.data;
}

const LOCK_WAIT_MS = 10_000;

/**
 * Changes the pins file under a lock file (O_EXCL), so two `pin` runs cannot lose each other's
 * pins: the file is read again under the lock, `change` edits that copy, and the result is
 * written whole (a temporary file, fsync, renamed into place), sorted so diffs review well.
 *
 * @example
 * await updatePins(file, (pins) => { delete pins.servers.files; });
 */
export async function updatePins(file: string, change: (pins: PinsFile) => void | Promise<void>): Promise<PinsFile> {
  const lock = `${file}.lock`;
  const began = Date.now();
  let handle: number | undefined;
  while (handle === undefined) {
    try {
      handle = fs.openSync(lock, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw invalidPins(file, `cannot be locked (${lock}): ${(error as Error).message}`);
      if (Date.now() - began > LOCK_WAIT_MS) throw new AosError('STORE_LOCKED', `MCP pins file ${file} is being changed by another process (lock ${lock}); if none is running, remove the lock file`, { file: lock });
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    const pins = readPins(file);
    await change(pins);
    const sorted: PinsFile = {
      format: PINS_FORMAT,
      servers: Object.fromEntries(
        Object.entries(pins.servers)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([server, entry]) => [server, { tools: Object.fromEntries(Object.entries(entry.tools).sort(([a], [b]) => a.localeCompare(b))) }]),
      ),
    };
    const out = fs.openSync(temporary, 'w', 0o644);
    try {
      fs.writeFileSync(out, `${JSON.stringify(sorted, null, 2)}\n`);
      fs.fsyncSync(out);
    } finally {
      fs.closeSync(out);
    }
    fs.renameSync(temporary, file);
    return sorted;
  } finally {
    fs.rmSync(temporary, { force: true });
    fs.closeSync(handle);
    fs.rmSync(lock, { force: true });
  }
}

function invalidPins(file: string, what: string): AosError {
  return new AosError('CONFIG_INVALID', `MCP pins file ${file} ${what}`, { file });
}
