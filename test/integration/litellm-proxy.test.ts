/**
 * The real LiteLLM proxy (test/servers/litellm.ts) in front of the scripted OpenAI-compatible
 * server: what our OpenAI-compatible provider and a raw client see through it. The reference for
 * the router's streaming and fallback behaviour (docs/litellm-router.md).
 */
import { OpenAICompatibleModel } from '../../runtime/src/llm/openai-compatible-model';
import { collectStream, type StreamPart } from '../../runtime/src/llm/types';
import { startLiteLlmProxy, LITELLM_VERSION, type LiteLlmProxy } from '../servers/litellm';
import { reply, startOpenAIServer, type OpenAIServer } from '../servers/openai-compatible-server';

/** The proxy's first start imports all of litellm: some seconds on 2 cores. */
const STARTUP_TIMEOUT_MS = 120_000;

let upstream: OpenAIServer;
let proxy: LiteLlmProxy;

beforeAll(async () => {
  upstream = await startOpenAIServer();
  const deployment = (group: string, model: string) => ({ model_name: group, litellm_params: { model: `openai/${model}`, api_base: upstream.url, api_key: 'upstream-key' } });
  proxy = await startLiteLlmProxy({
    model_list: [deployment('primary', 'up-primary'), deployment('backup', 'up-backup')],
    // No retries: a 429 goes to the fallback at once, so each test sees exactly its scripted calls.
    router_settings: { num_retries: 0, fallbacks: [{ primary: ['backup'] }] },
  });
}, STARTUP_TIMEOUT_MS);

afterAll(async () => {
  await proxy?.stop();
  await upstream?.stop();
});

beforeEach(() => upstream.reset());

const chat = (body: Record<string, unknown>): Promise<Response> =>
  fetch(`${proxy.baseUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${proxy.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'primary', messages: [{ role: 'user', content: 'hi' }], ...body }),
  });

/** The `data:` payloads of a server-sent event stream, `[DONE]` included. */
const sseData = (text: string): string[] =>
  text
    .split('\n')
    .filter((line) => line.startsWith('data: '))
    .map((line) => line.slice('data: '.length));

interface Chunk {
  readonly model: string;
  readonly object: string;
  readonly choices: readonly { readonly delta: { readonly content?: string }; readonly finish_reason?: string | null }[];
}

describe(`the LiteLLM proxy ${LITELLM_VERSION}`, () => {
  it('passes a plain completion through to the deployment of the model group (our provider as the client)', async () => {
    upstream.enqueue(reply.text('hello through the proxy', { usage: { prompt_tokens: 7, completion_tokens: 4 } }));
    const model = new OpenAICompatibleModel({ baseUrl: `${proxy.baseUrl}/v1`, model: 'primary', apiKey: proxy.apiKey });

    const result = await model.doChat({ messages: [{ role: 'user', content: 'hi' }] });

    expect(result).toMatchObject({ text: 'hello through the proxy', finishReason: 'stop', usage: { inputTokens: 7, outputTokens: 4 } });
    expect(upstream.requests).toHaveLength(1);
    // The group name is swapped for the deployment's model, and the upstream key for the client's.
    expect(upstream.requests[0]!.body).toMatchObject({ model: 'up-primary', messages: [{ role: 'user', content: 'hi' }] });
    expect(upstream.requests[0]!.headers.authorization).toBe('Bearer upstream-key');
  });

  it('streams to our provider: text deltas, usage and assembled tool calls, as from the upstream directly', async () => {
    upstream.enqueue(
      reply.text('streamed through the proxy', { usage: { prompt_tokens: 6, completion_tokens: 4 } }),
      reply.toolCalls({ id: 'call_w', name: 'get_weather', arguments: '{"city":"Porto"}' }),
    );
    const model = new OpenAICompatibleModel({ baseUrl: `${proxy.baseUrl}/v1`, model: 'primary', apiKey: proxy.apiKey });
    const hi = { messages: [{ role: 'user' as const, content: 'hi' }] };

    const parts: StreamPart[] = [];
    for await (const part of (await model.doStream(hi)).stream) parts.push(part);
    expect(parts.filter((p) => p.type === 'text-delta').length).toBeGreaterThan(1);
    expect(parts.flatMap((p) => (p.type === 'text-delta' ? [p.text] : [])).join('')).toBe('streamed through the proxy');
    expect(parts.at(-1)).toMatchObject({ type: 'finish', finishReason: 'stop', usage: { inputTokens: 6, outputTokens: 4 } });
    expect(upstream.requests[0]!.body).toMatchObject({ model: 'up-primary', stream: true });

    const tools = [{ name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } }];
    const calls = await collectStream((await model.doStream({ ...hi, tools })).stream);
    expect(calls).toMatchObject({ finishReason: 'tool-calls', toolCalls: [{ id: 'call_w', name: 'get_weather', arguments: { city: 'Porto' } }] });
  });

  it("serves an upstream 429 from the fallback group's deployment, and says so in x-litellm-* headers", async () => {
    upstream.enqueue(reply.rateLimit({ retryAfter: '1' }), reply.text('from the backup'));

    const res = await chat({});

    expect(res.status).toBe(200);
    const body = (await res.json()) as { model: string; choices: { message: { content: string } }[] };
    expect(body.choices[0]!.message.content).toBe('from the backup');
    expect(upstream.requests.map((r) => r.body['model'])).toEqual(['up-primary', 'up-backup']);
    expect(res.headers.get('x-litellm-attempted-fallbacks')).toBe('1');
    expect(res.headers.get('x-litellm-attempted-retries')).toBe('0');
    expect(res.headers.get('x-litellm-model-group')).toBe('backup');
    expect(res.headers.get('x-litellm-model-name')).toBe('openai/up-backup');
  });

  it('adds its own headers to a direct answer: overhead and total duration, the deployment, the version', async () => {
    const res = await chat({});
    await res.text();

    expect(res.status).toBe(200);
    expect(Number(res.headers.get('x-litellm-overhead-duration-ms'))).toBeGreaterThanOrEqual(0);
    expect(Number(res.headers.get('x-litellm-response-duration-ms'))).toBeGreaterThan(0);
    expect(res.headers.get('x-litellm-call-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get('x-litellm-model-group')).toBe('primary');
    expect(res.headers.get('x-litellm-model-name')).toBe('openai/up-primary');
    expect(res.headers.get('x-litellm-model-api-base')).toBe(upstream.url);
    expect(res.headers.get('x-litellm-model-id')).toMatch(/^[0-9a-f]{64}$/);
    expect(res.headers.get('x-litellm-attempted-fallbacks')).toBe('0');
    expect(res.headers.get('x-litellm-version')).toBe(LITELLM_VERSION);
  });

  it('streams a completion (stream: true) as server-sent chat.completion.chunk events ending in [DONE]', async () => {
    upstream.enqueue(reply.text('one two three'));

    const res = await chat({ stream: true });

    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const data = sseData(await res.text());
    expect(data.at(-1)).toBe('[DONE]');
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d) as Chunk);
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.model === 'primary')).toBe(true);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('one two three');
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('stop');
    expect(upstream.requests.map((r) => [r.body['model'], r.body['stream']])).toEqual([['up-primary', true]]);
  });

  it('falls back on a 429 before the first chunk of a stream too: the client sees only the backup stream', async () => {
    upstream.enqueue(reply.rateLimit(), reply.text('streamed backup'));

    const res = await chat({ stream: true });

    expect(res.status).toBe(200);
    const chunks = sseData(await res.text()).slice(0, -1).map((d) => JSON.parse(d) as Chunk);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('streamed backup');
    expect(chunks.every((c) => c.model === 'backup')).toBe(true);
    expect(upstream.requests.map((r) => [r.body['model'], r.body['stream']])).toEqual([['up-primary', true], ['up-backup', true]]);
  });
});
