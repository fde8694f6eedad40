import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { AosError } from '../errors.js';
import { applyPolicy, type ResultScan, warningFor, wrapUntrusted } from '../security/untrusted/index.js';
import { untrustedWarning } from '../syscall/index.js';

/** An MCP tool result from a value: text for any client, structured content for those that read it. */
export function jsonResult(value: unknown, isError = false): CallToolResult {
  const structured = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : { value };
  return { content: [{ type: 'text', text: JSON.stringify(value, null, 2) }], structuredContent: structured, isError };
}

/**
 * A tool's result for an MCP client: the text wrapped in delimiters with the tool name and a
 * nonce (a warning inside when the scan flagged it), structured content as the class's policy
 * lets it through. An upstream MCP tool's content blocks keep their kinds; its text blocks are
 * wrapped one by one.
 */
export function toolResult(tool: string, result: unknown, scan: ResultScan, upstream: boolean): CallToolResult {
  const shown = applyPolicy(result, scan);
  const warning = scan.detection.flagged ? warningFor(tool, scan) : null;
  const blocks = upstream && shown !== null && typeof shown === 'object' && Array.isArray((shown as { content?: unknown }).content) ? (shown as CallToolResult) : null;
  if (blocks) {
    let warned = false;
    const content = blocks.content.map((block) => {
      // Text, and the text of an embedded resource (a file's content, say): both reach a model.
      if (block.type === 'resource' && 'text' in block.resource) {
        const text = wrapUntrusted(tool, null, block.resource.text, warned ? null : warning);
        warned = true;
        return { ...block, resource: { ...block.resource, text } };
      }
      if (block.type !== 'text') return block;
      const text = wrapUntrusted(tool, null, block.text, warned ? null : warning);
      warned = true;
      return { ...block, text };
    });
    if (!warned && warning) content.unshift({ type: 'text', text: wrapUntrusted(tool, null, '', warning) });
    return { content, ...(blocks.structuredContent === undefined ? {} : { structuredContent: blocks.structuredContent }), isError: false };
  }
  const structured = shown !== null && typeof shown === 'object' && !Array.isArray(shown) ? (shown as Record<string, unknown>) : { value: shown };
  return { content: [{ type: 'text', text: wrapUntrusted(tool, null, JSON.stringify(shown, null, 2), warning) }], structuredContent: structured, isError: false };
}

/**
 * Our error as a tool error: the code first, so a model can branch on it. A tool's own failure
 * (its message came out of the run: an upstream server's error text, say) is wrapped as untrusted
 * output, with the warning when its scan flagged it.
 */
export function errorResult(error: AosError): CallToolResult {
  const text = `${error.code}: ${error.message}`;
  const warning = untrustedWarning(error);
  const shown = warning === undefined ? text : wrapUntrusted(typeof error.details.tool === 'string' ? error.details.tool : 'tool', null, text, warning);
  return { content: [{ type: 'text', text: shown }], structuredContent: { code: error.code, message: error.message }, isError: true };
}
