/**
 * Tool results that a caller of the model syscall sends back to the model (the gateway's OpenAI
 * `role: "tool"` messages and Anthropic `tool_result` blocks) are as untrusted as any tool call's
 * result: the syscall scans each one with the actor class's policy and hands the model only its
 * wrapped presentation, as the agent loop and MCP `tools/call` do with the results of callTool.
 */
import type { CapabilityClaims } from '../security/capability/index.js';
import { presentToolResult, scanResult } from '../security/untrusted/index.js';
import { recordInjection } from './injection.js';
import type { ModelRequest } from './model-request.js';
import type { SyscallDeps } from './ports.js';

type Message = ModelRequest['messages'][number];

/** The name a tool message is presented under when no earlier assistant message made its call. */
const UNKNOWN_TOOL = 'unknown_tool';

/**
 * The tool each tool message answers: the call with its tool_call_id in the nearest assistant
 * message before it, else UNKNOWN_TOOL. The name is the client's: characters outside those of a
 * tool name are replaced, so it cannot put delimiter text into the warning inside the wrapper.
 */
function toolNames(messages: Message[]): (string | null)[] {
  const calls = new Map<string, string>();
  return messages.map((message) => {
    if (message.role === 'assistant') for (const call of message.tool_calls ?? []) calls.set(call.id, call.name.replace(/[^\w.-]/g, '_'));
    return message.role === 'tool' ? (calls.get(message.tool_call_id) ?? UNKNOWN_TOOL) : null;
  });
}

/**
 * The messages with every tool message's content scanned and replaced by its wrapped
 * presentation (the warning inside when flagged; redacted or withheld per the class's action; a
 * scan that fails or runs out of time counts as flagged), and an APP_INJECTION_PATTERN_DETECTED
 * row for each flagged one, the tool_call_id as its call id.
 *
 * Every request is scanned whole: a client resends the conversation each turn, the model reads
 * all of it each time, and redact or block must hold each time. The gateway keeps no state
 * between calls, so a flagged message is recorded again on each request that carries it: each
 * row is one time the model was shown it.
 *
 * @example
 * const messages = await presentToolMessages(deps, claims, null, request.messages);
 */
export async function presentToolMessages(
  deps: Pick<SyscallDeps, 'db' | 'clock' | 'classes'>,
  claims: CapabilityClaims,
  principal: string | null,
  messages: Message[],
): Promise<Message[]> {
  const policy = deps.classes.get(claims.cls)?.untrusted;
  const names = toolNames(messages);
  const scans = await Promise.all(messages.map(async (message) => (message.role === 'tool' ? scanResult(message.content, policy, claims.sid) : null)));
  // Recorded one by one, in the conversation's order.
  for (const [index, scan] of scans.entries()) {
    const message = messages[index]!;
    if (scan?.detection.flagged && message.role === 'tool') await recordInjection(deps, claims, principal, names[index]!, message.tool_call_id, scan);
  }
  return messages.map((message, index) => {
    const scan = scans[index];
    if (message.role !== 'tool' || !scan) return message;
    return { ...message, content: presentToolResult(names[index]!, null, message.content, scan) };
  });
}
