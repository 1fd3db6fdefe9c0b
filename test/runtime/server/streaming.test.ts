// POST /v1/teams/:teamId/messages with `Accept: text/event-stream` (issue 13, "Streaming"): the
// bundled default team over a scripted streaming model, on embedded memory.
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createDefaultRegistry, loadTeams } from '../../../runtime/src/agents';
import type { StepEvent } from '../../../runtime/src/agents/run-events';
import { RuntimeSettings as S, parseRuntimeConfig } from '../../../runtime/src/contract';
import { LlmRouterError } from '../../../runtime/src/llm/router';
import { type ChatRequest, LlmError, type RoutedStreamPart } from '../../../runtime/src/llm/types';
import { MemoryWriteError } from '../../../runtime/src/memory/errors';
import { buildApp } from '../../../runtime/src/server/app';
import type { TeamDirectory } from '../../../runtime/src/server/deps';
import { embeddedMemory } from '../agents/helpers';
import { ScriptedStreamLlm, aborted, deferred, parseEvents, routedResult } from './event-stream-helpers';

const TEAMS_DIR = join(__dirname, '../../../runtime/teams');
const URL = '/v1/teams/default/messages';
const SSE = { accept: 'text/event-stream' };
const PLAN = { conversationId: 'launch', content: 'Plan the steps for our launch' };

/** The planner writes its answer in three pieces, the primary deployment failing over to the backup after the second. */
async function* plannerAnswer(): AsyncGenerator<RoutedStreamPart> {
  yield { type: 'attempt', attempt: { deployment: 'primary', provider: 'scripted', model: 'scripted-primary', outcome: 'error', errorKind: 'network', durationMs: 1 } };
  yield { type: 'text-delta', text: '1. Pick a date. ' };
  yield { type: 'text-delta', text: '2. Tell the press. ' };
  yield { type: 'failover', from: 'primary', to: 'backup', reason: 'network', sentChars: 35 };
  yield { type: 'text-delta', text: '3. Launch.' };
  yield { type: 'finish', result: routedResult('1. Pick a date. 2. Tell the press. 3. Launch.', 'backup') };
}

async function build(llm: ScriptedStreamLlm, teams?: TeamDirectory, env: Record<string, string> = {}, keepAliveMs?: number): Promise<{ app: FastifyInstance; teams: TeamDirectory }> {
  const { memory } = embeddedMemory();
  const directory = teams ?? (await catalogOf(llm, memory));
  const app = await buildApp({ config: parseRuntimeConfig(env), memory, teams: directory, agents: { list: () => [] } }, { logger: false, eventStreamKeepAliveMs: keepAliveMs });
  return { app, teams: directory };
}

async function catalogOf(llm: ScriptedStreamLlm, memory: ReturnType<typeof embeddedMemory>['memory']): Promise<TeamDirectory> {
  const catalog = await loadTeams(TEAMS_DIR, { registry: createDefaultRegistry(), memory, llm });
  return { get: (id) => catalog.get(id), describe: () => [] };
}

/** Timings differ from run to run; the rest of an answer must not. */
const untimed = (answer: unknown) => JSON.parse(JSON.stringify(answer), (key, value) => (key === 'startedAt' ? 'T' : key === 'durationMs' ? 0 : value));

describe('a streamed answer', () => {
  it('tells each step as it starts and ends, the reply as deltas, a failover, then done with the JSON answer', async () => {
    const streamed = await build(new ScriptedStreamLlm(plannerAnswer));
    const response = await streamed.app.inject({ method: 'POST', url: URL, headers: SSE, payload: PLAN });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(response.headers['cache-control']).toBe('no-cache');
    const events = parseEvents(response.body);

    const summary = events.map(({ event, data }) => {
      if (event === 'step') {
        const step = data as StepEvent;
        return `${step.phase} ${step.id} ${step.agent} ${step.action}${step.phase === 'end' ? ` ${step.outcome}` : ''}`;
      }
      return event;
    });
    expect(summary).toEqual([
      'start 0 coordinator delegate',
      'start 1 planner llm-call',
      'delta',
      'delta',
      'failover',
      'delta',
      'end 1 planner llm-call ok',
      'end 0 coordinator delegate ok',
      'done',
    ]);
    expect(events.find((e) => e.event === 'failover')?.data).toEqual({ agent: 'planner', from: 'primary', to: 'backup', reason: 'network', sentChars: 35 });
    const done = events[events.length - 1].data as { reply: { content: string }; trace: unknown[] };
    const text = events.filter((e) => e.event === 'delta').map((e) => (e.data as { text: string }).text).join('');
    expect(text).toBe('1. Pick a date. 2. Tell the press. 3. Launch.');
    expect(done.reply.content).toBe(text);
    // Each `end` is the trace's step, with its outcome.
    const ends = events.filter((e) => e.event === 'step' && (e.data as StepEvent).phase === 'end').map((e) => {
      const { phase: _p, id: _i, outcome: _o, ...step } = e.data as StepEvent & { outcome: string };
      return step;
    });
    expect(untimed(ends)).toEqual(expect.arrayContaining(untimed(done.trace)));

    // The same conversation asked for JSON answers exactly what `done` carries.
    const json = await build(new ScriptedStreamLlm(plannerAnswer));
    const plain = await json.app.inject({ method: 'POST', url: URL, payload: PLAN });
    expect(plain.statusCode).toBe(200);
    expect(untimed(done)).toEqual(untimed(plain.json()));
    await Promise.all([streamed.app.close(), json.app.close()]);
  });

  it('stores the reply in memory once, when it is complete', async () => {
    const { app } = await build(new ScriptedStreamLlm(plannerAnswer));
    const response = await app.inject({ method: 'POST', url: URL, headers: SSE, payload: PLAN });
    expect(parseEvents(response.body).at(-1)?.event).toBe('done');
    const search = await app.inject({ method: 'POST', url: '/v1/memory/search', payload: { query: 'launch', conversationId: PLAN.conversationId } });
    const recent = search.json().recent as { role?: string; content: string }[];
    expect(recent.filter((i) => i.role === 'assistant').map((i) => i.content)).toEqual(['1. Pick a date. 2. Tell the press. 3. Launch.']);
    expect(recent.filter((i) => i.role === 'user').map((i) => i.content)).toEqual([PLAN.content]);
    await app.close();
  });

  it('answers JSON as before when asked for JSON, or for anything', async () => {
    const { app } = await build(new ScriptedStreamLlm(plannerAnswer));
    for (const accept of ['application/json', '*/*', 'application/json, text/event-stream;q=0.5', 'text/event-stream;q=0']) {
      const response = await app.inject({ method: 'POST', url: URL, headers: { accept }, payload: PLAN });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(response.json().reply.content).toBe('1. Pick a date. 2. Tell the press. 3. Launch.');
    }
    await app.close();
  });

  it('fails with an ordinary error status, as JSON would, before the first event', async () => {
    const unused = new ScriptedStreamLlm(plannerAnswer);
    const { app } = await build(unused);
    const missing = await app.inject({ method: 'POST', url: '/v1/teams/nope/messages', headers: SSE, payload: PLAN });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('ORCH_TEAM_NOT_FOUND');
    const invalid = await app.inject({ method: 'POST', url: URL, headers: SSE, payload: { conversationId: 'c' } });
    expect(invalid.statusCode).toBe(400);
    await app.close();

    const failures = [
      new MemoryWriteError([{ layer: 'short-term', reason: 'down' }], []),
      new LlmRouterError([{ deployment: 'primary', provider: 'scripted', model: 'm', outcome: 'error', errorKind: 'server', durationMs: 1 }], new LlmError('server', 'upstream 500')),
    ];
    for (const failure of failures) {
      const failing: TeamDirectory = { get: () => ({ processMessage: () => Promise.reject(failure) }), describe: () => [] };
      const built = await build(unused, failing);
      const streamed = await built.app.inject({ method: 'POST', url: URL, headers: SSE, payload: PLAN });
      const plain = await built.app.inject({ method: 'POST', url: URL, payload: PLAN });
      expect(streamed.statusCode).toBeGreaterThanOrEqual(500);
      expect(streamed.statusCode).toBe(plain.statusCode);
      expect(streamed.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(streamed.json()).toEqual(plain.json());
      await built.app.close();
    }
  });

  it('ends with an error event in the error shape when the run fails after the first event', async () => {
    const failure = new LlmRouterError([{ deployment: 'primary', provider: 'scripted', model: 'm', outcome: 'error', errorKind: 'server', durationMs: 1 }], new LlmError('server', 'secret upstream detail'));
    const failing: TeamDirectory = {
      get: () => ({
        async processMessage(_message, options) {
          options?.events?.onStep?.({ phase: 'start', id: 0, agent: 'coordinator', action: 'llm-call', startedAt: new Date().toISOString() });
          options?.events?.onText?.('Half an ans');
          throw failure;
        },
      }),
      describe: () => [],
    };
    const { app } = await build(new ScriptedStreamLlm(plannerAnswer), failing);
    const response = await app.inject({ method: 'POST', url: URL, headers: SSE, payload: PLAN });
    expect(response.statusCode).toBe(200);
    const events = parseEvents(response.body);
    expect(events.map((e) => e.event)).toEqual(['step', 'delta', 'error']);
    const plain = await app.inject({ method: 'POST', url: URL, payload: PLAN });
    expect(plain.statusCode).toBe(502);
    expect(events[2].data).toEqual(plain.json());
    expect(events[2].data).toMatchObject({ error: { code: 'ORCH_LLM_UNAVAILABLE', details: { attempts: [expect.objectContaining({ deployment: 'primary' })] } } });
    expect(response.body).not.toContain('secret upstream detail');
    await app.close();
  });

  it('ends with the deadline error as an event when the deadline passes after the first event', async () => {
    // The step is told as the run starts, in the handler's own turn: before any timer can fire.
    const slow: TeamDirectory = {
      get: () => ({
        async processMessage(_message, options) {
          options?.events?.onStep?.({ phase: 'start', id: 0, agent: 'coordinator', action: 'delegate', startedAt: new Date().toISOString() });
          await aborted(options?.signal);
          throw options?.signal?.reason;
        },
      }),
      describe: () => [],
    };
    const { app } = await build(new ScriptedStreamLlm(plannerAnswer), slow, { [S.requestTimeoutMs]: '50' });
    const response = await app.inject({ method: 'POST', url: URL, headers: SSE, payload: PLAN });
    expect(response.statusCode).toBe(200);
    const events = parseEvents(response.body);
    expect(events.map((e) => e.event)).toEqual(['step', 'error']);
    expect(events[1].data).toMatchObject({ error: { code: 'ORCH_DEADLINE_EXCEEDED', details: { deadlineMs: 50 } } });
    await app.close();
  });

  it('aborts the run when the client disconnects: the model sees its abort signal, and no reply is stored', async () => {
    const firstDelta = deferred();
    const modelAborted = deferred<unknown>();
    const llm = new ScriptedStreamLlm(async function* (request: ChatRequest) {
      yield { type: 'text-delta', text: 'Starting' };
      firstDelta.resolve();
      await aborted(request.abortSignal);
      modelAborted.resolve(request.abortSignal?.reason);
      throw request.abortSignal?.reason;
    });
    const { app } = await build(llm);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as AddressInfo;
    const client = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: URL, headers: { ...SSE, 'content-type': 'application/json' } });
    const received: string[] = [];
    client.on('response', (response) => {
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        received.push(chunk);
        if (received.join('').includes('event: delta')) client.destroy();
      });
      response.on('error', () => undefined);
    });
    client.on('error', () => undefined);
    client.end(JSON.stringify(PLAN));
    await firstDelta.promise;
    const reason = await modelAborted.promise;
    expect((reason as { code?: string }).code).toBe('ORCH_CLIENT_DISCONNECTED');

    const search = await app.inject({ method: 'POST', url: '/v1/memory/search', payload: { query: 'launch', conversationId: PLAN.conversationId } });
    expect((search.json().recent as { role?: string }[]).filter((i) => i.role === 'assistant')).toEqual([]);
    await app.close();
  });
});

describe('a streamed answer that goes quiet', () => {
  it('sends a comment line while the team thinks, which clients skip: the events are the same', async () => {
    const release = deferred();
    const llm = new ScriptedStreamLlm(async function* () {
      yield { type: 'text-delta', text: 'Thinking… ' };
      await release.promise;
      yield { type: 'text-delta', text: 'done.' };
      yield { type: 'finish', result: routedResult('Thinking… done.') };
    });
    const { app } = await build(llm, undefined, {}, 5);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as AddressInfo;
    const body = await new Promise<string>((resolve, reject) => {
      const client = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: URL, headers: { ...SSE, 'content-type': 'application/json' } });
      client.on('response', (response) => {
        let text = '';
        response.setEncoding('utf8');
        // The model is held until a keep-alive comment has arrived: no clock decides the outcome.
        response.on('data', (chunk: string) => {
          text += chunk;
          if (text.includes(': keep-alive\n\n')) release.resolve();
        });
        response.on('end', () => resolve(text));
        response.on('error', reject);
      });
      client.on('error', reject);
      client.end(JSON.stringify({ conversationId: 'slow', content: 'Plan the steps for our launch' }));
    });
    expect(body).toMatch(/^: keep-alive$/m);
    const events = parseEvents(body);
    expect(events.filter((e) => e.event === 'delta').map((e) => (e.data as { text: string }).text).join('')).toBe('Thinking… done.');
    expect(events.at(-1)?.event).toBe('done');
    await app.close();
  });
});

describe('a streamed answer with an Idempotency-Key', () => {
  it('keeps the JSON answer: a retry gets it as one done event (or as JSON), and a retry while it streams gets 409', async () => {
    const release = deferred();
    const started = deferred();
    let calls = 0;
    const llm = new ScriptedStreamLlm(async function* () {
      calls += 1;
      yield { type: 'text-delta', text: 'Held ' };
      started.resolve();
      await release.promise;
      yield { type: 'text-delta', text: 'answer' };
      yield { type: 'finish', result: routedResult('Held answer') };
    });
    const { app } = await build(llm);
    const headers = { ...SSE, 'idempotency-key': 'stream-key-1' };
    const first = app.inject({ method: 'POST', url: URL, headers, payload: PLAN });
    await started.promise;
    const during = await app.inject({ method: 'POST', url: URL, headers, payload: PLAN });
    expect(during.statusCode).toBe(409);
    expect(during.json().error.code).toBe('ORCH_IDEMPOTENCY_KEY_IN_USE');
    release.resolve();
    const answered = await first;
    const done = parseEvents(answered.body).at(-1);
    expect(done?.event).toBe('done');

    const replay = await app.inject({ method: 'POST', url: URL, headers, payload: PLAN });
    expect(replay.statusCode).toBe(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(parseEvents(replay.body)).toEqual([done]);

    const asJson = await app.inject({ method: 'POST', url: URL, headers: { 'idempotency-key': 'stream-key-1' }, payload: PLAN });
    expect(asJson.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(asJson.json()).toEqual(done?.data);
    expect(calls).toBe(1);
    await app.close();
  });
});
