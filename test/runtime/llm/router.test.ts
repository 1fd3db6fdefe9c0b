import { inspect } from 'node:util';
import {
  LlmError,
  LlmRouterError,
  ModelRouter,
  OpenAICompatibleModel,
  type ChatRequest,
  type ChatResult,
  type LanguageModel,
  type ModelRouterOptions,
} from '../../../runtime/src/llm';
import { reply, startOpenAIServer, type OpenAIServer } from '../../servers/openai-compatible-server';
import { hangingModel } from '../hanging-model';
import { waitFor } from '../../helpers/wait';

const KEY = 'sk-router-test-91b2c3';
let server: OpenAIServer;
let clock: number;

beforeAll(async () => {
  server = await startOpenAIServer();
});
afterAll(async () => server.stop());
beforeEach(() => {
  server.reset();
  clock = 1_000_000;
});

const hello: ChatRequest = { messages: [{ role: 'user', content: 'hello' }] };

/** Deployments on the one local server, told apart by their model name (what the server records). */
function router(names: string[], options: Partial<ModelRouterOptions> = {}): ModelRouter {
  return new ModelRouter({
    deployments: names.map((name) => ({ name, model: new OpenAICompatibleModel({ baseUrl: server.url, model: `model-${name}`, apiKey: KEY }) })),
    backoff: { initialMs: 1, maxMs: 2 },
    now: () => clock,
    ...options,
  });
}

/** Which deployment each request the server received was for. */
const called = () => server.requests.map((r) => String(r.body['model']).replace('model-', ''));
const outcomes = (attempts: readonly { deployment: string; outcome: string; errorKind?: string; status?: number }[]) =>
  attempts.map((a) => [a.deployment, a.outcome === 'error' ? `${a.errorKind}${a.status ? ` ${a.status}` : ''}` : a.outcome].join(' '));

async function routerFailure(promise: Promise<unknown>): Promise<LlmRouterError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  if (!(err instanceof LlmRouterError)) throw new Error(`expected an LlmRouterError, got ${inspect(err)}`);
  return err;
}

describe('ModelRouter', () => {
  it('answers from the default deployment and records the attempt', async () => {
    server.enqueue(reply.text('hi'));
    const result = await router(['a', 'b']).chat(hello);
    expect(result).toMatchObject({ text: 'hi', deployment: 'a', provider: 'openai-compatible', model: 'model-a' });
    expect(result.attempts).toEqual([{ deployment: 'a', provider: 'openai-compatible', model: 'model-a', outcome: 'ok', durationMs: expect.any(Number) }]);
  });

  it('uses the deployment asked for, and rejects an unknown one', async () => {
    const r = router(['a', 'b']);
    expect((await r.chat(hello, { deployment: 'b' })).deployment).toBe('b');
    const err = await routerFailure(r.chat(hello, { deployment: 'zzz' }));
    expect(err.lastError).toMatchObject({ kind: 'not-found', message: 'unknown deployment "zzz" (configured: a, b)' });
    expect(called()).toEqual(['b']);
  });

  it('retries a 429 after its Retry-After, not after the (much shorter) backoff', async () => {
    server.enqueue(reply.rateLimit({ retryAfterMs: 80 }), reply.text('ok'));
    const result = await router(['a']).chat(hello);
    expect(outcomes(result.attempts)).toEqual(['a rate-limit 429', 'a ok']);
    const [first, second] = server.requests;
    // Backoff here is 1–2 ms; only the header explains the wait the server saw.
    expect(second.receivedAt - first.receivedAt).toBeGreaterThanOrEqual(78);
  });

  it('caps a long Retry-After at maxRetryAfterMs', async () => {
    server.enqueue(reply.rateLimit({ retryAfter: '120' }), reply.text('ok'));
    const result = await router(['a'], { maxRetryAfterMs: 40 }).chat(hello);
    expect(outcomes(result.attempts)).toEqual(['a rate-limit 429', 'a ok']);
    const gap = server.requests[1].receivedAt - server.requests[0].receivedAt;
    expect(gap).toBeGreaterThanOrEqual(38);
    expect(gap).toBeLessThan(5_000);
  });

  it('tries the fallbacks in order once the retries are exhausted, each with its own retries', async () => {
    server.enqueue(...Array.from({ length: 6 }, () => reply.serverError(503)), reply.text('from c'));
    const result = await router(['a', 'b', 'c'], { fallbacks: { a: ['b', 'c'] } }).chat(hello);
    expect(result).toMatchObject({ text: 'from c', deployment: 'c' });
    expect(outcomes(result.attempts)).toEqual(['a server 503', 'a server 503', 'a server 503', 'b server 503', 'b server 503', 'b server 503', 'c ok']);
    expect(called()).toEqual(['a', 'a', 'a', 'b', 'b', 'b', 'c']);
  });

  it('sends a too-long prompt to the context-window fallbacks at once, without retrying', async () => {
    server.enqueue(reply.contextLength(), reply.text('big answer'));
    const result = await router(['a', 'small', 'big'], { fallbacks: { a: ['small'] }, contextWindowFallbacks: { a: ['big'] } }).chat(hello);
    expect(outcomes(result.attempts)).toEqual(['a context-window 400', 'big ok']);
    expect(called()).toEqual(['a', 'big']);
  });

  it('sends a too-long prompt to the ordinary fallbacks when there are no context-window ones', async () => {
    server.enqueue(reply.contextLength(), reply.text('b answer'));
    const result = await router(['a', 'b'], { fallbacks: { a: ['b'] } }).chat(hello);
    expect(outcomes(result.attempts)).toEqual(['a context-window 400', 'b ok']);
  });

  it('after a 429 skips a deployment with fallbacks until its cooldown ends', async () => {
    const r = router(['a', 'b'], { fallbacks: { a: ['b'] }, cooldownMs: 10_000 });
    server.enqueue(reply.rateLimit({ retryAfterMs: 5_000 }), reply.text('b1'));
    // No waiting out Retry-After: the fallback is healthy.
    expect(outcomes((await r.chat(hello)).attempts)).toEqual(['a rate-limit 429', 'b ok']);
    expect(outcomes((await r.chat(hello)).attempts)).toEqual(['a skipped-cooldown', 'b ok']);
    clock += 9_999;
    expect(outcomes((await r.chat(hello)).attempts)).toEqual(['a skipped-cooldown', 'b ok']);
    clock += 1;
    expect(outcomes((await r.chat(hello)).attempts)).toEqual(['a ok']);
    expect(called()).toEqual(['a', 'b', 'b', 'b', 'a']);
  });

  it('cools a deployment down after more than allowedFails failures in a minute (LiteLLM); a new minute starts the count again', async () => {
    const r = router(['a', 'b'], { fallbacks: { a: ['b'] }, retries: 1, allowedFails: 2 });
    server.enqueue(reply.serverError(), reply.text('a ok'), reply.serverError(), reply.serverError(), reply.text('b ok'));
    expect(outcomes((await r.chat(hello)).attempts)).toEqual(['a server 500', 'a ok']);
    // The third failure this minute is one more than allowed: "a" cools down, so no retry on it.
    expect(outcomes((await r.chat(hello)).attempts)).toEqual(['a server 500', 'a server 500', 'b ok']);
    expect(outcomes((await r.chat(hello)).attempts)).toEqual(['a skipped-cooldown', 'b ok']);
    clock += 30_000; // the cooldown is over; the minute's count with it
    server.enqueue(reply.serverError(), reply.text('a again'));
    expect(outcomes((await r.chat(hello)).attempts)).toEqual(['a server 500', 'a ok']);
  });

  it('never skips a deployment without fallbacks, and fails fast when every candidate is cooling', async () => {
    const single = router(['a']);
    server.enqueue(reply.rateLimit({ retryAfterMs: 1 }), reply.text('ok'), reply.text('again'));
    await single.chat(hello);
    expect(outcomes((await single.chat(hello)).attempts)).toEqual(['a ok']);

    const pair = router(['a', 'b'], { fallbacks: { a: ['b'] }, cooldownMs: 10_000, retries: 0 });
    server.reset();
    server.enqueue(reply.rateLimit(), reply.rateLimit());
    await routerFailure(pair.chat(hello));
    clock += 4_000;
    const err = await routerFailure(pair.chat(hello));
    expect(outcomes(err.attempts)).toEqual(['a skipped-cooldown', 'b skipped-cooldown']);
    expect(err.lastError).toMatchObject({ kind: 'rate-limit', details: { retryAfterMs: 6_000 } });
    expect(called()).toEqual(['a', 'b']);
  });

  it('does not retry a 401 but falls back (LiteLLM), and fails with the auth error when there is no fallback', async () => {
    server.enqueue(reply.unauthorized(), reply.text('b ok'), reply.unauthorized());
    expect(outcomes((await router(['a', 'b'], { fallbacks: { a: ['b'] } }).chat(hello)).attempts)).toEqual(['a auth 401', 'b ok']);
    const err = await routerFailure(router(['a']).chat(hello));
    expect(outcomes(err.attempts)).toEqual(['a auth 401']);
    expect(err.lastError.kind).toBe('auth');
    expect(called()).toEqual(['a', 'b', 'a']);
  });

  it('neither retries nor falls back on a bad request', async () => {
    server.enqueue(reply.badRequest());
    const err = await routerFailure(router(['a', 'b'], { fallbacks: { a: ['b'] } }).chat(hello));
    expect(outcomes(err.attempts)).toEqual(['a bad-request 400']);
    expect(called()).toEqual(['a']);
  });

  it('ends a slow call at the per-call timeout, aborting the request, then retries', async () => {
    server.enqueue(reply.slow(5_000), reply.text('fast'));
    const result = await router(['a'], { timeoutMs: 60 }).chat(hello);
    expect(outcomes(result.attempts)).toEqual(['a timeout', 'a ok']);
    await waitFor(() => server.requests[0].aborted);
    expect(server.requests.map((r) => r.aborted)).toEqual([true, false]);
  });

  it('ends an attempt at the timeout even when the model ignores its AbortSignal', async () => {
    const hanging: LanguageModel = { provider: 'fake', modelId: 'hang', doChat: () => new Promise<ChatResult>(() => undefined) };
    const r = new ModelRouter({ deployments: [{ name: 'h', model: hanging, timeoutMs: 30 }], retries: 0 });
    const err = await routerFailure(r.chat(hello));
    expect(err.lastError).toMatchObject({ kind: 'timeout', message: 'h: no answer within 30 ms' });
  });

  it('stops at once when the caller aborts: no retry, no fallback, no cooldown', async () => {
    server.enqueue(reply.slow(5_000), reply.text('b'), reply.text('a later'));
    const r = router(['a', 'b'], { fallbacks: { a: ['b'] }, allowedFails: 0 });
    const controller = new AbortController();
    const call = r.chat({ ...hello, abortSignal: controller.signal });
    setTimeout(() => controller.abort(), 30);
    const err = await routerFailure(call);
    expect(outcomes(err.attempts)).toEqual(['a timeout']);
    expect(err.lastError.message).toBe('a: the call was aborted by the caller');
    expect(called()).toEqual(['a']);
    // Had the abort counted as a failure, allowedFails 0 would have cooled "a" down.
    expect(outcomes((await r.chat(hello)).attempts)).toEqual(['a ok']);
  });

  it('makes no further attempt when the caller aborts during a Retry-After wait', async () => {
    // The abort comes on the next macrotask after the 429: by then the router has recorded the
    // attempt and is waiting (promise work only), whatever the machine's load. The wait is 20 s,
    // so a wait that ignored the abort would outlast the test's timeout.
    const controller = new AbortController();
    let calls = 0;
    const limited: LanguageModel = {
      provider: 'fake',
      modelId: 'limited',
      doChat: async () => {
        calls++;
        setImmediate(() => controller.abort());
        throw new LlmError('rate-limit', 'a: rate limited', { status: 429, retryAfterMs: 20_000 });
      },
    };
    const r = new ModelRouter({ deployments: [{ name: 'a', model: limited }], retries: 2 });
    const err = await routerFailure(r.chat({ ...hello, abortSignal: controller.signal }));
    expect(outcomes(err.attempts)).toEqual(['a rate-limit 429']);
    expect(err.lastError.message).toBe('a: the call was aborted by the caller');
    expect(calls).toBe(1);
  });

  it('treats a model that throws something other than LlmError as a server failure of that deployment', async () => {
    let calls = 0;
    const broken: LanguageModel = {
      provider: 'fake',
      modelId: 'broken',
      doChat: async () => {
        calls++;
        throw new TypeError('cannot read x of undefined');
      },
    };
    const err = await routerFailure(new ModelRouter({ deployments: [{ name: 'x', model: broken }], retries: 1, backoff: { initialMs: 1, maxMs: 1 } }).chat(hello));
    expect(calls).toBe(2);
    expect(err.lastError).toMatchObject({ kind: 'server', message: 'x: fake failed unexpectedly: cannot read x of undefined' });
  });

  it('on total failure throws LlmRouterError with every attempt, and never shows the key', async () => {
    server.setDefault(reply.unauthorized(`Incorrect API key provided: ${KEY}.`));
    server.enqueue(reply.serverError());
    const err = await routerFailure(router(['a', 'b'], { fallbacks: { a: ['b'] }, retries: 1 }).chat(hello));
    expect(outcomes(err.attempts)).toEqual(['a server 500', 'a auth 401', 'b auth 401']);
    expect(err.lastError).toBeInstanceOf(LlmError);
    expect(err.lastError).toMatchObject({ kind: 'auth', details: { status: 401 } });
    expect(err.message).toBe(
      'LLM call failed after 3 attempts (a server, a auth, b auth): openai-compatible model-b: HTTP 401 Incorrect API key provided: [redacted].',
    );
    expect(server.requests.every((r) => r.headers['authorization'] === `Bearer ${KEY}`)).toBe(true);
    for (const shown of [inspect(err, { depth: 20, showHidden: true }), JSON.stringify(err), JSON.stringify(err.attempts)]) expect(shown).not.toContain(KEY);
  });

  it('closes the models that hold connections', async () => {
    const closed: string[] = [];
    const closable = (modelId: string): LanguageModel => ({
      provider: 'fake',
      modelId,
      doChat: async () => Promise.reject(new Error('unused')),
      close: async () => {
        closed.push(modelId);
      },
    });
    const noClose = new OpenAICompatibleModel({ baseUrl: server.url, model: 'z' });
    await new ModelRouter({ deployments: [{ name: 'x', model: closable('m1') }, { name: 'y', model: closable('m2') }, { name: 'z', model: noClose }] }).close();
    expect(closed).toEqual(['m1', 'm2']);
  });

  it('reports every invalid option at once', () => {
    const model: LanguageModel = { provider: 'fake', modelId: 'm', doChat: async () => Promise.reject(new Error('unused')) };
    expect(
      () =>
        new ModelRouter({
          deployments: [
            { name: 'a', model },
            { name: 'a', model, timeoutMs: 0 },
          ],
          fallbacks: { a: ['a', 'ghost'] },
          contextWindowFallbacks: { nope: [] },
          retries: -1,
          backoff: { initialMs: 1.5 },
        }),
    ).toThrow(
      expect.objectContaining({
        code: 'LLM_INVALID_ROUTER_OPTIONS',
        problems: [
          { path: 'deployments[1].name', message: 'duplicate name "a"' },
          { path: 'fallbacks.a[0]', message: 'a deployment cannot fall back to itself' },
          { path: 'fallbacks.a[1]', message: 'unknown deployment "ghost"' },
          { path: 'contextWindowFallbacks.nope', message: 'unknown deployment "nope"' },
          { path: 'retries', message: 'expected a non-negative integer, got -1' },
          { path: 'backoff.initialMs', message: 'expected a positive integer, got 1.5' },
          { path: 'deployments[1].timeoutMs', message: 'expected a positive integer, got 0' },
        ],
      }),
    );
  });
});


describe('ModelRouter under a request deadline', () => {
  it('cuts a Retry-After wait short once the caller aborts: no further attempt, no waiting it out', async () => {
    const controller = new AbortController();
    let calls = 0;
    // A server asking to come back in an hour; the caller gives up while the router waits.
    const limited: LanguageModel = {
      provider: 'scripted',
      modelId: 'limited',
      doChat: async () => {
        calls++;
        setImmediate(() => controller.abort());
        throw new LlmError('rate-limit', 'slow down', { status: 429, retryAfterMs: 3_600_000 });
      },
    };
    const r = new ModelRouter({ deployments: [{ name: 'a', model: limited }], retries: 2, maxRetryAfterMs: 3_600_000 });
    const err = await routerFailure(r.chat({ ...hello, abortSignal: controller.signal }));
    expect(outcomes(err.attempts)).toEqual(['a rate-limit 429']);
    expect(err.lastError.message).toBe('a: the call was aborted by the caller');
    expect(calls).toBe(1);
  });

  it('aborts the model call at the deadline and starts no fallback after it', async () => {
    const hanging = hangingModel();
    let fallbackCalls = 0;
    const fallback: LanguageModel = { provider: 'scripted', modelId: 'fallback', doChat: async () => (fallbackCalls++, { text: 'late', toolCalls: [], finishReason: 'stop', provider: 'scripted', model: 'fallback', warnings: [] }) };
    const r = new ModelRouter({ deployments: [{ name: 'a', model: hanging.model }, { name: 'b', model: fallback }], fallbacks: { a: ['b'] } });
    const err = await routerFailure(r.chat({ ...hello, abortSignal: AbortSignal.timeout(50) }));
    expect(hanging.signals[0].aborted).toBe(true);
    expect(outcomes(err.attempts)).toEqual(['a timeout']);
    expect(fallbackCalls).toBe(0);
  });
});
