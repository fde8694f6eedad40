/**
 * An upstream server's live tools compared with their pins: what `aosiq mcp-servers list`,
 * `diff` and `pin` show and act on.
 */
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { canonicalJson } from '../../security/canonical/index.js';
import { definitionHash, localToolName, type Pin, pinnedPart, type ToolDefinitionDoc } from './pins.js';

export type DiffStatus = 'unchanged' | 'changed' | 'new' | 'removed' | 'invalid_name' | 'name_collision' | 'invalid_definition';

/** One upstream tool compared with its pin. */
export interface ToolDiff {
  tool: string;
  localName: string | null;
  status: DiffStatus;
  pinnedSha256: string | null;
  liveSha256: string | null;
  /** For a changed tool: which parts differ (description, inputSchema, ...). */
  changedFields: string[];
  pinned: ToolDefinitionDoc | null;
  live: ToolDefinitionDoc | null;
  /** Why a live definition cannot be pinned (invalid_definition). */
  problem?: string;
}

/** A live tool as the gateway keeps it: the hashed part, or why it cannot be hashed. */
export type LiveTool = { doc: ToolDefinitionDoc; sha256: string } | { doc: ToolDefinitionDoc; sha256: null; problem: string };

/**
 * Hashes each listed tool on its own, so one definition that is not canonical JSON (a NUL, a
 * lone surrogate, too deep) makes only that tool unusable, not its whole server.
 *
 * @example
 * const live = liveTools(await upstream.tools());
 */
export function liveTools(tools: readonly Tool[]): Map<string, LiveTool> {
  return new Map(
    tools.map((tool): [string, LiveTool] => {
      const doc = pinnedPart(tool);
      try {
        return [tool.name, { doc, sha256: definitionHash(doc) }];
      } catch (error) {
        return [tool.name, { doc, sha256: null, problem: (error as Error).message }];
      }
    }),
  );
}

/**
 * Every tool pinned or live, compared. A name is a collision when two tools (pinned or live,
 * under different upstream names) would both become it.
 *
 * @example
 * compare('files', pins, live).filter((diff) => diff.status === 'changed');
 */
export function compare(prefix: string, pins: Record<string, Pin>, live: Map<string, LiveTool>): ToolDiff[] {
  const names = [...new Set([...Object.keys(pins), ...live.keys()])].sort();
  const owners = new Map<string, number>();
  for (const name of names) {
    const local = localToolName(prefix, name);
    if (local) owners.set(local, (owners.get(local) ?? 0) + 1);
  }
  return names.map((tool) => diffOf(tool, localToolName(prefix, tool), pins[tool] ?? null, live.get(tool) ?? null, owners));
}

function diffOf(tool: string, localName: string | null, pin: Pin | null, live: LiveTool | null, owners: Map<string, number>): ToolDiff {
  const base = { tool, localName, pinnedSha256: pin?.sha256 ?? null, liveSha256: live?.sha256 ?? null, pinned: pin?.definition ?? null, live: live?.doc ?? null, changedFields: [] as string[] };
  if (!live) return { ...base, status: 'removed' };
  if (live.sha256 === null) return { ...base, status: 'invalid_definition', problem: live.problem };
  if (localName === null) return { ...base, status: 'invalid_name' };
  if (!pin && (owners.get(localName) ?? 0) > 1) return { ...base, status: 'name_collision' };
  if (!pin) return { ...base, status: 'new' };
  if (pin.sha256 === live.sha256) return { ...base, status: 'unchanged' };
  const fields = ['name', 'title', 'description', 'inputSchema', 'outputSchema'] as const;
  const text = (value: unknown) => (value === undefined ? '' : canonicalJson(value, 'definition'));
  const changedFields = fields.filter((field) => text(pin.definition[field]) !== text(live.doc[field]));
  return { ...base, status: 'changed', changedFields };
}
