export { createMcpServer, type McpSession } from './server.js';
export { MAX_WAIT_SECONDS, SPAWN_SUBAGENT, WAIT_FOR_APPROVAL } from './own-tools.js';
