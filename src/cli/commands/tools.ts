import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { openTools } from '../../runtime.js';
import { globalOptions, type Run } from '../context.js';
import { emit, type Io } from '../output.js';

export function registerTools(program: Command, io: Io, run: Run): void {
  program
    .command('tools')
    .description('list the registered tools')
    .action(
      run(async (_options: unknown, command: Command) => {
        const global = globalOptions(command);
        const { tools: registry, gateway } = await openTools(loadConfig(global.config), process.env);
        const tools = registry.list();
        await gateway.close();
        emit(
          io,
          global.json,
          tools,
          tools.map(
            (tool) =>
              `${tool.name.padEnd(28)} ${tool.reversible ? 'reversible  ' : 'IRREVERSIBLE'} ${tool.blastRadius.level.padEnd(8)} ${tool.description}`,
          ),
        );
      }),
    );
}
