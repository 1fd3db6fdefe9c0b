import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { join } from 'node:path';
import { createDefaultRegistry, loadTeams } from '../../../runtime/src/agents';
import type { TraceStep } from '../../../runtime/src/agents/trace';
import { RuntimeSettings as S, parseRuntimeConfig } from '../../../runtime/src/contract';
import { LlmRouterError } from '../../../runtime/src/llm/router';
import { type LlmClient, LlmError } from '../../../runtime/src/llm/types';
import { MemoryWriteError } from '../../../runtime/src/memory/errors';
import { MAX_METADATA_DEPTH, MAX_METADATA_KEYS, MAX_METADATA_VALUE_BYTES } from '../../../runtime/src/memory/item-schema';
import { EmbeddedLongTermStore } from '../../../runtime/src/memory/long-term/embedded-long-term';
import { LayeredMemoryManager } from '../../../runtime/src/memory/manager';
import { EmbeddedMidTermStore } from '../../../runtime/src/memory/mid-term/embedded-mid-term';
import { EmbeddedShortTermStore } from '../../../runtime/src/memory/short-term/embedded-short-term';
import type { MidTermStore } from '../../../runtime/src/memory/types';
import { buildApp } from '../../../runtime/src/server/app';
import type { TeamDirectory, TeamMessage } from '../../../runtime/src/server/deps';
import { CLIENT_ID_MAX_LENGTH, TraceStep as TraceStepSchema } from '../../../runtime/src/server/schemas';

// The reply schema of /messages is what the serializer keeps, so it must name every field of the
// agents' TraceStep (and Attempt): this fails to compile when the two drift apart.
type Plain<T> = T extends readonly (infer U)[] ? Plain<U>[] : T extends object ? { -readonly [K in keyof T]: Plain<T[K]> } : T;
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const traceSchemaMatchesTraceStep: Same<Static<typeof TraceStepSchema>, Plain<TraceStep>> = true;

/** A step as a TraceRecorder records it (startedAt and durationMs are always set). */
const ECHO_STEP: TraceStep = { agent: 'echo', action: 'answer', startedAt: '2025-01-01T00:00:00.000Z', durationMs: 0 };

const ACME_KEY = 'acme-key-0123456789abcdef';
const GLOBEX_KEY = 'globex-key-0123456789abcdef';

function memoryWith(midTerm: MidTermStore = new EmbeddedMidTermStore()) {
  return new LayeredMemoryManager({ shortTerm: new EmbeddedShortTermStore(), midTerm, longTerm: new EmbeddedLongTermStore() });
}

/** A team that stores what it hears and answers with what it remembers: enough to test the routes. */
function echoTeams(memory: LayeredMemoryManager, received: TeamMessage[] = []): TeamDirectory {
  const team = {
    async processMessage(message: TeamMessage) {
      received.push(message);
      await memory.store({ id: `${message.conversationId}:${received.length}`, content: message.content, conversationId: message.conversationId }, 'medium');
      const context = await memory.retrieveContext(message.content, message.conversationId);
      return {
        reply: { content: `heard ${context.recent.length} turn(s)`, agent: 'echo', model: 'offline', provider: 'offline' },
        trace: [ECHO_STEP],
        memory: { degraded: context.degraded },
        agents: { degraded: [], failures: [] },
      };
    },
  };
  return {
    get: (id) => (id === 'default' ? team : undefined),
    describe: () => [{ id: 'default', coordinator: 'echo', agents: ['echo'] }],
  };
}

async function build(env: Record<string, string> = {}, memory = memoryWith(), teams?: TeamDirectory): Promise<FastifyInstance> {
  const config = parseRuntimeConfig(env);
  return buildApp(
    { config, memory, teams: teams ?? echoTeams(memory), agents: { list: () => [{ name: 'echo', description: 'repeats', capabilities: ['echo'] }] } },
    { logger: false },
  );
}

// A deployed environment; the offline model stands in for a real one, on purpose.
const withKeys = {
  [S.environment]: 'staging',
  [S.apiKeys]: `acme=${ACME_KEY},globex=${GLOBEX_KEY}`,
  [S.llmConfig]: JSON.stringify({ deployments: [{ name: 'offline', provider: 'offline', model: 'offline' }], allowOfflineOnly: true }),
};
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe('health', () => {
  it('answers liveness and readiness without auth, naming each backend', async () => {
    const app = await build(withKeys);
    expect((await app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready', layers: [{ layer: 'short-term', backend: 'embedded', embedded: true, ok: true }, {}, {}] });
    await app.close();
  });

  it("shows each layer's detail (hosts, errors) only to a caller with an API key, or to anyone when auth is off", async () => {
    const mid = new EmbeddedMidTermStore();
    const down = Object.assign(Object.create(Object.getPrototypeOf(mid)), mid, {
      status: async () => ({ layer: 'mid-term', backend: 'mongodb', embedded: false, ok: false, detail: '10.20.0.3:27017: connection refused' }),
    });
    const app = await build(withKeys, memoryWith(down));
    const stranger = await app.inject('/readyz');
    expect(stranger.statusCode).toBe(503);
    expect(stranger.body).not.toContain('10.20.0.3');
    expect(stranger.json().layers.map((l: { detail?: string }) => l.detail)).toEqual([undefined, undefined, undefined]);
    const wrongKey = await app.inject({ url: '/readyz', headers: bearer(`${ACME_KEY}x`) });
    expect(wrongKey.body).not.toContain('10.20.0.3');
    const caller = await app.inject({ url: '/readyz', headers: bearer(ACME_KEY) });
    expect(caller.json().layers.find((l: { layer: string }) => l.layer === 'mid-term').detail).toBe('10.20.0.3:27017: connection refused');
    await app.close();
    const local = await build({}, memoryWith(down));
    expect((await local.inject('/readyz')).body).toContain('10.20.0.3');
    await local.close();
  });

  it('reports 503 when a backend is down', async () => {
    const mid = new EmbeddedMidTermStore();
    const broken = Object.assign(Object.create(Object.getPrototypeOf(mid)), mid, {
      status: async () => ({ layer: 'mid-term', backend: 'mongodb', embedded: false, ok: false, detail: 'connection refused' }),
    });
    const app = await build({}, memoryWith(broken));
    const ready = await app.inject('/readyz');
    expect(ready.statusCode).toBe(503);
    expect(ready.json().layers[1]).toEqual({ layer: 'mid-term', backend: 'mongodb', embedded: false, ok: false, detail: 'connection refused' });
    await app.close();
  });
});

describe('auth', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await build(withKeys);
  });
  afterAll(() => app.close());

  it.each([
    ['no header', {}],
    ['a wrong key', bearer('x'.repeat(30))],
    ['a key in the wrong scheme', { authorization: `Basic ${ACME_KEY}` }],
    ['a key with a suffix', bearer(`${ACME_KEY}0`)],
  ])('refuses %s with 401 in the one error shape', async (_case, headers) => {
    const response = await app.inject({ url: '/v1/agents', headers });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual({ error: { code: 'ORCH_UNAUTHORIZED', message: expect.stringContaining('API key') } });
  });

  it('accepts each configured key', async () => {
    for (const key of [ACME_KEY, GLOBEX_KEY]) expect((await app.inject({ url: '/v1/agents', headers: bearer(key) })).statusCode).toBe(200);
  });

  it('needs no key in local development', async () => {
    const local = await build({});
    expect((await local.inject('/v1/agents')).statusCode).toBe(200);
    await local.close();
  });
});

describe('POST /v1/teams/:teamId/messages', () => {
  let app: FastifyInstance;
  const received: TeamMessage[] = [];
  beforeAll(async () => {
    const memory = memoryWith();
    app = await build(withKeys, memory, echoTeams(memory, received));
  });
  afterAll(() => app.close());

  const send = (body: unknown, team = 'default', key = ACME_KEY) =>
    app.inject({ method: 'POST', url: `/v1/teams/${team}/messages`, headers: bearer(key), payload: body as object });

  it('hands the message to the team, scoped to the caller, and returns reply, trace and degradation', async () => {
    const response = await send({ conversationId: 'conv-1', content: 'hello', metadata: { channel: 'web' } });
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-request-id']).toBeDefined();
    expect(response.json()).toEqual({
      conversationId: 'conv-1',
      reply: { content: 'heard 1 turn(s)', agent: 'echo', model: 'offline', provider: 'offline' },
      trace: [ECHO_STEP],
      degraded: [],
    });
    expect(received.at(-1)).toEqual({ conversationId: '4.acme:conv-1', content: 'hello', tenantId: 'acme', metadata: { channel: 'web' } });
  });

  it('refuses a blank message with 400 naming it, before the team hears of it (found by schemathesis)', async () => {
    const heard = received.length;
    const response = await send({ conversationId: 'conv-1', content: '\u00a0\ufeff\u3000' });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({ code: 'ORCH_INVALID_REQUEST', details: { problems: [{ path: 'body.content' }] } });
    expect(received.length).toBe(heard);
    expect((await send({ conversationId: 'conv-1', content: ' \u00a0x' })).statusCode).toBe(200);
  });

  it('refuses metadata memory would refuse with 400 naming the key, before the team hears of it', async () => {
    const heard = received.length;
    const response = await send({ conversationId: 'conv-1', content: 'hi', metadata: { __x__: 1, deep: { $where: 'x' } } });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({ code: 'ORCH_INVALID_REQUEST' });
    expect(response.json().error.details.problems.map((p: { path: string }) => p.path).sort()).toEqual(['body.metadata.__x__', 'body.metadata.deep.$where']);
    // The team stores the message with its own teamId: one key is left for it.
    const keys = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));
    expect((await send({ conversationId: 'conv-1', content: 'hi', metadata: keys(MAX_METADATA_KEYS) })).json().error.details.problems).toEqual([
      { path: 'body.metadata', message: `must NOT have more than ${MAX_METADATA_KEYS - 1} properties` },
    ]);
    expect(received.length).toBe(heard);
    expect((await send({ conversationId: 'conv-1', content: 'hi', metadata: keys(MAX_METADATA_KEYS - 1) })).statusCode).toBe(200);
  });

  it('returns every field of every trace step, attempts included', async () => {
    expect(traceSchemaMatchesTraceStep).toBe(true);
    const trace: TraceStep[] = [
      { agent: 'coordinator', action: 'delegate', detail: 'planner: plan the trip', startedAt: '2025-03-01T10:00:00.000Z', durationMs: 1234.56 },
      {
        agent: 'planner',
        action: 'llm-call',
        detail: 'stop',
        deployment: 'fallback-gemini',
        provider: 'vertex-gemini',
        model: 'gemini-2.5-flash',
        attempts: [
          { deployment: 'primary', provider: 'openai-compatible', model: 'gpt-4o', outcome: 'skipped-cooldown', durationMs: 0 },
          { deployment: 'secondary', provider: 'openai-compatible', model: 'gpt-4o-mini', outcome: 'error', errorKind: 'rate-limit', status: 429, durationMs: 12.5 },
          { deployment: 'fallback-gemini', provider: 'vertex-gemini', model: 'gemini-2.5-flash', outcome: 'ok', durationMs: 830.25 },
        ],
        startedAt: '2025-03-01T10:00:00.100Z',
        durationMs: 845.1,
      },
      { agent: 'planner', action: 'tool-call', detail: 'search: flights', startedAt: '2025-03-01T10:00:01.000Z', durationMs: 3 },
      { agent: 'planner', action: 'answer', startedAt: '2025-03-01T10:00:01.200Z', durationMs: 0 },
    ];
    const tracing: TeamDirectory = {
      get: () => ({ processMessage: async () => ({ reply: { content: 'done', agent: 'planner' }, trace, memory: { degraded: [] }, agents: { degraded: [], failures: [] } }) }),
      describe: () => [],
    };
    const traced = await build(withKeys, memoryWith(), tracing);
    const response = await traced.inject({ method: 'POST', url: '/v1/teams/default/messages', headers: bearer(ACME_KEY), payload: { conversationId: 'c', content: 'x' } });
    expect(response.statusCode).toBe(200);
    expect(response.json().trace).toEqual(trace);
    await traced.close();
  });

  it('keeps tenants apart even with the same conversation id', async () => {
    await send({ conversationId: 'shared', content: 'acme 1' });
    await send({ conversationId: 'shared', content: 'acme 2' });
    const globex = await send({ conversationId: 'shared', content: 'globex 1' }, 'default', GLOBEX_KEY);
    expect(globex.json().reply.content).toBe('heard 1 turn(s)');
  });

  it.each<[string, unknown, RegExp]>([
    ['a missing content', { conversationId: 'c' }, /body.content/],
    ['an empty content', { conversationId: 'c', content: '' }, /body.content: must NOT have fewer than 1 characters/],
    ['a number as content', { conversationId: 'c', content: 42 }, /body.content: must be string/],
    ['a bad conversation id', { conversationId: 'has spaces', content: 'x' }, /body.conversationId: must match pattern/],
    ['an unknown field', { conversationId: 'c', content: 'x', colour: 'red' }, /body.colour: must NOT have additional properties/],
  ])('rejects %s with 400 naming the field', async (_case, body, message) => {
    const response = await send(body);
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({ code: 'ORCH_INVALID_REQUEST', message: expect.stringMatching(message) });
  });

  it('rejects a body that is not JSON with 400, not 500', async () => {
    const response = await app.inject({ method: 'POST', url: '/v1/teams/default/messages', headers: { ...bearer(ACME_KEY), 'content-type': 'application/json' }, payload: '{"conversationId":' });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toMatch(/FST_ERR_CTP_INVALID_JSON_BODY|ORCH/);
  });

  it('answers 404 for an unknown team', async () => {
    const response = await send({ conversationId: 'c', content: 'x' }, 'nope');
    expect(response.statusCode).toBe(404);
    expect(response.json().error).toEqual({ code: 'ORCH_TEAM_NOT_FOUND', message: 'no team "nope"; GET /v1/agents lists the teams' });
  });

  it('answers 413 for an oversized body', async () => {
    const small = await build({ ...withKeys, [S.bodyLimitBytes]: '1024' });
    const response = await small.inject({ method: 'POST', url: '/v1/teams/default/messages', headers: bearer(ACME_KEY), payload: { conversationId: 'c', content: 'x'.repeat(2000) } });
    expect(response.statusCode).toBe(413);
    expect(response.json().error.code).toBe('FST_ERR_CTP_BODY_TOO_LARGE');
    await small.close();
  });

  it('answers 502 when every model failed, with the attempts but no internals', async () => {
    const failing: TeamDirectory = {
      get: () => ({
        processMessage: async () => {
          const attempts = [{ deployment: 'primary', provider: 'fake', model: 'm', outcome: 'error' as const, errorKind: 'rate-limit' as const, durationMs: 1 }];
          throw new LlmRouterError(attempts, new LlmError('rate-limit', 'secret upstream detail'));
        },
      }),
      describe: () => [],
    };
    const app502 = await build(withKeys, memoryWith(), failing);
    const response = await app502.inject({ method: 'POST', url: '/v1/teams/default/messages', headers: bearer(ACME_KEY), payload: { conversationId: 'c', content: 'x' } });
    expect(response.statusCode).toBe(502);
    expect(response.json().error).toEqual({
      code: 'ORCH_LLM_UNAVAILABLE',
      message: 'every configured model failed to answer',
      details: { attempts: [{ deployment: 'primary', provider: 'fake', model: 'm', outcome: 'error', errorKind: 'rate-limit', durationMs: 1 }] },
    });
    expect(response.body).not.toContain('secret upstream detail');
    await app502.close();
  });

  it("answers 200 with the failure in degraded when a member's model fails, the error itself only in the logs", async () => {
    const memory = memoryWith();
    const down: LlmClient = {
      deployments: ['offline'],
      chat: async () => {
        throw new LlmRouterError([{ deployment: 'offline', provider: 'offline', model: 'offline', outcome: 'error', errorKind: 'server', durationMs: 1 }], new LlmError('server', 'secret upstream detail'));
      },
    };
    const catalog = await loadTeams(join(__dirname, '../../../runtime/teams'), { registry: createDefaultRegistry(), memory, llm: down });
    const logs: string[] = [];
    const logged = await buildApp(
      { config: parseRuntimeConfig(withKeys), memory, teams: { get: (id) => catalog.get(id), describe: () => [] }, agents: { list: () => [] } },
      { logger: { level: 'warn', stream: { write: (line: string) => logs.push(line) } } },
    );
    const response = await logged.inject({ method: 'POST', url: '/v1/teams/default/messages', headers: bearer(ACME_KEY), payload: { conversationId: 'c', content: 'Explain tides' } });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.reply).toEqual({ agent: 'coordinator', content: 'Member "researcher" could not answer this request: no model answered (offline server).' });
    expect(body.degraded).toEqual(['agent researcher: failed (llm-unavailable): no model answered (offline server)']);
    expect(body.trace.map((s: TraceStep) => [s.agent, s.action])).toEqual([['coordinator', 'delegate'], ['researcher', 'llm-call'], ['coordinator', 'answer']]);
    expect(response.body).not.toContain('secret upstream detail');
    const warning = logs.map((l) => JSON.parse(l)).find((l) => l.agent === 'researcher');
    expect(warning).toMatchObject({ kind: 'llm-unavailable', err: { message: expect.stringContaining('secret upstream detail') } });
    await logged.close();
  });

  it('hides the details of an unexpected error behind a 500', async () => {
    const crashing: TeamDirectory = { get: () => ({ processMessage: async () => { throw new Error('secret internal detail at db.ts:42'); } }), describe: () => [] };
    const app500 = await build(withKeys, memoryWith(), crashing);
    const response = await app500.inject({ method: 'POST', url: '/v1/teams/default/messages', headers: bearer(ACME_KEY), payload: { conversationId: 'c', content: 'x' } });
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('secret internal detail');
    expect(response.json().error.code).toBe('ORCH_INTERNAL');
    await app500.close();
  });
});

describe('memory routes', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await build(withKeys);
  });
  afterAll(() => app.close());

  const post = (url: string, payload: object, key = ACME_KEY) => app.inject({ method: 'POST', url, headers: bearer(key), payload });

  it('refuses a blank query at the API with 400 naming it, as the schema says (found by schemathesis)', async () => {
    const blank = await post('/v1/memory/search', { query: '\u00a0\t\ufeff', conversationId: 'c1' });
    expect(blank.statusCode).toBe(400);
    expect(blank.json().error).toMatchObject({ code: 'ORCH_INVALID_REQUEST', details: { problems: [{ path: 'body.query' }] } });
  });

  it('stores, searches and forgets within the caller’s tenant', async () => {
    const stored = await post('/v1/memory', { item: { id: 'fact-1', content: 'the office plant is a fern', conversationId: 'c1' }, importance: 'high' });
    expect(stored.statusCode).toBe(201);
    expect(stored.json()).toEqual({ id: 'fact-1', importance: 'high', written: ['short-term', 'mid-term', 'long-term'], degraded: [] });

    const search = await post('/v1/memory/search', { query: 'what plant is in the office', conversationId: 'c1' });
    expect(search.statusCode).toBe(200);
    const context = search.json();
    expect(context.recent).toEqual([expect.objectContaining({ id: 'fact-1', conversationId: 'c1', content: 'the office plant is a fern' })]);
    expect(context.semantic[0]).toEqual({ item: expect.objectContaining({ id: 'fact-1' }), score: expect.any(Number) });
    expect(JSON.stringify(context)).not.toContain('acme:');

    const other = await post('/v1/memory/search', { query: 'what plant is in the office', conversationId: 'c1' }, GLOBEX_KEY);
    expect(other.json()).toMatchObject({ recent: [], related: [], semantic: [] });

    const forgotten = await app.inject({ method: 'DELETE', url: '/v1/conversations/c1', headers: bearer(ACME_KEY) });
    expect(forgotten.json()).toEqual({
      conversationId: 'c1',
      removed: { 'short-term': 1, 'mid-term': 1, 'long-term': 1 },
      receipt: expect.objectContaining({ target: { kind: 'conversation', id: 'c1' }, state: 'complete' }),
    });
    expect((await post('/v1/memory/search', { query: 'plant', conversationId: 'c1' })).json().semantic).toEqual([]);
  });

  it('stores when an item occurred and limits every part of a search to a time range [occurredAfter, occurredBefore)', async () => {
    const conversationId = 'trip-dates';
    const turns = [
      { id: 'trip-1', content: 'we booked the Lisbon trip', occurredAt: '2025-03-10T09:00:00Z' },
      { id: 'trip-2', content: 'the Lisbon trip moved to June', occurredAt: '2025-04-02T09:00:00+02:00' },
      { id: 'trip-3', content: 'back from the Lisbon trip' },
    ];
    for (const turn of turns) expect((await post('/v1/memory', { item: { ...turn, conversationId }, importance: 'high' })).statusCode).toBe(201);

    const search = async (range: object) => (await post('/v1/memory/search', { query: 'when was the Lisbon trip', conversationId, ...range })).json();
    const all = await search({});
    // Normalized to UTC; without occurredAt an item occurred when it was stored.
    expect(all.recent.map((i: { id: string; occurredAt: string }) => [i.id, i.occurredAt])).toEqual([
      ['trip-1', '2025-03-10T09:00:00.000Z'],
      ['trip-2', '2025-04-02T07:00:00.000Z'],
      ['trip-3', expect.stringMatching(/^\d{4}-\d\d-\d\dT/)],
    ]);
    const trip3 = all.recent[2];
    expect(trip3.occurredAt).toBe(trip3.createdAt);

    const april = await search({ occurredAfter: '2025-04-01T00:00:00Z', occurredBefore: '2025-05-01T00:00:00Z' });
    const ids = (items: { id: string }[]) => items.map((i) => i.id);
    expect(ids(april.recent)).toEqual(['trip-2']);
    expect(april.related).toEqual([]);
    expect(april.semantic.map((m: { item: { id: string } }) => m.item.id)).toEqual(['trip-2']);
    const before = await search({ occurredBefore: '2025-04-02T07:00:00Z' }); // trip-2 exactly at the end: not within
    expect(ids(before.recent)).toEqual(['trip-1']);
    expect(before.semantic.map((m: { item: { id: string } }) => m.item.id)).toEqual(['trip-1']);
  });

  it('refuses a bad occurredAt or time range with 400 naming the field, storing nothing; a reversed range is an empty one', async () => {
    const bad = await post('/v1/memory', { item: { id: 'when-1', content: 'x', occurredAt: 'last tuesday' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ code: 'ORCH_INVALID_REQUEST', details: { problems: [expect.objectContaining({ path: 'body.item.occurredAt' })] } });
    const notStored = await post('/v1/memory/search', { query: 'x', conversationId: 'when' });
    expect(notStored.json().recent).toEqual([]);

    const badRange = await post('/v1/memory/search', { query: 'x', conversationId: 'when', occurredAfter: 'yesterday' });
    expect(badRange.statusCode).toBe(400);
    expect(badRange.json().error).toMatchObject({ details: { problems: [expect.objectContaining({ path: 'body.occurredAfter' })] } });

    // Schema-valid (no JSON Schema compares two fields; schemathesis sent one): answered, with nothing in it.
    await post('/v1/memory', { item: { id: 'when-2', content: 'x', conversationId: 'when', occurredAt: '2025-04-15T00:00:00Z' } });
    const reversed = await post('/v1/memory/search', { query: 'x', conversationId: 'when', occurredAfter: '2025-05-01T00:00:00Z', occurredBefore: '2025-04-01T00:00:00Z' });
    expect(reversed.statusCode).toBe(200);
    expect(reversed.json()).toEqual({ recent: [], related: [], semantic: [], degraded: [] });
    const around = await post('/v1/memory/search', { query: 'x', conversationId: 'when', occurredAfter: '2025-04-01T00:00:00Z', occurredBefore: '2025-05-01T00:00:00Z' });
    expect(around.json().recent.map((i: { id: string }) => i.id)).toEqual(['when-2']);
  });

  it('keeps tenant "a" and tenant "a:b" apart when their ids would join the same (b:c / c)', async () => {
    const [A, AB] = ['a-key-0123456789abcdef', 'ab-key-0123456789abcdef'];
    const shared = await build({ ...withKeys, [S.apiKeys]: `a=${A},a:b=${AB}` });
    const store = (key: string, id: string, content: string) =>
      shared.inject({ method: 'POST', url: '/v1/memory', headers: bearer(key), payload: { item: { id, content, conversationId: id }, importance: 'high' } });
    const search = (key: string, conversationId: string) =>
      shared.inject({ method: 'POST', url: '/v1/memory/search', headers: bearer(key), payload: { query: 'the alarm code', conversationId } }).then((r) => r.json());
    const contents = (context: { recent: { content: string }[]; related: { content: string }[]; semantic: { item: { content: string } }[] }) => [
      ...context.recent.map((i) => i.content),
      ...context.related.map((i) => i.content),
      ...context.semantic.map((m) => m.item.content),
    ];

    expect((await store(A, 'b:c', 'the alarm code of a is 1234')).statusCode).toBe(201);
    expect((await store(AB, 'c', 'the alarm code of a:b is 9999')).statusCode).toBe(201);
    const ofA = await search(A, 'b:c');
    expect(ofA.recent).toEqual([expect.objectContaining({ id: 'b:c', conversationId: 'b:c', content: 'the alarm code of a is 1234' })]);
    expect(contents(ofA)).not.toContain('the alarm code of a:b is 9999');
    const ofAB = await search(AB, 'c');
    expect(ofAB.recent).toEqual([expect.objectContaining({ id: 'c', conversationId: 'c', content: 'the alarm code of a:b is 9999' })]);
    expect(contents(ofAB)).not.toContain('the alarm code of a is 1234');

    const forgotten = await shared.inject({ method: 'DELETE', url: '/v1/conversations/c', headers: bearer(AB) });
    expect(forgotten.json().removed).toEqual({ 'short-term': 1, 'mid-term': 1, 'long-term': 1 });
    expect(contents(await search(A, 'b:c'))).toContain('the alarm code of a is 1234');
    expect(contents(await search(AB, 'c'))).toEqual([]);
    await shared.close();
  });

  it('rejects a bad item with 400 naming the field, and an unknown importance', async () => {
    const bad = await post('/v1/memory', { item: { id: 'x', content: '' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/body.item.content/);
    const importance = await post('/v1/memory', { item: { id: 'x', content: 'y' }, importance: 'urgent' });
    expect(importance.statusCode).toBe(400);
    expect(importance.json().error.message).toMatch(/body.importance/);
  });

  it('refuses metadata Firestore would refuse forever with 400 naming the key, and stores nothing', async () => {
    const deep = { a: { b: { c: { d: { e: 1 } } } } };
    const response = await post('/v1/memory', {
      item: { id: 'meta-1', content: 'x', conversationId: 'meta', metadata: { '': 1, __x__: 2, $inc: 3, 'a.b': 4, deep, big: 'x'.repeat(MAX_METADATA_VALUE_BYTES), 'a/b~c': { __y__: 5 }, grid: [[1]] } },
      importance: 'high',
    });
    expect(response.statusCode).toBe(400);
    const { error } = response.json();
    expect(error.code).toBe('ORCH_INVALID_REQUEST');
    expect(Object.fromEntries(error.details.problems.map((p: { path: string; message: string }) => [p.path, p.message]))).toEqual({
      'body.item.metadata.': 'a non-empty key',
      'body.item.metadata.__x__': expect.stringMatching(/__name__/),
      'body.item.metadata.$inc': expect.stringMatching(/\$/),
      'body.item.metadata.a.b': 'a key without "."',
      'body.item.metadata.deep.a.b.c.d': `at most ${MAX_METADATA_DEPTH} levels of objects and arrays, metadata included`,
      'body.item.metadata.big': `at most ${MAX_METADATA_VALUE_BYTES} bytes as JSON`,
      // FerretDB v1 refused it on every write: a 503 before (found by schemathesis).
      'body.item.metadata.grid.0': expect.stringMatching(/array directly inside an array/),
      // A key holding JSON Pointer's own characters is named as sent.
      'body.item.metadata.a/b~c.__y__': expect.stringMatching(/__name__/),
    });
    expect(error.message).toContain('body.item.metadata.__x__');
    expect((await post('/v1/memory/search', { query: 'x', conversationId: 'meta' })).json().recent).toEqual([]);

    const ok = await post('/v1/memory', { item: { id: 'meta-2', content: 'x', metadata: { channel: 'web', nested: { a: { b: { c: 1 } } } } }, importance: 'medium' });
    expect(ok.statusCode).toBe(201);
  });

  it('documents the metadata rules in the OpenAPI document', async () => {
    const doc = (await app.inject('/docs/json')).json();
    const metadata = doc.paths['/v1/memory'].post.requestBody.content['application/json'].schema.properties.item.properties.metadata;
    expect(metadata).toMatchObject({ type: 'object', maxProperties: MAX_METADATA_KEYS, description: expect.stringMatching(/__name__.*\$.*"\."/) });
  });

  it('answers 503 when a durable layer refuses the write', async () => {
    const mid = new EmbeddedMidTermStore();
    const down = Object.assign(Object.create(Object.getPrototypeOf(mid)), mid, {
      upsert: async () => {
        throw new Error('connection refused');
      },
    });
    const app503 = await build(withKeys, memoryWith(down));
    const response = await app503.inject({ method: 'POST', url: '/v1/memory', headers: bearer(ACME_KEY), payload: { item: { id: 'x', content: 'y' }, importance: 'medium' } });
    expect(response.statusCode).toBe(503);
    expect(response.json().error).toMatchObject({ code: new MemoryWriteError([], []).code, details: { failures: [{ layer: 'mid-term', reason: 'connection refused' }] } });
    await app503.close();
  });

  it('rejects bad conversation ids in the path', async () => {
    const response = await app.inject({ method: 'DELETE', url: '/v1/conversations/bad%20id', headers: bearer(ACME_KEY) });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.message).toMatch(/params.conversationId/);
  });
});

describe('service surface', () => {
  it('lists agents and teams', async () => {
    const app = await build({});
    expect((await app.inject('/v1/agents')).json()).toEqual({
      agents: [{ name: 'echo', description: 'repeats', capabilities: ['echo'] }],
      teams: [{ id: 'default', coordinator: 'echo', agents: ['echo'] }],
    });
    await app.close();
  });

  it('serves an OpenAPI document describing every route and the error shape', async () => {
    const app = await build({});
    const doc = (await app.inject('/docs/json')).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        '/healthz',
        '/readyz',
        '/v1/admin/tenants/{tenant}/memory',
        '/v1/agents',
        '/v1/conversations/{conversationId}',
        '/v1/memory',
        '/v1/memory/erasures/{receiptId}',
        '/v1/memory/items/{itemId}',
        '/v1/memory/search',
        '/v1/teams/{teamId}/messages',
        '/v1/teams/{teamId}/runs/{runId}/approval',
      ].sort(),
    );
    expect(doc.components.schemas.ErrorResponse).toBeDefined();
    await app.close();
  });

  it('describes the trace steps of a message reply in the OpenAPI document', async () => {
    const app = await build({});
    const doc = (await app.inject('/docs/json')).json();
    const step = doc.components.schemas.TraceStep;
    expect(Object.keys(step.properties).sort()).toEqual(['action', 'agent', 'attempts', 'deployment', 'detail', 'durationMs', 'model', 'provider', 'startedAt', 'tool', 'usage'].sort());
    expect(step.required.sort()).toEqual(['action', 'agent', 'durationMs', 'startedAt']);
    expect(step.properties.action).toMatchObject({ type: 'string', enum: ['delegate', 'answer', 'llm-call', 'tool-call'] });
    expect(step.properties.startedAt).toMatchObject({ type: 'string', format: 'date-time' });
    expect(step.properties.durationMs.type).toBe('number');

    const attempt = step.properties.attempts.items;
    expect(step.properties.attempts.type).toBe('array');
    expect(Object.keys(attempt.properties).sort()).toEqual(['deployment', 'durationMs', 'errorKind', 'model', 'outcome', 'provider', 'status'].sort());
    expect(attempt.required.sort()).toEqual(['deployment', 'durationMs', 'model', 'outcome', 'provider']);
    expect(attempt.properties.outcome.enum).toEqual(['ok', 'error', 'skipped-cooldown']);
    expect(attempt.properties.errorKind.enum.sort()).toEqual(
      ['rate-limit', 'server', 'timeout', 'network', 'auth', 'not-found', 'context-window', 'bad-request', 'content-filter'].sort(),
    );

    const reply = doc.paths['/v1/teams/{teamId}/messages'].post.responses['200'].content['application/json'].schema;
    expect(reply.properties.trace).toMatchObject({ type: 'array', items: { $ref: '#/components/schemas/TraceStep' } });
    await app.close();
  });

  it('answers unknown routes with 404 in the error shape', async () => {
    const app = await build({});
    const response = await app.inject('/v2/nothing?x=1');
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: { code: 'ORCH_NOT_FOUND', message: 'no route GET /v2/nothing' } });
    await app.close();
  });

  it('answers a known path asked with another method with 405 and Allow, in the error shape', async () => {
    const app = await build(withKeys);
    const wrong = await app.inject({ method: 'GET', url: '/v1/memory?x=1', headers: bearer(ACME_KEY) });
    expect(wrong.statusCode).toBe(405);
    expect(wrong.headers.allow).toBe('POST');
    expect(wrong.json()).toEqual({ error: { code: 'ORCH_METHOD_NOT_ALLOWED', message: expect.stringContaining('GET is not allowed on /v1/memory') } });
    // A path with parameters, and fastify's HEAD beside GET.
    expect((await app.inject({ method: 'POST', url: '/v1/conversations/c1' })).headers.allow).toBe('DELETE');
    const health = await app.inject({ method: 'DELETE', url: '/healthz' });
    expect([health.statusCode, health.headers.allow]).toEqual([405, 'GET, HEAD']);
    expect((await app.inject({ method: 'HEAD', url: '/healthz' })).statusCode).toBe(200);
    // A method that takes a body, sent without one or its Content-Type (schemathesis sends QUERY):
    // still a miss of the router, not a body error.
    const query = await app.inject({ method: 'QUERY' as 'GET', url: '/healthz' });
    expect([query.statusCode, query.headers.allow, query.json().error.code]).toEqual([405, 'GET, HEAD', 'ORCH_METHOD_NOT_ALLOWED']);
    const queryUnknown = await app.inject({ method: 'QUERY' as 'GET', url: '/nowhere' });
    expect([queryUnknown.statusCode, queryUnknown.json().error.code]).toEqual([404, 'ORCH_NOT_FOUND']);
    // Not a known path: still 404, with no Allow.
    const unknown = await app.inject({ method: 'POST', url: '/v1/conversations/c1/extra' });
    expect([unknown.statusCode, unknown.headers.allow, unknown.json().error.code]).toEqual([404, undefined, 'ORCH_NOT_FOUND']);
    await app.close();
  });

  it('matches ids as long as a client may name them, and answers a longer path parameter with 414 in the error shape', async () => {
    const app = await build({});
    const longest = await app.inject({ method: 'DELETE', url: `/v1/conversations/${'c'.repeat(CLIENT_ID_MAX_LENGTH)}` });
    expect(longest.statusCode).toBe(200);
    const tooLong = await app.inject({ method: 'DELETE', url: `/v1/conversations/${'c'.repeat(CLIENT_ID_MAX_LENGTH + 1)}` });
    expect(tooLong.statusCode).toBe(414);
    expect(tooLong.json()).toEqual({ error: { code: 'ORCH_URI_TOO_LONG', message: expect.stringContaining(`${CLIENT_ID_MAX_LENGTH} characters`) } });
    await app.close();
  });

  it('answers a URL over the HTTP parser’s header limit in the error shape', async () => {
    const app = await build({});
    try {
      await app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = app.server.address() as AddressInfo;
      // Node's default maxHeaderSize is 16 KiB; the request line counts towards it.
      const response = await new Promise<{ status?: number; body: string }>((resolve, reject) => {
        const request = httpRequest({ host: '127.0.0.1', port, path: `/v1/conversations/${'c'.repeat(20_000)}`, method: 'DELETE' }, (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode, body }));
        });
        request.on('error', reject).end();
      });
      expect(response.status).toBe(431);
      expect(JSON.parse(response.body)).toEqual({ error: { code: 'ORCH_HEADERS_TOO_LARGE', message: expect.any(String) } });
    } finally {
      await app.close();
    }
  });

  it('documents the health routes as open and the other answers every route can give', async () => {
    const app = await build(withKeys);
    const doc = (await app.inject('/docs/json')).json();
    expect(doc.security).toEqual([{ apiKey: [] }]);
    expect(doc.paths['/healthz'].get.security).toEqual([]);
    expect(doc.paths['/readyz'].get.security).toEqual([]);
    expect(doc.paths['/v1/agents'].get.security).toBeUndefined();
    expect(doc.info.description).toMatch(/405 with an Allow header/);
    expect(doc.paths['/v1/conversations/{conversationId}'].delete.responses['414'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/ErrorResponse' });
    await app.close();
  });

  it('rate limits per tenant with 429', async () => {
    const app = await build({ ...withKeys, [S.rateLimitPerMinute]: '3' });
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) codes.push((await app.inject({ url: '/v1/agents', headers: bearer(ACME_KEY) })).statusCode);
    expect(codes).toEqual([200, 200, 200, 429]);
    const limited = await app.inject({ url: '/v1/agents', headers: bearer(ACME_KEY) });
    expect(limited.json().error.code).toBe('ORCH_RATE_LIMITED');
    expect((await app.inject({ url: '/v1/agents', headers: bearer(GLOBEX_KEY) })).statusCode).toBe(200);
    await app.close();
  });

  it('keeps a well-formed caller request id and replaces a malformed one', async () => {
    const app = await build({});
    expect((await app.inject({ url: '/healthz', headers: { 'x-request-id': 'trace-abc-123' } })).headers['x-request-id']).toBe('trace-abc-123');
    expect((await app.inject({ url: '/healthz', headers: { 'x-request-id': 'bad id with spaces' } })).headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    await app.close();
  });
});
