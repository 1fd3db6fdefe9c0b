import { join } from 'node:path';
import { AgentTeam } from '../../../runtime/src/agents/team';
import { createDefaultRegistry } from '../../../runtime/src/agents/registry';
import { loadTeamConfig } from '../../../runtime/src/agents/team-config';
import { EmbeddedLongTermStore } from '../../../runtime/src/memory/long-term/embedded-long-term';
import { LayeredMemoryManager } from '../../../runtime/src/memory/manager';
import { EmbeddedMidTermStore } from '../../../runtime/src/memory/mid-term/embedded-mid-term';
import { EmbeddedShortTermStore } from '../../../runtime/src/memory/short-term/embedded-short-term';
import { BUNDLED_TEAMS_DIR } from '../../../runtime/src/server/service';
import { offlineLlm } from '../agents/helpers';
import { ACME_KEY, GLOBEX_KEY, bearer, instance } from './approval-app';
import { parseEvents } from './event-stream-helpers';

describe('tool approval over HTTP', () => {
  it('answers 202 naming the call; another instance resumes it once; another tenant cannot', async () => {
    const midTerm = new EmbeddedMidTermStore();
    const first = await instance(midTerm);
    const sent = await first.inject({ method: 'POST', url: '/v1/teams/bank/messages', headers: bearer(ACME_KEY), payload: { conversationId: 'c1', content: 'pay ACC-9' } });
    expect(sent.statusCode).toBe(202);
    const pending = sent.json();
    expect(pending).toMatchObject({ status: 'pending-approval', conversationId: 'c1', pendingCall: { name: 'transfer_money', arguments: { account: 'ACC-9' } } });
    expect(pending.resume).toBe(`/v1/teams/bank/runs/${pending.runId}/approval`);
    // Another instance over the same mid-term store (closing the first would close the embedded
    // store with it: a restart proper needs a MongoDB-wire store).
    const second = await instance(midTerm);
    const stranger = await second.inject({ method: 'POST', url: pending.resume, headers: bearer(GLOBEX_KEY), payload: { approve: true } });
    expect(stranger.statusCode).toBe(404);
    const approved = await second.inject({ method: 'POST', url: pending.resume, headers: bearer(ACME_KEY), payload: { approve: true } });
    expect(approved.statusCode).toBe(200);
    expect(approved.json()).toMatchObject({ conversationId: 'c1', reply: { content: 'model saw: transferred to ACC-9', agent: 'teller' } });
    expect(approved.json().trace.map((s: { action: string }) => s.action)).toEqual(['tool-call', 'llm-call']);
    const again = await second.inject({ method: 'POST', url: pending.resume, headers: bearer(ACME_KEY), payload: { approve: false } });
    expect(again.statusCode).toBe(409);
    await second.close();
    await first.close();
  });

  it('runs the call once when two instances get a decision at the same moment: the other is 409', async () => {
    // Reads of the run wait until both decisions have read it: both see it pending, whatever the
    // order the two requests run in, so only the claim can tell them apart.
    let readers = 0;
    let bothRead!: () => void;
    const barrier = new Promise<void>((resolve) => (bothRead = resolve));
    const midTerm = new (class extends EmbeddedMidTermStore {
      override async get(id: string, tenantId?: string) {
        const item = await super.get(id, tenantId);
        if (item?.role === 'tool-approval' && item.metadata?.['status'] === 'pending' && ++readers >= 2) bothRead();
        if (item?.role === 'tool-approval' && item.metadata?.['status'] === 'pending') await barrier;
        return item;
      }
    })();
    const [first, second] = [await instance(midTerm), await instance(midTerm)];
    const pending = (await first.inject({ method: 'POST', url: '/v1/teams/bank/messages', headers: bearer(ACME_KEY), payload: { conversationId: 'c2', content: 'pay ACC-7' } })).json();
    const decisions = await Promise.all([first, second].map((app) => app.inject({ method: 'POST', url: pending.resume, headers: bearer(ACME_KEY), payload: { approve: true } })));
    expect(decisions.map((d) => d.statusCode).sort()).toEqual([200, 409]);
    const ran = decisions.flatMap((d) => (d.statusCode === 200 ? d.json().trace.filter((s: { action: string }) => s.action === 'tool-call') : []));
    expect(ran).toHaveLength(1);
    await second.close();
    await first.close();
  });

  it('tells the model a refusal and its reason', async () => {
    const app = await instance(new EmbeddedMidTermStore());
    const pending = (await app.inject({ method: 'POST', url: '/v1/teams/bank/messages', headers: bearer(ACME_KEY), payload: { conversationId: 'c2', content: 'pay' } })).json();
    const refused = await app.inject({ method: 'POST', url: pending.resume, headers: bearer(ACME_KEY), payload: { approve: false, reason: 'over the limit' } });
    expect(refused.statusCode).toBe(200);
    expect(refused.json().reply.content).toContain('refused by the person asked to approve it: over the limit');
    await app.close();
  });

  it('ends a stream with a pending-approval event that resumes like the 202', async () => {
    const app = await instance(new EmbeddedMidTermStore());
    const streamed = await app.inject({ method: 'POST', url: '/v1/teams/bank/messages', headers: { ...bearer(ACME_KEY), accept: 'text/event-stream' }, payload: { conversationId: 'c3', content: 'pay' } });
    expect(streamed.statusCode).toBe(200);
    const events = parseEvents(streamed.body);
    const last = events[events.length - 1];
    expect(last.event).toBe('pending-approval');
    const pending = last.data as { resume: string; pendingCall: { name: string } };
    expect(pending.pendingCall.name).toBe('transfer_money');
    const approved = await app.inject({ method: 'POST', url: pending.resume, headers: bearer(ACME_KEY), payload: { approve: true } });
    expect(approved.json().reply.content).toBe('model saw: transferred to ACC-9');
    await app.close();
  });

  it('answers 404 for an unknown run and documents the route', async () => {
    const app = await instance(new EmbeddedMidTermStore());
    const unknown = await app.inject({ method: 'POST', url: '/v1/teams/bank/runs/00000000-0000-4000-8000-000000000000/approval', headers: bearer(ACME_KEY), payload: { approve: true } });
    expect(unknown.statusCode).toBe(404);
    const docs = (await app.inject({ url: '/docs/json' })).json();
    expect(Object.keys(docs.paths['/v1/teams/{teamId}/runs/{runId}/approval'].post.responses)).toEqual(expect.arrayContaining(['200', '202', '404', '409']));
    expect(docs.paths['/v1/teams/{teamId}/messages'].post.responses['202']).toBeDefined();
    await app.close();
  });
});

describe('the default team', () => {
  it("ships the current_time tool, which the offline model calls when asked the time", async () => {
    const memory = new LayeredMemoryManager({ shortTerm: new EmbeddedShortTermStore(), midTerm: new EmbeddedMidTermStore(), longTerm: new EmbeddedLongTermStore() });
    const t = await AgentTeam.create(await loadTeamConfig(join(BUNDLED_TEAMS_DIR, 'default.yaml')), { memory, llm: offlineLlm(), registry: createDefaultRegistry() });
    const result = await t.processMessage({ conversationId: 'c', content: 'What is the current time?' });
    expect(result.trace.find((s) => s.action === 'tool-call')).toMatchObject({ agent: 'assistant', tool: 'current_time' });
    expect(result.reply.content).toMatch(/Tool current_time returned: \d{4}-\d{2}-\d{2}T/);
    await t.close();
  });
});
