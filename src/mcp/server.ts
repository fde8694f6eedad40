/**
 * The MCP server: one per connection, acting as the actor whose capability token the client
 * presented. tools/list shows exactly the tools that token grants (our registry's schemas and
 * our reversible flag, authoritative), plus two of our own: wait_for_approval and
 * spawn_subagent. tools/call goes through the syscall; refusals come back as MCP tool errors
 * carrying our code and a message a model can act on.
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, type CallToolResult, ListToolsRequestSchema, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { AosError, isAosError } from '../errors.js';
import type { Runtime } from '../runtime.js';
import { type CapabilityClaims, patternCovers } from '../security/capability/index.js';
import { packageVersion } from '../version.js';
import { errorResult, toolResult } from './results.js';
import { SPAWN_SUBAGENT, spawnSubagent, WAIT_FOR_APPROVAL, waitForApproval } from './own-tools.js';

export interface McpSession {
  /** The capability token every call of this connection is made with. */
  token: string;
  /** Who connected (recorded as the principal of every row), e.g. `mcp:stdio`. */
  principal: string;
  /** Where an operator approves, shown in approval-pending results. */
  approveAt?: string;
}

/** The tools the token grants, as MCP describes them. */
async function listTools(runtime: Runtime, claims: CapabilityClaims): Promise<Tool[]> {
  const granted = runtime.tools
    .list()
    .filter((tool) => !tool.name.startsWith('llm.') && claims.grants.some((grant) => patternCovers(grant.tool, tool.name)));
  return [
    ...granted.map((tool) => ({
      name: tool.name,
      description: `${tool.description}${tool.reversible ? '' : ` Irreversible (${tool.blastRadius.level}: ${tool.blastRadius.reason}): the first call returns a pending approval; call again with the same arguments once it is approved.`}`,
      inputSchema: tool.inputSchema as Tool['inputSchema'],
      annotations: { title: tool.name, readOnlyHint: tool.reversible, destructiveHint: !tool.reversible, idempotentHint: false, openWorldHint: tool.name.startsWith('http.') || runtime.gateway.owns(tool.name) },
    })),
    WAIT_FOR_APPROVAL,
    SPAWN_SUBAGENT,
  ];
}

/**
 * @example
 * const server = createMcpServer(runtime, { token, principal: 'mcp:stdio' });
 * await server.connect(new StdioServerTransport());
 */
export function createMcpServer(runtime: Runtime, session: McpSession): Server {
  const server = new Server(
    { name: 'aosiq', version: packageVersion() },
    {
      capabilities: { tools: { listChanged: false } },
      instructions:
        'Every tool call is checked against your capability token and recorded. Irreversible tools need a human approval: the first call returns the approval id; use wait_for_approval, then call again with the same arguments.',
    },
  );
  const claims = () => runtime.deps.tokens.verify(session.token);

  server.setRequestHandler(ListToolsRequestSchema, async () => {
    await runtime.syscall.verify(session.token, 'mcp_list_tools');
    return { tools: await listTools(runtime, await claims()) };
  });

  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const { name } = request.params;
    const args = request.params.arguments ?? {};
    try {
      if (name === WAIT_FOR_APPROVAL.name) return await waitForApproval(runtime, await claims(), args, extra);
      if (name === SPAWN_SUBAGENT.name) return await spawnSubagent(runtime, session, args);
      const outcome = await runtime.syscall.callTool(session.token, name, args, session.principal);
      return toolResult(name, outcome.result, outcome.scan, runtime.gateway.owns(name));
    } catch (error) {
      if (isAosError(error, 'APPROVAL_REQUIRED')) return pendingResult(session, name, error);
      if (isAosError(error)) return errorResult(error);
      throw error;
    }
  });
  return server;
}

/** Not run: what was proposed, the approval to wait for, and where a human approves it. */
function pendingResult(session: McpSession, tool: string, error: AosError): CallToolResult {
  const approvalId = String(error.details.approvalId);
  const value = {
    status: 'approval_pending',
    ran: false,
    approval_id: approvalId,
    tool,
    args_hash: error.details.argsHash,
    approve_with: [`aosiq approvals approve ${approvalId} --reason "..."`, ...(session.approveAt ? [`${session.approveAt}/api/v1/approvals/${approvalId}/approve`] : [])],
    next: `call wait_for_approval with approval_id "${approvalId}", then call ${tool} again with the same arguments; it runs once`,
  };
  return { content: [{ type: 'text', text: `NOT RUN: ${tool} needs a human approval (${approvalId}). ${value.next}.` }], structuredContent: value, isError: false };
}
