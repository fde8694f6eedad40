/**
 * Step templates: `{{ inputs.name }}` and `{{ steps.<id>.result.a.0 }}` (or `.status`). A string
 * that is exactly one reference takes the referenced value as it is (a number stays a number);
 * references inside longer text are spliced in as text (JSON for non-strings). Nothing is
 * evaluated: a reference is a path, never code.
 */
import { AosError } from '../errors.js';
import { canonicalJson, type JsonValue } from '../security/canonical/index.js';
import type { WorkflowStep } from '../config/workflows.js';

export interface TemplateScope {
  inputs: { [name: string]: JsonValue };
  steps: { [id: string]: { status: 'ok' | 'failed' | 'skipped'; result: JsonValue } };
}

const WHOLE = /^\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}$/;
const INLINE = /\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g;

function lookup(scope: TemplateScope, reference: string, where: string): JsonValue {
  const [root, ...rest] = reference.split('.');
  if (root !== 'inputs' && root !== 'steps') {
    throw new AosError('INVALID_INPUT', `${where}: {{ ${reference} }} must start with inputs. or steps.`, { field: where, value: reference });
  }
  let value: unknown = scope[root];
  for (const part of rest) {
    if (value !== null && typeof value === 'object' && Object.hasOwn(value, part)) {
      value = (value as Record<string, unknown>)[part];
    } else {
      throw new AosError('INVALID_INPUT', `${where}: {{ ${reference} }} has no value (no "${part}" there)`, {
        field: where,
        value: reference,
      });
    }
  }
  return value as JsonValue;
}

/**
 * The value with every reference replaced.
 *
 * @example
 * render({ path: '{{ inputs.dir }}/out.txt' }, { inputs: { dir: 'reports' }, steps: {} }, 'args');
 * // { path: 'reports/out.txt' }
 */
export function render(value: JsonValue, scope: TemplateScope, where: string): JsonValue {
  if (typeof value === 'string') {
    const whole = WHOLE.exec(value);
    if (whole) return lookup(scope, whole[1]!, where);
    return value.replace(INLINE, (_, reference: string) => {
      const found = lookup(scope, reference, where);
      return typeof found === 'string' ? found : canonicalJson(found, where);
    });
  }
  if (Array.isArray(value)) return value.map((item, index) => render(item, scope, `${where}[${index}]`));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, render(item, scope, `${where}.${key}`)]));
  }
  return value;
}

/** False for null, false, 0, "", "false", "0" and empty arrays or objects; true otherwise. */
function truthy(value: JsonValue): boolean {
  if (value === null || value === false || value === 0 || value === '' || value === 'false' || value === '0') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

/**
 * Whether a step runs: no `when`, a truthy rendered value, or a rendered value equal (or not)
 * to a literal, compared as canonical JSON.
 *
 * @example
 * shouldRun({ value: '{{ steps.check.result.exit_code }}', equals: 0 }, scope, 'steps[2].when');
 */
export function shouldRun(when: WorkflowStep['when'], scope: TemplateScope, where: string): boolean {
  if (when === undefined) return true;
  if (typeof when === 'string') return truthy(render(when, scope, where));
  const value = canonicalJson(render(when.value, scope, `${where}.value`), where);
  if (when.equals !== undefined) return value === canonicalJson(when.equals, where);
  return value !== canonicalJson(when.not_equals, where);
}
