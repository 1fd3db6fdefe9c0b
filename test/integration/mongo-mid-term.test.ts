import { MongoClient } from 'mongodb';
import { MongoMidTermStore } from '../../runtime/src/memory/mid-term/mongo-mid-term';
import { startMongo } from '../servers/mongo-server';
import { sleep, uniqueId } from '../runtime/contracts/harness';
import { midTermContract } from '../runtime/contracts/mid-term-contract';

let server: Awaited<ReturnType<typeof startMongo>>;
beforeAll(async () => {
  server = await startMongo();
});
afterAll(async () => server.dispose());

midTermContract('mongodb (FerretDB)', async () => {
  const store = new MongoMidTermStore({ uri: server.uri, database: 'contract', collectionPrefix: uniqueId('p') });
  return { store, advance: sleep, now: Date.now, teardown: () => store.close() };
});

describe('MongoMidTermStore', () => {
  it('stores each item as its own document with conversation, timestamps and expiry', async () => {
    const store = new MongoMidTermStore({ uri: server.uri, database: 'layout', collectionPrefix: 'orchestra' });
    await store.init();
    const client = await MongoClient.connect(server.uri);
    try {
      const expires = new Date(Date.now() + 60_000);
      await store.upsert({ id: 'turn-1', content: 'hello', conversationId: 'c1', createdAt: '2026-01-01T00:00:00.000Z' }, expires);
      await store.upsert({ id: 'turn-2', content: 'again', conversationId: 'c1', createdAt: '2026-01-01T00:00:01.000Z' });
      const docs = await client.db('layout').collection('orchestra_memories').find({}).sort({ _id: 1 }).toArray();
      expect(docs).toHaveLength(2);
      expect(docs[0]).toMatchObject({ _id: 'turn-1', conversationId: 'c1', createdAt: new Date('2026-01-01T00:00:00.000Z'), expiresAt: expires });
      expect(docs[0].updatedAt).toBeInstanceOf(Date);
      expect(docs[1].expiresAt).toBeNull();
      const indexes = (await client.db('layout').collection('orchestra_memories').indexes()).map((i) => i.name);
      expect(indexes).toEqual(expect.arrayContaining(['conversation_recent', 'expiry']));
      // FerretDB v1 has no TTL indexes: the store knows, and filters expired documents itself.
      expect(store.serverSideExpiry).toBe(false);
    } finally {
      await client.close();
      await store.close();
    }
  });

  it('reports a stopped server and recovers when it is back', async () => {
    const store = new MongoMidTermStore({ uri: server.uri, database: 'recover', clientOptions: { serverSelectionTimeoutMS: 500 } });
    await store.init();
    try {
      await store.upsert({ id: 'kept', content: 'survives restarts', createdAt: '2026-01-01T00:00:00.000Z' });
      await server.stop();
      expect(await store.status()).toMatchObject({ ok: false, backend: 'mongodb' });
      await expect(store.get('kept')).rejects.toThrow();
      await server.start();
      let status = await store.status();
      for (let i = 0; i < 50 && !status.ok; i++) {
        await sleep(100);
        status = await store.status();
      }
      expect(status.ok).toBe(true);
      expect((await store.get('kept'))?.content).toBe('survives restarts');
    } finally {
      await store.close();
    }
  });

  it('fails init with the server error when it cannot connect', async () => {
    const store = new MongoMidTermStore({ uri: 'mongodb://127.0.0.1:1/?directConnection=true', database: 'x', clientOptions: { serverSelectionTimeoutMS: 300 } });
    await expect(store.init()).rejects.toThrow(/ECONNREFUSED|connect/);
    await store.close();
  });
});
