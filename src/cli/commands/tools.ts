import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { createToolRegistry } from '../../tools/index.js';
import { globalOptions, type Run } from '../context.js';
import { emit, type Io } from '../output.js';

export function registerTools(program: Command, io: Io, run: Run): void {
  program
    .command('tools')
    .description('list the registered tools')
    .action(
      run(async (_options: unknown, command: Command) => {
        const global = globalOptions(command);
        const registry = await createToolRegistry(loadConfig(global.config));
        const tools = registry.list();
        emit(
          io,
          global.json,
          tools,
          tools.map(
            (tool) =>
              `${tool.name.padEnd(24)} ${tool.reversible ? 'reversible  ' : 'IRREVERSIBLE'} ${tool.blastRadius.level.padEnd(8)} ${tool.description}`,
          ),
        );
      }),
    );
}
