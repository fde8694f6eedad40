/**
 * The tool layer's entry point: builds the registry the syscall dispatches through.
 */
import type { Config } from '../config/schema.js';
import type { ToolDefinition } from './types.js';
import { loadToolModules } from './modules.js';
import { createCommandTools } from './native/command.js';
import { createFsTools } from './native/fs.js';
import { createHttpTools } from './native/http.js';
import { ToolRegistry } from './registry.js';

export { loadToolModules } from './modules.js';
export { createCommandTools } from './native/command.js';
export { createFsTools } from './native/fs.js';
export { createHttpTools } from './native/http.js';
export { describeTool, TOOL_NAME_PATTERN, ToolRegistry } from './registry.js';
export type { BlastRadius, ToolContext, ToolDefinition, ToolDescriptor } from './types.js';
export { createToolContext } from './types.js';

/**
 * A registry holding the native tools the config enables (file tools when roots exist,
 * HTTP tools, one tool per command), the operator's module tools, and `more` (the MCP
 * gateway's upstream tools).
 *
 * @example
 * const registry = await createToolRegistry(loadConfig('aosiq.yaml'));
 * registry.list().map((tool) => tool.name);
 */
export async function createToolRegistry(config: Config, more: readonly ToolDefinition[] = []): Promise<ToolRegistry> {
  const registry = new ToolRegistry();
  const tools = [
    ...createFsTools({ roots: config.tools.roots }),
    ...createHttpTools(config.tools.http),
    ...createCommandTools(config.tools.commands),
    ...(await loadToolModules(config.tools.modules)),
    ...more,
  ];
  for (const tool of tools) registry.register(tool);
  return registry;
}
