import { z } from 'zod';
import { isSecretName, maskedValue } from '../secrets.js';
import {
  type Constraint,
  canonicalText,
  conjoinConstraints,
  constraintSchema,
  describeValue,
  plainRecord,
  readArgument,
  satisfiesConstraint,
} from './constraint.js';

const SEGMENT = '[a-z0-9_-]+';
const TOOL_PATTERN = new RegExp(`^(\\*|${SEGMENT}(\\.${SEGMENT})*(\\.\\*)?)$`);
const ARGUMENT_PATH = /^[^.]+(\.[^.]+)*$/;

export const toolPatternSchema = z
  .string()
  .max(200)
  .regex(TOOL_PATTERN, 'a tool pattern is an exact name like "fs.read", a family like "fs.*", or "*"');

/**
 * What one grant lets an actor call. `tool` is an exact name (`fs.read`), a family (`fs.*`:
 * every tool whose name starts with `fs.`) or `*`. `constraints` maps an argument name to a
 * list of constraints that must all hold; a dotted name (`target.path`) reaches into nested
 * objects. Constraints on a name and on a path beneath it (`a` and `a.b`) are both enforced but
 * are not simplified against each other.
 */
export const grantSchema = z.strictObject({
  tool: toolPatternSchema,
  constraints: plainRecord(
    z.string().max(200).regex(ARGUMENT_PATH, 'an argument name is non-empty; dots separate nested names'),
    z.array(constraintSchema).min(1, 'list at least one constraint, or leave the argument out'),
  ).optional(),
});

export type Grant = z.infer<typeof grantSchema>;

/** A requested grant that delegation could not keep, and why. */
export type DroppedGrant = { grant: Grant; reason: string };

/** Result of conjoining grants: the narrowed grant, or why no call can satisfy all of them. */
export type IntersectionResult = { grant: Grant } | { conflict: string; kind: 'tool' | 'constraints' };

/**
 * Whether a tool pattern covers the tool `name`.
 *
 * @example
 * patternCovers('fs.*', 'fs.read'); // true
 * patternCovers('fs.*', 'fs'); // false: a family covers names below it only
 */
export function patternCovers(pattern: string, name: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return name.startsWith(pattern.slice(0, -1));
  return pattern === name;
}

/**
 * The pattern covering exactly the tools both patterns cover, or null when they share none.
 *
 * @example
 * intersectPatterns('fs.*', 'fs.read.*'); // 'fs.read.*'
 * intersectPatterns('fs.read', 'http.*'); // null
 */
export function intersectPatterns(a: string, b: string): string | null {
  if (a === '*') return b;
  if (b === '*') return a;
  const aFamily = a.endsWith('.*');
  const bFamily = b.endsWith('.*');
  if (!aFamily && !bFamily) return a === b ? a : null;
  if (aFamily && !bFamily) return patternCovers(a, b) ? b : null;
  if (!aFamily && bFamily) return patternCovers(b, a) ? a : null;
  const aStem = a.slice(0, -1);
  const bStem = b.slice(0, -1);
  if (bStem.startsWith(aStem)) return b;
  if (aStem.startsWith(bStem)) return a;
  return null;
}

/**
 * The first grant that permits calling `tool` with `args`, or why none does: the reason names
 * the tool and, when some grant covers the tool, its first failing constraint and the value seen.
 *
 * @example
 * findGrant([{ tool: 'fs.read', constraints: { path: [{ prefix: '/data/' }] } }], 'fs.read', { path: '/etc/passwd' });
 * // { denied: 'fs.read: argument "path" must match prefix "/data/" but is "/etc/passwd"' }
 */
export function findGrant(
  grants: Grant[],
  tool: string,
  args: Record<string, unknown>,
): { grant: Grant } | { denied: string } {
  let firstFailure: string | undefined;
  for (const grant of grants) {
    if (!patternCovers(grant.tool, tool)) continue;
    const failure = firstFailingConstraint(grant, args);
    if (failure === undefined) return { grant };
    firstFailure ??= failure;
  }
  if (firstFailure !== undefined) return { denied: `${tool}: ${firstFailure}` };
  return { denied: `${tool}: no grant covers this tool` };
}

function firstFailingConstraint(grant: Grant, args: Record<string, unknown>): string | undefined {
  for (const [argument, constraints] of Object.entries(grant.constraints ?? {})) {
    const value = readArgument(args, argument);
    for (const constraint of constraints) {
      if (satisfiesConstraint(value, constraint)) continue;
      const [kind, limit] = Object.entries(constraint)[0] as [string, unknown];
      // A credential's limit and value are shown as digests: this text reaches the audit log.
      const show = (shown: unknown) => (isSecretName(argument) ? maskedValue(shown) : describeValue(shown));
      const wanted = `${kind} ${show(limit)}`;
      if (value === undefined) return `argument "${argument}" is missing but must match ${wanted}`;
      const shown = show(value);
      return `argument "${argument}" must match ${wanted} but is ${shown}`;
    }
  }
  return undefined;
}

/**
 * Conjoins grants: the result permits exactly the calls every input permits, or explains why no
 * call can (the tools share nothing, or the constraints contradict).
 *
 * @example
 * explainIntersection([{ tool: 'fs.*' }, { tool: 'fs.read', constraints: { path: [{ prefix: '/a' }] } }]);
 * // { grant: { tool: 'fs.read', constraints: { path: [{ prefix: '/a' }] } } }
 */
export function explainIntersection(grants: Grant[]): IntersectionResult {
  let tool: string | null = '*';
  for (const grant of grants) {
    tool = intersectPatterns(tool, grant.tool);
    if (tool === null) {
      return { conflict: `tools ${grants.map((g) => g.tool).join(' and ')} do not overlap`, kind: 'tool' };
    }
  }
  const lists = new Map<string, Constraint[]>();
  for (const grant of grants) {
    for (const [argument, constraints] of Object.entries(grant.constraints ?? {})) {
      lists.set(argument, [...(lists.get(argument) ?? []), ...constraints]);
    }
  }
  const entries: [string, Constraint[]][] = [];
  for (const [argument, list] of lists) {
    const result = conjoinConstraints(argument, list);
    if ('conflict' in result)
      return { conflict: `constraints contradict: ${result.conflict}`, kind: 'constraints' };
    entries.push([argument, result.constraints]);
  }
  // fromEntries defines own properties, so even odd argument names stay plain data.
  return { grant: entries.length === 0 ? { tool } : { tool, constraints: Object.fromEntries(entries) } };
}

/**
 * The grant permitting exactly the calls both `a` and `b` permit, or null when there are none.
 *
 * @example
 * intersectGrants({ tool: 'fs.*' }, { tool: 'fs.read' }); // { tool: 'fs.read' }
 * intersectGrants({ tool: 'fs.read' }, { tool: 'http.get' }); // null
 */
export function intersectGrants(a: Grant, b: Grant): Grant | null {
  const result = explainIntersection([a, b]);
  return 'grant' in result ? result.grant : null;
}

/**
 * Narrows a request to what both the parent's grants and the class template allow. Each
 * requested grant becomes the non-empty pieces p ∩ t ∩ r over parent grants p and template
 * grants t (a null template sets no class limit); a grant with no piece is dropped with the
 * reason. `names` words the reasons (e.g. `{ parent: "caller's key", template: 'triage' }`).
 *
 * @example
 * delegateGrants([{ tool: 'fs.*' }], null, [{ tool: 'fs.read' }, { tool: 'fs.delete' }]);
 * // { grants: [{ tool: 'fs.read' }, { tool: 'fs.delete' }], dropped: [] }
 * delegateGrants([{ tool: 'fs.read' }], null, [{ tool: 'fs.delete' }]).dropped[0].reason;
 * // 'parent token has no grant covering fs.delete'
 */
export function delegateGrants(
  parent: Grant[],
  template: Grant[] | null,
  request: Grant[],
  names: { parent?: string; template?: string } = {},
): { grants: Grant[]; dropped: DroppedGrant[] } {
  const parentName = names.parent ?? 'parent token';
  const templateName = names.template === undefined ? 'class template' : `class template '${names.template}'`;
  const grants: Grant[] = [];
  const seen = new Set<string>();
  const dropped: DroppedGrant[] = [];
  for (const requested of request) {
    const overlaps = (grant: Grant) => intersectPatterns(grant.tool, requested.tool) !== null;
    if (!parent.some(overlaps)) {
      dropped.push({ grant: requested, reason: `${parentName} has no grant covering ${requested.tool}` });
      continue;
    }
    if (template !== null && !template.some(overlaps)) {
      dropped.push({ grant: requested, reason: `${templateName} does not allow ${requested.tool}` });
      continue;
    }
    let kept = 0;
    let contradiction: string | undefined;
    for (const parentGrant of parent) {
      for (const templateGrant of template ?? [null]) {
        const result = explainIntersection(
          templateGrant === null ? [parentGrant, requested] : [parentGrant, templateGrant, requested],
        );
        if ('conflict' in result) {
          if (result.kind === 'constraints') contradiction ??= result.conflict;
          continue;
        }
        kept++;
        const key = canonicalText(result.grant) as string;
        if (seen.has(key)) continue;
        seen.add(key);
        grants.push(result.grant);
      }
    }
    if (kept === 0) {
      const reason =
        contradiction ?? `${parentName} and ${templateName} share no tool within ${requested.tool}`;
      dropped.push({ grant: requested, reason });
    }
  }
  return { grants, dropped };
}
