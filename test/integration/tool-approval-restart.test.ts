import { MongoMidTermStore } from '../../runtime/src/memory/mid-term/mongo-mid-term';
import { startMongo } from '../servers/mongo-server';
import { ACME_KEY, GLOBEX_KEY, bearer, instance } from '../runtime/server/approval-app';

let server: Awaited<ReturnType<typeof startMongo>>;
beforeAll(async () => {
  server = await startMongo();
});
afterAll(async () => server.dispose());

const store = () => new MongoMidTermStore({ uri: server.uri, database: 'approvals', collectionPrefix: 'orchestra', manageIndexes: true });

describe('a run stopped for approval, over a MongoDB-wire mid-term store (FerretDB)', () => {
  it('is resumed by a new instance after the first one closed, once, and only by its tenant', async () => {
    const firstStore = store();
    await firstStore.init();
    const first = await instance(firstStore);
    const sent = await first.inject({ method: 'POST', url: '/v1/teams/bank/messages', headers: bearer(ACME_KEY), payload: { conversationId: 'c1', content: 'pay ACC-9' } });
    expect(sent.statusCode).toBe(202);
    const pending = sent.json();
    await first.close();

    const secondStore = store();
    await secondStore.init();
    const second = await instance(secondStore);
    try {
      expect((await second.inject({ method: 'POST', url: pending.resume, headers: bearer(GLOBEX_KEY), payload: { approve: true } })).statusCode).toBe(404);
      const approved = await second.inject({ method: 'POST', url: pending.resume, headers: bearer(ACME_KEY), payload: { approve: true } });
      expect(approved.statusCode).toBe(200);
      expect(approved.json().reply.content).toBe('model saw: transferred to ACC-9');
      expect((await second.inject({ method: 'POST', url: pending.resume, headers: bearer(ACME_KEY), payload: { approve: true } })).statusCode).toBe(409);
    } finally {
      await second.close();
    }
  });
});
