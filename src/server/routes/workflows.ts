import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AosError } from '../../errors.js';
import type { Runtime } from '../../runtime.js';
import { startWorkflow } from '../../workflows/index.js';
import { requireSpawnClass } from '../auth/index.js';
import { callerOf } from './actors.js';

/** The configured workflows, and starting a run (spawn scope for the workflow's class). */
export function registerWorkflowRoutes(app: FastifyInstance, runtime: Runtime): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  routes.get(
    '/api/v1/workflows',
    {
      schema: {
        summary: 'The workflows in aosiq.yaml',
        tags: ['workflows'],
        response: {
          200: z.object({
            workflows: z.array(
              z.object({ name: z.string(), class: z.string(), description: z.string(), schedule: z.string().nullable(), inputs: z.array(z.string()), steps: z.array(z.object({ id: z.string(), tool: z.string() })) }),
            ),
          }),
        },
      },
    },
    async (request) => {
      callerOf(request);
      return {
        workflows: Object.entries(runtime.config.workflows).map(([name, workflow]) => ({
          name,
          class: workflow.class,
          description: workflow.description,
          schedule: workflow.schedule ?? null,
          inputs: Object.keys(workflow.inputs),
          steps: workflow.steps.map((step) => ({ id: step.id, tool: step.tool })),
        })),
      };
    },
  );
  routes.post(
    '/api/v1/workflows/:name/runs',
    {
      schema: {
        summary: "Start a run of a workflow; a worker runs it (needs spawn scope for the workflow's class)",
        description: "The run's grants are the class template clamped to the caller's grants. Follow it with GET /api/v1/agents/{actor_id}.",
        tags: ['workflows'],
        params: z.object({ name: z.string() }),
        body: z.strictObject({ inputs: z.record(z.string(), z.json()).default({}) }),
        response: { 202: z.object({ actor_id: z.string(), session_id: z.string(), state: z.literal('runnable') }) },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const workflow = runtime.config.workflows[request.params.name];
      if (!workflow) {
        throw new AosError('NOT_FOUND', `no workflow "${request.params.name}" (workflows: ${Object.keys(runtime.config.workflows).join(', ') || 'none'})`, {
          workflow: request.params.name,
        });
      }
      requireSpawnClass(caller, workflow.class);
      const run = await startWorkflow(runtime.syscall, runtime.deps, runtime.config.workflows, {
        workflow: request.params.name,
        inputs: request.body.inputs,
        trigger: 'api',
        principal: caller.principal,
        authority: caller.kind === 'anonymous' ? undefined : { name: caller.principal, grants: caller.scopes.grants },
      });
      return reply.status(202).send({ actor_id: run.actorId, session_id: run.sessionId, state: 'runnable' });
    },
  );
}
