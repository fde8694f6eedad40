/**
 * Tool output handed to a model is data, never instructions: it goes inside delimiters that
 * name the tool and carry a per-call random nonce, so the content cannot close them early, and
 * any delimiter text inside the content is neutralised first. A warning, when there is one,
 * sits inside the wrapper, before the content.
 */
import { randomBytes } from 'node:crypto';

const TAG = 'untrusted_tool_output';
const BETWEEN = String.raw`(?:[\s_.:-]|\\[ntr]|&#0*95;|&#x0*5f;|&lowbar;)*`;
const SPELLED = new RegExp(`untrusted${BETWEEN}tool${BETWEEN}output`, 'gi');
const NAMED = new RegExp(SPELLED.source, 'i');

/** Whether `text` names the wrapper's tag in one of the spellings wrapUntrusted neutralises. */
export function namesWrapper(text: string): boolean {
  return NAMED.test(text);
}

/**
 * @example
 * wrapUntrusted('fs.read', 'E1', 'file text');
 * // '<untrusted_tool_output tool="fs.read" evidence="E1" nonce="9f…">\nfile text\n</untrusted_tool_output nonce="9f…">'
 */
export function wrapUntrusted(tool: string, evidence: string | null, content: string, warning: string | null = null): string {
  const nonce = randomBytes(8).toString('hex');
  // Case-insensitive and across separators (spaces, "_.:-", "\\n" escaped in JSON, "&#95;"), so no such variant of the
  // tag survives; the text stays readable. Spellings with other letters are the detector's (present.ts, defused).
  const neutralised = content.replace(SPELLED, 'untrusted-tool-output');
  const attributes = `tool="${tool.replace(/[^\w.-]/g, '_')}"${evidence ? ` evidence="${evidence}"` : ''} nonce="${nonce}"`;
  return `<${TAG} ${attributes}>\n${warning ? `${warning}\n` : ''}${neutralised}\n</${TAG} nonce="${nonce}">`;
}
