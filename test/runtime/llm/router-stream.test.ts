import { inspect } from 'node:util';
import {
  CONTINUE_INSTRUCTION,
  LlmError,
  LlmRouterError,
  ModelRouter,
  OpenAICompatibleModel,
  type ChatRequest,
  type LanguageModel,
  type ModelRouterOptions,
  type RoutedStreamPart,
} from '../../../runtime/src/llm';
import { OverlapTrimmer } from '../../../runtime/src/llm/stream-continuation';
import { reply, startOpenAIServer, type OpenAIServer } from '../../servers/openai-compatible-server';
import { waitFor } from '../../helpers/wait';

const KEY = 'sk-router-stream-test-5d1e';
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

const hello: ChatRequest = { messages: [{ role: 'user', content: 'Tell me about the fox.' }] };

/** Deployments on the one local server, told apart by their model name; `a` falls back to `b`, no retries. */
function router(names: string[], options: Partial<ModelRouterOptions> = {}): ModelRouter {
  return new ModelRouter({
    deployments: names.map((name) => ({ name, model: new OpenAICompatibleModel({ baseUrl: server.url, model: `model-${name}`, apiKey: KEY }) })),
    backoff: { initialMs: 1, maxMs: 2 },
    retries: 0,
    fallbacks: { a: ['b'] },
    now: () => clock,
    ...options,
  });
}

const called = () => server.requests.map((r) => String(r.body['model']).replace('model-', ''));

async function collect(stream: AsyncIterable<RoutedStreamPart>): Promise<RoutedStreamPart[]> {
  const parts: RoutedStreamPart[] = [];
  for await (const part of stream) parts.push(part);
  return parts;
}

async function streamFailure(stream: AsyncIterable<RoutedStreamPart>): Promise<{ parts: RoutedStreamPart[]; error: LlmRouterError }> {
  const parts: RoutedStreamPart[] = [];
  try {
    for await (const part of stream) parts.push(part);
  } catch (err) {
    if (err instanceof LlmRouterError) return { parts, error: err };
    throw new Error(`expected an LlmRouterError, got ${inspect(err)}`);
  }
  throw new Error('expected the stream to fail');
}

const textOf = (parts: readonly RoutedStreamPart[]) => parts.map((p) => (p.type === 'text-delta' ? p.text : '')).join('');
const finishOf = (parts: readonly RoutedStreamPart[]) => {
  const last = parts.at(-1);
  if (last?.type !== 'finish') throw new Error(`expected a finish last, got ${inspect(last)}`);
  return last.result;
};
const outcomes = (attempts: readonly { deployment: string; outcome: string; errorKind?: string; status?: number }[]) =>
  attempts.map((a) => [a.deployment, a.outcome === 'error' ? `${a.errorKind}${a.status ? ` ${a.status}` : ''}` : a.outcome].join(' '));

describe('ModelRouter.stream before the first token', () => {
  it('streams the answer, the attempt and the whole result last', async () => {
    server.enqueue(reply.text('The quick brown fox.'));
    const parts = await collect(router(['a', 'b']).stream(hello));
    expect(parts.filter((p) => p.type === 'text-delta').length).toBeGreaterThan(1);
    const result = finishOf(parts);
    expect(result).toMatchObject({ text: 'The quick brown fox.', deployment: 'a', finishReason: 'stop' });
    expect(textOf(parts)).toBe(result.text);
    expect(outcomes(result.attempts)).toEqual(['a ok']);
    expect(parts.filter((p) => p.type === 'attempt')).toHaveLength(1);
  });

  it('fails over on a 429 before any text, like chat, and records every attempt', async () => {
    server.enqueue(reply.rateLimit({ retryAfter: '30' }), reply.text('From b.'));
    const parts = await collect(router(['a', 'b']).stream(hello));
    const result = finishOf(parts);
    expect(result).toMatchObject({ text: 'From b.', deployment: 'b' });
    expect(outcomes(result.attempts)).toEqual(['a rate-limit 429', 'b ok']);
    expect(parts.some((p) => p.type === 'failover')).toBe(false);
    expect(called()).toEqual(['a', 'b']);
    // The fallback was sent the original conversation, no continuation.
    expect(server.requests[1].body['messages']).toEqual([{ role: 'user', content: 'Tell me about the fox.' }]);
  });

  it("records each stream's time to first token for latency-based routing", async () => {
    server.enqueue(reply.text('Timed.'));
    const r = router(['a', 'b']);
    const recorded = jest.spyOn(r, 'recordTimeToFirstToken');
    await collect(r.stream(hello));
    expect(recorded).toHaveBeenCalledWith('a', expect.any(Number));
  });

  it('answers from a model that cannot stream with its chat text as one delta', async () => {
    const chatOnly: LanguageModel = {
      provider: 'test',
      modelId: 'chat-only',
      doChat: async () => ({ text: 'whole answer', toolCalls: [], finishReason: 'stop', provider: 'test', model: 'chat-only', warnings: [] }),
    };
    const parts = await collect(new ModelRouter({ deployments: [{ name: 'c', model: chatOnly }] }).stream(hello));
    expect(parts.filter((p) => p.type === 'text-delta')).toEqual([{ type: 'text-delta', text: 'whole answer' }]);
    expect(finishOf(parts)).toMatchObject({ text: 'whole answer', deployment: 'c' });
  });

  it('ends with LlmRouterError when no deployment can answer', async () => {
    server.enqueue(reply.serverError(), reply.serverError());
    const { error } = await streamFailure(router(['a', 'b']).stream(hello));
    expect(outcomes(error.attempts)).toEqual(['a server 500', 'b server 500']);
  });
});

describe('ModelRouter.stream failing over mid-stream', () => {
  const sent = 'The quick brown fox ';

  async function cutThenFallback(fallbackText: string) {
    server.enqueue(reply.streamBreak('The ', 'quick ', 'brown ', 'fox '), reply.text(fallbackText, { usage: { prompt_tokens: 30, completion_tokens: 4 } }));
    const parts = await collect(router(['a', 'b']).stream(hello));
    return { parts, result: finishOf(parts) };
  }

  it('gives the fallback the text sent so far and the instruction to continue, and marks the failover', async () => {
    const { parts, result } = await cutThenFallback('jumps over the lazy dog.');
    expect(called()).toEqual(['a', 'b']);
    expect(server.requests[1].body['messages']).toEqual([
      { role: 'user', content: 'Tell me about the fox.' },
      { role: 'assistant', content: sent },
      { role: 'user', content: CONTINUE_INSTRUCTION },
    ]);
    expect(parts.filter((p) => p.type === 'failover')).toEqual([{ type: 'failover', from: 'a', to: 'b', reason: 'network', sentChars: sent.length }]);
    expect(textOf(parts)).toBe('The quick brown fox jumps over the lazy dog.');
    expect(result).toMatchObject({ text: 'The quick brown fox jumps over the lazy dog.', deployment: 'b', usage: { inputTokens: 30, outputTokens: 4 } });
    expect(outcomes(result.attempts)).toEqual(['a network', 'b ok']);
    // The failed attempt is reported before the failover, the ok one before the finish.
    expect(parts.filter((p) => p.type !== 'text-delta').map((p) => p.type)).toEqual(['attempt', 'failover', 'attempt', 'finish']);
  });

  it('sends nothing twice when the fallback restarts the answer verbatim', async () => {
    const { parts, result } = await cutThenFallback('The quick brown fox jumps over the lazy dog.');
    expect(textOf(parts)).toBe('The quick brown fox jumps over the lazy dog.');
    expect(result.text).toBe(textOf(parts));
  });

  it('sends nothing twice when the fallback repeats the last words', async () => {
    const { parts } = await cutThenFallback('brown fox jumps over the lazy dog.');
    expect(textOf(parts)).toBe('The quick brown fox jumps over the lazy dog.');
  });

  it('keeps a continuation that only happens to start like the sent text', async () => {
    // "f" (and "fo") occur in the sent text; a 1-word, 8-character overlap is the least that is dropped.
    const { parts } = await cutThenFallback('followed the hen.');
    expect(textOf(parts)).toBe('The quick brown fox followed the hen.');
  });

  it('retries in the same group first when its retry policy allows, continuing there', async () => {
    server.enqueue(reply.streamBreak('Half ', 'an '), reply.text('answer.'));
    const parts = await collect(router(['a', 'b'], { retries: 1 }).stream(hello));
    expect(called()).toEqual(['a', 'a']);
    expect(textOf(parts)).toBe('Half an answer.');
    expect(server.requests[1].body['messages']).toEqual([
      { role: 'user', content: 'Tell me about the fox.' },
      { role: 'assistant', content: 'Half an ' },
      { role: 'user', content: CONTINUE_INSTRUCTION },
    ]);
  });

  it('fails with every attempt when the fallback breaks too', async () => {
    server.enqueue(reply.streamBreak('one '), reply.streamBreak('two '));
    const { parts, error } = await streamFailure(router(['a', 'b']).stream(hello));
    expect(textOf(parts)).toBe('one two ');
    expect(outcomes(error.attempts)).toEqual(['a network', 'b network']);
  });
});

describe('ModelRouter.stream tool calls', () => {
  it('keeps tool calls sent before a break, names them to the fallback, and does not send them twice', async () => {
    const call = { id: 'call_1', name: 'get_weather', arguments: { city: 'Paris' } };
    const seen: ChatRequest[] = [];
    const breaking: LanguageModel = {
      provider: 'test',
      modelId: 'breaking',
      doChat: () => Promise.reject(new Error('streams only')),
      doStream: async () => ({
        stream: (async function* () {
          yield { type: 'text-delta' as const, text: 'Checking the weather. ' };
          yield { type: 'tool-call' as const, toolCall: call };
          throw new LlmError('network', 'connection reset');
        })(),
      }),
    };
    const finishing: LanguageModel = {
      provider: 'test',
      modelId: 'finishing',
      doChat: () => Promise.reject(new Error('streams only')),
      doStream: async (request) => {
        seen.push(request);
        return {
          stream: (async function* () {
            yield { type: 'tool-call' as const, toolCall: { ...call, id: 'call_2' } };
            yield { type: 'tool-call' as const, toolCall: { id: 'call_3', name: 'get_time', arguments: { city: 'Paris' } } };
            yield { type: 'finish' as const, finishReason: 'tool-calls' as const, provider: 'test', model: 'finishing', warnings: [] };
          })(),
        };
      },
    };
    const r = new ModelRouter({ deployments: [{ name: 'a', model: breaking }, { name: 'b', model: finishing }], retries: 0, fallbacks: { a: ['b'] } });
    const parts = await collect(r.stream(hello));
    expect(parts.filter((p) => p.type === 'tool-call').map((p) => (p.type === 'tool-call' ? p.toolCall.name : ''))).toEqual(['get_weather', 'get_time']);
    expect(finishOf(parts)).toMatchObject({ text: 'Checking the weather. ', deployment: 'b', finishReason: 'tool-calls' });
    expect(finishOf(parts).toolCalls.map((c) => c.id)).toEqual(['call_1', 'call_3']);
    const last = seen[0].messages.at(-1);
    expect(last?.role).toBe('user');
    expect(last?.content).toContain('get_weather({"city":"Paris"})');
  });
});

describe('ModelRouter.stream bounds', () => {
  it('ends at the request deadline, aborting the upstream', async () => {
    server.enqueue(reply.streamHold('partial '));
    const { parts, error } = await streamFailure(router(['a'], { fallbacks: {} }).stream(hello, { deadline: clock + 50 }));
    expect(textOf(parts)).toBe('partial ');
    expect(error.lastError).toMatchObject({ kind: 'timeout', message: "a: the request's deadline passed" });
    await waitFor(() => server.requests[0]?.aborted === true);
    expect(server.requests[0].aborted).toBe(true);
  });

  it('fails over when a stream falls silent for the per-call timeout', async () => {
    server.enqueue(reply.streamHold('Silent '), reply.text('then b.'));
    const parts = await collect(router(['a', 'b'], { timeoutMs: 100 }).stream(hello));
    expect(textOf(parts)).toBe('Silent then b.');
    expect(outcomes(finishOf(parts).attempts)).toEqual(['a timeout', 'b ok']);
  });

  it('aborts the upstream request when the consumer leaves the loop early', async () => {
    server.enqueue(reply.streamHold('one ', 'two '));
    for await (const part of router(['a'], { fallbacks: {} }).stream(hello)) {
      if (part.type === 'text-delta') break;
    }
    await waitFor(() => server.requests[0]?.aborted === true);
    expect(server.requests[0].aborted).toBe(true);
  });

  it("stops when the caller's abortSignal aborts", async () => {
    server.enqueue(reply.streamHold('one '));
    const controller = new AbortController();
    const stream = router(['a', 'b']).stream({ ...hello, abortSignal: controller.signal });
    const parts: RoutedStreamPart[] = [];
    const failure = (async () => {
      try {
        for await (const part of stream) {
          parts.push(part);
          if (part.type === 'text-delta') controller.abort();
        }
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    const err = await failure;
    expect(err).toBeInstanceOf(LlmRouterError);
    expect((err as LlmRouterError).lastError.kind).toBe('timeout');
    expect(called()).toEqual(['a']);
  });
});

describe('OverlapTrimmer', () => {
  const run = (sent: string, deltas: string[]) => {
    const t = new OverlapTrimmer(sent);
    return deltas.map((d) => t.push(d)).join('') + t.flush();
  };
  it('drops a verbatim restart, a repeated tail, and nothing shorter than a word of 8 characters', () => {
    expect(run('Paris is the capital ', ['Paris ', 'is ', 'the ', 'capital ', 'of France.'])).toBe('of France.');
    expect(run('Paris is the capital ', ['the capital ', 'of France.'])).toBe('of France.');
    expect(run('Paris is the capital ', ['al of France.'])).toBe('al of France.');
    expect(run('Paris is the capital', [' of France.'])).toBe(' of France.');
  });
  it('releases held text at the end when the whole continuation was a repeat', () => {
    expect(run('Paris is the capital', ['is the capital'])).toBe('');
    expect(run('Paris is the capital', ['capital'])).toBe('capital');
  });
});
