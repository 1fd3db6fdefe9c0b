import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { AgentTeam, createDefaultRegistry } from '../../../runtime/src/agents';
import { RuntimeSettings as S, parseRuntimeConfig } from '../../../runtime/src/contract';
import { ModelRouter } from '../../../runtime/src/llm/router';
import { EmbeddedLongTermStore } from '../../../runtime/src/memory/long-term/embedded-long-term';
import { LayeredMemoryManager } from '../../../runtime/src/memory/manager';
import { EmbeddedMidTermStore } from '../../../runtime/src/memory/mid-term/embedded-mid-term';
import { EmbeddedShortTermStore } from '../../../runtime/src/memory/short-term/embedded-short-term';
import { buildApp } from '../../../runtime/src/server/app';
import { hangingModel } from '../hanging-model';
import { RESEARCHER_TEAM } from '../../helpers/researcher-team';

// One deadline per request (ORCHESTRA_REQUEST_TIMEOUT_MS), and the client's disconnect, reach the
// model calls as an AbortSignal: a model that never answers ends in a 504 in the error shape, and a
// client that leaves takes its model calls with it.

const TEAM = RESEARCHER_TEAM;

async function serve(env: Record<string, string> = {}) {
  const hanging = hangingModel();
  const memory = new LayeredMemoryManager({ shortTerm: new EmbeddedShortTermStore(), midTerm: new EmbeddedMidTermStore(), longTerm: new EmbeddedLongTermStore() });
  const stored: unknown[] = [];
  const store = memory.store.bind(memory);
  memory.store = (input, ...rest) => (stored.push((input as { role?: string }).role), store(input, ...rest));
  const registry = createDefaultRegistry({ baseDir: join(__dirname, '..', 'agents', 'fixtures') });
  const llm = new ModelRouter({ deployments: [{ name: 'primary', model: hanging.model }], retries: 0 });
  const team = await AgentTeam.create(TEAM, { registry, memory, llm });
  const app: FastifyInstance = await buildApp(
    {
      config: parseRuntimeConfig(env),
      memory,
      teams: { get: (id) => (id === 'default' ? team : undefined), describe: () => [] },
      agents: { list: () => [] },
    },
    { logger: false },
  );
  return { app, hanging, stored };
}

const message = { conversationId: 'c1', content: 'Explain tides' };

describe('the request deadline', () => {
  it('answers 504 in the error shape, naming the deadline, with the trace of what was attempted', async () => {
    const { app, hanging, stored } = await serve({ [S.requestTimeoutMs]: '50' });
    const response = await app.inject({ method: 'POST', url: '/v1/teams/default/messages', payload: message });

    expect(response.statusCode).toBe(504);
    const { error } = response.json();
    expect(error.code).toBe('ORCH_DEADLINE_EXCEEDED');
    expect(error.message).toBe('no answer within the request deadline of 50 ms (ORCHESTRA_REQUEST_TIMEOUT_MS); the trace shows what was attempted');
    expect(error.details.deadlineMs).toBe(50);
    expect(error.details.trace.map((s: { agent: string; action: string }) => `${s.agent} ${s.action}`)).toEqual(['coordinator delegate', 'researcher llm-call']);
    // The trace's safe wording (no upstream text): the model call to primary ended by the abort.
    expect(error.details.trace[1].detail).toMatch(/failed: no model answered \(primary timeout\)/);
    expect(hanging.signals[0].aborted).toBe(true);
    expect(stored).toEqual(['user']);
    await app.close();
  });

  it('is documented in the OpenAPI document as a 504 of the message route', async () => {
    const { app } = await serve();
    const doc = (await app.inject('/docs/json')).json();
    expect(doc.paths['/v1/teams/{teamId}/messages'].post.responses['504']).toBeDefined();
    await app.close();
  });
});

describe('a client that disconnects', () => {
  it('aborts its model calls, and no reply is stored', async () => {
    const { app, hanging, stored } = await serve();
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    const body = JSON.stringify(message);
    const request = httpRequest({ port, host: '127.0.0.1', method: 'POST', path: '/v1/teams/default/messages', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } });
    request.on('error', () => undefined);
    request.end(body);

    await hanging.called;
    request.destroy();
    // Settles only if the disconnect reached the model's AbortSignal (the deadline is minutes away).
    await hanging.aborted;
    await nextTurn();
    expect(stored).toEqual(['user']);
    await app.close();
  });

  it('does not abort a request whose answer was sent', async () => {
    const { app, hanging } = await serve();
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    // A team without a matching member answers at once, without a model.
    const response = await fetch(`http://127.0.0.1:${port}/v1/teams/default/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ conversationId: 'c2', content: 'hello there' }),
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { reply: { agent: string } }).reply.agent).toBe('coordinator');
    expect(hanging.signals).toEqual([]);
    await app.close();
  });
});
