import type { Command } from 'commander';
import { AosError } from '../../errors.js';
import { globalOptions, openCliRuntime, type Run } from '../context.js';
import { readOptionFile } from '../files.js';
import type { Io } from '../output.js';

/**
 * `aosiq mcp`: an MCP server on stdin/stdout acting as the actor whose token it is given. Stdout
 * carries the protocol only; anything for a human goes to stderr.
 */
export function registerMcp(program: Command, io: Io, run: Run): void {
  program
    .command('mcp')
    .description("serve MCP over stdio as the actor holding a capability token (token from --token-file or AOS_TOKEN)")
    .option('--token-file <file>', 'file holding the capability token')
    .addHelpText('after', '\nExample (Claude Code):\n  claude mcp add aosiq --env AOS_TOKEN="$(cat agent.tok)" -- npx aosiq mcp\nSee docs/mcp.md.\n')
    .action(
      run(async (options: { tokenFile?: string }, command: Command) => {
        const token = (options.tokenFile ? readOptionFile('--token-file', options.tokenFile) : (process.env.AOS_TOKEN ?? '')).trim();
        if (!token) throw new AosError('INVALID_INPUT', 'no capability token: pass --token-file FILE or set AOS_TOKEN', { field: 'token' });
        const runtime = await openCliRuntime(globalOptions(command));
        try {
          // Refuse a bad token at once (recorded as AUTH_REJECTED), before a client connects.
          await runtime.syscall.verify(token, 'mcp_connect');
          const claims = await runtime.deps.tokens.verify(token);
          // The MCP SDK loads only for this command, not with every other one.
          const [{ createMcpServer }, { StdioServerTransport }] = await Promise.all([import('../../mcp/index.js'), import('@modelcontextprotocol/sdk/server/stdio.js')]);
          const server = createMcpServer(runtime, { token, principal: 'mcp:stdio' });
          const closed = new Promise<void>((resolve) => {
            server.onclose = () => resolve();
          });
          await server.connect(new StdioServerTransport());
          // The client closing our stdin ends the session.
          process.stdin.once('end', () => void server.close());
          io.err(`aosiq mcp: serving MCP over stdio as actor ${claims.sub} (class ${claims.cls}, session ${claims.sid})`);
          await closed;
        } finally {
          await runtime.close();
        }
      }),
    );
}
