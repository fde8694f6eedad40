/**
 * The `workflows:` section of aosiq.yaml: operator-authored deterministic actors. Each run is
 * an actor of the workflow's class; each step is one tool call through the syscall, with
 * arguments templated from the run's inputs and earlier steps' results.
 */
import { Cron } from 'croner';
import { z } from 'zod';

const positiveInt = z.int().positive();

const stepIdSchema = z.string().regex(/^[a-z][a-z0-9_]*$/, {
  error: 'expected a step id of lowercase letters, digits or "_", starting with a letter',
});

// A condition on a rendered value: truthy, or compared with a literal.
const whenSchema = z.union([
  z.string().min(1),
  z
    .strictObject({
      value: z.string().min(1),
      equals: z.json().optional(),
      not_equals: z.json().optional(),
    })
    .refine((when) => (when.equals === undefined) !== (when.not_equals === undefined), {
      error: 'give exactly one of equals or not_equals',
    }),
]);

const stepSchema = z.strictObject({
  id: stepIdSchema,
  tool: z.string().min(1),
  // Any JSON; strings may hold {{ inputs.x }} or {{ steps.<id>.result.path }}.
  args: z.record(z.string(), z.json()).default({}),
  when: whenSchema.optional(),
  // Further attempts after a failed call (not after a refusal or a denied approval).
  retries: z.int().min(0).max(20).default(0),
  backoff_ms: positiveInt.max(3_600_000).default(1000),
  timeout_ms: positiveInt.max(3_600_000).default(60_000),
  // What a step that still fails after its retries does to the run.
  on_failure: z.enum(['fail', 'continue']).default('fail'),
});

const inputSchema = z.strictObject({
  description: z.string().default(''),
  default: z.json().optional(),
});

const cronSchema = z.string().superRefine((pattern, ctx) => {
  try {
    new Cron(pattern, { paused: true });
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `not a cron pattern: ${(error as Error).message}` });
  }
});

export const workflowSchema = z
  .strictObject({
    class: z.string().min(1),
    description: z.string().default(''),
    inputs: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/), inputSchema).default({}),
    // Cron (croner syntax, seconds optional); each tick starts one run, however many workers.
    schedule: cronSchema.optional(),
    timezone: z
      .string()
      .default('UTC')
      .refine((zone) => {
        try {
          new Cron('* * * * *', { timezone: zone, paused: true }).nextRun();
          return true;
        } catch {
          return false;
        }
      }, { error: 'expected an IANA time zone such as UTC or Europe/Paris' }),
    steps: z.array(stepSchema).min(1).max(200),
  })
  .superRefine((workflow, ctx) => {
    const seen = new Set<string>();
    workflow.steps.forEach((step, index) => {
      if (seen.has(step.id)) {
        ctx.addIssue({ code: 'custom', path: ['steps', index, 'id'], message: `step id "${step.id}" is used twice` });
      }
      for (const reference of referencedSteps(step)) {
        if (!seen.has(reference)) {
          ctx.addIssue({
            code: 'custom',
            path: ['steps', index],
            message: `refers to steps.${reference}, which is not an earlier step`,
          });
        }
      }
      seen.add(step.id);
    });
  });

export const workflowsSchema = z.record(z.string().regex(/^[a-z][a-z0-9_-]*$/), workflowSchema).default({});

export type WorkflowConfig = z.infer<typeof workflowSchema>;
export type WorkflowStep = WorkflowConfig['steps'][number];

/** Step ids a step's templates refer to (`steps.<id>.…`). */
function referencedSteps(step: WorkflowStep): string[] {
  const text = JSON.stringify([step.args, step.when ?? null]);
  return [...text.matchAll(/\{\{\s*steps\.([a-z][a-z0-9_]*)/g)].map((match) => match[1]!);
}
