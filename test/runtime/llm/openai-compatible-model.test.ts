import { inspect } from 'node:util';
import { LlmError, OpenAICompatibleModel, collectStream, type ChatRequest, type OpenAICompatibleModelOptions, type StreamPart } from '../../../runtime/src/llm';
import { reply, startOpenAIServer, type OpenAIServer } from '../../servers/openai-compatible-server';
import { waitFor } from '../../helpers/wait';

const KEY = 'sk-test-7f3a9c1e5b';
let server: OpenAIServer;

beforeAll(async () => {
  server = await startOpenAIServer();
});
afterAll(async () => server.stop());
beforeEach(() => server.reset());

const model = (overrides: Partial<OpenAICompatibleModelOptions> = {}) => new OpenAICompatibleModel({ baseUrl: server.url, model: 'gpt-test', apiKey: KEY, ...overrides });
const hello: ChatRequest = { messages: [{ role: 'user', content: 'hello' }] };

/** The LlmError a call rejects with. */
async function failure(promise: Promise<unknown>): Promise<LlmError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  if (!(err instanceof LlmError)) throw new Error(`expected an LlmError, got ${inspect(err)}`);
  return err;
}

describe('OpenAICompatibleModel request mapping', () => {
  it('sends messages, tools, tool_choice, temperature, max_tokens and json_schema as /v1/chat/completions expects', async () => {
    await model().doChat({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'weather in Porto?' },
        { role: 'assistant', content: '', toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: { city: 'Porto' } }] },
        { role: 'tool', toolCallId: 'call_1', content: '21C' },
        { role: 'assistant', content: 'It is 21C.' },
        { role: 'user', content: 'and tomorrow?' },
      ],
      tools: [{ name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }],
      toolChoice: { name: 'get_weather' },
      temperature: 0.2,
      maxOutputTokens: 256,
      responseFormat: { type: 'json', schema: { type: 'object', properties: { answer: { type: 'string' } } } },
    });
    expect(server.requests).toHaveLength(1);
    const [{ path, body, headers }] = server.requests;
    expect(path).toBe('/v1/chat/completions');
    expect(headers['authorization']).toBe(`Bearer ${KEY}`);
    expect(body).toEqual({
      model: 'gpt-test',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'weather in Porto?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Porto"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: '21C' },
        { role: 'assistant', content: 'It is 21C.' },
        { role: 'user', content: 'and tomorrow?' },
      ],
      tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      temperature: 0.2,
      max_tokens: 256,
      response_format: { type: 'json_schema', json_schema: { name: 'response', schema: { type: 'object', properties: { answer: { type: 'string' } } } } },
    });
  });

  it('sends only what was asked: plain string tool choices, json_object, nothing optional by default', async () => {
    const tools = [{ name: 't', description: 'd', parameters: { type: 'object' } }];
    await model().doChat({ ...hello, tools, toolChoice: 'required', responseFormat: { type: 'json' } });
    await model().doChat(hello);
    expect(server.requests[0].body).toMatchObject({ tool_choice: 'required', response_format: { type: 'json_object' } });
    expect(server.requests[1].body).toEqual({ model: 'gpt-test', messages: [{ role: 'user', content: 'hello' }] });
  });

  it('warns (and sends no tool_choice) when a tool choice comes without tools', async () => {
    const result = await model().doChat({ ...hello, toolChoice: 'required' });
    expect(result.warnings).toEqual(['toolChoice ignored: no tools were given']);
    expect(server.requests[0].body).not.toHaveProperty('tool_choice');
  });

  it('sends extra headers, no Authorization without a key, and goes through an injected fetch', async () => {
    const seen: string[] = [];
    const counting: typeof fetch = (input, init) => {
      seen.push(String(input));
      return fetch(input, init);
    };
    await model({ apiKey: undefined, headers: { 'x-team': 'blue' }, fetch: counting }).doChat(hello);
    expect(server.requests[0].headers['x-team']).toBe('blue');
    expect(server.requests[0].headers).not.toHaveProperty('authorization');
    expect(seen).toEqual([`${server.url}/chat/completions`]);
  });

  it('does not pick up OPENAI_ORG_ID / OPENAI_PROJECT_ID from the environment', async () => {
    process.env.OPENAI_ORG_ID = 'org-leak';
    process.env.OPENAI_PROJECT_ID = 'proj-leak';
    try {
      await model().doChat(hello);
    } finally {
      delete process.env.OPENAI_ORG_ID;
      delete process.env.OPENAI_PROJECT_ID;
    }
    expect(server.requests[0].headers).not.toHaveProperty('openai-organization');
    expect(server.requests[0].headers).not.toHaveProperty('openai-project');
  });
});

describe('OpenAICompatibleModel response mapping', () => {
  it('maps text, finish reason, usage and the answering model', async () => {
    server.enqueue(reply.text('Hi there', { finishReason: 'length', usage: { prompt_tokens: 12, completion_tokens: 3 } }));
    expect(await model().doChat(hello)).toEqual({
      text: 'Hi there',
      toolCalls: [],
      finishReason: 'length',
      usage: { inputTokens: 12, outputTokens: 3 },
      provider: 'openai-compatible',
      model: 'gpt-test',
      warnings: [],
    });
  });

  it('maps tool calls with JSON-parsed arguments', async () => {
    server.enqueue(reply.toolCalls({ id: 'call_a', name: 'get_weather', arguments: '{"city":"Porto","days":2}' }, { id: 'call_b', name: 'noop', arguments: '' }));
    const result = await model().doChat(hello);
    expect(result).toMatchObject({ text: '', finishReason: 'tool-calls', warnings: [] });
    expect(result.toolCalls).toEqual([
      { id: 'call_a', name: 'get_weather', arguments: { city: 'Porto', days: 2 } },
      { id: 'call_b', name: 'noop', arguments: {} },
    ]);
  });

  it('turns malformed tool arguments into a warning and rawArguments, and sends them back verbatim', async () => {
    server.enqueue(reply.toolCalls({ id: 'call_x', name: 'get_weather', arguments: '{"city": "Por' }, { id: 'call_y', name: 'list', arguments: '[1, 2]' }));
    const result = await model().doChat(hello);
    expect(result.toolCalls).toEqual([
      { id: 'call_x', name: 'get_weather', arguments: {}, rawArguments: '{"city": "Por' },
      { id: 'call_y', name: 'list', arguments: {}, rawArguments: '[1, 2]' },
    ]);
    expect(result.warnings).toEqual([
      'tool call call_x (get_weather): arguments are not a JSON object; passed as {} with rawArguments',
      'tool call call_y (list): arguments are not a JSON object; passed as {} with rawArguments',
    ]);
    await model().doChat({ messages: [...hello.messages, { role: 'assistant', content: '', toolCalls: result.toolCalls }] });
    const sent = server.requests[1].body['messages'] as { tool_calls?: { function: { arguments: string } }[] }[];
    expect(sent[1].tool_calls?.map((c) => c.function.arguments)).toEqual(['{"city": "Por', '[1, 2]']);
  });

  it('rejects a body that is not JSON, or not a chat completion, as a server error', async () => {
    server.enqueue(reply.malformedJson(), reply.raw('{"id": "x", "choices": []}'), reply.raw('{"choices": [{"message": {"content": 42}}]}'));
    expect(await failure(model().doChat(hello))).toMatchObject({ kind: 'server', message: 'openai-compatible gpt-test: malformed response: the body is not valid JSON' });
    expect(await failure(model().doChat(hello))).toMatchObject({ kind: 'server', message: expect.stringContaining('choices: expected at least one choice') });
    expect(await failure(model().doChat(hello))).toMatchObject({ kind: 'server', message: expect.stringContaining('choices[0].message.content') });
  });
});

describe('OpenAICompatibleModel error mapping', () => {
  it.each([
    ['500', 'server', reply.serverError(500), 500],
    ['503', 'server', reply.serverError(503), 503],
    ['401', 'auth', reply.unauthorized(), 401],
    ['403', 'auth', { type: 'error', status: 403, message: 'Forbidden' } as const, 403],
    ['404', 'not-found', reply.notFound(), 404],
    ['408', 'timeout', { type: 'error', status: 408, message: 'Request timed out' } as const, 408],
    ['400 context_length_exceeded', 'context-window', reply.contextLength(), 400],
    ['400 LiteLLM context window', 'context-window', { type: 'error', status: 400, message: 'litellm.ContextWindowExceededError: prompt is too long', code: '400' } as const, 400],
    ['400 content filter', 'content-filter', { type: 'error', status: 400, message: 'The response was filtered', code: 'content_filter' } as const, 400],
    ['400 other', 'bad-request', reply.badRequest(), 400],
    ['422', 'bad-request', { type: 'error', status: 422, message: 'Unprocessable' } as const, 422],
  ])('%s → %s', async (_label, kind, response, status) => {
    server.enqueue(response);
    const err = await failure(model().doChat(hello));
    expect(err).toMatchObject({ kind, details: { status, provider: 'openai-compatible', model: 'gpt-test' } });
    expect(err.details.retryAfterMs).toBeUndefined();
  });

  it('maps 429 to rate-limit with retry-after-ms, Retry-After seconds, or an HTTP date', async () => {
    server.enqueue(reply.rateLimit({ retryAfterMs: 1500, retryAfter: '9' }), reply.rateLimit({ retryAfter: '2' }), reply.rateLimit({ retryAfter: new Date(Date.now() + 3_000).toUTCString() }), reply.rateLimit());
    expect(await failure(model().doChat(hello))).toMatchObject({ kind: 'rate-limit', details: { status: 429, retryAfterMs: 1500 } });
    expect(await failure(model().doChat(hello))).toMatchObject({ kind: 'rate-limit', details: { retryAfterMs: 2000 } });
    const dated = (await failure(model().doChat(hello))).details.retryAfterMs;
    // An HTTP date has whole seconds: 3 s from now is 2–3 s away.
    expect(dated).toBeGreaterThan(1_000);
    expect(dated).toBeLessThanOrEqual(3_000);
    expect((await failure(model().doChat(hello))).details.retryAfterMs).toBeUndefined();
  });

  it('maps a refused connection to network', async () => {
    const closed = await startOpenAIServer();
    await closed.stop();
    expect(await failure(model({ baseUrl: closed.url }).doChat(hello))).toMatchObject({ kind: 'network' });
  });

  it('maps an abort and the deadline to timeout, and the server sees the request dropped', async () => {
    // A server of its own: on a busy machine the deadline's request may reach a server only after
    // the client gave up on it, and must not take the next test's scripted answer.
    const own = await startOpenAIServer();
    try {
      own.enqueue(reply.slow(5_000), reply.slow(5_000));
      const ownModel = (overrides: Partial<OpenAICompatibleModelOptions> = {}) => new OpenAICompatibleModel({ baseUrl: own.url, model: 'gpt-test', apiKey: KEY, ...overrides });
      const controller = new AbortController();
      const aborted = ownModel().doChat({ ...hello, abortSignal: controller.signal });
      // Abort once the server holds the request, so that it is the server that sees it dropped.
      await waitFor(() => own.requests.length === 1, 25_000);
      controller.abort();
      expect(await failure(aborted)).toMatchObject({ kind: 'timeout', message: 'openai-compatible gpt-test: the call was aborted' });
      await waitFor(() => own.requests[0].aborted);
      expect(await failure(ownModel({ timeoutMs: 50 }).doChat(hello))).toMatchObject({ kind: 'timeout', message: 'openai-compatible gpt-test: no response within 50 ms' });
      // The deadline's request may end before it reaches the server; one that did was dropped.
      await waitFor(() => own.requests.every((r) => r.aborted));
      expect(own.requests.every((r) => r.aborted)).toBe(true);
    } finally {
      await own.stop();
    }
  });

  it('never puts the API key in an error, even when the server echoes it', async () => {
    server.enqueue(reply.unauthorized(`Incorrect API key provided: ${KEY}. You can find your API key at …`));
    const err = await failure(model().doChat(hello));
    expect(err.kind).toBe('auth');
    expect(err.message).toContain('Incorrect API key provided: [redacted]');
    expect(inspect(err, { depth: 10, showHidden: true })).not.toContain(KEY);
    expect(JSON.stringify(err)).not.toContain(KEY);
    // Nor does the model itself print it.
    expect(inspect(model(), { depth: 10, showHidden: true })).not.toContain(KEY);
  });
});


/** Every part of a stream, and the error it ended with (if it did). */
async function drain(stream: AsyncIterable<StreamPart>): Promise<{ parts: StreamPart[]; error?: unknown }> {
  const parts: StreamPart[] = [];
  try {
    for await (const part of stream) parts.push(part);
    return { parts };
  } catch (error) {
    return { parts, error };
  }
}

const deltas = (parts: StreamPart[]) => parts.flatMap((p) => (p.type === 'text-delta' ? [p.text] : []));

describe('OpenAICompatibleModel streaming', () => {
  it('asks for a stream with usage; text deltas join to the reply, the finish carries reason, usage and model', async () => {
    server.enqueue(reply.text('The weather in Porto is mild today.', { finishReason: 'length', usage: { prompt_tokens: 7, completion_tokens: 8 } }));
    const { stream } = await model().doStream(hello);
    const { parts, error } = await drain(stream);
    expect(error).toBeUndefined();
    expect(server.requests[0].body).toMatchObject({ model: 'gpt-test', stream: true, stream_options: { include_usage: true } });
    expect(deltas(parts).length).toBeGreaterThan(1);
    expect(deltas(parts).join('')).toBe('The weather in Porto is mild today.');
    expect(parts.at(-1)).toEqual({ type: 'finish', finishReason: 'length', usage: { inputTokens: 7, outputTokens: 8 }, provider: 'openai-compatible', model: 'gpt-test', warnings: [] });
    expect(parts.filter((p) => p.type === 'finish')).toHaveLength(1);
  });

  it('assembles tool calls from their argument deltas, one complete tool-call part each, malformed ones warned', async () => {
    server.enqueue(reply.toolCalls({ id: 'call_a', name: 'get_weather', arguments: '{"city": "Porto", "units": "metric"}' }, { id: 'call_b', name: 'lookup', arguments: '{"q": "trunc' }));
    const { parts, error } = await drain((await model().doStream(hello)).stream);
    expect(error).toBeUndefined();
    expect(parts.filter((p) => p.type !== 'finish')).toEqual([
      { type: 'tool-call', toolCall: { id: 'call_a', name: 'get_weather', arguments: { city: 'Porto', units: 'metric' } } },
      { type: 'tool-call', toolCall: { id: 'call_b', name: 'lookup', arguments: {}, rawArguments: '{"q": "trunc' } },
    ]);
    expect(parts.at(-1)).toMatchObject({ type: 'finish', finishReason: 'tool-calls', warnings: ['tool call call_b (lookup): arguments are not a JSON object; passed as {} with rawArguments'] });
  });

  it('collectStream gives what doChat gives for the same scripted reply', async () => {
    const usage = { prompt_tokens: 3, completion_tokens: 4 };
    server.enqueue(reply.text('Same answer, either way.', { usage }), reply.text('Same answer, either way.', { usage }));
    const streamed = await collectStream((await model().doStream(hello)).stream);
    expect(streamed).toEqual(await model().doChat(hello));
    const calls = [{ id: 'c1', name: 'get_weather', arguments: '{"city":"Braga"}' }];
    server.enqueue(reply.toolCalls(...calls), reply.toolCalls(...calls));
    expect(await collectStream((await model().doStream(hello)).stream)).toEqual(await model().doChat(hello));
  });

  it('rejects a 429 before the first chunk as rate-limit with retryAfter, like doChat', async () => {
    server.enqueue(reply.rateLimit({ retryAfter: '3' }));
    const err = await failure(model().doStream(hello));
    expect(err).toMatchObject({ kind: 'rate-limit', retryable: true, details: { status: 429, retryAfterMs: 3000 } });
  });

  it('throws a retryable network LlmError from the stream when the connection is cut after some deltas', async () => {
    server.enqueue(reply.streamBreak('Half ', 'an ', 'answer'));
    const { parts, error } = await drain((await model().doStream(hello)).stream);
    expect(deltas(parts)).toEqual(['Half ', 'an ', 'answer']);
    expect(parts.some((p) => p.type === 'finish')).toBe(false);
    expect(error).toBeInstanceOf(LlmError);
    expect(error).toMatchObject({ kind: 'network', retryable: true, details: { provider: 'openai-compatible', model: 'gpt-test' } });
  });

  it('stops the upstream request on abort, and when the consumer leaves the loop', async () => {
    server.enqueue(reply.streamHold('Still ', 'thinking'), reply.streamHold('Still ', 'thinking'));
    const controller = new AbortController();
    const { stream } = await model().doStream({ ...hello, abortSignal: controller.signal });
    const parts: StreamPart[] = [];
    const err = await failure(
      (async () => {
        for await (const part of stream) {
          parts.push(part);
          if (deltas(parts).length === 2) controller.abort();
        }
      })(),
    );
    expect(err).toMatchObject({ kind: 'timeout', message: 'openai-compatible gpt-test: the call was aborted' });
    await waitFor(() => server.requests[0].aborted);
    expect(server.requests[0].aborted).toBe(true);

    for await (const part of (await model().doStream(hello)).stream) if (part.type === 'text-delta') break;
    await waitFor(() => server.requests[1]?.aborted);
    expect(server.requests[1].aborted).toBe(true);
  });
});
