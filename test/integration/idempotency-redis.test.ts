import Redis from 'ioredis';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { AgentTeam, createDefaultRegistry } from '../../runtime/src/agents';
import { RuntimeSettings as S, parseRuntimeConfig } from '../../runtime/src/contract';
import { ModelRouter } from '../../runtime/src/llm/router';
import { createMemory } from '../../runtime/src/memory/create-memory';
import type { LayeredMemoryManager } from '../../runtime/src/memory/manager';
import { buildApp } from '../../runtime/src/server/app';
import { uniqueId } from '../runtime/contracts/harness';
import { heldModel } from '../runtime/held-model';
import { startRedis } from '../servers/redis-server';
import { RESEARCHER_TEAM } from '../helpers/researcher-team';

// Idempotency-Key records in Redis, shared by every instance of the service (Cloud Run runs
// several): two apps on one real redis-server on loopback stand for two instances, and a retry
// that reaches the other one is answered from the first one's record. The semantics themselves
// (IETF draft-ietf-httpapi-idempotency-key-header) are tested in test/runtime/server/idempotency.test.ts.

const TEAM = RESEARCHER_TEAM;
const ACME_KEY = 'acme-key-0123456789abcdef';
const GLOBEX_KEY = 'globex-key-0123456789abcdef';

let redis: Awaited<ReturnType<typeof startRedis>>;
let raw: Redis;
beforeAll(async () => {
  redis = await startRedis();
  raw = new Redis(redis.url);
});
afterAll(async () => {
  raw.disconnect();
  await redis.stop();
});

const opened: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((app) => app.close()));
});

interface Instance {
  readonly app: FastifyInstance;
  readonly memory: LayeredMemoryManager;
  readonly model: ReturnType<typeof heldModel>;
}

/** One instance of the service on `redisUrl` and `namespace`, its member's model held until released. */
async function instance(namespace: string, options: { redisUrl?: string; env?: Record<string, string>; release?: boolean } = {}): Promise<Instance> {
  const config = parseRuntimeConfig({
    [S.environment]: 'staging',
    [S.apiKeys]: `acme=${ACME_KEY},globex=${GLOBEX_KEY}`,
    [S.llmConfig]: JSON.stringify({ deployments: [{ name: 'offline', provider: 'offline', model: 'offline' }], allowOfflineOnly: true }),
    [S.redisUrl]: options.redisUrl ?? redis.url,
    [S.memoryNamespace]: namespace,
    ...options.env,
  });
  const reconnect = { initialDelayMs: 20, maxDelayMs: 100 };
  const memory = createMemory(config.memory, config.google, { reconnect });
  await memory.init();
  const model = heldModel('from the model');
  if (options.release !== false) model.release();
  const registry = createDefaultRegistry({ baseDir: join(__dirname, '..', 'runtime', 'agents', 'fixtures') });
  const team = await AgentTeam.create(TEAM, { registry, memory, llm: new ModelRouter({ deployments: [{ name: 'primary', model: model.model }], retries: 0 }) });
  const app = await buildApp(
    { config, memory, teams: { get: (id) => (id === 'default' ? team : undefined), describe: () => [] }, agents: { list: () => [] } },
    { logger: false, reconnect },
  );
  opened.push(app);
  return { app, memory, model };
}

const message = { conversationId: 'c1', content: 'Explain tides' };
const send = (app: FastifyInstance, key: string | undefined, options: { tenant?: string; payload?: object } = {}) =>
  app.inject({
    method: 'POST',
    url: '/v1/teams/default/messages',
    headers: { authorization: `Bearer ${options.tenant ?? ACME_KEY}`, ...(key === undefined ? {} : { 'idempotency-key': key }) },
    payload: options.payload ?? message,
  });
const recordKey = (namespace: string, tenant: string, key: string) => `${namespace}:idempotency:${tenant.length}.${tenant}:POST /v1/teams/:teamId/messages ${key}`;

describe('Idempotency-Key records in Redis', () => {
  it('answer a retry that reaches another instance with the first answer, storing no turn twice', async () => {
    const namespace = uniqueId('idem');
    const [a, b] = [await instance(namespace), await instance(namespace)];
    const first = await send(a.app, 'k-1');
    expect(first.statusCode).toBe(200);
    const retry = await send(b.app, 'k-1');
    expect(retry.statusCode).toBe(200);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toBe(first.body);
    expect([a.model.calls(), b.model.calls()]).toEqual([1, 0]);
    // Short-term memory is the shared Redis: both instances read the same two turns.
    for (const { memory } of [a, b]) {
      const { recent } = await memory.retrieveContext('tides', '4.acme:c1', { tenantId: 'acme' });
      expect(recent.map((i) => `${i.role}: ${i.content}`)).toEqual(['user: Explain tides', 'assistant: from the model']);
    }
  });

  it('hold a claim while the first request runs: another instance answers 409 with Retry-After, then the answer', async () => {
    const namespace = uniqueId('idem');
    const a = await instance(namespace, { release: false });
    const b = await instance(namespace);
    const first = send(a.app, 'k-2');
    await a.model.called;

    const claim = JSON.parse((await raw.get(recordKey(namespace, 'acme', 'k-2')))!);
    expect(claim).toMatchObject({ state: 'running', fingerprint: expect.any(String), token: expect.any(String) });
    // The claim lasts no longer than the request deadline (ORCHESTRA_REQUEST_TIMEOUT_MS, 240 s).
    expect(await raw.pttl(recordKey(namespace, 'acme', 'k-2'))).toBeLessThanOrEqual(240_000);

    const concurrent = await send(b.app, 'k-2');
    expect(concurrent.statusCode).toBe(409);
    expect(concurrent.headers['retry-after']).toBe('1');
    expect((await send(b.app, 'k-2', { payload: { conversationId: 'c1', content: 'Explain the moon' } })).statusCode).toBe(422);

    a.model.release();
    const answered = await first;
    const retry = await send(b.app, 'k-2');
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toBe(answered.body);
    expect(b.model.calls()).toBe(0);
  });

  it('refuse the key with another request, 422, on any instance', async () => {
    const namespace = uniqueId('idem');
    const [a, b] = [await instance(namespace), await instance(namespace)];
    await send(a.app, 'k-3');
    const other = await send(b.app, 'k-3', { payload: { conversationId: 'c9', content: 'Explain tides' } });
    expect(other.statusCode).toBe(422);
    expect(other.json().error.code).toBe('ORCH_IDEMPOTENCY_KEY_REUSED');
    expect(b.model.calls()).toBe(0);
  });

  it('are kept apart per tenant: one key from two tenants is two records, and runs twice', async () => {
    const namespace = uniqueId('idem');
    const a = await instance(namespace);
    await send(a.app, 'k-4', { tenant: ACME_KEY });
    const globex = await send(a.app, 'k-4', { tenant: GLOBEX_KEY });
    expect(globex.headers['idempotent-replayed']).toBeUndefined();
    expect(a.model.calls()).toBe(2);
    expect((await raw.keys(`${namespace}:idempotency:*`)).sort()).toEqual([recordKey(namespace, 'acme', 'k-4'), recordKey(namespace, 'globex', 'k-4')]);
  });

  it('expire after ORCHESTRA_IDEMPOTENCY_TTL_SECONDS by Redis’ own clock, and a retry then runs again', async () => {
    const namespace = uniqueId('idem');
    const a = await instance(namespace, { env: { [S.idempotencyTtlSeconds]: '120' } });
    await send(a.app, 'k-5');
    const key = recordKey(namespace, 'acme', 'k-5');
    expect(JSON.parse((await raw.get(key))!)).toMatchObject({ state: 'done', status: 200 });
    const ttl = await raw.pttl(key);
    expect({ inRange: ttl > 110_000 && ttl <= 120_000 }).toEqual({ inRange: true });

    // Expired by Redis itself, however long the test took so far.
    await raw.pexpire(key, 1);
    let gone = false;
    while (!gone) gone = (await raw.exists(key)) === 0;
    const again = await send(a.app, 'k-5');
    expect(again.headers['idempotent-replayed']).toBeUndefined();
    expect(a.model.calls()).toBe(2);
  });

  it('release the key of a failed first attempt: no record is left, and the retry runs', async () => {
    const namespace = uniqueId('idem');
    const a = await instance(namespace);
    const midTerm = a.memory.layers.midTerm;
    const upsert = midTerm.upsert.bind(midTerm);
    let failures = 1;
    midTerm.upsert = async (...args) => {
      if (failures-- > 0) throw new Error('mid-term down');
      return upsert(...args);
    };
    expect((await send(a.app, 'k-6')).statusCode).toBe(503);
    expect(await raw.exists(recordKey(namespace, 'acme', 'k-6'))).toBe(0);
    expect((await send(a.app, 'k-6')).statusCode).toBe(200);
    expect((await send(a.app, 'k-6')).headers['idempotent-replayed']).toBe('true');
  });
});

describe('an unreachable Redis', () => {
  it('refuses a request with a key 503 with Retry-After (it could otherwise run twice); one without a key still runs', async () => {
    const own = await startRedis();
    const a = await instance(uniqueId('idem'), { redisUrl: own.url });
    try {
      await own.stop();
      const keyed = await send(a.app, 'k-7');
      expect(keyed.statusCode).toBe(503);
      expect(keyed.headers['retry-after']).toBe('1');
      expect(keyed.json().error).toEqual({ code: 'ORCH_IDEMPOTENCY_UNAVAILABLE', message: expect.stringContaining('retry later, or send the request without the key') });
      expect(a.model.calls()).toBe(0);

      const unkeyed = await send(a.app, undefined);
      expect(unkeyed.statusCode).toBe(200);
      expect(unkeyed.json().degraded).toEqual(expect.arrayContaining([expect.stringMatching(/short-term/)]));

      // Back once Redis is: the client reconnects in the background.
      await own.start();
      let status = 0;
      // Polled, bounded under the test timeout: a busy machine waits longer instead of failing.
      for (const deadline = Date.now() + 15_000; status !== 200 && Date.now() < deadline; ) {
        status = (await send(a.app, 'k-7')).statusCode;
        if (status !== 200) await new Promise((r) => setTimeout(r, 20));
      }
      expect(status).toBe(200);
    } finally {
      await own.stop();
    }
  });
});
