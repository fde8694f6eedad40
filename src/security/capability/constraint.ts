import { z } from 'zod';

/** A value that survives a JSON round trip unchanged: what tool arguments are made of. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * A record schema that refuses an own `__proto__` key. zod drops that key silently, which would
 * turn a constraint the operator wrote into a different (possibly broader) one without a word.
 *
 * @example
 * plainRecord(z.string(), z.number()).safeParse(JSON.parse('{"__proto__": 1}')).success; // false
 */
export function plainRecord<K extends z.ZodType<string>, V extends z.ZodType>(key: K, value: V) {
  return z.preprocess(
    (input, context) => {
      if (input !== null && typeof input === 'object' && Object.hasOwn(input, '__proto__')) {
        context.addIssue({ code: 'custom', message: 'the key "__proto__" is not allowed; rename it', input });
      }
      return input;
    },
    z.record(key, value),
  );
}

export const jsonValueSchema: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([
    z.string(),
    z.number(),
    z.boolean(),
    z.null(),
    z.array(jsonValueSchema),
    plainRecord(z.string(), jsonValueSchema),
  ]),
);

const rangeSchema = z
  .strictObject({ min: z.number().optional(), max: z.number().optional() })
  .refine((range) => range.min !== undefined || range.max !== undefined, {
    message: 'a range needs at least one of min or max',
  })
  .refine((range) => range.min === undefined || range.max === undefined || range.min <= range.max, {
    message: 'range min must not be greater than max',
  });

/**
 * One limit on one argument. `prefix` is a plain string prefix: `{ prefix: '/data/' }` also
 * admits `/data/../etc/passwd`, so a tool that takes a path must normalise it before use.
 */
export const constraintSchema = z.union([
  z.strictObject({ eq: jsonValueSchema }),
  z.strictObject({ oneOf: z.array(jsonValueSchema).min(1) }),
  z.strictObject({ prefix: z.string() }),
  z.strictObject({ range: rangeSchema }),
], { error: 'expected exactly one of eq, oneOf, prefix or range, e.g. { prefix: "logs/" }' });

export type Constraint = z.infer<typeof constraintSchema>;

/** Outcome of conjoining constraint lists: the simplified list, or why nothing can satisfy it. */
export type ConjunctionResult = { constraints: Constraint[] } | { conflict: string };

/**
 * Key-order-independent JSON text of `value` when it is plain JSON, otherwise undefined. Two
 * values are equal exactly when their texts are. Plain means no toJSON tricks, class instances,
 * array holes, cycles, undefined array items or non-finite numbers: a value that only looks equal after
 * serialisation must not satisfy an `eq`. (Not RFC 8785 bytes; use it for equality only.)
 *
 * @example
 * canonicalText({ b: 1, a: 2 }) === canonicalText({ a: 2, b: 1 }); // true
 */
export function canonicalText(value: unknown, ancestors: Set<object> = new Set()): string | undefined {
  if (value === null) return 'null';
  if (typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : undefined;
  if (typeof value !== 'object' || ancestors.has(value)) return undefined;
  ancestors.add(value);
  const parts: string[] = [];
  let plain = true;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length && plain; index++) {
      const text = Object.hasOwn(value, index) ? canonicalText(value[index], ancestors) : undefined;
      if (text === undefined) plain = false;
      else parts.push(text);
    }
  } else {
    const prototype: unknown = Object.getPrototypeOf(value);
    plain = prototype === Object.prototype || prototype === null;
    for (const key of plain ? Object.keys(value).sort() : []) {
      const entry = (value as Record<string, unknown>)[key];
      // JSON has no undefined: a key holding it is absent, as after a round trip.
      if (entry === undefined) continue;
      const text = canonicalText(entry, ancestors);
      if (text === undefined) {
        plain = false;
        break;
      }
      parts.push(`${JSON.stringify(key)}:${text}`);
    }
  }
  ancestors.delete(value);
  if (!plain) return undefined;
  return Array.isArray(value) ? `[${parts.join(',')}]` : `{${parts.join(',')}}`;
}

/**
 * The value at a dotted argument path (`target.path` reads `args.target.path`), or undefined.
 * Only own properties of plain objects are followed, so `__proto__` or `constructor` never
 * resolve to something the caller did not send. An argument whose own name contains a dot
 * cannot be constrained: the path lookup misses it and the constraint fails closed.
 *
 * @example
 * readArgument({ target: { path: '/a' } }, 'target.path'); // '/a'
 */
export function readArgument(args: Record<string, unknown>, path: string): unknown {
  let current: unknown = args;
  for (const segment of path.split('.')) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    if (!Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

/**
 * Whether `value` (an argument from a call; undefined when missing) satisfies `constraint`.
 *
 * @example
 * satisfiesConstraint('/data/x', { prefix: '/data/' }); // true
 * satisfiesConstraint(undefined, { range: { min: 0 } }); // false: a missing argument never satisfies
 */
export function satisfiesConstraint(value: unknown, constraint: Constraint): boolean {
  if ('eq' in constraint) {
    const text = canonicalText(value);
    return text !== undefined && text === canonicalText(constraint.eq);
  }
  if ('oneOf' in constraint) {
    const text = canonicalText(value);
    return text !== undefined && constraint.oneOf.some((option) => canonicalText(option) === text);
  }
  if ('prefix' in constraint) return typeof value === 'string' && value.startsWith(constraint.prefix);
  const { min, max } = constraint.range;
  return (
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (min === undefined || value >= min) &&
    (max === undefined || value <= max)
  );
}

/**
 * Short text for a constraint or value in messages, cut to `limit` characters.
 *
 * @example
 * describeValue('x'.repeat(500)); // '"xxxx…' (80 characters)
 */
export function describeValue(value: unknown, limit = 80): string {
  if (value === undefined) return 'nothing';
  let text: string;
  try {
    text = JSON.stringify(value) ?? typeof value;
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > limit ? `${text.slice(0, limit - 1)}…` : text;
}

/**
 * Conjoins all constraints on one argument into the smallest equivalent list, or explains why
 * no value can satisfy them. Every simplification here is exact (it admits precisely the values
 * the whole list admits), so narrowing never widens and never loses a permitted value.
 *
 * @example
 * conjoinConstraints('path', [{ prefix: '/a' }, { prefix: '/a/b' }]); // { constraints: [{ prefix: '/a/b' }] }
 * conjoinConstraints('path', [{ prefix: '/a' }, { prefix: '/b' }]); // { conflict: 'path prefix "/a" vs prefix "/b"' }
 */
export function conjoinConstraints(argument: string, list: Constraint[]): ConjunctionResult {
  // A finite candidate set (from eq / oneOf) absorbs every other kind: filter it and stop.
  let candidates: { values: JsonValue[]; from: Constraint } | undefined;
  let prefix: string | undefined;
  let range: { min?: number; max?: number } | undefined;
  for (const constraint of list) {
    if ('eq' in constraint || 'oneOf' in constraint) {
      const values = 'eq' in constraint ? [constraint.eq] : constraint.oneOf;
      const kept = candidates ? intersectValues(candidates.values, values) : uniqueValues(values);
      if (kept.length === 0) {
        return {
          conflict: `${argument} ${describeConstraint(candidates?.from)} vs ${describeConstraint(constraint)}`,
        };
      }
      candidates = { values: kept, from: constraint };
    } else if ('prefix' in constraint) {
      if (prefix === undefined || constraint.prefix.startsWith(prefix)) prefix = constraint.prefix;
      else if (!prefix.startsWith(constraint.prefix)) {
        return {
          conflict: `${argument} prefix ${describeValue(prefix)} vs prefix ${describeValue(constraint.prefix)}`,
        };
      }
    } else {
      range = tightenRange(range, constraint.range);
      if (range.min !== undefined && range.max !== undefined && range.min > range.max) {
        return { conflict: `${argument} range needs a number ≥ ${range.min} and ≤ ${range.max}` };
      }
    }
  }
  const limits: Constraint[] = [];
  if (prefix !== undefined) limits.push({ prefix });
  if (range !== undefined) limits.push({ range });
  if (candidates) {
    const allowed = candidates.values.filter((value) =>
      limits.every((limit) => satisfiesConstraint(value, limit)),
    );
    if (allowed.length === 0) {
      const rejected = limits.find(
        (limit) => !candidates?.values.some((value) => satisfiesConstraint(value, limit)),
      );
      return {
        conflict: `${argument} ${describeConstraint(candidates.from)} vs ${describeConstraint(rejected ?? limits[0])}`,
      };
    }
    return { constraints: [allowed.length === 1 ? { eq: allowed[0] as JsonValue } : { oneOf: allowed }] };
  }
  if (prefix !== undefined && range !== undefined) {
    return {
      conflict: `${argument} prefix ${describeValue(prefix)} needs a string but range needs a number`,
    };
  }
  return { constraints: limits };
}

function describeConstraint(constraint: Constraint | undefined): string {
  if (constraint === undefined) return 'constraint';
  const [kind, value] = Object.entries(constraint)[0] as [string, unknown];
  return `${kind} ${describeValue(value)}`;
}

function uniqueValues(values: JsonValue[]): JsonValue[] {
  const seen = new Set<string>();
  return values.filter((value) => {
    const text = canonicalText(value) as string;
    if (seen.has(text)) return false;
    seen.add(text);
    return true;
  });
}

function intersectValues(kept: JsonValue[], values: JsonValue[]): JsonValue[] {
  const texts = new Set(values.map((value) => canonicalText(value)));
  return kept.filter((value) => texts.has(canonicalText(value)));
}

function tightenRange(
  current: { min?: number; max?: number } | undefined,
  next: { min?: number; max?: number },
): { min?: number; max?: number } {
  const min = pick(current?.min, next.min, Math.max);
  const max = pick(current?.max, next.max, Math.min);
  return { ...(min === undefined ? {} : { min }), ...(max === undefined ? {} : { max }) };
}

function pick(a: number | undefined, b: number | undefined, choose: (x: number, y: number) => number) {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return choose(a, b);
}
