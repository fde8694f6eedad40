export { type AgentProgram, agentRunner, type AgentRunnerOptions } from './loop.js';
export { MAX_TASK_CHARS, startAgent } from './start.js';
export { type OfferedTools, offeredTools } from './tools.js';
