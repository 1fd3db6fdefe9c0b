/**
 * The real LiteLLM proxy as the upstream of our router (issue 13): two of its model groups are
 * two of our deployments, each group backed by a scripted deployment. What a team running
 * LiteLLM in front of its providers sees: LiteLLM's 429 moves our router to the fallback and
 * cools the deployment down, so the next call goes straight to the fallback; and LiteLLM's own
 * cooldown, for reference, in a group of two deployments ordered by priority.
 */
import { RuntimeSettings as S, llmApiKeySetting, parseRuntimeConfig } from '../../runtime/src/contract';
import { createLlmClient } from '../../runtime/src/llm/create-llm-client';
import { createService } from '../../runtime/src/server/service';
import { parseEvents } from '../runtime/server/event-stream-helpers';
import { startLiteLlmProxy, type LiteLlmProxy } from '../servers/litellm';
import { reply, startOpenAIServer, type OpenAIServer } from '../servers/openai-compatible-server';

/** The proxy's first start imports all of litellm: some seconds on 2 cores. */
const STARTUP_TIMEOUT_MS = 120_000;

let upstream: OpenAIServer;
let proxy: LiteLlmProxy;

beforeAll(async () => {
  upstream = await startOpenAIServer();
  const deployment = (group: string, model: string, order?: number) => ({
    model_name: group,
    litellm_params: { model: `openai/${model}`, api_base: upstream.url, api_key: 'upstream-key', ...(order === undefined ? {} : { order }) },
  });
  proxy = await startLiteLlmProxy({
    model_list: [
      deployment('primary', 'up-primary'),
      deployment('backup', 'up-backup'),
      // LiteLLM's own cooldown: `order` 1 is tried first unless it is cooling down.
      deployment('pool', 'up-pool-first', 1),
      deployment('pool', 'up-pool-second', 2),
    ],
    // No fallbacks and no retries for primary/backup: their failures reach our router as they are.
    // One retry for the pool, so that its cooled-down first deployment is retried on the second.
    router_settings: { num_retries: 0, allowed_fails: 0, cooldown_time: 600, model_group_retry_policy: { pool: { RateLimitErrorRetries: 1 } } },
  });
}, STARTUP_TIMEOUT_MS);

afterAll(async () => {
  await proxy?.stop();
  await upstream?.stop();
});

beforeEach(() => upstream.reset());

/** Our router with two deployments, both LiteLLM model groups, `backup` the fallback of `primary`. */
function ourRouter() {
  const viaProxy = (name: string) => ({ name, provider: 'openai-compatible', model: name, baseUrl: `${proxy.baseUrl}/v1`, apiKeyProvider: 'litellm' });
  const config = parseRuntimeConfig({
    [S.llmConfig]: JSON.stringify({ deployments: [viaProxy('primary'), viaProxy('backup')], fallbacks: { primary: ['backup'] }, retries: 0, allowedFails: 0, cooldownMs: 600_000 }),
    [llmApiKeySetting('litellm')]: proxy.apiKey,
  });
  return createLlmClient(config.llm, config.google);
}

const hi = { messages: [{ role: 'user' as const, content: 'hi' }] };

describe('our router over the real LiteLLM proxy', () => {
  it("falls back on LiteLLM's 429 and cools the deployment down: the next call goes straight to the fallback", async () => {
    const router = ourRouter();
    upstream.enqueue(reply.rateLimit({ retryAfter: '1' }), reply.text('from the backup'), reply.text('backup again'));

    const first = await router.chat(hi);
    expect(first).toMatchObject({ text: 'from the backup', deployment: 'backup' });
    expect(first.attempts.map((a) => [a.deployment, a.outcome, a.errorKind])).toEqual([
      ['primary', 'error', 'rate-limit'],
      ['backup', 'ok', undefined],
    ]);

    const second = await router.chat(hi);
    expect(second).toMatchObject({ text: 'backup again', deployment: 'backup' });
    expect(second.attempts.map((a) => [a.deployment, a.outcome])).toEqual([
      ['primary', 'skipped-cooldown'],
      ['backup', 'ok'],
    ]);
    // The upstream saw the primary once: the second call never left for it.
    expect(upstream.requests.map((r) => r.body['model'])).toEqual(['up-primary', 'up-backup', 'up-backup']);
  });

  it('streams through it, after falling back before the first token', async () => {
    const router = ourRouter();
    upstream.enqueue(reply.rateLimit({ retryAfter: '1' }), reply.text('streamed from the backup', { usage: { prompt_tokens: 3, completion_tokens: 4 } }));
    expect(router.stream).toBeDefined();

    const deltas: string[] = [];
    let finish: unknown;
    for await (const part of router.stream!(hi)) {
      if (part.type === 'text-delta') deltas.push(part.text);
      if (part.type === 'finish') finish = part.result;
    }
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe('streamed from the backup');
    expect(finish).toMatchObject({ text: 'streamed from the backup', deployment: 'backup', usage: { inputTokens: 3, outputTokens: 4 } });
    expect(upstream.requests.map((r) => [r.body['model'], r.body['stream']])).toEqual([
      ['up-primary', true],
      ['up-backup', true],
    ]);
  });
});

describe("LiteLLM's own cooldown, for reference", () => {
  it('cools a failed deployment of a two-deployment group down: later calls go to the other one', async () => {
    upstream.enqueue(reply.rateLimit({ retryAfter: '1' }), reply.text('second 1'), reply.text('second 2'), reply.text('second 3'));
    const ask = () =>
      fetch(`${proxy.baseUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${proxy.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'pool', ...hi }),
      });
    for (const expected of ['second 1', 'second 2', 'second 3']) {
      const res = await ask();
      expect(res.status).toBe(200);
      expect(((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toBe(expected);
    }
    // Without the cooldown, `order` would send every call to the first deployment.
    expect(upstream.requests.map((r) => r.body['model'])).toEqual(['up-pool-first', 'up-pool-second', 'up-pool-second', 'up-pool-second']);
  });
});

describe('a streamed conversation through the runtime and the real LiteLLM proxy', () => {
  it('streams the reply over SSE from a deployment behind LiteLLM, falling back on its 429 first', async () => {
    const viaProxy = (name: string) => ({ name, provider: 'openai-compatible', model: name, baseUrl: `${proxy.baseUrl}/v1`, apiKeyProvider: 'litellm' });
    const { app } = await createService(
      {
        [S.llmConfig]: JSON.stringify({ deployments: [viaProxy('primary'), viaProxy('backup')], fallbacks: { primary: ['backup'] }, retries: 0 }),
        [llmApiKeySetting('litellm')]: proxy.apiKey,
        [S.embeddingProvider]: 'hashing',
      },
      { logger: false },
    );
    try {
      upstream.enqueue(reply.rateLimit({ retryAfter: '1' }), reply.text('Bonjour Dana, the bakery in Lyon it is.'));
      const response = await app.inject({
        method: 'POST',
        url: '/v1/teams/default/messages',
        headers: { accept: 'text/event-stream' },
        payload: { conversationId: 'dana', content: 'My name is Dana and I run a bakery in Lyon.' },
      });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/event-stream/);
      const events = parseEvents(response.body);
      const deltas = events.filter((e) => e.event === 'delta').map((e) => (e.data as { text: string }).text);
      expect(deltas.length).toBeGreaterThan(1);
      expect(deltas.join('')).toBe('Bonjour Dana, the bakery in Lyon it is.');
      const done = events.at(-1)!;
      expect(done.event).toBe('done');
      expect(done.data).toMatchObject({ conversationId: 'dana', reply: { content: 'Bonjour Dana, the bakery in Lyon it is.' } });
      // The member's model call went to the primary through LiteLLM, got its 429, and was answered by the backup.
      expect(upstream.requests.map((r) => [r.body['model'], r.body['stream']])).toEqual([
        ['up-primary', true],
        ['up-backup', true],
      ]);
    } finally {
      await app.close();
    }
  });
});
