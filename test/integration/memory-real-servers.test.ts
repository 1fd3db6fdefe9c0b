import { grpc } from 'google-gax';
import { parseRuntimeConfig, RuntimeSettings as S } from '../../runtime/src/contract';
import { createMemory } from '../../runtime/src/memory/create-memory';
import { MemoryWriteError } from '../../runtime/src/memory/errors';
import { VertexLongTermStore } from '../../runtime/src/memory/long-term/vertex-long-term';
import { LayeredMemoryManager } from '../../runtime/src/memory/manager';
import { MongoMidTermStore } from '../../runtime/src/memory/mid-term/mongo-mid-term';
import { RedisShortTermStore } from '../../runtime/src/memory/short-term/redis-short-term';
import { startMongo } from '../servers/mongo-server';
import { startRedis } from '../servers/redis-server';
import { VertexServer, localStoreOptions, startVertexServer } from '../servers/vertex-server';
import { sleep, uniqueId } from '../runtime/contracts/harness';

process.env.METADATA_SERVER_DETECTION = 'none';
// Stopping and restarting servers, and waiting for clients to reconnect, takes seconds.
jest.setTimeout(20_000);

const PROJECT = 'orchestra-test';
const REGION = 'us-central1';
const INDEX = `projects/${PROJECT}/locations/${REGION}/indexes/111`;
const ENDPOINT = `projects/${PROJECT}/locations/${REGION}/indexEndpoints/222`;
const DEPLOYED = 'orchestra_memory';

let redis: Awaited<ReturnType<typeof startRedis>>;
let mongo: Awaited<ReturnType<typeof startMongo>>;
let vertex: VertexServer;
let memory: LayeredMemoryManager;

/** Polls `check` until it holds (servers reconnect in the background), bounded. */
async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not recovered within ${timeoutMs} ms: ${what}`);
    await sleep(100);
  }
}

beforeAll(async () => {
  [redis, mongo, vertex] = await Promise.all([
    startRedis(),
    startMongo(),
    startVertexServer({ indexName: INDEX, indexEndpointName: ENDPOINT, deployedIndexId: DEPLOYED }),
  ]);
  const longTerm = new VertexLongTermStore(
    localStoreOptions(vertex.port, { project: PROJECT, region: REGION, indexName: INDEX, indexEndpointName: ENDPOINT, deployedIndexId: DEPLOYED }),
  );
  // First, on its own: loading the Google client modules blocks the event loop for a while (longer
  // on a busy machine), which would otherwise eat into the MongoDB driver's short server selection
  // timeout below (short so the tests with the server down fail fast) and fail the start at random.
  await longTerm.init();
  memory = new LayeredMemoryManager(
    {
      shortTerm: new RedisShortTermStore({ url: redis.url, prefix: uniqueId('it') }),
      // FerretDB stands for a self-hosted server, where the runtime may create its own indexes.
      midTerm: new MongoMidTermStore({ uri: mongo.uri, database: 'integration', manageIndexes: true, clientOptions: { serverSelectionTimeoutMS: 1000 } }),
      longTerm,
    },
    { layerTimeoutMs: 1500, writeTimeoutMs: 3000, recentMessages: 3 },
  );
  await memory.init();
});

afterAll(async () => {
  await memory?.close();
  await Promise.all([redis?.stop(), mongo?.dispose(), vertex?.stop()]);
});

describe('layered memory on Redis, FerretDB and the Vertex AI API', () => {
  it('stores by importance and retrieves all three parts of the context', async () => {
    const conversation = uniqueId('conv');
    await memory.store({ id: uniqueId('t'), content: 'my cat is called Miso', conversationId: conversation, tenantId: 'acme' }, 'high');
    for (let n = 1; n <= 4; n++) await memory.store({ id: uniqueId('t'), content: `small talk ${n}`, conversationId: conversation, tenantId: 'acme' }, 'medium');

    const context = await memory.retrieveContext('what is my cat called', conversation, { tenantId: 'acme' });
    expect(context.degraded).toEqual([]);
    expect(context.recent.map((i) => i.content)).toEqual(['small talk 2', 'small talk 3', 'small talk 4']);
    expect(context.related.map((i) => i.content)).toEqual(['small talk 1', 'my cat is called Miso']);
    expect(context.semantic[0].item.content).toBe('my cat is called Miso');
    expect(vertex.datapointIds(INDEX)).toContain(context.semantic[0].item.id);
  });

  it('forgets a conversation in Redis, FerretDB and the vector index', async () => {
    const conversation = uniqueId('conv');
    const id = uniqueId('t');
    await memory.store({ id, content: 'my passport number is on file', conversationId: conversation }, 'high');
    expect(await memory.forget({ conversationId: conversation })).toMatchObject({ removed: { 'short-term': 1, 'mid-term': 1, 'long-term': 1 }, receipt: { state: 'complete' } });
    expect(vertex.datapointIds(INDEX)).not.toContain(id);
    // Within the conversation: Vertex AI matches are ranked, not cut (no score documented as
    // unrelated), so the whole tenant's nearest items would come back, forgotten or not.
    const context = await memory.retrieveContext('passport number', conversation, { semanticWithinConversation: true });
    expect([...context.recent, ...context.related, ...context.semantic]).toEqual([]);
  });

  it('degrades reads while Redis is down, refuses LOW writes, and recovers when it returns', async () => {
    const conversation = uniqueId('conv');
    await memory.store({ id: uniqueId('t'), content: 'durable turn', conversationId: conversation }, 'medium');
    await redis.stop();
    try {
      const context = await memory.retrieveContext('durable', conversation);
      expect(context.degraded).toEqual([expect.stringMatching(/^short-term: /)]);
      expect(context.related.map((i) => i.content)).toEqual(['durable turn']);
      await expect(memory.store({ id: uniqueId('t'), content: 'cache only', conversationId: conversation }, 'low')).rejects.toBeInstanceOf(MemoryWriteError);
      // A MEDIUM item still lands in its durable layer; the cache miss is reported.
      await expect(memory.store({ id: uniqueId('t'), content: 'still durable', conversationId: conversation }, 'medium')).resolves.toMatchObject({
        written: ['mid-term'],
        degraded: [expect.stringMatching(/^short-term: /)],
      });
    } finally {
      await redis.start();
    }
    await eventually(async () => (await memory.retrieveContext('durable', conversation)).degraded.length === 0, 'short-term after Redis restart');
  });

  it('refuses MEDIUM writes while the MongoDB-wire server is down (no silent loss), and recovers', async () => {
    const conversation = uniqueId('conv');
    await mongo.stop();
    try {
      const error = (await memory.store({ id: uniqueId('t'), content: 'must not vanish', conversationId: conversation }, 'medium').catch((e: unknown) => e)) as MemoryWriteError;
      expect(error).toBeInstanceOf(MemoryWriteError);
      expect(error.failures.map((f) => f.layer)).toEqual(['mid-term']);
      const context = await memory.retrieveContext('anything', conversation);
      expect(context.degraded).toContainEqual(expect.stringMatching(/^mid-term: /));
      expect((await memory.status()).find((s) => s.layer === 'mid-term')?.ok).toBe(false);
    } finally {
      await mongo.start();
    }
    await eventually(async () => {
      const result = await memory.store({ id: uniqueId('t'), content: 'after restart', conversationId: conversation }, 'medium').catch(() => undefined);
      return result !== undefined;
    }, 'mid-term writes after FerretDB restart');
  });

  it('degrades semantic search while Vertex AI fails or is slow, and refuses HIGH writes it cannot index', async () => {
    const conversation = uniqueId('conv');
    await memory.store({ id: uniqueId('t'), content: 'remember the blue door', conversationId: conversation }, 'high');
    vertex.failNext('FindNeighbors', grpc.status.UNAVAILABLE, 1, 'backend unavailable');
    expect((await memory.retrieveContext('blue door', conversation)).degraded).toEqual([expect.stringMatching(/^long-term: .*unavailable/i)]);

    vertex.delayNext('FindNeighbors', 2500, 1);
    const slow = await memory.retrieveContext('blue door', conversation);
    expect(slow.degraded).toEqual(['long-term: timeout']);
    expect(slow.recent).toHaveLength(1);

    vertex.failNext('UpsertDatapoints', grpc.status.RESOURCE_EXHAUSTED, 1, 'quota');
    await expect(memory.store({ id: uniqueId('t'), content: 'not indexed', conversationId: conversation }, 'high')).rejects.toThrow(/long-term: .*quota/i);
    expect((await memory.retrieveContext('blue door', conversation)).degraded).toEqual([]);
  });
});

describe('createMemory from the runtime settings', () => {
  it('connects each configured layer to its server and reports them', async () => {
    const config = parseRuntimeConfig({ [S.redisUrl]: redis.url, [S.mongoUri]: mongo.uri, [S.mongoDatabase]: 'fromconfig' });
    const configured = createMemory(config.memory);
    await configured.init();
    try {
      expect((await configured.status()).map((s) => [s.layer, s.backend, s.embedded, s.ok])).toEqual([
        ['short-term', 'redis', false, true],
        ['mid-term', 'mongodb', false, true],
        ['long-term', 'embedded', true, true],
      ]);
      await configured.store({ id: uniqueId('t'), content: 'configured', conversationId: 'cfg' }, 'medium');
      expect((await configured.retrieveContext('configured', 'cfg')).recent.map((i) => i.content)).toContain('configured');
    } finally {
      await configured.close();
    }
  });
});
