import { MongoClient } from 'mongodb';
import { MID_TERM_INDEXES, midTermCollectionName } from '../../runtime/src/contract';
import { MongoMidTermStore } from '../../runtime/src/memory/mid-term/mongo-mid-term';
import { startMongo } from '../servers/mongo-server';
import { RefusingProxy, startRefusingProxy } from '../servers/refusing-mongo-proxy';
import { sleep, uniqueId } from '../runtime/contracts/harness';
import { midTermContract } from '../runtime/contracts/mid-term-contract';

let server: Awaited<ReturnType<typeof startMongo>>;
beforeAll(async () => {
  server = await startMongo();
});
afterAll(async () => server.dispose());

// FerretDB stands for a self-hosted server where the runtime's user may create indexes.
midTermContract('mongodb (FerretDB)', async () => {
  const store = new MongoMidTermStore({ uri: server.uri, database: 'contract', collectionPrefix: uniqueId('p'), manageIndexes: true });
  return { store, advance: sleep, now: Date.now, teardown: () => store.close() };
});

describe('MongoMidTermStore', () => {
  it('stores each item as its own document with conversation, timestamps and expiry', async () => {
    const store = new MongoMidTermStore({ uri: server.uri, database: 'layout', collectionPrefix: 'orchestra', manageIndexes: true });
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
      const indexes = await client.db('layout').collection('orchestra_memories').indexes();
      expect(indexes).toContainEqual(expect.objectContaining({ name: 'conversation_recent', key: { conversationId: 1, createdAt: -1 } }));
      // FerretDB v1 has no TTL indexes: the store knows, filters expired documents itself, and
      // does not warn about what no one can fix.
      expect(store.serverSideExpiry).toBe(false);
      expect(store.indexCheck).toMatchObject({ listed: true, missing: [], warnings: [] });
    } finally {
      await client.close();
      await store.close();
    }
  });

  it('stores occurredAt as a Date, and reads a document written before it existed as occurring at createdAt', async () => {
    const prefix = uniqueId('p');
    const store = new MongoMidTermStore({ uri: server.uri, database: 'occurred', collectionPrefix: prefix, manageIndexes: true });
    await store.init();
    const client = await MongoClient.connect(server.uri);
    try {
      const collection = client.db('occurred').collection<{ _id: string }>(midTermCollectionName(prefix));
      await store.upsert({ id: 'new', content: 'with a time', conversationId: 'c1', createdAt: '2026-01-02T00:00:00.000Z', occurredAt: '2025-06-01T00:00:00.000Z' });
      expect(await collection.findOne({ _id: 'new' })).toMatchObject({ occurredAt: new Date('2025-06-01T00:00:00.000Z') });
      // As written by a runtime that knew no occurredAt.
      await collection.insertOne({ _id: 'legacy', content: 'before occurredAt', conversationId: 'c1', createdAt: new Date('2025-07-01T00:00:00.000Z'), updatedAt: new Date(), expiresAt: null } as { _id: string });
      expect(await store.get('legacy')).toMatchObject({ createdAt: '2025-07-01T00:00:00.000Z', occurredAt: '2025-07-01T00:00:00.000Z' });
      const within = async (occurredAfter: string, occurredBefore: string) => (await store.byConversation('c1', 10, undefined, { occurredAfter, occurredBefore })).map((i) => i.id);
      expect(await within('2025-06-15T00:00:00.000Z', '2025-08-01T00:00:00.000Z')).toEqual(['legacy']);
      expect(await within('2025-05-01T00:00:00.000Z', '2025-06-15T00:00:00.000Z')).toEqual(['new']);
      expect(await within('2026-01-01T00:00:00.000Z', '2026-02-01T00:00:00.000Z')).toEqual([]); // createdAt of 'new' does not count
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

  it('starts without a reachable server: calls fail at once with the reason, status() says it, and attempts go on', async () => {
    const store = new MongoMidTermStore({
      uri: 'mongodb://127.0.0.1:1/?directConnection=true',
      database: 'x',
      clientOptions: { serverSelectionTimeoutMS: 300 },
      reconnect: { initialDelayMs: 10, maxDelayMs: 50 },
    });
    try {
      await expect(store.init()).resolves.toBeUndefined();
      await expect(store.get('k')).rejects.toThrow(/^mongodb database x connecting \(attempt \d+, next in \d+ ms\): connect ECONNREFUSED/);
      expect(await store.status()).toMatchObject({ ok: false, detail: expect.stringMatching(/^database x: connecting \(attempt \d+, next in \d+ ms\): connect ECONNREFUSED/) });
      // Attempts go on by themselves (bounded under the jest timeout; no fixed wait).
      const deadline = Date.now() + 4000;
      let status = await store.status();
      while (!/attempt [2-9]/.test(status.detail ?? '') && Date.now() < deadline) status = (await sleep(50), await store.status());
      expect(status.detail).toMatch(/attempt [2-9]/);
    } finally {
      await store.close();
    }
  });
});

// Why metadata holds no array directly inside an array (item-schema.ts): FerretDB v1 refuses one
// on every write ("Known differences", https://docs.ferretdb.io/v1.24/diff). Should a FerretDB
// take them, this fails and the rule can go.
describe('FerretDB v1 and arrays in metadata', () => {
  it('refuses an array directly inside an array, and stores arrays inside objects inside arrays', async () => {
    const store = new MongoMidTermStore({ uri: server.uri, database: 'arrays', collectionPrefix: uniqueId('p'), manageIndexes: true });
    try {
      await store.init();
      await expect(store.upsert({ id: 'grid', content: 'x', metadata: { grid: [[1]] }, createdAt: '2026-01-01T00:00:00.000Z' })).rejects.toThrow(/invalid value/);
      const metadata = { rows: [{ cells: [1, 2] }, { cells: [] }] };
      await store.upsert({ id: 'rows', content: 'x', metadata, createdAt: '2026-01-01T00:00:00.000Z' });
      expect((await store.get('rows'))?.metadata).toEqual(metadata);
    } finally {
      await store.close();
    }
  });
});

/** A store on `uri` whose driver reports every command it starts, and a logger that keeps warnings. */
function observed(uri: string, options: { manageIndexes?: boolean; database?: string; prefix?: string } = {}) {
  const commands: string[] = [];
  const warnings: string[] = [];
  const client = new MongoClient(uri, { monitorCommands: true, serverSelectionTimeoutMS: 2000 });
  client.on('commandStarted', (event) => commands.push(event.commandName));
  const store = new MongoMidTermStore({
    uri,
    client,
    database: options.database ?? 'privileges',
    collectionPrefix: options.prefix ?? uniqueId('p'),
    manageIndexes: options.manageIndexes,
    logger: { warn: (_obj, msg) => void warnings.push(msg) },
  });
  return { store, commands, warnings };
}

describe('MongoMidTermStore indexes: declared by the deployer, verified by the runtime', () => {
  it('never creates an index on its own: init lists them and warns about missing ones', async () => {
    const { store, commands, warnings } = observed(server.uri);
    try {
      await store.init();
      expect(commands).toContain('listIndexes');
      expect(commands).not.toContain('createIndexes');
      expect(store.indexCheck).toMatchObject({ listed: true, missing: MID_TERM_INDEXES.map((i) => i.name), serverSideExpiry: false });
      expect(warnings).toEqual([expect.stringMatching(/conversation_recent .*not found/), expect.stringMatching(/no TTL index .*expiresAt/)]);
      // Missing indexes make reads slower, not wrong: the layer is up, and says what is missing.
      const status = await store.status();
      expect(status).toMatchObject({ ok: true, detail: expect.stringContaining('missing indexes: conversation_recent') });
      await store.upsert({ id: uniqueId('i'), content: 'works without indexes', conversationId: 'c', createdAt: '2026-01-01T00:00:00.000Z' });
      expect(await store.byConversation('c', 5)).toHaveLength(1);
    } finally {
      await store.close();
    }
  });

  it('recognises an index the deployer created under another name, by its key', async () => {
    const prefix = uniqueId('p');
    const admin = await MongoClient.connect(server.uri);
    try {
      // A Firestore index declared through the admin API (Terraform) has a server-chosen name.
      await admin.db('privileges').collection(midTermCollectionName(prefix)).createIndex({ conversationId: 1, createdAt: -1 }, { name: 'server_chosen_name' });
      const { store, commands, warnings } = observed(server.uri, { prefix });
      await store.init();
      await store.close();
      expect(commands).not.toContain('createIndexes');
      expect(store.indexCheck?.missing).toEqual([]);
      expect(warnings.join('\n')).not.toMatch(/conversation_recent/);
    } finally {
      await admin.close();
    }
  });

  it('does not take an index on other fields or in another order for the contract one', async () => {
    const prefix = uniqueId('p');
    const admin = await MongoClient.connect(server.uri);
    try {
      await admin.db('privileges').collection(midTermCollectionName(prefix)).createIndex({ conversationId: 1, createdAt: 1 }, { name: 'conversation_recent' });
      const { store } = observed(server.uri, { prefix });
      await store.init();
      await store.close();
      expect(store.indexCheck?.missing).toEqual(['conversation_recent']);
    } finally {
      await admin.close();
    }
  });

  describe('on a server that refuses index creation (Unauthorized, as to an account without the index-admin role)', () => {
    let proxy: RefusingProxy;
    beforeAll(async () => {
      proxy = await startRefusingProxy({ host: '127.0.0.1', port: server.port }, ['createIndexes']);
    });
    afterAll(async () => proxy.close());

    it('starts, warns, and never asks by default', async () => {
      const before = proxy.refused.length;
      const { store, warnings } = observed(proxy.uri);
      try {
        await expect(store.init()).resolves.toBeUndefined();
        expect(proxy.refused.length).toBe(before);
        expect(warnings.length).toBeGreaterThan(0);
        expect((await store.status()).ok).toBe(true);
      } finally {
        await store.close();
      }
    });

    it('starts with manageIndexes too, warning that it was not allowed', async () => {
      const before = proxy.refused.length;
      const { store, commands, warnings } = observed(proxy.uri, { manageIndexes: true });
      try {
        await expect(store.init()).resolves.toBeUndefined();
        expect(commands).toContain('createIndexes');
        expect(proxy.refused.length).toBeGreaterThan(before);
        expect(warnings).toContainEqual(expect.stringMatching(/not allowed to create index conversation_recent .*not authorized/));
        expect(store.indexCheck?.missing).toEqual(['conversation_recent']);
        expect(await store.status()).toMatchObject({ ok: true, detail: expect.stringContaining('missing indexes: conversation_recent') });
      } finally {
        await store.close();
      }
    });
  });

  it('treats a refused listIndexes as unknown: starts, warns, and says so in status', async () => {
    const proxy = await startRefusingProxy({ host: '127.0.0.1', port: server.port }, ['listIndexes']);
    const { store, warnings } = observed(proxy.uri);
    try {
      await expect(store.init()).resolves.toBeUndefined();
      expect(store.indexCheck).toMatchObject({ listed: false, serverSideExpiry: undefined });
      expect(store.serverSideExpiry).toBeUndefined();
      expect(warnings).toEqual([expect.stringMatching(/could not list the indexes .*not authorized/)]);
      expect(await store.status()).toMatchObject({ ok: true, detail: expect.stringContaining('indexes unknown') });
    } finally {
      await store.close();
      await proxy.close();
    }
  });

  it('fails an explicit ensureIndexes on any other server error, instead of hiding it', async () => {
    const proxy = await startRefusingProxy({ host: '127.0.0.1', port: server.port }, ['createIndexes'], 2);
    const { store } = observed(proxy.uri, { manageIndexes: true });
    try {
      await expect(store.init()).rejects.toThrow(/refused by the test proxy with code 2/);
    } finally {
      await store.close();
      await proxy.close();
    }
  });
});
