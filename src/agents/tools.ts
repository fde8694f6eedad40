/**
 * The tools an agent is offered: those its config lists, or every registered tool its grants
 * name, never llm.* (model calls are the loop's own). Providers allow only [A-Za-z0-9_-] in
 * function names, so "fs.read" is offered as "fs__read" and mapped back on the way in.
 */
import type { AgentConfig } from '../config/agents.js';
import { AosError } from '../errors.js';
import type { ToolSpec } from '../llm/types.js';
import { patternCovers } from '../security/capability/index.js';
import type { ToolDescriptor } from '../tools/index.js';

export interface OfferedTools {
  specs: ToolSpec[];
  /** Our tool name by the name the model sees. */
  byModelName: Map<string, string>;
  byName: Map<string, ToolDescriptor>;
}

/**
 * @example
 * const offered = offeredTools(agent, lease.grants, registry.list());
 */
export function offeredTools(agent: AgentConfig, grants: readonly { tool: string }[], tools: readonly ToolDescriptor[]): OfferedTools {
  const chosen = tools.filter(
    (tool) =>
      !tool.name.startsWith('llm.') &&
      (agent.tools ? agent.tools.includes(tool.name) : grants.some((grant) => patternCovers(grant.tool, tool.name))),
  );
  const modelName = (name: string) => name.replace(/\./g, '__');
  const seen = new Map<string, string>();
  for (const tool of chosen) {
    const other = seen.get(modelName(tool.name));
    if (other) {
      throw new AosError('CONFIG_INVALID', `tools ${other} and ${tool.name} would both be offered to a model as "${modelName(tool.name)}"; rename one`, { tools: [other, tool.name] });
    }
    seen.set(modelName(tool.name), tool.name);
  }
  return {
    specs: chosen.map((tool) => ({
      name: modelName(tool.name),
      description: `${tool.description}${tool.reversible ? '' : ' (changes things: needs a human approval and, first, evidence from a read tool)'}`,
      parameters: tool.inputSchema,
    })),
    byModelName: new Map(chosen.map((tool) => [modelName(tool.name), tool.name])),
    byName: new Map(chosen.map((tool) => [tool.name, tool])),
  };
}
