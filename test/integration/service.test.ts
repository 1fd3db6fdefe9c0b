import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { ConfigError, RuntimeSettings as S } from '../../runtime/src/contract';
import { createService } from '../../runtime/src/server/service';
import { freePort } from '../servers/process-server';
import { OpenAIServer, reply, startOpenAIServer } from '../servers/openai-compatible-server';
import { startRedis } from '../servers/redis-server';

const ROOT = path.resolve(__dirname, '../..');
const KEY = 'integration-key-0123456789';
jest.setTimeout(20_000);

describe('the service on its embedded defaults (what `npm start` serves)', () => {
  it('holds a multi-turn conversation whose earlier turns reach later replies', async () => {
    const { app } = await createService({}, { logger: false });
    try {
      const say = async (content: string) => {
        const response = await app.inject({ method: 'POST', url: '/v1/teams/default/messages', payload: { conversationId: 'trip', content } });
        expect(response.statusCode).toBe(200);
        return response.json();
      };
      const first = await say('Plan the steps for a trip to Lisbon in May');
      expect(first.reply).toMatchObject({ agent: 'planner', provider: 'offline' });
      expect(first.trace.map((s: { agent: string; action: string }) => `${s.agent}:${s.action}`)).toEqual(['coordinator:delegate', 'planner:llm-call']);

      await say('Explain the facts about the weather there');
      const third = await say('Now plan the schedule for the first day');
      // The offline model reports what it was given: the earlier turns came from memory.
      expect(third.reply.content).toMatch(/4 earlier messages/);

      const context = await app.inject({ method: 'POST', url: '/v1/memory/search', payload: { query: 'Lisbon trip', conversationId: 'trip' } });
      expect(context.json().recent.map((i: { content: string }) => i.content)).toContain('Plan the steps for a trip to Lisbon in May');

      const agents = (await app.inject('/v1/agents')).json();
      expect(agents.teams).toEqual([expect.objectContaining({ id: 'default', coordinator: 'coordinator', agents: ['coordinator', 'researcher', 'planner', 'assistant'] })]);
      expect(agents.agents.map((a: { name: string }) => a.name)).toEqual(expect.arrayContaining(['llm', 'coordinator']));
    } finally {
      await app.close();
    }
  });

  it('closes the LLM router with the app (a Gemini channel would otherwise outlive SIGTERM)', async () => {
    const { app, llm } = await createService({}, { logger: false });
    const close = jest.spyOn(llm, 'close');
    await app.close();
    expect(close).toHaveBeenCalledTimes(1);
  });

  it('refuses to start with a bad configuration, naming every variable', async () => {
    const error = await createService({ [S.environment]: 'prod', [S.redisPort]: 'x', [S.llmConfig]: '{"deployments": 3}' }, { logger: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/ORCHESTRA_API_KEYS: required outside local development/);
    expect(message).toMatch(/ORCHESTRA_LLM_CONFIG/);
  });

  it('answers with the degraded layer named when a backend is down', async () => {
    const redis = await startRedis();
    const { app } = await createService({ [S.redisUrl]: redis.url }, { logger: false });
    try {
      await redis.stop();
      const response = await app.inject({ method: 'POST', url: '/v1/teams/default/messages', payload: { conversationId: 'c', content: 'plan a picnic' } });
      // The message lands in its durable layer (mid-term, embedded); the short-term cache is named.
      expect(response.statusCode).toBe(200);
      expect(response.json().degraded).toEqual(expect.arrayContaining([expect.stringMatching(/short-term/)]));
      expect((await app.inject('/readyz')).statusCode).toBe(503);
    } finally {
      await app.close();
    }
  });
});

describe('the real listening server', () => {
  let child: ChildProcess;
  let url: string;
  let llm: OpenAIServer;
  let stderr = '';
  let stdout = '';

  beforeAll(async () => {
    // The members' model is the local OpenAI-compatible server, so a test can make a call slow.
    llm = await startOpenAIServer();
    llm.setDefault(reply.text('the model says hello'));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    child = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), ['runtime/src/server/main.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        PORT: String(port),
        [S.environment]: 'staging',
        [S.apiKeys]: `acme=${KEY}`,
        [S.host]: '127.0.0.1',
        [S.llmConfig]: JSON.stringify({ deployments: [{ name: 'local', provider: 'openai-compatible', model: 'test-model', baseUrl: llm.url }] }),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    for (let i = 0; i < 200; i++) {
      if ((await fetch(`${url}/readyz`).then((r) => r.status, () => 0)) === 200) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`server did not become ready:\n${stderr}`);
  });

  afterAll(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await llm.stop();
  });

  it('serves over HTTP with auth, request ids and Cloud Logging JSON logs', async () => {
    expect((await fetch(`${url}/v1/agents`)).status).toBe(401);
    const response = await fetch(`${url}/v1/teams/default/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', 'x-request-id': 'it-request-1' },
      body: JSON.stringify({ conversationId: 'c1', content: 'research the facts about tides' }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('it-request-1');
    expect(((await response.json()) as { reply: { agent: string; content: string } }).reply).toMatchObject({ agent: 'researcher', content: 'the model says hello' });

    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.find((l) => l.reqId === 'it-request-1')).toMatchObject({ severity: 'INFO', service: 'orchestra-runtime' });
    expect(stdout).not.toContain(KEY);
  });

  it('drains in-flight requests on SIGTERM and exits cleanly', async () => {
    llm.enqueue(reply.slow(800, reply.text('finished after the signal')));
    const before = llm.requests.length;
    const inFlight = fetch(`${url}/v1/teams/default/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ conversationId: 'c2', content: 'plan the steps of a long project' }),
    });
    // SIGTERM only once the model call is under way: the request is really in flight.
    while (llm.requests.length === before) await new Promise((r) => setTimeout(r, 10));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(((await response.json()) as { reply: { content: string } }).reply.content).toBe('finished after the signal');
    const code = await exited;
    expect({ code, tail: code === 0 ? '' : stdout.slice(-1500) + stderr.slice(-1500) }).toEqual({ code: 0, tail: '' });
    expect(stdout).toMatch(/"message":"shutting down"/);
  });
});

describe('the process entry with a bad configuration', () => {
  it('exits 1 with the problems, not a stack trace', async () => {
    const child = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), ['runtime/src/server/main.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, [S.environment]: 'prod', PORT: 'eighty' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toMatch(/invalid runtime configuration:\n {2}- /);
    expect(stderr).toMatch(/PORT: expected/);
    expect(stderr).toMatch(/ORCHESTRA_API_KEYS: required outside local development/);
    expect(stderr).not.toMatch(/\n\s+at .*\.ts:\d+/);
  });
});
