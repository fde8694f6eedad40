import { createToolContext, type ToolDefinition } from '../../src/tools/index.js';

/**
 * Validates `args` as the registry would, then runs the tool with a plain test context.
 *
 * @example
 * await runTool(tools.get('fs.read')!, { path: 'notes.txt' });
 */
export function runTool(tool: ToolDefinition, args: Record<string, unknown>) {
  const context = createToolContext({
    signal: new AbortController().signal,
    idempotencyKey: 'k',
    actorId: 'a',
    sessionId: 's',
  });
  return tool.run(tool.input.parse(args), context);
}
