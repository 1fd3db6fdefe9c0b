import { type AddressInfo, connect } from 'node:net';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { AgentTeam, createDefaultRegistry } from '../../../runtime/src/agents';
import { RuntimeSettings as S, parseRuntimeConfig } from '../../../runtime/src/contract';
import { ModelRouter } from '../../../runtime/src/llm/router';
import { type LanguageModel, LlmError } from '../../../runtime/src/llm/types';
import { EmbeddedLongTermStore } from '../../../runtime/src/memory/long-term/embedded-long-term';
import { LayeredMemoryManager } from '../../../runtime/src/memory/manager';
import { EmbeddedMidTermStore } from '../../../runtime/src/memory/mid-term/embedded-mid-term';
import { EmbeddedShortTermStore } from '../../../runtime/src/memory/short-term/embedded-short-term';
import type { MidTermStore } from '../../../runtime/src/memory/types';
import { buildApp } from '../../../runtime/src/server/app';
import { InProcessIdempotencyRecords } from '../../../runtime/src/server/idempotency/in-process-records';
import type { IdempotencyRecords } from '../../../runtime/src/server/idempotency/records';
import { heldModel } from '../held-model';
import { RESEARCHER_TEAM } from '../../helpers/researcher-team';

// Idempotency-Key on the two routes that write: the IETF draft "The Idempotency-Key HTTP Header
// Field" (draft-ietf-httpapi-idempotency-key-header-07): a retry after the first request completed
// gets its result; a retry while it runs, 409; the key with another payload, 422. Stripe's
// `Idempotent-Replayed: true` marks a replayed answer. Here with the records in process (the
// embedded default); test/integration/idempotency-redis.test.ts runs them on Redis.

const TEAM = RESEARCHER_TEAM;

const ACME_KEY = 'acme-key-0123456789abcdef';
const GLOBEX_KEY = 'globex-key-0123456789abcdef';
const ENV = {
  [S.environment]: 'staging',
  [S.apiKeys]: `acme=${ACME_KEY},globex=${GLOBEX_KEY}`,
  [S.llmConfig]: JSON.stringify({ deployments: [{ name: 'offline', provider: 'offline', model: 'offline' }], allowOfflineOnly: true }),
};

interface Served {
  readonly app: FastifyInstance;
  readonly memory: LayeredMemoryManager;
  readonly stores: () => number;
}

/** The service with a real team whose member's model is `model` (a released held model unless given). */
async function serve(options: { env?: Record<string, string>; records?: IdempotencyRecords; midTerm?: MidTermStore; model?: LanguageModel } = {}): Promise<Served> {
  const model = options.model ?? released().model;
  const memory = new LayeredMemoryManager({ shortTerm: new EmbeddedShortTermStore(), midTerm: options.midTerm ?? new EmbeddedMidTermStore(), longTerm: new EmbeddedLongTermStore() });
  let stores = 0;
  const store = memory.store.bind(memory);
  memory.store = (...args) => ((stores += 1), store(...args));
  const registry = createDefaultRegistry({ baseDir: join(__dirname, '..', 'agents', 'fixtures') });
  const llm = new ModelRouter({ deployments: [{ name: 'primary', model }], retries: 0 });
  const team = await AgentTeam.create(TEAM, { registry, memory, llm });
  const app = await buildApp(
    {
      config: parseRuntimeConfig(options.env ?? ENV),
      memory,
      teams: { get: (id) => (id === 'default' ? team : undefined), describe: () => [] },
      agents: { list: () => [] },
      ...(options.records ? { idempotency: options.records } : {}),
    },
    { logger: false },
  );
  return { app, memory, stores: () => stores };
}

function released(text?: string) {
  const held = heldModel(text);
  held.release();
  return held;
}

const message = { conversationId: 'c1', content: 'Explain tides' };

// Closed whether the test passed or not: a listening server left open would hold jest.
const afterTest: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(afterTest.splice(0).map((close) => close()));
});
const send = (app: FastifyInstance, key: string | undefined, options: { tenant?: string; payload?: object } = {}) =>
  app.inject({
    method: 'POST',
    url: '/v1/teams/default/messages',
    headers: { authorization: `Bearer ${options.tenant ?? ACME_KEY}`, ...(key === undefined ? {} : { 'idempotency-key': key }) },
    payload: options.payload ?? message,
  });
const storeItem = (app: FastifyInstance, key: string, item: object = { id: 'note-1', content: 'the door code is 4711' }, tenant = ACME_KEY) =>
  app.inject({ method: 'POST', url: '/v1/memory', headers: { authorization: `Bearer ${tenant}`, 'idempotency-key': key }, payload: { item, importance: 'medium' } });

/** The conversation's turns as the tenant's client reads them back. */
async function turns(app: FastifyInstance, conversationId = 'c1', tenant = ACME_KEY): Promise<string[]> {
  const response = await app.inject({ method: 'POST', url: '/v1/memory/search', headers: { authorization: `Bearer ${tenant}` }, payload: { query: 'tides', conversationId } });
  return response.json().recent.map((i: { role: string; content: string }) => `${i.role}: ${i.content}`);
}

describe('a message retried with its Idempotency-Key', () => {
  it('gets the first answer again, marked as replayed, without running the team or storing turns again', async () => {
    const model = released('high tide twice a day');
    const { app } = await serve({ model: model.model });
    const first = await send(app, 'k-1');
    expect(first.statusCode).toBe(200);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(first.json().reply).toMatchObject({ agent: 'researcher', content: 'high tide twice a day' });

    const retry = await send(app, 'k-1');
    expect(retry.statusCode).toBe(200);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.headers['content-type']).toBe(first.headers['content-type']);
    expect(retry.body).toBe(first.body);
    expect(model.calls()).toBe(1);
    expect(await turns(app)).toEqual(['user: Explain tides', 'assistant: high tide twice a day']);
    await app.close();
  });

  it('takes the quoted form of the draft (an RFC 8941 string) and the bare form as one key', async () => {
    const model = released();
    const { app } = await serve({ model: model.model });
    expect((await send(app, '"8e03978e-40d5-43e8-bc93-6894a57f9324"')).statusCode).toBe(200);
    const retry = await send(app, '8e03978e-40d5-43e8-bc93-6894a57f9324');
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(model.calls()).toBe(1);
    await app.close();
  });

  it('is the same request whatever the order of the body fields', async () => {
    const { app } = await serve();
    expect((await send(app, 'k-order', { payload: { conversationId: 'c1', content: 'Explain tides' } })).statusCode).toBe(200);
    const retry = await send(app, 'k-order', { payload: { content: 'Explain tides', conversationId: 'c1' } });
    expect(retry.headers['idempotent-replayed']).toBe('true');
    await app.close();
  });

  it('runs every time without the header', async () => {
    const model = released();
    const { app } = await serve({ model: model.model });
    for (let i = 0; i < 2; i++) expect((await send(app, undefined)).headers['idempotent-replayed']).toBeUndefined();
    expect(model.calls()).toBe(2);
    expect(await turns(app)).toHaveLength(4);
    await app.close();
  });
});

describe('the same key with a different request', () => {
  it('is refused 422 in the error shape, and nothing runs', async () => {
    const model = released();
    const { app, stores } = await serve({ model: model.model });
    await send(app, 'k-2');
    const before = stores();
    const other = await send(app, 'k-2', { payload: { conversationId: 'c1', content: 'Explain the moon' } });
    expect(other.statusCode).toBe(422);
    expect(other.json()).toEqual({ error: { code: 'ORCH_IDEMPOTENCY_KEY_REUSED', message: expect.stringContaining('Idempotency-Key "k-2" was used with a different request') } });
    expect(stores()).toBe(before);
    expect(model.calls()).toBe(1);
    await app.close();
  });

  it('is 422 too for another path parameter (the team is part of the request)', async () => {
    const { app } = await serve();
    await send(app, 'k-3');
    const response = await app.inject({ method: 'POST', url: '/v1/teams/other/messages', headers: { authorization: `Bearer ${ACME_KEY}`, 'idempotency-key': 'k-3' }, payload: message });
    expect(response.statusCode).toBe(422);
    await app.close();
  });

  it('on another operation is another key: one key names one operation', async () => {
    const { app } = await serve();
    expect((await send(app, 'k-shared')).statusCode).toBe(200);
    const stored = await storeItem(app, 'k-shared');
    expect(stored.statusCode).toBe(201);
    expect(stored.headers['idempotent-replayed']).toBeUndefined();
    await app.close();
  });
});

describe('a retry while the first request still runs', () => {
  it('is refused 409 with Retry-After; once the first is answered, the retry gets its answer', async () => {
    const held = heldModel('slow answer');
    const { app } = await serve({ model: held.model });
    const first = send(app, 'k-4');
    await held.called;

    const concurrent = await send(app, 'k-4');
    expect(concurrent.statusCode).toBe(409);
    expect(concurrent.headers['retry-after']).toBe('1');
    expect(concurrent.json().error.code).toBe('ORCH_IDEMPOTENCY_KEY_IN_USE');

    held.release();
    const answered = await first;
    expect(answered.statusCode).toBe(200);
    const retry = await send(app, 'k-4');
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toBe(answered.body);
    expect(held.calls()).toBe(1);
    expect(await turns(app)).toEqual(['user: Explain tides', 'assistant: slow answer']);
    await app.close();
  });

  it('is still 422 when it is a different request', async () => {
    const held = heldModel();
    const { app } = await serve({ model: held.model });
    const first = send(app, 'k-5');
    await held.called;
    expect((await send(app, 'k-5', { payload: { conversationId: 'c2', content: 'Explain tides' } })).statusCode).toBe(422);
    held.release();
    expect((await first).statusCode).toBe(200);
    await app.close();
  });
});

describe('a first attempt that fails', () => {
  it('keeps nothing (a 503 of memory): the retry runs again and its answer is kept', async () => {
    const midTerm = new EmbeddedMidTermStore();
    const upsert = midTerm.upsert.bind(midTerm);
    let failures = 1;
    midTerm.upsert = async (...args) => {
      if (failures-- > 0) throw new Error('mid-term down');
      return upsert(...args);
    };
    const model = released('after the outage');
    const { app } = await serve({ midTerm, model: model.model });

    const failed = await send(app, 'k-6');
    expect(failed.statusCode).toBe(503);
    const retry = await send(app, 'k-6');
    expect(retry.statusCode).toBe(200);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    expect(retry.json().reply.content).toBe('after the outage');
    const again = await send(app, 'k-6');
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(model.calls()).toBe(1);
    await app.close();
  });

  it.each([
    ['with the key, the retry rewrites the turns of the failed attempt', 'k-11', ['user: Explain tides', 'assistant: answered the second time']],
    ['without one, each attempt adds its own (what the key is for)', undefined, ['user: Explain tides', 'user: Explain tides', 'assistant: answered the second time']],
  ])('after a first attempt that failed part-way (504, its message stored): %s', async (_case, key, expected) => {
    // The first call never answers (the deadline ends it), the second answers at once.
    let calls = 0;
    const model: LanguageModel = {
      provider: 'scripted',
      modelId: 'hangs-once',
      doChat(request) {
        calls += 1;
        if (calls > 1) return Promise.resolve({ text: 'answered the second time', toolCalls: [], finishReason: 'stop', provider: 'scripted', model: 'hangs-once', warnings: [] });
        return new Promise((_resolve, reject) => request.abortSignal?.addEventListener('abort', () => reject(new LlmError('timeout', 'aborted')), { once: true }));
      },
    };
    const { app } = await serve({ env: { ...ENV, [S.requestTimeoutMs]: '2000' }, model });
    expect((await send(app, key)).statusCode).toBe(504);
    expect(await turns(app)).toEqual(['user: Explain tides']);
    expect((await send(app, key)).statusCode).toBe(200);
    expect(await turns(app)).toEqual(expected);
    await app.close();
  });

  it('keeps nothing when the handler throws (a 500): the retry runs again', async () => {
    const memory = new LayeredMemoryManager({ shortTerm: new EmbeddedShortTermStore(), midTerm: new EmbeddedMidTermStore(), longTerm: new EmbeddedLongTermStore() });
    let calls = 0;
    const team = {
      async processMessage() {
        calls += 1;
        if (calls === 1) throw new Error('a bug');
        return { reply: { content: 'fine now', agent: 'echo' }, trace: [], memory: { degraded: [] }, agents: { degraded: [], failures: [] } };
      },
    };
    const app = await buildApp({ config: parseRuntimeConfig(ENV), memory, teams: { get: () => team, describe: () => [] }, agents: { list: () => [] } }, { logger: false });
    expect((await send(app, 'k-7')).statusCode).toBe(500);
    expect((await send(app, 'k-7')).statusCode).toBe(200);
    expect((await send(app, 'k-7')).headers['idempotent-replayed']).toBe('true');
    expect(calls).toBe(2);
    await app.close();
  });

  it('keeps nothing for a client error either (404): the retry runs again', async () => {
    const { app } = await serve();
    const url = '/v1/teams/nobody/messages';
    const headers = { authorization: `Bearer ${ACME_KEY}`, 'idempotency-key': 'k-8' };
    expect((await app.inject({ method: 'POST', url, headers, payload: message })).statusCode).toBe(404);
    const retry = await app.inject({ method: 'POST', url, headers, payload: message });
    expect(retry.statusCode).toBe(404);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    await app.close();
  });
});

describe('tenants', () => {
  it('never share a key: the same key and request from two tenants runs for each, and each replays its own', async () => {
    const model = released();
    const { app } = await serve({ model: model.model });
    const acme = await send(app, 'shared-key', { tenant: ACME_KEY });
    const globex = await send(app, 'shared-key', { tenant: GLOBEX_KEY });
    expect([acme.statusCode, globex.statusCode]).toEqual([200, 200]);
    expect(globex.headers['idempotent-replayed']).toBeUndefined();
    expect(model.calls()).toBe(2);
    expect(await turns(app, 'c1', GLOBEX_KEY)).toHaveLength(2);
    expect((await send(app, 'shared-key', { tenant: GLOBEX_KEY })).body).toBe(globex.body);
    expect((await send(app, 'shared-key', { tenant: ACME_KEY })).body).toBe(acme.body);
    expect(model.calls()).toBe(2);
    await app.close();
  });
});

describe('expiry', () => {
  it('keeps an answer for ORCHESTRA_IDEMPOTENCY_TTL_SECONDS, then a retry runs again', async () => {
    let now = Date.parse('2026-12-01T00:00:00Z');
    const records = new InProcessIdempotencyRecords({ now: () => now });
    const model = released();
    const { app } = await serve({ env: { ...ENV, [S.idempotencyTtlSeconds]: '60' }, records, model: model.model });
    await send(app, 'k-9');
    now += 59_999;
    expect((await send(app, 'k-9')).headers['idempotent-replayed']).toBe('true');
    now += 1;
    const expired = await send(app, 'k-9');
    expect(expired.statusCode).toBe(200);
    expect(expired.headers['idempotent-replayed']).toBeUndefined();
    expect(model.calls()).toBe(2);
    await app.close();
  });

  it('frees the claim of a request that never finished after the request deadline', async () => {
    let now = Date.parse('2026-12-01T00:00:00Z');
    const records = new InProcessIdempotencyRecords({ now: () => now });
    const { app } = await serve({ env: { ...ENV, [S.requestTimeoutMs]: '30000' }, records });
    // A claim whose instance died: nobody completes or releases it.
    const key = '4.acme:POST /v1/teams/:teamId/messages k-10';
    expect(await records.claim(key, { state: 'running', fingerprint: 'f', token: 't' }, 30_000)).toBeUndefined();
    expect((await send(app, 'k-10')).statusCode).toBe(422); // another fingerprint: the claim is there
    now += 30_000;
    expect((await send(app, 'k-10')).statusCode).toBe(200);
    await app.close();
  });
});

describe('POST /v1/memory with an Idempotency-Key', () => {
  it('answers a retry with the first 201, writing nothing again', async () => {
    const { app, memory, stores } = await serve();
    const first = await storeItem(app, 'm-1');
    expect(first.statusCode).toBe(201);
    const retry = await storeItem(app, 'm-1');
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toBe(first.body);
    expect(stores()).toBe(1);
    expect((await memory.layers.midTerm.getMany(['4.acme:note-1'])).map((i) => i.content)).toEqual(['the door code is 4711']);
    await app.close();
  });

  it('refuses the key with another item 422, leaving the first item as it was', async () => {
    const { app, memory } = await serve();
    await storeItem(app, 'm-2');
    const other = await storeItem(app, 'm-2', { id: 'note-1', content: 'the door code is 0000' });
    expect(other.statusCode).toBe(422);
    expect((await memory.layers.midTerm.getMany(['4.acme:note-1'])).map((i) => i.content)).toEqual(['the door code is 4711']);
    await app.close();
  });
});

describe('an invalid Idempotency-Key', () => {
  let served: Served;
  beforeAll(async () => {
    served = await serve();
  });
  afterAll(() => served.app.close());

  it.each([
    ['empty', ''],
    ['with a space', 'two words'],
    ['with a quote inside', 'a"b'],
    ['an unterminated quoted string', '"abc'],
    ['256 characters', 'k'.repeat(256)],
    ['a quoted string of 256 characters', `"${'k'.repeat(256)}"`],
  ])('is refused 400 naming the header (%s), before anything runs', async (_case, value) => {
    const response = await send(served.app, value);
    expect(response.statusCode).toBe(400);
    const { error } = response.json();
    expect(error.code).toBe('ORCH_INVALID_REQUEST');
    expect(error.details.problems).toEqual([{ path: 'headers.idempotency-key', message: expect.stringMatching(/^expected 1-255 visible ASCII characters/) }]);
    expect(served.stores()).toBe(0);
  });

  it('is refused when sent twice (the draft: one field per request)', async () => {
    // Two header fields on the wire (node joins them into one value, "a, b").
    const { app } = await serve();
    afterTest.push(() => app.close());
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    const body = JSON.stringify(message);
    // Written by hand: node's client cannot send one field twice with a body it frames itself.
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.end(
          `POST /v1/teams/default/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${ACME_KEY}\r\nContent-Type: application/json\r\n` +
            `Content-Length: ${Buffer.byteLength(body)}\r\nIdempotency-Key: a\r\nIdempotency-Key: b\r\nConnection: close\r\n\r\n${body}`,
        );
      });
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    const answer = { status: Number(raw.split(' ')[1]), body: raw.slice(raw.indexOf('\r\n\r\n') + 4) };
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body).error.details.problems).toEqual([{ path: 'headers.idempotency-key', message: 'sent 2 times; send it once' }]);
  });

  it.each([['255 characters', 'k'.repeat(255)], ['a quoted string with escapes', '"a \\"quoted\\" key"']])('takes %s', async (_case, value) => {
    expect((await send(served.app, value)).statusCode).toBe(200);
  });
});

describe('the OpenAPI document', () => {
  it('documents the header, 409 and 422 on the two routes that take it', async () => {
    const { app } = await serve();
    const doc = (await app.inject('/docs/json')).json();
    for (const operation of [doc.paths['/v1/teams/{teamId}/messages'].post, doc.paths['/v1/memory'].post]) {
      const header = operation.parameters.find((p: { in: string; name: string }) => p.in === 'header' && p.name === 'idempotency-key');
      expect(header).toMatchObject({ required: false, schema: { type: 'string', pattern: expect.any(String) } });
      expect(header.description ?? header.schema.description).toMatch(/draft-ietf-httpapi-idempotency-key-header/);
      expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['409', '422', '503']));
    }
    expect(doc.paths['/v1/memory/search'].post.parameters ?? []).toEqual([]);
    await app.close();
  });
});
