import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { AgentTeam, createDefaultRegistry, type TeamConfigInput } from '../../../runtime/src/agents';
import { RuntimeSettings as S, parseRuntimeConfig } from '../../../runtime/src/contract';
import { ModelRouter } from '../../../runtime/src/llm/router';
import type { ChatResult, LanguageModel } from '../../../runtime/src/llm/types';
import { EmbeddedLongTermStore } from '../../../runtime/src/memory/long-term/embedded-long-term';
import { LayeredMemoryManager } from '../../../runtime/src/memory/manager';
import { EmbeddedMidTermStore } from '../../../runtime/src/memory/mid-term/embedded-mid-term';
import { EmbeddedShortTermStore } from '../../../runtime/src/memory/short-term/embedded-short-term';
import { buildApp } from '../../../runtime/src/server/app';

// The erasure routes: one item, a conversation, a tenant (admin keys only), each answering a
// receipt its tenant can read back, and a reply that outlives its conversation's erasure not stored.

const ACME = 'acme-key-0123456789abcdef';
const GLOBEX = 'globex-key-0123456789abcdef';
const OPS = 'ops-admin-key-0123456789abcdef';
const TEAM: TeamConfigInput = { id: 'default', coordinator: 'coordinator', importance: 'high', agents: [{ name: 'coordinator', type: 'coordinator' }, { name: 'helper', type: 'llm', capabilities: ['remember'], config: { systemPrompt: 'You remember.' } }] };

/** A model whose answers wait until the test releases them: the run is in flight exactly as long as the test needs. */
function gatedModel() {
  const waiting: ((text: string) => void)[] = [];
  let called!: () => void;
  const firstCall = new Promise<void>((resolve) => (called = resolve));
  const model: LanguageModel = {
    provider: 'scripted',
    modelId: 'gated',
    doChat: () =>
      new Promise<ChatResult>((resolve) => {
        waiting.push((text) => resolve({ text, toolCalls: [], finishReason: 'stop', provider: 'scripted', model: 'gated', warnings: [] }));
        called();
      }),
  };
  return { model, firstCall, release: (text: string) => waiting.shift()!(text) };
}

async function serve(env: Record<string, string>) {
  const gated = gatedModel();
  const memory = new LayeredMemoryManager({ shortTerm: new EmbeddedShortTermStore(), midTerm: new EmbeddedMidTermStore(), longTerm: new EmbeddedLongTermStore() });
  const registry = createDefaultRegistry({ baseDir: join(__dirname, '..', 'agents', 'fixtures') });
  const team = await AgentTeam.create(TEAM, { registry, memory, llm: new ModelRouter({ deployments: [{ name: 'primary', model: gated.model }], retries: 0 }) });
  const app: FastifyInstance = await buildApp(
    { config: parseRuntimeConfig(env), memory, teams: { get: (id) => (id === 'default' ? team : undefined), describe: () => [] }, agents: { list: () => [] } },
    { logger: false },
  );
  return { app, memory, gated };
}

const deployed = {
  [S.environment]: 'staging',
  [S.apiKeys]: `acme=${ACME},globex=${GLOBEX}`,
  [S.adminApiKeys]: `ops=${OPS}`,
  [S.llmConfig]: JSON.stringify({ deployments: [{ name: 'offline', provider: 'offline', model: 'offline' }], allowOfflineOnly: true }),
};
const as = (key: string) => ({ authorization: `Bearer ${key}` });

describe('erasure routes', () => {
  let app: FastifyInstance;
  let gated: ReturnType<typeof gatedModel>;
  beforeEach(async () => ({ app, gated } = await serve(deployed)));
  afterEach(() => app.close());

  const store = (key: string, id: string, content: string, conversationId?: string) =>
    app.inject({ method: 'POST', url: '/v1/memory', headers: as(key), payload: { item: { id, content, ...(conversationId ? { conversationId } : {}) }, importance: 'high' } });
  const search = (key: string, query: string, conversationId = 'c1') =>
    app.inject({ method: 'POST', url: '/v1/memory/search', headers: as(key), payload: { query, conversationId } }).then((r) => r.json());

  it('forgets one item by its id, answers a receipt the tenant can read back, and another tenant can neither read it nor reach the item', async () => {
    await store(ACME, 'fact-1', 'the spare key is under the blue pot', 'c1');
    await store(GLOBEX, 'fact-1', 'globex keeps its key at the desk', 'c1');

    const erased = await app.inject({ method: 'DELETE', url: '/v1/memory/items/fact-1', headers: as(ACME) });
    expect(erased.statusCode).toBe(200);
    const { itemId, removed, receipt } = erased.json();
    expect({ itemId, removed }).toEqual({ itemId: 'fact-1', removed: { 'short-term': 1, 'mid-term': 1, 'long-term': 1 } });
    expect(receipt).toEqual({
      id: expect.any(String),
      target: { kind: 'item', id: 'fact-1' },
      requestedBy: expect.stringMatching(/^tenant:acme#[0-9a-f]{12}$/),
      requestedAt: expect.any(String),
      completedAt: expect.any(String),
      state: 'complete',
      removed,
    });
    expect(receipt.requestedBy).not.toContain(ACME);
    expect((await search(ACME, 'where is the spare key')).semantic).toEqual([]);
    expect((await search(GLOBEX, 'where is the key')).semantic.map((m: { item: { content: string } }) => m.item.content)).toEqual(['globex keeps its key at the desk']);

    expect((await app.inject({ method: 'GET', url: `/v1/memory/erasures/${receipt.id}`, headers: as(ACME) })).json()).toEqual(receipt);
    const foreign = await app.inject({ method: 'GET', url: `/v1/memory/erasures/${receipt.id}`, headers: as(GLOBEX) });
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json().error.code).toBe('ORCH_ERASURE_NOT_FOUND');
    expect((await app.inject({ method: 'GET', url: '/v1/memory/erasures/not-a-uuid', headers: as(ACME) })).statusCode).toBe(400);
  });

  it('forgets a turn of a team conversation by the id the search answers show', async () => {
    const reply = app.inject({ method: 'POST', url: '/v1/teams/default/messages', headers: as(ACME), payload: { conversationId: 'c7', content: 'remember my locker code is 2468' } });
    await gated.firstCall;
    gated.release('noted');
    expect((await reply).statusCode).toBe(200);
    const { recent } = await search(ACME, 'locker code', 'c7');
    const turn = recent.find((i: { role: string }) => i.role === 'user');
    expect(turn.id).toMatch(/^[0-9a-f-]{36}$/);

    const erased = await app.inject({ method: 'DELETE', url: `/v1/memory/items/${turn.id}`, headers: as(ACME) });
    expect(erased.json().removed).toEqual({ 'short-term': 1, 'mid-term': 1, 'long-term': 1 });
    expect((await search(ACME, 'locker code', 'c7')).recent.map((i: { content: string }) => i.content)).toEqual(['noted']);
    // Another tenant naming the same id reaches nothing.
    expect((await app.inject({ method: 'DELETE', url: `/v1/memory/items/${turn.id}`, headers: as(GLOBEX) })).json().removed).toEqual({ 'short-term': 0, 'mid-term': 0, 'long-term': 1 });
  });

  it('returns a reply that outlived the erasure of its conversation, and does not store it', async () => {
    const reply = app.inject({ method: 'POST', url: '/v1/teams/default/messages', headers: as(ACME), payload: { conversationId: 'c2', content: 'remember my PIN 1357' } });
    await gated.firstCall;
    // The user erases the conversation while the answer is being generated…
    expect((await app.inject({ method: 'DELETE', url: '/v1/conversations/c2', headers: as(ACME) })).statusCode).toBe(200);
    gated.release('I will remember 1357');
    const answered = await reply;
    expect(answered.statusCode).toBe(200);
    expect(answered.json().degraded).toEqual([expect.stringMatching(/^reply not stored: the conversation this write belongs to was erased at /)]);
    // …and the conversation stays empty: neither the answer nor the question came back.
    const context = await search(ACME, 'PIN', 'c2');
    expect([...context.recent, ...context.related, ...context.semantic]).toEqual([]);
  });

  it('purges a tenant with an admin key only, and each kind of key stays on its side', async () => {
    await store(ACME, 'a1', 'acme fact one', 'c1');
    await store(ACME, 'a2', 'acme fact two');
    await store(GLOBEX, 'g1', 'globex fact', 'c1');

    const byTenant = await app.inject({ method: 'DELETE', url: '/v1/admin/tenants/acme/memory', headers: as(ACME) });
    expect(byTenant.statusCode).toBe(403);
    expect(byTenant.json().error.code).toBe('ORCH_FORBIDDEN');
    expect((await app.inject({ method: 'DELETE', url: '/v1/admin/tenants/acme/memory' })).statusCode).toBe(401);
    const adminOnTenantRoute = await app.inject({ method: 'POST', url: '/v1/memory/search', headers: as(OPS), payload: { query: 'fact', conversationId: 'c1' } });
    expect(adminOnTenantRoute.statusCode).toBe(403);
    expect((await app.inject({ method: 'DELETE', url: '/v1/admin/tenants/not%20a%20tenant/memory', headers: as(OPS) })).statusCode).toBe(400);

    const purged = await app.inject({ method: 'DELETE', url: '/v1/admin/tenants/acme/memory', headers: as(OPS) });
    expect(purged.statusCode).toBe(200);
    expect(purged.json()).toMatchObject({
      tenant: 'acme',
      removed: { 'short-term': 2, 'mid-term': 2, 'long-term': 2 },
      receipt: { target: { kind: 'tenant', id: 'acme' }, requestedBy: expect.stringMatching(/^admin:ops#[0-9a-f]{12}$/), state: 'complete' },
    });
    expect(await search(ACME, 'acme fact')).toMatchObject({ recent: [], related: [], semantic: [] });
    expect((await search(GLOBEX, 'globex fact')).recent).toHaveLength(1);
    // The tenant sees the purge of its data among its receipts.
    expect((await app.inject({ method: 'GET', url: `/v1/memory/erasures/${purged.json().receipt.id}`, headers: as(ACME) })).statusCode).toBe(200);
  });

  it('refuses every key on the admin routes when no admin key is configured', async () => {
    const { app: closed } = await serve({ ...deployed, [S.adminApiKeys]: '' });
    expect((await closed.inject({ method: 'DELETE', url: '/v1/admin/tenants/acme/memory', headers: as(ACME) })).statusCode).toBe(403);
    expect((await closed.inject({ method: 'DELETE', url: '/v1/admin/tenants/acme/memory', headers: as(OPS) })).statusCode).toBe(401);
    await closed.close();
  });

  it('answers 503 with what was removed and the failed receipt when a layer is down, and a retry completes', async () => {
    const { app: flaky, memory } = await serve(deployed);
    await flaky.inject({ method: 'POST', url: '/v1/memory', headers: as(ACME), payload: { item: { id: 'x1', content: 'to forget', conversationId: 'c3' }, importance: 'high' } });
    const remove = memory.layers.longTerm.remove.bind(memory.layers.longTerm);
    memory.layers.longTerm.remove = async () => {
      throw new Error('UNAVAILABLE');
    };
    const failed = await flaky.inject({ method: 'DELETE', url: '/v1/conversations/c3', headers: as(ACME) });
    expect(failed.statusCode).toBe(503);
    const { error } = failed.json();
    expect(error).toMatchObject({ code: 'MEMORY_FORGET_FAILED', details: { failures: [{ layer: 'long-term', reason: 'UNAVAILABLE' }], removed: { 'mid-term': 0 }, receipt: expect.any(String) } });
    expect((await flaky.inject({ method: 'GET', url: `/v1/memory/erasures/${error.details.receipt}`, headers: as(ACME) })).json()).toMatchObject({ state: 'failed' });

    memory.layers.longTerm.remove = remove;
    const retried = await flaky.inject({ method: 'DELETE', url: '/v1/conversations/c3', headers: as(ACME) });
    expect(retried.json()).toMatchObject({ removed: { 'long-term': 1, 'mid-term': 1 }, receipt: { state: 'complete' } });
    await flaky.close();
  });

  it('answers 409 ORCH_ERASED to a write into what was erased after it began', async () => {
    const { app: racing, memory } = await serve(deployed);
    // The erasure lands between the write's start and its check: its tombstone is newer than the write.
    memory.layers.midTerm.tombstones = async (keys) => new Map([[keys.find((k) => k.startsWith('conversation/'))!, Date.now() + 60_000]]);
    const response = await racing.inject({ method: 'POST', url: '/v1/memory', headers: as(ACME), payload: { item: { id: 'late', content: 'late', conversationId: 'c4' } } });
    expect(response.statusCode).toBe(409);
    expect(response.json().error).toMatchObject({ code: 'ORCH_ERASED', details: { kind: 'conversation' } });
    await racing.close();
  });
});
