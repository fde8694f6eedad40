/**
 * The `agents:` section of aosiq.yaml: reasoning agents the runtime runs itself. Each run is an
 * actor of the agent's class; its model calls go through the LLM syscall (envelope, ceilings)
 * and its tool calls through the tool syscall (grants, approvals), like any actor's.
 */
import { z } from 'zod';

export const agentSchema = z.strictObject({
  class: z.string().min(1),
  description: z.string().default(''),
  // A backend under llm.backends that the class's allowed_backends lists.
  backend: z.string().min(1),
  model: z.string().min(1),
  // Instructions placed before the runtime's own rules (evidence ids, untrusted output).
  system: z.string().default('You are a careful operations assistant. Investigate before you act.'),
  // Tools offered to the model; default: every registered tool the class's grants name.
  tools: z.array(z.string().min(1)).optional(),
  // Model turns before the run ends as failed; each turn is one model call.
  max_steps: z.int().min(1).max(500).default(20),
  // The output cap of each model call (ceilings reserve against it).
  max_tokens: z.int().min(1).max(1_000_000).default(2048),
});

export const agentsSchema = z.record(z.string().regex(/^[a-z][a-z0-9_-]*$/), agentSchema).default({});

export type AgentConfig = z.infer<typeof agentSchema>;
