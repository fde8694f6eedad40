import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Constraint, type JsonValue, satisfiesConstraint } from './constraint.js';
import {
  delegateGrants,
  findGrant,
  type Grant,
  grantSchema,
  intersectGrants,
  patternCovers,
} from './grant.js';

// A small alphabet makes overlaps, families and contradictions common instead of rare.
const toolNames = ['fs.read', 'fs.write', 'fs.read.meta', 'http.get', 'db', 'db.query'];
const toolPatterns = [...toolNames, 'fs.*', 'fs.read.*', 'http.*', 'db.*', '*'];
const strings = ['', '/', '/a', '/a/b', '/ab', '/b', 'x'];
const values: JsonValue[] = [
  ...strings,
  0,
  1,
  5,
  -3,
  2.5,
  true,
  null,
  { k: 1, j: 2 },
  { j: 2, k: 1 },
  [1, 2],
];

const valueArbitrary = fc.constantFrom(...values);
const boundArbitrary = fc.option(fc.integer({ min: -5, max: 10 }), { nil: undefined });

const constraintArbitrary: fc.Arbitrary<Constraint> = fc.oneof(
  valueArbitrary.map((eq) => ({ eq })),
  fc.subarray(values, { minLength: 1, maxLength: 4 }).map((oneOf) => ({ oneOf })),
  fc.constantFrom(...strings).map((prefix) => ({ prefix })),
  fc
    .tuple(boundArbitrary, boundArbitrary)
    .filter(([a, b]) => a !== undefined || b !== undefined)
    .map(([a, b]) => {
      const [min, max] = a !== undefined && b !== undefined && a > b ? [b, a] : [a, b];
      return { range: { ...(min === undefined ? {} : { min }), ...(max === undefined ? {} : { max }) } };
    }),
);

const constraintListArbitrary = fc.array(constraintArbitrary, { minLength: 1, maxLength: 3 });

const grantArbitrary: fc.Arbitrary<Grant> = fc.record(
  {
    tool: fc.constantFrom(...toolPatterns),
    constraints: fc.record(
      { path: constraintListArbitrary, n: constraintListArbitrary, mode: constraintListArbitrary },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: ['tool'] },
);

const grantsArbitrary = fc.array(grantArbitrary, { maxLength: 4 });
const templateArbitrary = fc.option(grantsArbitrary, { nil: null, freq: 2 });

type Call = { tool: string; args: Record<string, unknown> };
const callArbitrary: fc.Arbitrary<Call> = fc.record({
  tool: fc.constantFrom(...toolNames),
  args: fc.record({ path: valueArbitrary, n: valueArbitrary, mode: valueArbitrary }, { requiredKeys: [] }),
});
const callsArbitrary = fc.array(callArbitrary, { minLength: 1, maxLength: 8 });

/**
 * Calls that some grant in `grants` permits: each covered tool with, per constrained argument,
 * every pool value that satisfies it. Random calls alone almost never pass random constraints,
 * so without these the properties would hold vacuously.
 */
function witnesses(grants: Grant[]): Call[] {
  const calls: Call[] = [];
  for (const grant of grants) {
    const choices = Object.entries(grant.constraints ?? {}).map(
      ([argument, list]) =>
        [argument, values.filter((value) => list.every((c) => satisfiesConstraint(value, c)))] as const,
    );
    if (choices.some(([, fitting]) => fitting.length === 0)) continue;
    const base = Object.fromEntries(choices.map(([argument, fitting]) => [argument, fitting[0]]));
    for (const tool of toolNames.filter((name) => patternCovers(grant.tool, name))) {
      calls.push({ tool, args: base });
      for (const [argument, fitting] of choices) {
        for (const value of fitting.slice(1)) calls.push({ tool, args: { ...base, [argument]: value } });
      }
    }
  }
  return calls;
}

function permits(grants: Grant[], call: Call): boolean {
  return 'grant' in findGrant(grants, call.tool, call.args);
}

const runs = { numRuns: 1500 };

describe('grant algebra (property)', () => {
  it('generates only grants the schema accepts', () => {
    fc.assert(
      fc.property(grantArbitrary, (grant) => {
        expect(grantSchema.safeParse(grant).success).toBe(true);
      }),
    );
  });

  it('a child permits a call only if parent, template and request all permit it', () => {
    fc.assert(
      fc.property(
        grantsArbitrary,
        templateArbitrary,
        grantsArbitrary,
        callsArbitrary,
        (parent, template, request, calls) => {
          const child = delegateGrants(parent, template, request).grants;
          for (const call of [...calls, ...witnesses(child)]) {
            if (!permits(child, call)) continue;
            expect(permits(parent, call)).toBe(true);
            if (template !== null) expect(permits(template, call)).toBe(true);
            expect(permits(request, call)).toBe(true);
          }
        },
      ),
      runs,
    );
  });

  it('loses nothing: a call all three permit is permitted to the child', () => {
    fc.assert(
      fc.property(
        grantsArbitrary,
        templateArbitrary,
        grantsArbitrary,
        callsArbitrary,
        (parent, template, request, calls) => {
          const child = delegateGrants(parent, template, request).grants;
          for (const call of [
            ...calls,
            ...witnesses([...parent, ...(template ?? []), ...request, ...child]),
          ]) {
            const everyone =
              permits(parent, call) &&
              (template === null || permits(template, call)) &&
              permits(request, call);
            expect(permits(child, call)).toBe(everyone);
          }
        },
      ),
      runs,
    );
  });

  it('intersecting two grants permits exactly what both permit', () => {
    fc.assert(
      fc.property(grantArbitrary, grantArbitrary, callsArbitrary, (a, b, calls) => {
        const both = intersectGrants(a, b);
        for (const call of [...calls, ...witnesses(both === null ? [a, b] : [a, b, both])]) {
          expect(both !== null && permits([both], call)).toBe(permits([a], call) && permits([b], call));
        }
      }),
      runs,
    );
  });

  it('intersecting a grant with itself changes nothing permitted', () => {
    fc.assert(
      fc.property(grantArbitrary, callsArbitrary, (grant, calls) => {
        const self = intersectGrants(grant, grant);
        for (const call of [...calls, ...witnesses([grant])]) {
          expect(self !== null && permits([self], call)).toBe(permits([grant], call));
        }
      }),
      runs,
    );
  });

  it('a smaller request never yields more permitted calls', () => {
    fc.assert(
      fc.property(
        grantsArbitrary,
        templateArbitrary,
        grantsArbitrary,
        fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
        callsArbitrary,
        (parent, template, request, keep, calls) => {
          const smaller = request.filter((_, index) => keep[index]);
          const full = delegateGrants(parent, template, request).grants;
          const narrow = delegateGrants(parent, template, smaller).grants;
          for (const call of [...calls, ...witnesses(narrow)]) {
            if (permits(narrow, call)) expect(permits(full, call)).toBe(true);
          }
        },
      ),
      runs,
    );
  });

  it('delegating twice is never broader than delegating once', () => {
    fc.assert(
      fc.property(
        grantsArbitrary,
        templateArbitrary,
        grantsArbitrary,
        templateArbitrary,
        grantsArbitrary,
        callsArbitrary,
        (parent, template, request, secondTemplate, secondRequest, calls) => {
          const once = delegateGrants(parent, template, request).grants;
          const again = delegateGrants(once, template, request).grants;
          const further = delegateGrants(once, secondTemplate, secondRequest).grants;
          for (const call of [...calls, ...witnesses([...once, ...further])]) {
            expect(permits(again, call)).toBe(permits(once, call));
            if (permits(further, call)) expect(permits(once, call)).toBe(true);
          }
        },
      ),
      runs,
    );
  });

  it('keeps a requested grant or says why it was dropped, never both silently', () => {
    fc.assert(
      fc.property(grantsArbitrary, templateArbitrary, grantsArbitrary, (parent, template, request) => {
        const { dropped } = delegateGrants(parent, template, request);
        for (const entry of dropped) {
          expect(entry.reason).toMatch(
            /no grant covering|does not allow|share no tool|constraints contradict/,
          );
          expect(delegateGrants(parent, template, [entry.grant]).grants).toEqual([]);
        }
      }),
      runs,
    );
  });
});
