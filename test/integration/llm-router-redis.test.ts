import Redis from 'ioredis';
import { LLM_ROUTER_DEFAULTS, RuntimeSettings as S, parseRuntimeConfig } from '../../runtime/src/contract';
import { LlmError, ModelRouter, createLlmClient, type ChatResult, type LanguageModel } from '../../runtime/src/llm';
import { createService } from '../../runtime/src/server/service';
import { reply, startOpenAIServer, type OpenAIServer } from '../servers/openai-compatible-server';
import { RedisRouterState } from '../../runtime/src/llm/router-state';
import { startRedis } from '../servers/redis-server';

// Two routers on one real redis-server (loopback) stand for two instances of the service: a
// deployment one of them saw answer 429 is skipped by the other too, and per-minute usage (rpm)
// is counted across both. Their clocks are the tests' own.

let redis: Awaited<ReturnType<typeof startRedis>>;
const clients: Redis[] = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  clients.forEach((c) => c.disconnect());
  await redis.stop();
});

let clock = 6_000_000;
let calls: string[] = [];
beforeEach(() => {
  calls = [];
});

const ok = (name: string): ChatResult => ({ text: name, toolCalls: [], finishReason: 'stop', provider: 'scripted', model: name, warnings: [] });
function model(name: string, ...script: (ChatResult | LlmError)[]): LanguageModel {
  return {
    provider: 'scripted',
    modelId: name,
    doChat: async () => {
      calls.push(name);
      const next = script.shift() ?? ok(name);
      if (next instanceof LlmError) throw next;
      return next;
    },
  };
}

function instance(prefix: string, primary: LanguageModel, options: { rpm?: number } = {}): ModelRouter {
  const client = new Redis(redis.url);
  clients.push(client);
  return new ModelRouter({
    deployments: [{ name: 'primary', model: primary, rpm: options.rpm }, { name: 'backup', model: model('backup') }],
    fallbacks: { primary: ['backup'] },
    cooldownMs: 10_000,
    retries: 0,
    state: new RedisRouterState(client, prefix),
    now: () => clock,
  });
}

describe('router state shared through Redis', () => {
  it('a cooldown one instance starts is honoured by the other, and ends for both after cooldownMs', async () => {
    const one = instance('t1', model('primary', new LlmError('rate-limit', 'slow down', { status: 429 })));
    const two = instance('t1', model('primary'));
    expect((await one.chat({ messages: [{ role: 'user', content: 'hi' }] })).deployment).toBe('backup');
    const fromTwo = await two.chat({ messages: [{ role: 'user', content: 'hi' }] });
    expect(fromTwo.attempts.map((a) => `${a.deployment} ${a.outcome}`)).toEqual(['primary skipped-cooldown', 'backup ok']);
    expect(calls).toEqual(['primary', 'backup', 'backup']);
    // Namespaced, with the cooldown as its TTL.
    const ttl = await clients[0].pttl('t1:cooldown:primary');
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(10_000);
    clock += 10_000;
    expect((await two.chat({ messages: [{ role: 'user', content: 'hi' }] })).deployment).toBe('primary');
  });

  it('counts a deployment\'s requests this minute across instances for its rpm, in keys that expire', async () => {
    const one = instance('t2', model('primary'), { rpm: 2 });
    const two = instance('t2', model('primary'), { rpm: 2 });
    const hi = { messages: [{ role: 'user' as const, content: 'hi' }] };
    expect((await one.chat(hi)).deployment).toBe('primary');
    expect((await two.chat(hi)).deployment).toBe('primary');
    expect((await one.chat(hi)).deployment).toBe('backup');
    const key = `t2:rpm:primary:${Math.floor(clock / 60_000)}`;
    expect(await clients[0].get(key)).toBe('2');
    expect(await clients[0].pttl(key)).toBeGreaterThan(60_000);
    // A separate namespace shares nothing.
    const other = instance('t3', model('primary'), { rpm: 2 });
    expect((await other.chat(hi)).deployment).toBe('primary');
  });

  it('keeps routing on its own state while Redis is unreachable', async () => {
    const client = new Redis(redis.url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    clients.push(client);
    const router = new ModelRouter({
      deployments: [{ name: 'primary', model: model('primary', new LlmError('rate-limit', 'slow', { status: 429 })) }, { name: 'backup', model: model('backup') }],
      fallbacks: { primary: ['backup'] },
      retries: 0,
      state: new RedisRouterState(client, 't4'),
      now: () => clock,
    });
    const hi = { messages: [{ role: 'user' as const, content: 'hi' }] };
    expect((await router.chat(hi)).deployment).toBe('backup');
    expect((await router.chat(hi)).attempts.map((a) => `${a.deployment} ${a.outcome}`)).toEqual(['primary skipped-cooldown', 'backup ok']);
  });
});

describe('sharedState "redis" from ORCHESTRA_LLM_CONFIG', () => {
  let server: OpenAIServer;
  beforeAll(async () => {
    server = await startOpenAIServer();
  });
  afterAll(async () => server.stop());

  it('two clients built from the same settings share a cooldown', async () => {
    const env = {
      [S.llmConfig]: JSON.stringify({
        deployments: [
          { name: 'primary', provider: 'openai-compatible', model: 'm', baseUrl: server.url },
          { name: 'spare', provider: 'offline', model: 'offline' },
        ],
        fallbacks: { primary: ['spare'] },
        sharedState: 'redis',
      }),
      [S.redisUrl]: redis.url,
    };
    const client = () => {
      const c = new Redis(redis.url);
      clients.push(c);
      return createLlmClient(parseRuntimeConfig(env).llm, {}, { redis: c });
    };
    const [one, two] = [client(), client()];
    server.enqueue(reply.rateLimit({ retryAfterMs: 60_000 }));
    expect((await one.chat({ messages: [{ role: 'user', content: 'hi' }] })).deployment).toBe('spare');
    const second = await two.chat({ messages: [{ role: 'user', content: 'hi' }] });
    expect(second.attempts.map((a) => `${a.deployment} ${a.outcome}`)).toEqual(['primary skipped-cooldown', 'spare ok']);
    expect(server.requests).toHaveLength(1);
    expect(await clients[0].exists(`${LLM_ROUTER_DEFAULTS.redisKeyPrefix}:cooldown:primary`)).toBe(1);
  });
});

describe('the service with sharedState "redis"', () => {
  it('connects the router to the runtime\'s Redis at start and closes that connection with the app', async () => {
    const { app, llm } = await createService(
      {
        [S.llmConfig]: JSON.stringify({ deployments: [{ name: 'offline', provider: 'offline', model: 'offline' }], sharedState: 'redis' }),
        [S.redisUrl]: redis.url,
      },
      { logger: false },
    );
    const raw = new Redis(redis.url);
    clients.push(raw);
    const before = Number((await raw.info('clients')).match(/connected_clients:(\d+)/)?.[1]);
    await llm.chat({ messages: [{ role: 'user', content: 'hi' }] });
    expect(await raw.keys(`${LLM_ROUTER_DEFAULTS.redisKeyPrefix}:rpm:offline:*`)).toHaveLength(1);
    await app.close();
    const after = Number((await raw.info('clients')).match(/connected_clients:(\d+)/)?.[1]);
    // The router's connection and memory's are gone.
    expect(after).toBeLessThan(before);
  });
});
