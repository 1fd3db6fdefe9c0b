import type { FastifyInstance } from 'fastify';
import Redis from 'ioredis';
import { ValidationError, RuntimeSettings as S } from '../../runtime/src/contract';
import { MemoryOptionsError } from '../../runtime/src/memory/errors';
import { createService } from '../../runtime/src/server/service';
import { startMongo } from '../servers/mongo-server';
import { startRedis } from '../servers/redis-server';
import { sleep, uniqueId } from '../runtime/contracts/harness';

// Starting servers and waiting for clients to reconnect takes seconds; a MongoDB-wire attempt on
// a stopped server lasts the driver's server selection timeout (3 s).
jest.setTimeout(30_000);

/** Small, so recovery is seen soon after the server returns; the bound is the test's timeout, not a sleep. */
const RECONNECT = { initialDelayMs: 20, maxDelayMs: 200 };

/**
 * Polls until `check` holds (no fixed wait). Bounded just under the jest timeout, so a client that
 * never recovers fails the test with its last state instead of polling on after it.
 */
async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 25_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not reached within ${timeoutMs} ms; last: ${JSON.stringify(value)}`);
    await sleep(50);
  }
}

type Layer = { layer: string; backend: string; ok: boolean; detail?: string };
async function readiness(app: FastifyInstance): Promise<{ status: number; layers: Layer[] }> {
  const response = await app.inject('/readyz');
  return { status: response.statusCode, layers: response.json().layers };
}
const layer = (ready: { layers: Layer[] }, name: string) => ready.layers.find((l) => l.layer === name)!;

function store(app: FastifyInstance, importance: 'low' | 'medium', conversationId: string) {
  return app.inject({ method: 'POST', url: '/v1/memory', payload: { item: { id: uniqueId('i'), content: `a ${importance} turn`, conversationId }, importance } });
}

describe('a cold start with Redis down', () => {
  it('starts, says why on /readyz, serves what it can, and recovers when Redis comes up', async () => {
    const redis = await startRedis();
    await redis.stop();
    const { app } = await createService({ [S.redisUrl]: redis.url }, { logger: false, reconnect: RECONNECT });
    try {
      expect((await app.inject('/healthz')).statusCode).toBe(200);
      const down = await readiness(app);
      expect(down.status).toBe(503);
      expect(layer(down, 'short-term')).toMatchObject({ backend: 'redis', ok: false, detail: expect.stringMatching(/connecting \(attempt \d+, next in \d+ ms\): .*ECONNREFUSED/) });
      expect(layer(down, 'mid-term').ok).toBe(true);

      // MEDIUM needs only its durable layer (mid-term): stored, the missing cache named.
      const medium = await store(app, 'medium', 'c1');
      expect(medium.statusCode).toBe(201);
      expect(medium.json()).toMatchObject({ written: ['mid-term'], degraded: [expect.stringMatching(/^short-term: redis .*connecting/)] });
      // LOW lives in short-term only: the documented 503, naming the layer and why.
      const low = await store(app, 'low', 'c1');
      expect(low.statusCode).toBe(503);
      expect(low.json().error).toMatchObject({ code: 'MEMORY_WRITE_FAILED', details: { failures: [{ layer: 'short-term', reason: expect.stringMatching(/ECONNREFUSED/) }] } });
      const search = (await app.inject({ method: 'POST', url: '/v1/memory/search', payload: { query: 'turn', conversationId: 'c1' } })).json();
      expect(search.degraded).toEqual([expect.stringMatching(/^short-term: /)]);
      expect(search.related.map((i: { content: string }) => i.content)).toEqual(['a medium turn']);

      await redis.start();
      const up = await eventually(() => readiness(app), (r) => r.status === 200);
      expect(layer(up, 'short-term')).toMatchObject({ backend: 'redis', ok: true });
      expect((await store(app, 'low', 'c1')).statusCode).toBe(201);
    } finally {
      await app.close();
      await redis.stop();
    }
  });

  it('keeps retrying a refused password, says so, and recovers once the server takes it', async () => {
    const secured = await startRedis({ password: 'the-old-password' });
    const admin = new Redis(secured.url, { password: 'the-old-password' });
    const { app } = await createService({ [S.redisUrl]: secured.url, [S.redisPassword]: 'the-rotated-password' }, { logger: false, reconnect: RECONNECT });
    try {
      expect((await app.inject('/healthz')).statusCode).toBe(200);
      // Attempts go on (the count grows) instead of stopping at the first refusal.
      const refused = await eventually(
        () => readiness(app),
        (r) => Number(/attempt (\d+)/.exec(layer(r, 'short-term').detail ?? '')?.[1]) >= 3,
      );
      expect(refused.status).toBe(503);
      expect(layer(refused, 'short-term')).toMatchObject({ ok: false, detail: expect.stringMatching(/auth refused \(WRONGPASS.*\), retrying \(attempt \d+, next in \d+ ms\)/) });
      expect(JSON.stringify(refused)).not.toMatch(/the-rotated-password|the-old-password/);
      const low = await store(app, 'low', 'c2');
      expect(low.statusCode).toBe(503);
      expect(low.json().error.details.failures).toEqual([{ layer: 'short-term', reason: expect.stringMatching(/auth refused/) }]);

      // The secret is rotated on the server's side: the running service picks it up.
      await admin.config('SET', 'requirepass', 'the-rotated-password');
      const up = await eventually(() => readiness(app), (r) => r.status === 200);
      expect(layer(up, 'short-term').ok).toBe(true);
      expect((await store(app, 'low', 'c2')).statusCode).toBe(201);
    } finally {
      await app.close();
      admin.disconnect();
      await secured.stop();
    }
  });
});

describe('a cold start with the MongoDB-wire server (FerretDB) down', () => {
  it('starts, refuses MEDIUM writes with the 503, and recovers when the server comes up', async () => {
    const mongo = await startMongo();
    await mongo.stop();
    const { app } = await createService({ [S.mongoUri]: mongo.uri, [S.mongoDatabase]: 'coldstart' }, { logger: false, reconnect: RECONNECT });
    try {
      expect((await app.inject('/healthz')).statusCode).toBe(200);
      const down = await readiness(app);
      expect(down.status).toBe(503);
      expect(layer(down, 'mid-term')).toMatchObject({ backend: 'mongodb', ok: false, detail: expect.stringMatching(/^database coldstart: connecting \(attempt \d+, next in \d+ ms\): .*ECONNREFUSED/) });

      // MEDIUM must reach mid-term: no silent loss, the documented 503.
      const medium = await store(app, 'medium', 'c3');
      expect(medium.statusCode).toBe(503);
      expect(medium.json().error).toMatchObject({ code: 'MEMORY_WRITE_FAILED', details: { failures: [{ layer: 'mid-term', reason: expect.stringMatching(/connecting/) }] } });
      // LOW needs only short-term (embedded here).
      expect((await store(app, 'low', 'c3')).statusCode).toBe(201);
      const search = (await app.inject({ method: 'POST', url: '/v1/memory/search', payload: { query: 'turn', conversationId: 'c3' } })).json();
      expect(search.degraded).toEqual([expect.stringMatching(/^mid-term: /)]);
      expect(search.recent.map((i: { content: string }) => i.content)).toContain('a low turn');

      await mongo.start();
      const up = await eventually(() => readiness(app), (r) => r.status === 200);
      expect(layer(up, 'mid-term')).toMatchObject({ backend: 'mongodb', ok: true });
      expect((await store(app, 'medium', 'c3')).statusCode).toBe(201);
    } finally {
      await app.close();
      await mongo.dispose();
    }
  });
});

describe('settings that can never work', () => {
  it.each([
    ['a MongoDB URI the driver cannot parse', { [S.mongoUri]: 'mongodb://127.0.0.1:99999' }, /MongoMidTermStore: invalid options:\n {2}- uri: /],
    ['a Redis URL with a port that is no number', { [S.redisUrl]: 'redis://:secret-in-url@127.0.0.1:sixthousand' }, /RedisShortTermStore: invalid options:\n {2}- url: /],
  ])('still fail the start: %s', async (_what, env, message) => {
    const error = await createService(env, { logger: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MemoryOptionsError);
    expect(ValidationError.isValidationError(error)).toBe(true);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('secret-in-url');
  });
});
