/**
 * Model calls through the syscall, end to end: a runtime opened from aosiq.yaml, real adapters,
 * and local servers speaking the OpenAI and Ollama wire protocols that count what reaches them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideApproval } from '../../src/approvals/index.js';
import { type ErrorCode, isAosError } from '../../src/errors.js';
import { estimateInputTokens, formatUsd, rollup } from '../../src/ledger/index.js';
import { openRuntime, type Runtime } from '../../src/runtime.js';
import { canonicalJson } from '../../src/security/canonical/index.js';
import { type LlmTestServer, startOllamaServer, startOpenAiServer } from '../support/llm-servers.js';
import { createScratchDatabase } from '../support/scratch-database.js';
import { storeKinds } from '../support/stores.js';

const MESSAGES = [{ role: 'user' as const, content: 'Summarise the incident in one line.' }];
const MAX_TOKENS = 100;
// $1 per million input tokens and $2 per million output: one pico-dollar multiple per token.
const INPUT_TOKENS = estimateInputTokens(canonicalJson({ system: null, messages: MESSAGES, tools: null }, 'request'), MESSAGES.length);
const WORST_PICO = BigInt(INPUT_TOKENS) * 1_000_000n + BigInt(MAX_TOKENS) * 2_000_000n;
// Room for ten worst cases and most of an eleventh.
const CEILING_USD = Number(WORST_PICO * 10n + (WORST_PICO * 9n) / 10n) / 1e12;

function config(openai: LlmTestServer, ollama: LlmTestServer): string {
  return `version: 1
actor_classes:
  budgeted:
    kind: agent
    capabilities: [{ tool: llm.openai, constraints: { model: [{ prefix: gpt-4o }] } }]
    allowed_backends: [openai]
    session_ceiling_usd: ${CEILING_USD}
    default_max_tokens: ${MAX_TOKENS}
  local-only:
    kind: agent
    capabilities: [{ tool: "*" }]
    allowed_backends: [ollama]
  open-models:
    kind: agent
    capabilities: [{ tool: llm.openai }]
    allowed_backends: [openai]
  nightly:
    kind: job
    capabilities: [{ tool: fs.list }, { tool: command.burn }]
    compute_usd_per_hour: 3.6
tools:
  roots: { workspace: ./workspace }
  commands:
    burn:
      argv: [sh, -c, 'i=0; while [ $i -lt 400000 ]; do i=$((i+1)); done']
      blast_radius: low
      reason: spins the CPU for a moment
llm:
  backends:
    openai:
      kind: openai
      base_url: ${openai.baseUrl}
      api_key_env: TEST_OPENAI_KEY
      prices:
        gpt-4o-test: { input_per_mtok: 1, output_per_mtok: 2 }
    ollama:
      kind: ollama
      base_url: ${ollama.baseUrl}
      compute_usd_per_hour: 0.36
`;
}

async function code(promise: Promise<unknown>): Promise<ErrorCode> {
  try {
    await promise;
  } catch (error) {
    if (isAosError(error)) return error.code;
    throw error;
  }
  throw new Error('expected a refusal, but the call succeeded');
}

for (const kind of storeKinds()) {
  describe(`model calls through the syscall [${kind}]`, () => {
    let openai: LlmTestServer;
    let ollama: LlmTestServer;
    let runtime: Runtime;
    let dir: string;
    let drop = async () => {};

    beforeAll(async () => {
      openai = await startOpenAiServer({ apiKey: 'sk-test-secret' });
      ollama = await startOllamaServer();
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aosiq-models-'));
      fs.writeFileSync(path.join(dir, 'aosiq.yaml'), config(openai, ollama));
      fs.mkdirSync(path.join(dir, 'workspace'));
      let databaseUrl: string | undefined;
      if (kind === 'postgres') {
        const scratch = await createScratchDatabase(process.env.AOS_TEST_DATABASE_URL!, 'aosiq_models');
        databaseUrl = scratch.url;
        drop = scratch.drop;
      }
      runtime = await openRuntime({ configPath: path.join(dir, 'aosiq.yaml'), dataDir: path.join(dir, '.aosiq'), databaseUrl, env: { TEST_OPENAI_KEY: 'sk-test-secret' } });
    }, 60_000);

    afterAll(async () => {
      await runtime?.close();
      await drop();
      await Promise.all([openai?.close(), ollama?.close()]);
      fs.rmSync(dir, { recursive: true, force: true });
    });

    const spawn = async (className: string) => (await runtime.syscall.spawn({ className, grants: [{ tool: '*' }] })).token;
    const events = async (type: string, actor: string): Promise<Record<string, any>[]> => {
      const { rows } = await runtime.db.query<{ payload: Record<string, any> }>('SELECT payload FROM audit_events WHERE type = $1 AND actor_id = $2 ORDER BY id', [type, actor]);
      return rows.map((row) => row.payload);
    };
    const actorOf = async (token: string) => (await runtime.deps.tokens.verify(token)).sub;

    it('lets at most the ceiling through of 64 concurrent calls, refusing the rest before the provider', async () => {
      const token = await spawn('budgeted');
      // Each reply costs exactly its worst case, so settling frees no headroom.
      openai.script(...Array.from({ length: 64 }, () => ({ text: 'ok', usage: { input: INPUT_TOKENS, output: MAX_TOKENS } })));
      const before = openai.requests.length;
      const outcomes = await Promise.allSettled(
        Array.from({ length: 64 }, () => runtime.syscall.callModel(token, { backend: 'openai', model: 'gpt-4o-test', messages: MESSAGES })),
      );
      openai.unscript();
      const succeeded = outcomes.filter((outcome) => outcome.status === 'fulfilled');
      const refused = outcomes.flatMap((outcome): unknown[] => (outcome.status === 'rejected' ? [outcome.reason as unknown] : []));
      expect(succeeded).toHaveLength(10);
      expect(refused.every((error) => isAosError(error, 'COST_CEILING_EXCEEDED'))).toBe(true);
      expect(openai.requests.length - before).toBe(10);
      expect(openai.requests.at(-1)!.body.max_tokens).toBe(MAX_TOKENS);

      const actor = await actorOf(token);
      const { rows } = await runtime.db.query<{ total: string; n: number; open: number }>(
        `SELECT COALESCE(sum(usd_pico), 0)::text AS total, count(*)::int AS n,
                (SELECT count(*)::int FROM ledger_reservations WHERE actor_id = $1 AND settled_at IS NULL) AS open
         FROM ledger_entries WHERE actor_id = $1`,
        [actor],
      );
      expect(rows[0]).toEqual({ total: (WORST_PICO * 10n).toString(), n: 10, open: 0 });
      expect(BigInt(rows[0]!.total) <= BigInt(Math.round(CEILING_USD * 1e12))).toBe(true);
      expect(await events('COST_CEILING_EXCEEDED', actor)).toHaveLength(54);
      const calls = await events('LLM_CALL', actor);
      expect(calls).toHaveLength(10);
      expect(calls[0]).toMatchObject({ backend: 'openai', model: 'gpt-4o-test', input_tokens: INPUT_TOKENS, output_tokens: MAX_TOKENS, estimated: false, priced: true });
      expect(calls[0]!.usd).toBe(formatUsd(WORST_PICO, 12));
      expect(JSON.stringify(calls)).not.toContain('Summarise the incident');
    }, 60_000);

    it('keeps a class inside its envelope whatever the grants, model name or request fields say', async () => {
      const token = await spawn('local-only');
      const actor = await actorOf(token);
      const connections = openai.connections();
      const attempts: unknown[] = [
        { backend: 'openai', model: 'gpt-4o', messages: MESSAGES },
        { backend: 'OpenAI', model: 'gpt-4o', messages: MESSAGES },
        { backend: 'openai ', model: 'gpt-4o', messages: MESSAGES },
        { backend: 'ollama', model: 'llama3.2', messages: MESSAGES, base_url: openai.baseUrl },
        { backend: 'ollama', model: 'llama3.2', messages: MESSAGES, provider: 'openai' },
        { backend: 'ollama', model: 'llama3.2', messages: MESSAGES, headers: { 'x-base-url': openai.baseUrl } },
      ];
      const codes = [];
      for (const attempt of attempts) codes.push(await code(runtime.syscall.callModel(token, attempt)));
      expect(codes).toEqual(['EGRESS_DENIED', 'EGRESS_DENIED', 'EGRESS_DENIED', 'INVALID_INPUT', 'INVALID_INPUT', 'INVALID_INPUT']);
      expect(openai.connections()).toBe(connections);
      expect(await events('EGRESS_DENIED', actor)).toHaveLength(3);
      expect((await events('EGRESS_DENIED', actor))[0]).toMatchObject({ backend: 'openai', code: 'EGRESS_DENIED' });

      // A model name that looks like another provider's still goes to the class's own backend.
      const { result } = await runtime.syscall.callModel(token, { backend: 'ollama', model: 'openai/gpt-4o', messages: MESSAGES });
      expect(result.content).toBe('Hello from the test server.');
      expect(ollama.requests.at(-1)!.body.model).toBe('openai/gpt-4o');
      expect(openai.connections()).toBe(connections);
      // Compute-priced: charged its wall time, never $0 by omission.
      expect((await events('LLM_CALL', actor))[0]).toMatchObject({ backend: 'ollama', priced: true, estimated: false });
    });

    it('refuses an unpriced model before the provider, and settles a reply without usage at its worst case', async () => {
      const token = await spawn('open-models');
      const actor = await actorOf(token);
      const before = openai.requests.length;
      expect(await code(runtime.syscall.callModel(token, { backend: 'openai', model: 'my-finetune', messages: MESSAGES }))).toBe('MODEL_UNPRICED');
      expect(openai.requests.length).toBe(before);
      expect(await events('MODEL_UNPRICED', actor)).toHaveLength(1);

      openai.script({ text: 'no counts', usage: null });
      const outcome = await runtime.syscall.callModel(token, { backend: 'openai', model: 'gpt-4o-test', messages: MESSAGES, max_tokens: 50 });
      const worst = BigInt(INPUT_TOKENS) * 1_000_000n + 50n * 2_000_000n;
      expect(outcome).toMatchObject({ usd: formatUsd(worst, 12), estimated: true });
      const { rows } = await runtime.db.query<{ usd_pico: string; estimated: boolean; input_tokens: string | null }>(
        'SELECT usd_pico::text, estimated, input_tokens FROM ledger_entries WHERE actor_id = $1',
        [actor],
      );
      expect(rows).toEqual([{ usd_pico: worst.toString(), estimated: true, input_tokens: null }]);
    });

    it('charges nothing for a provider error, records it, and names the backend without the key', async () => {
      const token = await spawn('open-models');
      const actor = await actorOf(token);
      openai.script({ error: { status: 500, message: 'overloaded' } });
      let failure: unknown;
      try {
        await runtime.syscall.callModel(token, { backend: 'openai', model: 'gpt-4o-test', messages: MESSAGES });
      } catch (error) {
        failure = error;
      }
      expect(isAosError(failure, 'LLM_BACKEND_FAILED')).toBe(true);
      expect((failure as Error).message).toContain('500');
      const [call] = await events('LLM_CALL', actor);
      expect(call).toMatchObject({ usd: formatUsd(0n, 12), error: { code: 'LLM_BACKEND_FAILED' } });
      expect(JSON.stringify(call)).not.toContain('sk-test-secret');
    });

    it('refuses a killed actor without reserving or calling', async () => {
      const token = await spawn('open-models');
      const actor = await actorOf(token);
      await runtime.syscall.kill(actor, 'test', 'done');
      const before = openai.requests.length;
      expect(await code(runtime.syscall.callModel(token, { backend: 'openai', model: 'gpt-4o-test', messages: MESSAGES }))).toBe('ACTOR_NOT_ALIVE');
      expect(openai.requests.length).toBe(before);
      const { rows } = await runtime.db.query<{ n: number }>('SELECT count(*)::int AS n FROM ledger_reservations WHERE actor_id = $1', [actor]);
      expect(rows[0]!.n).toBe(0);
    });

    it('puts each tool call in the ledger at its class compute rate, with its outcome, and rolls spend up', async () => {
      const token = await spawn('nightly');
      const actor = await actorOf(token);
      await runtime.syscall.callTool(token, 'fs.list', { path: '.' });
      const [completed] = await events('TOOL_CALL_COMPLETED', actor);
      const { rows } = await runtime.db.query<{ kind: string; tool: string; usd_pico: string; wall_ms: string; class: string }>(
        'SELECT kind, tool, usd_pico::text, wall_ms::text, class FROM ledger_entries WHERE actor_id = $1',
        [actor],
      );
      // $3.60 an hour is one micro-dollar (10^6 pico) per millisecond.
      expect(rows).toEqual([
        { kind: 'compute', tool: 'fs.list', usd_pico: (BigInt(completed!.duration_ms as number) * 1_000_000n).toString(), wall_ms: String(completed!.duration_ms), class: 'nightly' },
      ]);

      const byClass = await rollup(runtime.db, { by: 'class' });
      expect(byClass.find((row) => row.key === 'budgeted')).toMatchObject({ entries: 10, usd: formatUsd(WORST_PICO * 10n), unpriced: 0, estimated: 0 });
      expect(byClass.find((row) => row.key === 'nightly')).toMatchObject({ entries: 1 });
      const byModel = await rollup(runtime.db, { by: 'model', className: 'open-models' });
      expect(byModel.map((row) => row.key)).toEqual(['openai/gpt-4o-test']);
      expect(byModel[0]).toMatchObject({ entries: 2, estimated: 1 });
      expect((await rollup(runtime.db, { by: 'model', className: 'nightly' }))[0]!.key).toBe('tool:fs.list');
      expect(await rollup(runtime.db, { by: 'day', since: new Date(Date.now() + 86_400_000) })).toEqual([]);
    });

    it("records a command tool's CPU time beside its wall time; in-process tools leave CPU unknown", async () => {
      const token = await spawn('nightly');
      const actor = await actorOf(token);
      let approvalId = '';
      try {
        await runtime.syscall.callTool(token, 'command.burn', {});
      } catch (error) {
        expect(isAosError(error, 'APPROVAL_REQUIRED')).toBe(true);
        approvalId = (error as { details: { approvalId: string } }).details.approvalId;
      }
      await decideApproval(runtime.db, runtime.deps.clock, { id: approvalId, decision: 'approve', operator: 'test', reason: 'cpu test' });
      await runtime.syscall.callTool(token, 'command.burn', {});
      await runtime.syscall.callTool(token, 'fs.list', { path: '.' });
      const { rows } = await runtime.db.query<{ tool: string; wall_ms: string; cpu_ms: string | null }>(
        'SELECT tool, wall_ms::text, cpu_ms::text FROM ledger_entries WHERE actor_id = $1 ORDER BY id',
        [actor],
      );
      expect(rows.map((row) => [row.tool, row.cpu_ms === null])).toEqual([['command.burn', false], ['fs.list', true]]);
      // The loop burns CPU in the child: measured, and no more than the wall time it took.
      expect(Number(rows[0]!.cpu_ms)).toBeGreaterThan(0);
      expect(Number(rows[0]!.cpu_ms)).toBeLessThanOrEqual(Number(rows[0]!.wall_ms) + 10);
      const [byTool] = await rollup(runtime.db, { by: 'model', className: 'nightly', sessionId: (await runtime.deps.tokens.verify(token)).sid });
      expect(byTool).toMatchObject({ key: 'tool:command.burn', cpu_ms: Number(rows[0]!.cpu_ms) });
    });
  });
}
