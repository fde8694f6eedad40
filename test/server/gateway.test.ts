/**
 * The gateway for existing agents, over real HTTP with the providers' own SDKs: the official
 * `openai` and `@anthropic-ai/sdk` clients pointed at the server, a capability token as their API
 * key, and local provider servers behind. A call lands in the ledger and the audit log; the
 * envelope, the ceiling and the token are enforced with errors each SDK raises as its own.
 */
import Anthropic from '@anthropic-ai/sdk';
import fc from 'fast-check';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type LlmTestServer, startOllamaServer, startOpenAiServer } from '../support/llm-servers.js';
import { startTestServer, type TestServer } from './support.js';

const MESSAGES = [{ role: 'user' as const, content: 'Summarise the incident in one line.' }];

function config(local: LlmTestServer, cloud: LlmTestServer): string {
  return `version: 1
auth: {}
actor_classes:
  assistant:
    kind: agent
    capabilities: [{ tool: "*" }]
    allowed_backends: [local]
    session_ceiling_usd: 1.00
    default_max_tokens: 256
  tight:
    kind: agent
    capabilities: [{ tool: "*" }]
    allowed_backends: [local]
    session_ceiling_usd: 0.000001
  multi:
    kind: agent
    capabilities: [{ tool: "*" }]
    allowed_backends: [local, cloud]
  offline:
    kind: agent
    capabilities: [{ tool: "*" }]
    allowed_backends: []
llm:
  backends:
    local:
      kind: ollama
      base_url: ${local.baseUrl}
      timeout_ms: 2000
      compute_usd_per_hour: 0.36
    cloud:
      kind: openai
      base_url: ${cloud.baseUrl}
      prices:
        gpt-4o-test: { input_per_mtok: 1, output_per_mtok: 2 }
`;
}

/** What a promise rejects with; fails the test when it resolves. */
async function failure<T>(promise: Promise<unknown>): Promise<T> {
  const outcome = await promise.then(
    (value: unknown) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in outcome)) throw new Error(`expected a refusal, got ${JSON.stringify(outcome.value)}`);
  return outcome.error as T;
}

describe('gateway for existing agents (OpenAI and Anthropic wire formats)', () => {
  let t: TestServer;
  let local: LlmTestServer;
  let cloud: LlmTestServer;
  let token: string;
  let actorId: string;
  const openai = (apiKey = token) => new OpenAI({ apiKey, baseURL: `${t.server.url}/v1`, maxRetries: 0 });
  const anthropic = (apiKey = token) => new Anthropic({ apiKey, baseURL: t.server.url, maxRetries: 0 });
  const spawn = async (className: string) => {
    const spawned = await t.runtime.syscall.spawn({ className, grants: [{ tool: '*' }] });
    return { token: spawned.token, actorId: spawned.actorId };
  };
  const rows = (sql: string, params: unknown[]) => t.runtime.db.query<Record<string, any>>(sql, params).then((result) => result.rows);

  beforeAll(async () => {
    local = await startOllamaServer();
    cloud = await startOpenAiServer({ apiKey: 'sk-never-used' });
    t = await startTestServer('enforced', { config: () => config(local, cloud) });
    ({ token, actorId } = await spawn('assistant'));
  }, 60_000);

  afterAll(async () => {
    await t?.stop();
    await Promise.all([local?.close(), cloud?.close()]);
    // Nothing in any test, refused or routed around, ever reached the backend outside the envelope.
    expect(cloud.connections()).toBe(0);
  });

  it('completes a chat call through the official openai client and records it in the ledger and the audit log', async () => {
    local.script({ text: 'Disk full on db-1; cleared.', usage: { input: 30, output: 9 } });
    const completion = await openai().chat.completions.create({
      model: 'local/llama3.2',
      messages: [{ role: 'system', content: 'Be brief.' }, ...MESSAGES],
      max_tokens: 64,
      temperature: 0.2,
      user: 'ignored-by-design',
    });
    expect(completion).toMatchObject({
      object: 'chat.completion',
      model: 'local/llama3.2',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Disk full on db-1; cleared.' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 30, completion_tokens: 9, total_tokens: 39 },
    });
    expect(completion.id).toMatch(/^chatcmpl-/);
    const sent = local.requests.at(-1)!.body;
    expect(sent).toMatchObject({ model: 'llama3.2', options: { num_predict: 64, temperature: 0.2 } });
    expect(sent.messages).toEqual([{ role: 'system', content: 'Be brief.' }, ...MESSAGES]);

    const calls = await rows(`SELECT principal, payload FROM audit_events WHERE type = 'LLM_CALL' AND actor_id = $1`, [actorId]);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ principal: null, payload: { backend: 'local', model: 'llama3.2', input_tokens: 30, output_tokens: 9, priced: true, error: null } });
    const ledger = await rows('SELECT backend, model, input_tokens, output_tokens FROM ledger_entries WHERE actor_id = $1', [actorId]);
    expect(ledger).toEqual([{ backend: 'local', model: 'llama3.2', input_tokens: 30, output_tokens: 9 }]);
  });

  it('takes a bare model name as the one backend of a class allowed exactly one, and asks for "<backend>/<model>" otherwise', async () => {
    const bare = await openai().chat.completions.create({ model: 'llama3.2', messages: MESSAGES });
    expect(bare.model).toBe('local/llama3.2');
    const multi = await spawn('multi');
    const refused = await failure<InstanceType<typeof OpenAI.APIError>>(openai(multi.token).chat.completions.create({ model: 'llama3.2', messages: MESSAGES }));
    expect(refused).toMatchObject({ status: 400, code: 'INVALID_INPUT', param: 'model' });
    expect(refused.message).toMatch(/names no backend.*"local\/llama3\.2"/);
    const offline = await spawn('offline');
    const denied = await failure<InstanceType<typeof OpenAI.APIError>>(openai(offline.token).chat.completions.create({ model: 'llama3.2', messages: MESSAGES }));
    expect(denied).toMatchObject({ status: 403, code: 'EGRESS_DENIED' });
    expect(await t.count(`SELECT count(*)::int AS n FROM audit_events WHERE type = 'EGRESS_DENIED' AND actor_id = $1`, [offline.actorId])).toBe(1);
  });

  it('streams through the openai client: the text as it comes, then a usage chunk', async () => {
    local.script({ text: 'Three words streamed.', usage: { input: 20, output: 4 } });
    const stream = await openai().chat.completions.create({ model: 'local/llama3.2', messages: MESSAGES, stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe('Three words streamed.');
    expect(chunks.filter((chunk) => chunk.choices[0]?.delta.content).length).toBeGreaterThan(1);
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe('stop');
    expect(chunks.at(-1)).toMatchObject({ object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 20, completion_tokens: 4, total_tokens: 24 } });
    expect(local.requests.at(-1)!.body.stream).toBe(true);
  });

  it('carries a tool call round trip through the openai client', async () => {
    const tools = [{ type: 'function' as const, function: { name: 'get_weather', description: 'Weather of a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
    local.script({ toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] });
    const first = await openai().chat.completions.create({ model: 'local/llama3.2', messages: [{ role: 'user', content: 'Weather in Oslo?' }], tools });
    const choice = first.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBeNull();
    const call = choice.message.tool_calls![0]!;
    expect(call).toMatchObject({ type: 'function', function: { name: 'get_weather' } });
    expect(call.type === 'function' && JSON.parse(call.function.arguments)).toEqual({ city: 'Oslo' });
    expect(local.requests.at(-1)!.body.tools[0]).toMatchObject({ type: 'function', function: { name: 'get_weather', description: 'Weather of a city' } });

    local.script({ text: 'It is 4°C in Oslo.' });
    const second = await openai().chat.completions.create({
      model: 'local/llama3.2',
      tools,
      messages: [{ role: 'user', content: 'Weather in Oslo?' }, choice.message, { role: 'tool', tool_call_id: call.id, content: '{"celsius":4}' }],
    });
    expect(second.choices[0]!.message.content).toBe('It is 4°C in Oslo.');
    expect(local.requests.at(-1)!.body.messages).toEqual([
      { role: 'user', content: 'Weather in Oslo?' },
      { role: 'assistant', content: '', tool_calls: [{ function: { name: 'get_weather', arguments: { city: 'Oslo' } } }] },
      // The tool result reaches the model wrapped as untrusted content (gateway-untrusted.test.ts).
      { role: 'tool', content: expect.stringMatching(/^<untrusted_tool_output tool="get_weather" nonce="[0-9a-f]{16}">\n\{"celsius":4\}\n<\/untrusted_tool_output nonce="[0-9a-f]{16}">$/), tool_name: 'get_weather' },
    ]);

    local.script({ toolCalls: [{ name: 'get_weather', arguments: { city: 'Bergen' } }] });
    const streamed = await openai().chat.completions.create({ model: 'local/llama3.2', messages: [{ role: 'user', content: 'Bergen?' }], tools, stream: true });
    const deltas = [];
    for await (const chunk of streamed) deltas.push(chunk.choices[0]);
    expect(deltas.flatMap((delta) => delta?.delta.tool_calls ?? [])).toEqual([
      { index: 0, id: expect.any(String), type: 'function', function: { name: 'get_weather', arguments: '{"city":"Bergen"}' } },
    ]);
    expect(deltas.at(-1)!.finish_reason).toBe('tool_calls');
  });

  it('reports a provider failure as a 502 before the stream opens, and as an error event once it has', async () => {
    local.script({ error: { status: 500, message: 'model "llama3.2" not found' } });
    const early = await failure<InstanceType<typeof OpenAI.APIError>>(openai().chat.completions.create({ model: 'local/llama3.2', messages: MESSAGES, stream: true }));
    expect(early).toMatchObject({ status: 502, code: 'LLM_BACKEND_FAILED' });

    // The provider streams some words and then stalls past the backend's timeout_ms.
    local.script({ text: 'Partial answer that never ends', hang: true });
    const stream = await openai().chat.completions.create({ model: 'local/llama3.2', messages: MESSAGES, stream: true });
    const text: string[] = [];
    const late = await failure<InstanceType<typeof OpenAI.APIError>>(
      (async () => {
        for await (const chunk of stream) text.push(chunk.choices[0]?.delta.content ?? '');
      })(),
    );
    expect(text.join('')).toBe('Partial answer that never ends');
    expect(late).toMatchObject({ code: 'LLM_BACKEND_FAILED' });
    expect(late.message).toMatch(/did not finish within 2000 ms/);
    const { rows: [last] } = await t.runtime.db.query<{ payload: any }>(`SELECT payload FROM audit_events WHERE type = 'LLM_CALL' AND actor_id = $1 ORDER BY id DESC LIMIT 1`, [actorId]);
    expect(last!.payload.error).toMatchObject({ code: 'LLM_BACKEND_FAILED' });
  });

  it('aborts the provider call when the client goes away mid-stream, and settles it in the ledger', async () => {
    const quitter = await spawn('assistant');
    local.script({ text: 'A long answer the client stops reading', hang: true });
    const stream = await openai(quitter.token).chat.completions.create({ model: 'local/llama3.2', messages: MESSAGES, stream: true });
    for await (const chunk of stream) if (chunk.choices[0]?.delta.content) break;
    await vi.waitFor(async () => expect(await t.count(`SELECT count(*)::int AS n FROM audit_events WHERE type = 'LLM_CALL' AND actor_id = $1`, [quitter.actorId])).toBe(1), { timeout: 1500 });
    const [call] = await rows(`SELECT payload FROM audit_events WHERE type = 'LLM_CALL' AND actor_id = $1`, [quitter.actorId]);
    expect(call!.payload).toMatchObject({ error: { code: 'LLM_BACKEND_FAILED' }, latency_ms: expect.any(Number) });
    expect(call!.payload.latency_ms).toBeLessThan(2000);
    expect(await t.count('SELECT count(*)::int AS n FROM ledger_reservations WHERE actor_id = $1 AND settled_at IS NULL', [quitter.actorId])).toBe(0);
    expect(await t.count('SELECT count(*)::int AS n FROM ledger_entries WHERE actor_id = $1', [quitter.actorId])).toBe(1);
  });

  it('completes a Messages call through the official Anthropic client, translated both ways', async () => {
    local.script({ text: 'Rolled back.', usage: { input: 15, output: 3 } });
    const message = await anthropic().messages.create({
      model: 'local/llama3.2',
      max_tokens: 100,
      system: [{ type: 'text', text: 'You are an SRE.' }],
      messages: MESSAGES,
      metadata: { user_id: 'ignored' },
    });
    expect(message).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'local/llama3.2',
      content: [{ type: 'text', text: 'Rolled back.' }],
      stop_reason: 'end_turn',
      usage: { input_tokens: 15, output_tokens: 3 },
    });
    expect(local.requests.at(-1)!.body).toMatchObject({ messages: [{ role: 'system', content: 'You are an SRE.' }, ...MESSAGES], options: { num_predict: 100 } });

    local.script({ toolCalls: [{ name: 'restart', arguments: { service: 'api' } }] });
    const tools = [{ name: 'restart', description: 'Restart a service', input_schema: { type: 'object' as const, properties: { service: { type: 'string' } } } }];
    const asked = await anthropic().messages.create({ model: 'local/llama3.2', max_tokens: 100, tools, messages: [{ role: 'user', content: 'Restart the api.' }] });
    expect(asked.stop_reason).toBe('tool_use');
    const use = asked.content.find((block) => block.type === 'tool_use')!;
    expect(use).toMatchObject({ name: 'restart', input: { service: 'api' } });

    local.script({ text: 'Restarted.' });
    const streamed = anthropic().messages.stream({
      model: 'local/llama3.2',
      max_tokens: 100,
      tools,
      messages: [
        { role: 'user', content: 'Restart the api.' },
        { role: 'assistant', content: asked.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.type === 'tool_use' ? use.id : '', content: 'ok' }, { type: 'text', text: 'Done?' }] },
      ],
    });
    const final = await streamed.finalMessage();
    expect(final.content).toEqual([expect.objectContaining({ type: 'text', text: 'Restarted.' })]);
    expect(final.stop_reason).toBe('end_turn');
    expect(local.requests.at(-1)!.body.messages).toEqual([
      { role: 'user', content: 'Restart the api.' },
      { role: 'assistant', content: '', tool_calls: [{ function: { name: 'restart', arguments: { service: 'api' } } }] },
      { role: 'tool', content: expect.stringMatching(/^<untrusted_tool_output tool="restart" nonce="[0-9a-f]{16}">\nok\n<\/untrusted_tool_output nonce="[0-9a-f]{16}">$/), tool_name: 'restart' },
      { role: 'user', content: 'Done?' },
    ]);
  });

  it('refuses a backend outside the envelope with 403 EGRESS_DENIED in each SDK, before any connection', async () => {
    const before = await t.count(`SELECT count(*)::int AS n FROM audit_events WHERE type = 'EGRESS_DENIED' AND actor_id = $1`, [actorId]);
    const viaOpenAi = await failure<InstanceType<typeof OpenAI.APIError>>(openai().chat.completions.create({ model: 'cloud/gpt-4o-test', messages: MESSAGES }));
    expect(viaOpenAi).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(viaOpenAi).toMatchObject({ status: 403, code: 'EGRESS_DENIED', type: 'permission_error' });
    expect(viaOpenAi.message).toMatch(/may not reach backend "cloud"/);
    const viaAnthropic = await failure<InstanceType<typeof Anthropic.APIError>>(anthropic().messages.create({ model: 'cloud/gpt-4o-test', max_tokens: 10, messages: MESSAGES }));
    expect(viaAnthropic).toBeInstanceOf(Anthropic.PermissionDeniedError);
    expect(viaAnthropic.status).toBe(403);
    expect(viaAnthropic.error).toMatchObject({ type: 'error', error: { type: 'permission_error', message: expect.stringMatching(/^EGRESS_DENIED: /) } });
    expect(await t.count(`SELECT count(*)::int AS n FROM audit_events WHERE type = 'EGRESS_DENIED' AND actor_id = $1`, [actorId])).toBe(before + 2);
    expect(cloud.connections()).toBe(0);
  });

  it('refuses a bad token, an API key and a missing key with 401, each leaving one AUTH_REJECTED row', async () => {
    const [head, payload, signature] = token.split('.') as [string, string, string];
    const tampered = `${head}.${payload.slice(0, -2)}${payload.endsWith('A') ? 'B' : 'A'}${payload.slice(-1)}.${signature}`;
    const rejected = () => t.count(`SELECT count(*)::int AS n FROM audit_events WHERE type = 'AUTH_REJECTED'`);
    const before = await rejected();
    const requests = local.requests.length;
    const bad = await failure<InstanceType<typeof OpenAI.APIError>>(openai(tampered).chat.completions.create({ model: 'local/llama3.2', messages: MESSAGES }));
    expect(bad).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(bad).toMatchObject({ status: 401, code: 'INVALID_TOKEN' });
    const key = await failure<InstanceType<typeof Anthropic.APIError>>(anthropic(await t.key('ops', {})).messages.create({ model: 'local/llama3.2', max_tokens: 10, messages: MESSAGES }));
    expect(key).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(key.message).toMatch(/AUTH_INVALID: the gateway takes an actor's capability token/);
    const missing = await fetch(`${t.server.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'local/x', max_tokens: 1, messages: MESSAGES }) });
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error', message: expect.stringMatching(/^AUTH_MISSING: /) } });
    expect(await rejected()).toBe(before + 3);
    expect(local.requests.length).toBe(requests);
  });

  it('refuses a call over the session ceiling with 403 COST_CEILING_EXCEEDED before the provider', async () => {
    const tight = await spawn('tight');
    const requests = local.requests.length;
    const refused = await failure<InstanceType<typeof OpenAI.APIError>>(openai(tight.token).chat.completions.create({ model: 'local/llama3.2', messages: MESSAGES, stream: true }));
    expect(refused).toMatchObject({ status: 403, code: 'COST_CEILING_EXCEEDED' });
    const viaAnthropic = await failure<InstanceType<typeof Anthropic.APIError>>(anthropic(tight.token).messages.create({ model: 'local/llama3.2', max_tokens: 10, messages: MESSAGES }));
    expect(viaAnthropic.message).toMatch(/COST_CEILING_EXCEEDED/);
    expect(local.requests.length).toBe(requests);
    expect(await t.count(`SELECT count(*)::int AS n FROM audit_events WHERE type = 'COST_CEILING_EXCEEDED' AND actor_id = $1`, [tight.actorId])).toBe(2);
  });

  it('refuses what it cannot honour (n > 1, stop sequences) and any field or header that tries to pick the backend', async () => {
    const requests = local.requests.length;
    const n = await failure<InstanceType<typeof OpenAI.APIError>>(openai().chat.completions.create({ model: 'local/llama3.2', messages: MESSAGES, n: 2 }));
    expect(n).toMatchObject({ status: 400, code: 'INVALID_INPUT' });
    expect(n.message).toMatch(/n must be 1/);
    const stop = await failure<InstanceType<typeof OpenAI.APIError>>(openai().chat.completions.create({ model: 'local/llama3.2', messages: MESSAGES, stop: ['Observation:'] }));
    expect(stop.message).toMatch(/stop sequences are not supported/);
    for (const field of ['base_url', 'api_base', 'provider', 'backend']) {
      const body = { model: 'local/llama3.2', messages: MESSAGES, [field]: cloud.baseUrl } as OpenAI.ChatCompletionCreateParamsNonStreaming;
      const routed = await failure<InstanceType<typeof OpenAI.APIError>>(openai().chat.completions.create(body));
      expect(routed, field).toMatchObject({ status: 400, code: 'INVALID_INPUT' });
      expect(routed.message, field).toContain(`unsupported field "${field}"`);
    }
    const anthropicRouted = await failure<InstanceType<typeof Anthropic.APIError>>(
      anthropic().messages.create({ model: 'local/llama3.2', max_tokens: 10, messages: MESSAGES, base_url: cloud.baseUrl } as Anthropic.MessageCreateParamsNonStreaming),
    );
    expect(anthropicRouted.status).toBe(400);
    // A conversation may be far larger than one tool call's arguments, but not without bound.
    const huge = await failure<InstanceType<typeof OpenAI.APIError>>(openai().chat.completions.create({ model: 'local/llama3.2', messages: [{ role: 'user', content: 'x'.repeat(9 * 1024 * 1024) }] }));
    expect(huge).toMatchObject({ status: 413, code: 'ARGS_TOO_LARGE' });
    expect(local.requests.length).toBe(requests);

    // A header naming another base URL is not read at all: the call goes where "model" says.
    const headers = { 'x-base-url': cloud.baseUrl, 'x-provider': 'openai', 'openai-base-url': cloud.baseUrl };
    const answered = await openai().chat.completions.create({ model: 'local/llama3.2', messages: MESSAGES }, { headers });
    expect(answered.choices[0]!.message.content).toBe('Hello from the test server.');
    const viaAnthropic = await anthropic().messages.create({ model: 'local/llama3.2', max_tokens: 10, messages: MESSAGES }, { headers });
    expect(viaAnthropic.content).toEqual([{ type: 'text', text: 'Hello from the test server.' }]);
    expect(local.requests.length).toBe(requests + 2);
    expect(cloud.connections()).toBe(0);
  });

  it('answers any body below 500, in the provider\'s error shape', async () => {
    const valid = { model: 'local/llama3.2', max_tokens: 5, messages: MESSAGES };
    const body = fc.oneof(
      fc.jsonValue().map((value) => JSON.stringify(value)),
      fc.record({ key: fc.constantFrom('model', 'messages', 'max_tokens', 'tools', 'stream', 'system', 'n', 'temperature', '__proto__', 'tool_choice'), value: fc.jsonValue({ maxDepth: 3 }) })
        .map(({ key, value }) => JSON.stringify({ ...valid, [key]: value })),
      // Over the app's body limit for tool calls, within the gateway's for conversations.
      fc.constant(JSON.stringify({ ...valid, messages: [{ role: 'user', content: 'x'.repeat(300_000) }] })),
      fc.constantFrom('', '{', '[]', 'null', '{"a":1,"a":2}', `{"model":"local/x","max_tokens":1e400,"messages":[]}`, '{"messages":[{"role":"user","content":[{"type":"image_url"}]}],"model":"local/x"}'),
    );
    const contentType = fc.oneof({ weight: 8, arbitrary: fc.constant('application/json') }, { weight: 1, arbitrary: fc.constantFrom(undefined, 'text/plain', 'application/json; charset=latin1', 'multipart/form-data; boundary=x') });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/v1/chat/completions', '/v1/messages'), body, contentType, async (url, text, type) => {
        const headers: Record<string, string> = { authorization: `Bearer ${token}`, ...(type ? { 'content-type': type } : {}) };
        const response = await fetch(`${t.server.url}${url}`, { method: 'POST', headers, body: text });
        const answer = await response.text();
        const where = `${url} ${type} ${text.slice(0, 200)} → ${response.status} ${answer.slice(0, 300)}`;
        expect(response.status, where).toBeLessThan(500);
        if (response.status < 300) return;
        const error = JSON.parse(answer);
        if (url === '/v1/messages') expect(error, where).toMatchObject({ type: 'error', error: { type: expect.any(String), message: expect.any(String) } });
        else expect(error, where).toMatchObject({ error: { message: expect.any(String), type: expect.any(String), code: expect.any(String) } });
      }),
      { numRuns: 120 },
    );
  }, 120_000);

  it('lists both endpoints in the OpenAPI document under the gateway tag', async () => {
    const openapi = await t.request('GET', '/api/v1/openapi.json');
    expect(openapi.body.paths['/v1/chat/completions'].post.tags).toEqual(['gateway']);
    expect(openapi.body.paths['/v1/messages'].post.tags).toEqual(['gateway']);
  });
});
