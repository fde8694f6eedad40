/**
 * The set of tools this runtime can dispatch to, by name. Lookup and argument validation
 * live here so every entry point (syscall, API, MCP, CLI) refuses the same way.
 */
import { z } from 'zod';
import { describeIssues, editDistance } from '../config/issue-message.js';
import { AosError } from '../errors.js';
import type { ToolDefinition, ToolDescriptor } from './types.js';

/** A family and a verb at least: `fs.read`, `command.restart-service`. */
export const TOOL_NAME_PATTERN = /^[a-z0-9_-]+(\.[a-z0-9_-]+)+$/;

export class ToolRegistry {
  readonly #tools = new Map<string, ToolDefinition>();

  /**
   * Adds a tool. Names are unique: a second tool with the same name is a conflict, never a
   * silent replacement.
   *
   * @example
   * registry.register(fsReadTool);
   */
  register<A>(definition: ToolDefinition<A>): void {
    if (!TOOL_NAME_PATTERN.test(definition.name)) {
      throw new AosError(
        'INVALID_INPUT',
        `tool name ${JSON.stringify(definition.name)} is invalid: use lowercase dotted words like "fs.read"`,
        { tool: definition.name },
      );
    }
    if (this.#tools.has(definition.name)) {
      throw new AosError(
        'CONFLICT',
        `a tool named "${definition.name}" is already registered; rename one of them`,
        {
          tool: definition.name,
        },
      );
    }
    this.#tools.set(definition.name, Object.freeze({ ...definition }));
  }

  /**
   * The tool with this name, or UNKNOWN_TOOL listing the names closest to it.
   *
   * @example
   * registry.get('fs.read').reversible; // true
   */
  get(name: string): ToolDefinition {
    const tool = this.#tools.get(name);
    if (tool) return tool;
    const close = this.#closeNames(name);
    const hint = close.length > 0 ? `; did you mean ${close.map((n) => `"${n}"`).join(', ')}?` : '';
    throw new AosError(
      'UNKNOWN_TOOL',
      `no tool named "${name}" is registered${hint} (run "aosiq tools" to see them all)`,
      { tool: name, suggestions: close },
    );
  }

  /** True when a tool with this name is registered. */
  has(name: string): boolean {
    return this.#tools.has(name);
  }

  /**
   * Every tool's descriptor, sorted by name.
   *
   * @example
   * registry.list().map((tool) => tool.name); // ['fs.delete', 'fs.list', ...]
   */
  list(): ToolDescriptor[] {
    return [...this.#tools.values()].sort((a, b) => a.name.localeCompare(b.name)).map(describeTool);
  }

  /**
   * Validates `args` against the tool's input schema and returns the parsed arguments
   * (defaults applied), or INVALID_INPUT listing each problem with its argument path.
   *
   * @example
   * registry.parseArgs('fs.read', { path: 'notes.txt' });
   */
  parseArgs(name: string, args: unknown): unknown {
    const tool = this.get(name);
    const result = tool.input.safeParse(args);
    if (result.success) return result.data;
    const problems = describeIssues(result.error.issues, args, tool.input).map(
      (problem) => `${problem.path.length > 0 ? problem.path.join('.') : '(arguments)'}: ${problem.message}`,
    );
    throw new AosError('INVALID_INPUT', `invalid arguments for ${name}: ${problems.join('; ')}`, {
      tool: name,
      problems,
    });
  }

  #closeNames(name: string): string[] {
    const family = name.split('.')[0];
    return [...this.#tools.keys()]
      .map((candidate) => ({ candidate, distance: editDistance(name, candidate) }))
      .filter(({ candidate, distance }) => distance <= 3 || candidate.split('.')[0] === family)
      .sort((a, b) => a.distance - b.distance || a.candidate.localeCompare(b.candidate))
      .slice(0, 5)
      .map(({ candidate }) => candidate);
  }
}

/**
 * The listing view of a tool, with its arguments as JSON Schema (input side, so defaults
 * show as optional).
 *
 * @example
 * describeTool(tool).inputSchema.properties;
 */
export function describeTool(tool: ToolDefinition): ToolDescriptor {
  return {
    name: tool.name,
    description: tool.description,
    reversible: tool.reversible,
    blastRadius: { level: tool.blastRadius.level, reason: tool.blastRadius.reason },
    inputSchema: tool.inputJsonSchema ?? z.toJSONSchema(tool.input, { io: 'input', unrepresentable: 'any' }),
  };
}
