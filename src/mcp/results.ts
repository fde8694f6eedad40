import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { AosError } from '../errors.js';

/** An MCP tool result from a value: text for any client, structured content for those that read it. */
export function jsonResult(value: unknown, isError = false): CallToolResult {
  const structured = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : { value };
  return { content: [{ type: 'text', text: JSON.stringify(value, null, 2) }], structuredContent: structured, isError };
}

/** Our error as a tool error: the code first, so a model can branch on it. */
export function errorResult(error: AosError): CallToolResult {
  return { content: [{ type: 'text', text: `${error.code}: ${error.message}` }], structuredContent: { code: error.code, message: error.message }, isError: true };
}
