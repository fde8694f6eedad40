/**
 * MCP over Streamable HTTP at /mcp, stateless: each POST carries the actor's capability token
 * as its bearer credential and gets a fresh server acting as that actor. Authorization follows
 * the MCP specification: 401 with WWW-Authenticate naming the Protected Resource Metadata
 * (RFC 9728) when the token is missing or does not verify (wrong audience included), 403
 * insufficient_scope when it grants no tool at all. The token is never sent anywhere else.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isAosError } from '../../errors.js';
import { createMcpServer } from '../../mcp/index.js';
import type { Runtime } from '../../runtime.js';
import { patternCovers } from '../../security/capability/index.js';

const METADATA_PATH = '/.well-known/oauth-protected-resource';

function baseOf(request: FastifyRequest): string {
  return `${request.protocol}://${request.headers.host ?? request.hostname}`;
}

function challenge(reply: FastifyReply, request: FastifyRequest, status: 401 | 403, error: string | null, description: string) {
  const parts = [...(error ? [`error="${error}"`, `error_description="${description.replaceAll('"', "'")}"`] : []), `resource_metadata="${baseOf(request)}${METADATA_PATH}"`];
  return reply
    .status(status)
    .header('www-authenticate', `Bearer ${parts.join(', ')}`)
    .send({ error: error ?? 'unauthorized', error_description: description });
}

export function registerMcpRoutes(app: FastifyInstance, runtime: Runtime): void {
  app.get(METADATA_PATH, { config: { auth: 'public' }, schema: { summary: 'OAuth 2.0 Protected Resource Metadata (RFC 9728) of /mcp', tags: ['mcp'], security: [] } }, async (request) => ({
    resource: `${baseOf(request)}/mcp`,
    bearer_methods_supported: ['header'],
    resource_name: 'AOSIQ MCP server',
    resource_documentation: 'docs/mcp.md: the bearer credential is an AOSIQ capability token (aosiq spawn, POST /api/v1/agents)',
    ...(runtime.config.auth.oidc ? { authorization_servers: [runtime.config.auth.oidc.issuer] } : {}),
  }));

  app.route({
    method: ['POST', 'GET', 'DELETE'],
    url: '/mcp',
    config: { auth: 'public' },
    schema: { hide: true },
    handler: async (request, reply) => {
      const match = /^Bearer +(\S+) *$/i.exec(request.headers.authorization ?? '');
      if (!match) return challenge(reply, request, 401, null, 'send the actor\'s capability token: "Authorization: Bearer <token>"');
      const token = match[1]!;
      try {
        // Records AUTH_REJECTED for a bad token, as every other entry point does.
        await runtime.syscall.verify(token, 'mcp_http');
      } catch (error) {
        if (isAosError(error)) return challenge(reply, request, 401, 'invalid_token', `${error.code}: ${error.message}`);
        throw error;
      }
      const claims = await runtime.deps.tokens.verify(token);
      const granted = runtime.tools.list().some((tool) => !tool.name.startsWith('llm.') && claims.grants.some((grant) => patternCovers(grant.tool, tool.name)));
      if (!granted) return challenge(reply, request, 403, 'insufficient_scope', 'this token grants no tool; spawn an actor whose grants name the tools you need');
      if (request.method !== 'POST') {
        return reply.status(405).header('allow', 'POST').send({ error: 'method_not_allowed', error_description: 'this server is stateless: POST each JSON-RPC message' });
      }
      const server = createMcpServer(runtime, { token, principal: 'mcp:http', approveAt: baseOf(request) });
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      reply.hijack();
      reply.raw.on('close', () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(request.raw, reply.raw, request.body);
    },
  });
}
