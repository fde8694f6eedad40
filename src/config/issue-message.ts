/**
 * Turns zod issues into one-line problems a person can act on: which field, what was
 * expected, what was found. Positions are added later by the loader.
 */
import { isSecretName, maskedValue } from '../security/secrets.js';
import { z } from 'zod';

export type FieldPath = ReadonlyArray<string | number>;

/** One problem in the config; `target` says whether to point at the key or its value. */
export interface ConfigProblem {
  path: FieldPath;
  message: string;
  target: 'key' | 'value';
}

type Issue = z.core.$ZodIssue;

const TYPE_NAMES: Record<string, string> = {
  number: 'a number',
  int: 'an integer',
  string: 'a string',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
};

/**
 * Explains each zod issue against the parsed document `data`.
 *
 * @example
 * const result = configSchema.safeParse(data);
 * if (!result.success) describeIssues(result.error.issues, data, configSchema);
 */
export function describeIssues(issues: readonly Issue[], data: unknown, schema: z.ZodType): ConfigProblem[] {
  return issues.flatMap((issue) => describeIssue(issue, [], data, schema));
}

function describeIssue(issue: Issue, prefix: FieldPath, data: unknown, schema: z.ZodType): ConfigProblem[] {
  const path = [...prefix, ...issue.path.map(toSegment)];
  const found = lookup(data, path);
  const leaf = path.at(-1);
  const secret = typeof leaf === 'string' && isSecretName(leaf);
  const got = `got ${secret ? maskedValue(found.value) : describeValue(found.value)}`;
  const value = (message: string): ConfigProblem[] => [{ path, message, target: 'value' }];
  const missing = !found.present;
  switch (issue.code) {
    case 'invalid_type':
      return value(missing ? 'missing required field' : `expected ${typeName(issue.expected)}, ${got}`);
    case 'invalid_value': {
      const expected = issue.values.map((option) => String(option)).join('|');
      const wanted = issue.values.length === 1 ? expected : `one of ${expected}`;
      return value(missing ? `missing required field (expected ${wanted})` : `expected ${wanted}, ${got}`);
    }
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({
        path: [...path, key],
        message: `unknown field "${key}"${suggestion(key, knownKeys(schema, path))}`,
        target: 'key',
      }));
    case 'invalid_key': {
      const reason = issue.issues[0]?.message ?? issue.message;
      return [{ path, message: `${reason}, got "${String(path.at(-1))}"`, target: 'key' }];
    }
    case 'too_small':
      return value(`expected ${bound(issue.origin, issue.inclusive ? '>=' : '>', issue.minimum)}, ${got}`);
    case 'too_big':
      return value(`expected ${bound(issue.origin, issue.inclusive ? '<=' : '<', issue.maximum)}, ${got}`);
    case 'invalid_union': {
      // Strict object alternatives: the one whose keys matched is the one the author meant.
      const meant = issue.errors.filter((branch) => branch.every((inner) => inner.path.length > 0));
      if (meant.length === 1) return meant[0]!.flatMap((inner) => describeIssue(inner, path, data, schema));
      return value(`${issue.message}, ${got}`);
    }
    default:
      return value(missing ? `missing required field (${issue.message})` : `${issue.message}, ${got}`);
  }
}

function toSegment(segment: PropertyKey): string | number {
  return typeof segment === 'number' ? segment : String(segment);
}

function typeName(expected: string): string {
  return TYPE_NAMES[expected] ?? expected;
}

function bound(origin: string, operator: string, limit: number | bigint): string {
  if (origin === 'array' || origin === 'set') return `${operator} ${limit} item(s)`;
  if (origin === 'string')
    return Number(limit) <= 1 && operator === '>=' ? 'a non-empty string' : `length ${operator} ${limit}`;
  return `a number ${operator} ${limit}`;
}

/** The value at `path` in plain parsed data, and whether the path exists at all. */
export function lookup(data: unknown, path: FieldPath): { present: boolean; value: unknown } {
  let current: unknown = data;
  for (const segment of path) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, segment)) {
      return { present: false, value: undefined };
    }
    current = (current as Record<string | number, unknown>)[segment];
  }
  return { present: true, value: current };
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value);
    return keys.length === 0 ? 'an empty mapping' : `a mapping with ${keys.join(', ')}`;
  }
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** The keys a strict object at `path` accepts, found by walking the schema. */
function knownKeys(schema: z.ZodType, path: FieldPath): string[] {
  let current: unknown = schema;
  for (const segment of [...path, null]) {
    current = unwrap(current);
    if (segment === null) break;
    if (current instanceof z.ZodObject) current = current.shape[String(segment)];
    else if (current instanceof z.ZodRecord) current = current.valueType;
    else if (current instanceof z.ZodArray) current = current.element;
    else return [];
  }
  return current instanceof z.ZodObject ? Object.keys(current.shape) : [];
}

function unwrap(schema: unknown): unknown {
  let current = schema;
  while (
    current instanceof z.ZodOptional ||
    current instanceof z.ZodDefault ||
    current instanceof z.ZodPrefault ||
    current instanceof z.ZodNullable ||
    current instanceof z.ZodLazy
  ) {
    current = current.unwrap();
  }
  return current;
}

function suggestion(key: string, candidates: string[]): string {
  const close = candidates
    .map((candidate) => ({ candidate, distance: editDistance(key, candidate) }))
    .filter(({ distance }) => distance <= 2)
    .sort((a, b) => a.distance - b.distance);
  const fields = candidates.length > 0 ? `; allowed fields: ${candidates.join(', ')}` : '';
  return close[0] ? ` (did you mean "${close[0].candidate}"?)` : fields;
}

/**
 * Levenshtein distance, used to suggest the field or tool a typo meant.
 *
 * @example
 * editDistance('kindd', 'kind'); // 1
 */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = row;
  }
  return previous[b.length]!;
}
