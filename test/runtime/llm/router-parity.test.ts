import { inspect } from 'node:util';
import { parseRuntimeConfig } from '../../../runtime/src/contract';
import { LlmError, LlmRouterError, ModelRouter, createLlmClient, type ChatRequest, type ChatResult, type LanguageModel, type ModelRouterOptions, type RouterDeployment } from '../../../runtime/src/llm';
import { configProblems } from '../../helpers/config-problems';

// LiteLLM router parity in process: routing strategies, rpm/tpm limits, fallback kinds, retry
// policy per kind, allowedFails per minute. Scripted models, a clock, a random source and a sleep
// the tests control: nothing here waits or depends on timing.

const hello: ChatRequest = { messages: [{ role: 'user', content: 'hello' }] };
type Script = ChatResult | LlmError | ((request: ChatRequest) => Promise<ChatResult>);

let clock: number;
let calls: string[];
let waits: number[];
beforeEach(() => {
  clock = 6_000_000; // the start of a minute
  calls = [];
  waits = [];
});

const ok = (text: string, more: Partial<ChatResult> = {}): ChatResult => ({ text, toolCalls: [], finishReason: 'stop', provider: 'scripted', model: text, warnings: [], ...more });

/** A model answering from `script` in order, then with its name; every call recorded in `calls`. */
function model(name: string, ...script: Script[]): LanguageModel {
  return {
    provider: 'scripted',
    modelId: name,
    doChat: async (request) => {
      calls.push(name);
      const next = script.shift() ?? ok(name);
      if (next instanceof LlmError) throw next;
      return typeof next === 'function' ? next(request) : next;
    },
  };
}

const rateLimited = () => new LlmError('rate-limit', 'slow down', { status: 429 });
const serverError = () => new LlmError('server', 'boom', { status: 500 });

/** Randomness from a fixed list, cycling. */
const randoms = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length];
};

function router(deployments: RouterDeployment[], options: Partial<ModelRouterOptions> = {}): ModelRouter {
  return new ModelRouter({
    deployments,
    now: () => clock,
    random: randoms(0),
    sleep: async (ms) => {
      waits.push(ms);
    },
    ...options,
  });
}

const d = (name: string, more: Partial<RouterDeployment> = {}, ...script: Script[]): RouterDeployment => ({ name, model: model(name, ...script), ...more });
const outcomes = (attempts: readonly { deployment: string; outcome: string; errorKind?: string }[]) =>
  attempts.map((a) => `${a.deployment} ${a.outcome === 'error' ? a.errorKind : a.outcome}`);

async function failure(promise: Promise<unknown>): Promise<LlmRouterError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  if (!(err instanceof LlmRouterError)) throw new Error(`expected an LlmRouterError, got ${inspect(err)}`);
  return err;
}

describe('model groups and routing strategies', () => {
  it('names groups, not deployments: the first deployment\'s group is the default', () => {
    const r = router([d('a1', { group: 'a' }), d('a2', { group: 'a' }), d('solo')]);
    expect(r.deployments).toEqual(['a', 'solo']);
  });

  it('simple-shuffle picks by weight, like random.choices', async () => {
    // weights 1 and 3: r in [0, 0.25) → x, [0.25, 1) → y
    const r = router([d('x', { group: 'g', weight: 1 }), d('y', { group: 'g', weight: 3 })], { random: randoms(0.1, 0.3, 0.99, 0.24) });
    for (let i = 0; i < 4; i++) await r.chat(hello);
    expect(calls).toEqual(['x', 'y', 'y', 'x']);
  });

  it('simple-shuffle weighs by rpm, then tpm, when no weight is set', async () => {
    const byRpm = router([d('x', { group: 'g', rpm: 100 }), d('y', { group: 'g', rpm: 300, tpm: 1 })], { random: randoms(0.2, 0.3) });
    await byRpm.chat(hello);
    await byRpm.chat(hello);
    expect(calls).toEqual(['x', 'y']);
    calls = [];
    const byTpm = router([d('x', { group: 'g', tpm: 9_000 }), d('y', { group: 'g', tpm: 1_000 })], { random: randoms(0.89, 0.91) });
    await byTpm.chat(hello);
    await byTpm.chat(hello);
    expect(calls).toEqual(['x', 'y']);
  });

  it('simple-shuffle without weights gives each deployment an equal chance', async () => {
    const r = router([d('x', { group: 'g' }), d('y', { group: 'g' }), d('z', { group: 'g' })], { random: randoms(0.5, 0.1, 0.9) });
    for (let i = 0; i < 3; i++) await r.chat(hello);
    expect(calls).toEqual(['y', 'x', 'z']);
  });

  it('least-busy picks the deployment with the fewest calls in flight', async () => {
    const held: (() => void)[] = [];
    const slow = (name: string): Script => () =>
      new Promise<ChatResult>((resolve) => {
        held.push(() => resolve(ok(name)));
      });
    const r = router([d('x', { group: 'g' }, slow('x'), slow('x')), d('y', { group: 'g' }, slow('y'))], { routingStrategy: 'least-busy' });
    const first = r.chat(hello); // both idle: the tie goes to random 0 → x
    await new Promise(setImmediate);
    const second = r.chat(hello); // x busy → y
    await new Promise(setImmediate);
    const third = r.chat(hello); // one each: tie → x
    await new Promise(setImmediate);
    expect(calls).toEqual(['x', 'y', 'x']);
    held.forEach((release) => release());
    await Promise.all([first, second, third]);
  });

  it('latency-based-routing picks the lowest recent latency, and ranks streams by time to first token', async () => {
    let now = 0;
    const perf = jest.spyOn(performance, 'now').mockImplementation(() => now);
    try {
      const timed = (name: string, ms: number): Script => async () => {
        now += ms;
        return ok(name);
      };
      const r = router([d('fast', { group: 'g' }, timed('fast', 500)), d('slow', { group: 'g' }, timed('slow', 100))], {
        groupRoutingStrategy: { g: 'latency-based-routing' },
      });
      // Unmeasured counts as 0: each is tried once (the tie goes to random 0, the first).
      await r.chat(hello);
      await r.chat(hello);
      expect(calls).toEqual(['fast', 'slow']);
      await r.chat(hello);
      expect(calls[2]).toBe('slow'); // 100 ms < 500 ms
      // Streams rank by time to first token, which the streaming attempt reports.
      r.recordTimeToFirstToken('fast', 20);
      r.recordTimeToFirstToken('slow', 90);
      const pick = (r as unknown as { choose(g: string, c: object, s: boolean): Promise<RouterDeployment> }).choose.bind(r);
      const call = { first: 'g', request: hello, attempts: [], honourCooldowns: false, tried: new Set() };
      expect((await pick('g', call, true)).name).toBe('fast');
      expect((await pick('g', call, false)).name).toBe('slow');
    } finally {
      perf.mockRestore();
    }
  });

  it('latency-based-routing treats deployments within the buffer as equally fast', async () => {
    const r = router([d('a', { group: 'g' }), d('b', { group: 'g' })], { routingStrategy: 'latency-based-routing', routingStrategyArgs: { lowestLatencyBuffer: 0.5 }, random: randoms(0.9) });
    const latency = (r as unknown as { latency: { record(n: string, ms: number): void } }).latency;
    latency.record('a', 100);
    latency.record('b', 140); // within 100 × 1.5
    await r.chat(hello);
    expect(calls).toEqual(['b']);
  });
});

describe('rpm/tpm limits', () => {
  it('skips a deployment at its rpm this minute, and uses it again the next minute', async () => {
    const r = router([d('x', { group: 'g', rpm: 2 }), d('y', { group: 'g' })], { random: randoms(0) });
    for (let i = 0; i < 3; i++) await r.chat(hello);
    expect(calls).toEqual(['x', 'x', 'y']);
    clock += 60_000;
    await r.chat(hello);
    expect(calls[3]).toBe('x');
  });

  it('skips a deployment at its tpm, counted from the answers\' usage', async () => {
    const r = router([d('x', { group: 'g', tpm: 100 }, ok('x', { usage: { inputTokens: 60, outputTokens: 40 } })), d('y', { group: 'g' })]);
    await r.chat(hello);
    await r.chat(hello);
    expect(calls).toEqual(['x', 'y']);
  });

  it('with every deployment at its limit fails with the router\'s own 429, which the fallbacks take', async () => {
    const r = router([d('x', { group: 'g', rpm: 1 }), d('backup')], { fallbacks: { g: ['backup'] } });
    await r.chat(hello);
    const second = await r.chat(hello);
    expect(second.deployment).toBe('backup');
    const alone = router([d('x', { rpm: 1 })]);
    await alone.chat(hello);
    const err = await failure(alone.chat(hello));
    expect(err.lastError).toMatchObject({ kind: 'rate-limit', message: 'every deployment of "x" is at its rpm/tpm limit this minute', details: { retryAfterMs: 60_000 } });
    expect(calls).toEqual(['x', 'backup', 'x']);
  });
});

describe('fallback kinds', () => {
  const lists = {
    fallbacks: { a: ['general'] },
    contextWindowFallbacks: { a: ['big'] },
    contentPolicyFallbacks: { a: ['lenient'] },
  };
  const four = (...script: Script[]) => [d('a', {}, ...script), d('general'), d('big'), d('lenient')];

  it.each([
    ['a server failure', serverError(), 'general'],
    ['a context-window failure', new LlmError('context-window', 'too long', { status: 400 }), 'big'],
    ['a content-policy error', new LlmError('content-filter', 'refused', { status: 400 }), 'lenient'],
    ['a filtered completion', ok('a', { finishReason: 'content-filter' }), 'lenient'],
  ])('%s goes to its own list', async (_, failure, expected) => {
    const result = await router(four(failure, failure, failure), { ...lists, retries: 0 }).chat(hello);
    expect(result.deployment).toBe(expected);
  });

  it('a content-policy failure never goes to the general fallbacks, and a filtered completion is returned when there is no list for it', async () => {
    const err = await failure(router(four(new LlmError('content-filter', 'refused', { status: 400 })), { fallbacks: lists.fallbacks }).chat(hello));
    expect(outcomes(err.attempts)).toEqual(['a content-filter']);
    const filtered = await router(four(ok('a', { finishReason: 'content-filter' })), { fallbacks: lists.fallbacks }).chat(hello);
    expect(filtered).toMatchObject({ deployment: 'a', finishReason: 'content-filter' });
    expect(calls).toEqual(['a', 'a']);
  });

  it('defaultFallbacks serve a group without its own list; maxFallbacks caps how many are tried', async () => {
    const groups = ['a', 'b', 'c', 'd'].map((n) => d(n, {}, serverError()));
    const err = await failure(router(groups, { defaultFallbacks: ['b', 'c', 'd'], maxFallbacks: 2, retries: 0 }).chat(hello));
    expect(outcomes(err.attempts)).toEqual(['a server', 'b server', 'c server']);
    calls = [];
    const own = await router([d('a', {}, serverError()), d('b'), d('c')], { fallbacks: { a: ['c'] }, defaultFallbacks: ['b'], retries: 0 }).chat(hello);
    expect(own.deployment).toBe('c');
    const none = await failure(router([d('a', {}, serverError()), d('b')], { defaultFallbacks: ['b'], maxFallbacks: 0, retries: 0 }).chat(hello));
    expect(outcomes(none.attempts)).toEqual(['a server']);
  });
});

describe('retry policy and allowedFails', () => {
  it('retries each kind as its policy says, with Retry-After (capped) or the backoff between', async () => {
    const r = router([d('a', {}, new LlmError('rate-limit', 'slow', { status: 429, retryAfterMs: 90_000 }), new LlmError('timeout', 't'), new LlmError('auth', 'no', { status: 401 }), serverError())], {
      retryPolicy: { rateLimit: 1, timeout: 1, auth: 1, server: 0 },
      maxRetryAfterMs: 20_000,
      backoff: { initialMs: 5, maxMs: 5 },
    });
    const err = await failure(r.chat(hello));
    // One retry each for the 429, the timeout and the 401; none for the 500.
    expect(outcomes(err.attempts)).toEqual(['a rate-limit', 'a timeout', 'a auth', 'a server']);
    expect(waits[0]).toBe(20_000);
    // cockatiel's decorrelated jitter, capped at backoff.maxMs
    expect(waits.slice(1).every((wait) => wait <= 5)).toBe(true);
  });

  it('retries nothing the policy sets to 0, and a bad request only when asked to', async () => {
    const bad = () => new LlmError('bad-request', 'malformed', { status: 400 });
    expect(outcomes((await failure(router([d('a', {}, serverError())], { retryPolicy: { server: 0 } }).chat(hello))).attempts)).toEqual(['a server']);
    const retried = await router([d('a', {}, bad())], { retryPolicy: { badRequest: 1 } }).chat(hello);
    expect(outcomes(retried.attempts)).toEqual(['a bad-request', 'a ok']);
  });

  it('a 429 cools a deployment down at once; the group\'s other deployment serves the retry', async () => {
    const r = router([d('x', { group: 'g' }, rateLimited()), d('y', { group: 'g' })], { cooldownMs: 5_000 });
    const result = await r.chat(hello);
    expect(outcomes(result.attempts)).toEqual(['x rate-limit', 'y ok']);
    await r.chat(hello);
    expect(calls).toEqual(['x', 'y', 'y']); // random 0 would pick x, but it is cooling
    clock += 5_000;
    await r.chat(hello);
    expect(calls[3]).toBe('x');
  });

  it('allowedFailsPolicy.rateLimit lets 429s count instead of cooling down at once', async () => {
    const r = router([d('a', {}, rateLimited(), rateLimited(), rateLimited()), d('b')], { fallbacks: { a: ['b'] }, retries: 0, allowedFailsPolicy: { rateLimit: 2 } });
    expect((await r.chat(hello)).deployment).toBe('b');
    expect((await r.chat(hello)).deployment).toBe('b');
    expect(outcomes((await r.chat(hello)).attempts)).toEqual(['a rate-limit', 'b ok']); // third 429: more than 2
    expect(outcomes((await r.chat(hello)).attempts)).toEqual(['a skipped-cooldown', 'b ok']);
  });

  it('allowedFailsPolicy counts one kind apart from the others', async () => {
    const r = router([d('a', {}, new LlmError('timeout', 't'), serverError(), serverError()), d('b')], { fallbacks: { a: ['b'] }, retries: 0, allowedFails: 5, allowedFailsPolicy: { server: 1 } });
    for (let i = 0; i < 3; i++) await r.chat(hello);
    expect(outcomes((await r.chat(hello)).attempts)).toEqual(['a skipped-cooldown', 'b ok']);
    expect(calls.filter((c) => c === 'a')).toHaveLength(3);
  });

  it('bad requests, context-window and content-policy failures never cool a deployment down', async () => {
    const bad = () => new LlmError('bad-request', 'malformed', { status: 400 });
    const r = router([d('a', {}, bad(), bad(), new LlmError('context-window', 'long'), new LlmError('content-filter', 'no')), d('b')], { fallbacks: { a: ['b'] }, allowedFails: 0 });
    for (let i = 0; i < 4; i++) await r.chat(hello).catch(() => undefined);
    expect((await r.chat(hello)).deployment).toBe('a');
  });
});

describe('the request deadline', () => {
  it('starts no attempt after the deadline and cuts the wait before a retry at it', async () => {
    const unavailable = () => new LlmError('server', 'busy', { status: 503, retryAfterMs: 10_000 });
    const r = router([d('a', {}, unavailable(), unavailable()), d('b')], {
      fallbacks: { a: ['b'] },
      sleep: async (ms) => {
        waits.push(ms);
        clock += ms;
      },
    });
    const err = await failure(r.chat(hello, { deadline: clock + 3_000 }));
    expect(waits).toEqual([3_000]);
    expect(outcomes(err.attempts)).toEqual(['a server']);
    expect(err.lastError.message).toBe("a: the request's deadline passed");
    expect(calls).toEqual(['a']);
  });

  it('starts nothing when the deadline has already passed', async () => {
    const err = await failure(router([d('a')]).chat(hello, { deadline: clock }));
    expect(err.lastError).toMatchObject({ kind: 'timeout', message: "a: the request's deadline passed" });
    expect(calls).toEqual([]);
  });

  it('ends the attempt at the deadline when it comes before the timeout', async () => {
    const r = new ModelRouter({ deployments: [{ name: 'a', model: model('a', (request) => new Promise<ChatResult>((_, reject) => request.abortSignal?.addEventListener('abort', () => reject(new Error('aborted'))))) }], timeoutMs: 600_000, retries: 0 });
    // The router's own clock here (Date.now): the deadline is 20 ms away, the timeout ten minutes.
    const err = await failure(r.chat(hello, { deadline: Date.now() + 20 }));
    expect(err.lastError.kind).toBe('timeout');
    expect(err.lastError.message).toMatch(/^a: no answer within (1?\d|20) ms$/);
  });
});

describe('bad router settings', () => {
  const env = (value: object) => ({ ORCHESTRA_LLM_CONFIG: JSON.stringify({ deployments: [{ name: 'a', provider: 'offline', model: 'offline' }, { name: 'b', provider: 'offline', model: 'offline', group: 'g' }], ...value }) });

  it.each([
    [{ routingStrategy: 'round-robin' }, 'ORCHESTRA_LLM_CONFIG.routingStrategy: one of simple-shuffle, least-busy, latency-based-routing'],
    [{ retryPolicy: { rateLimit: -1 } }, 'ORCHESTRA_LLM_CONFIG.retryPolicy.rateLimit: Too small: expected number to be >=0'],
    [{ retryPolicy: { teapot: 1 } }, 'ORCHESTRA_LLM_CONFIG.retryPolicy'],
    [{ allowedFails: 1.5 }, 'ORCHESTRA_LLM_CONFIG.allowedFails'],
    [{ allowedFailsPolicy: { server: 'many' } }, 'ORCHESTRA_LLM_CONFIG.allowedFailsPolicy.server'],
    [{ backoff: { initialMs: 500, maxMs: 100 } }, 'ORCHESTRA_LLM_CONFIG.backoff.maxMs: expected at least initialMs (500)'],
    [{ maxRetryAfterMs: -5 }, 'ORCHESTRA_LLM_CONFIG.maxRetryAfterMs'],
    [{ maxFallbacks: 'all' }, 'ORCHESTRA_LLM_CONFIG.maxFallbacks'],
    [{ contentPolicyFallbacks: { a: ['ghost'] } }, 'ORCHESTRA_LLM_CONFIG.contentPolicyFallbacks.a[0]: unknown deployment "ghost"'],
    [{ fallbacks: { a: ['b'] } }, 'ORCHESTRA_LLM_CONFIG.fallbacks.a[0]: unknown deployment "b"'],
    [{ defaultFallbacks: ['nope'] }, 'ORCHESTRA_LLM_CONFIG.defaultFallbacks[0]: unknown deployment "nope"'],
    [{ groupRoutingStrategy: { zz: 'least-busy' } }, 'ORCHESTRA_LLM_CONFIG.groupRoutingStrategy.zz: unknown group "zz"'],
    [{ routingStrategyArgs: { lowestLatencyBuffer: -1 } }, 'ORCHESTRA_LLM_CONFIG.routingStrategyArgs.lowestLatencyBuffer'],
    [{ sharedState: 'memcached' }, 'ORCHESTRA_LLM_CONFIG.sharedState: memory or redis'],
    [{ sharedState: 'redis' }, "ORCHESTRA_LLM_CONFIG.sharedState: redis needs the runtime's Redis (ORCHESTRA_REDIS_URL or ORCHESTRA_REDIS_HOST)"],
  ])('%j is refused, naming the field', (value, message) => {
    expect(configProblems(env(value))).toContain(message);
  });

  it('refuses a deployment rpm of 0 and a deployment named like another\'s group', () => {
    const message = configProblems({
      ORCHESTRA_LLM_CONFIG: JSON.stringify({
        deployments: [
          { name: 'g', provider: 'offline', model: 'offline', group: 'h', rpm: 0 },
          { name: 'b', provider: 'offline', model: 'offline', group: 'g', weight: -1 },
        ],
      }),
    });
    expect(message).toContain('ORCHESTRA_LLM_CONFIG.deployments[0].rpm');
    expect(message).toContain('ORCHESTRA_LLM_CONFIG.deployments[1].weight');
    expect(message).toContain(`ORCHESTRA_LLM_CONFIG.deployments[0].name: "g" is also a group's name`);
  });

  it('lets a deployment without a group name the group others join', () => {
    const llm = parseRuntimeConfig({
      ORCHESTRA_LLM_CONFIG: JSON.stringify({
        deployments: [
          { name: 'primary', provider: 'offline', model: 'offline' },
          { name: 'primary-eu', provider: 'offline', model: 'offline', group: 'primary' },
          { name: 'spare', provider: 'offline', model: 'offline' },
        ],
        fallbacks: { primary: ['spare'] },
      }),
    }).llm;
    expect(createLlmClient(llm).deployments).toEqual(['primary', 'spare']);
  });

  it('takes every knob and passes it to the router', async () => {
    const knobs = {
      deployments: [
        { name: 'a1', provider: 'offline', model: 'offline', group: 'a', rpm: 10, tpm: 1_000, weight: 2 },
        { name: 'a2', provider: 'offline', model: 'offline', group: 'a' },
        { name: 'b', provider: 'offline', model: 'offline' },
      ],
      fallbacks: { a: ['b'] },
      contentPolicyFallbacks: { a: ['b'] },
      defaultFallbacks: ['a'],
      maxFallbacks: 1,
      routingStrategy: 'least-busy',
      groupRoutingStrategy: { a: 'latency-based-routing' },
      routingStrategyArgs: { lowestLatencyBuffer: 0.2, maxLatencyListSize: 5 },
      retryPolicy: { rateLimit: 3, timeout: 1, server: 2, auth: 0, badRequest: 0 },
      allowedFails: 2,
      allowedFailsPolicy: { rateLimit: 1 },
      backoff: { initialMs: 100, maxMs: 1_000 },
      maxRetryAfterMs: 10_000,
      sharedState: 'memory',
    };
    const llm = parseRuntimeConfig({ ORCHESTRA_LLM_CONFIG: JSON.stringify(knobs) }).llm;
    expect(llm).toMatchObject({ ...knobs, deployments: knobs.deployments });
    const client = createLlmClient(llm);
    expect(client.deployments).toEqual(['a', 'b']);
    expect((await client.chat(hello)).deployment).toMatch(/^a[12]$/);
  });
});
