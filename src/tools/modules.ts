/**
 * Loads the operator's own tools: ES modules listed under `tools.modules` whose default
 * export is a tool definition, an array of them, or a function returning either.
 */
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { describeIssues } from '../config/issue-message.js';
import { BLAST_RADIUS_LEVELS } from '../config/schema.js';
import { AosError } from '../errors.js';
import { TOOL_NAME_PATTERN } from './registry.js';
import type { ToolDefinition } from './types.js';

const definitionSchema = z.object({
  name: z
    .string()
    .regex(TOOL_NAME_PATTERN, { error: 'expected a dotted lowercase tool name like "acme.lookup"' }),
  description: z.string().min(1),
  input: z.custom<z.ZodType>((value) => typeof value === 'object' && value !== null && '_zod' in value, {
    error: 'expected a zod 4 schema',
  }),
  reversible: z.boolean(),
  blastRadius: z.strictObject({ level: z.enum(BLAST_RADIUS_LEVELS), reason: z.string().min(1) }),
  run: z.custom<ToolDefinition['run']>((value) => typeof value === 'function', {
    error: 'expected a function (args, context) => Promise<result>',
  }),
});

/**
 * Imports each module (absolute paths) and returns its tool definitions, in order.
 *
 * @example
 * const tools = await loadToolModules(config.tools.modules);
 */
export async function loadToolModules(paths: readonly string[]): Promise<ToolDefinition[]> {
  const tools: ToolDefinition[] = [];
  for (const path of paths) tools.push(...(await loadToolModule(path)));
  return tools;
}

async function loadToolModule(path: string): Promise<ToolDefinition[]> {
  const module = (await import(pathToFileURL(path).href).catch((error: unknown) => {
    const reason = error instanceof Error ? error.message : String(error);
    throw moduleError(path, `cannot be imported: ${reason}`, error);
  })) as { default?: unknown };
  if (module.default === undefined) {
    throw moduleError(
      path,
      'has no default export; export default a tool definition, an array of them, or a function returning them',
    );
  }
  let exported: unknown = module.default;
  if (typeof exported === 'function') {
    exported = await Promise.resolve()
      .then(() => (exported as () => unknown)())
      .catch((error: unknown) => {
        throw moduleError(
          path,
          `default export function threw: ${error instanceof Error ? error.message : String(error)}`,
          error,
        );
      });
  }
  const definitions = Array.isArray(exported) ? exported : [exported];
  const problems = definitions.flatMap((definition, index) => {
    const result = definitionSchema.safeParse(definition);
    if (result.success) return [];
    const where = Array.isArray(exported) ? `default export[${index}]` : 'default export';
    return describeIssues(result.error.issues, definition, definitionSchema).map(
      (problem) => `${[where, ...problem.path].join('.')}: ${problem.message}`,
    );
  });
  if (problems.length > 0) throw moduleError(path, `is not a valid tool module: ${problems.join('; ')}`);
  return definitions as ToolDefinition[];
}

function moduleError(path: string, what: string, cause?: unknown): AosError {
  return new AosError(
    'CONFIG_INVALID',
    `tool module ${path} ${what} (listed under tools.modules in aosiq.yaml)`,
    { module: path },
    cause === undefined ? undefined : { cause },
  );
}
