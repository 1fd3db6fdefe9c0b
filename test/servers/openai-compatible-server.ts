/**
 * A local OpenAI-compatible server on 127.0.0.1 speaking `POST /v1/chat/completions` and
 * `POST /v1/embeddings` (what a LiteLLM proxy serves). Every request is recorded (body, headers, arrival time, whether the
 * client gave up before the answer); answers are scripted per call, in order, falling back to a
 * default once the script runs out.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedChatRequest {
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  /** The parsed JSON body. */
  readonly body: Record<string, unknown>;
  /** `performance.now()` at arrival. */
  readonly receivedAt: number;
  /** The client closed the connection before the answer was sent. */
  aborted: boolean;
}

export interface ScriptedToolCall {
  readonly id?: string;
  readonly name: string;
  /** Sent verbatim: a JSON string, or anything malformed. */
  readonly arguments: string;
}

export type ScriptedResponse =
  | { readonly type: 'text'; readonly text: string; readonly finishReason?: string; readonly usage?: { readonly prompt_tokens: number; readonly completion_tokens: number } }
  | { readonly type: 'tool-calls'; readonly calls: readonly ScriptedToolCall[] }
  /** 429 with either or both of `Retry-After` and `retry-after-ms`. */
  | { readonly type: 'rate-limit'; readonly retryAfter?: string; readonly retryAfterMs?: number }
  /** Any status with OpenAI's error body `{error: {message, type, code}}`. */
  | { readonly type: 'error'; readonly status: number; readonly message: string; readonly code?: string }
  /** 200 with this body as application/json (invalid JSON, or JSON of the wrong shape). */
  | { readonly type: 'raw'; readonly body: string }
  | { readonly type: 'slow'; readonly delayMs: number; readonly then: ScriptedResponse }
  /** A streamed request (`stream: true`) answered with these content deltas, then the connection is cut (no finish, no `[DONE]`). */
  | { readonly type: 'stream-break'; readonly deltas: readonly string[] }
  /** A streamed request answered with these content deltas, then nothing more until the client goes away. */
  | { readonly type: 'stream-hold'; readonly deltas: readonly string[] }
  /** `/v1/embeddings`: one embedding per input, `dimensions` wide, `data` in reverse order when asked. */
  | { readonly type: 'embeddings'; readonly dimensions?: number; readonly reversed?: boolean };

/** Builders for scripted responses. */
export const reply = {
  text: (text: string, extra: { finishReason?: string; usage?: { prompt_tokens: number; completion_tokens: number } } = {}): ScriptedResponse => ({ type: 'text', text, ...extra }),
  toolCalls: (...calls: ScriptedToolCall[]): ScriptedResponse => ({ type: 'tool-calls', calls }),
  rateLimit: (headers: { retryAfter?: string; retryAfterMs?: number } = {}): ScriptedResponse => ({ type: 'rate-limit', ...headers }),
  serverError: (status = 500): ScriptedResponse => ({ type: 'error', status, message: 'The server had an error while processing your request.', code: 'server_error' }),
  unauthorized: (message = 'Incorrect API key provided.'): ScriptedResponse => ({ type: 'error', status: 401, message, code: 'invalid_api_key' }),
  notFound: (): ScriptedResponse => ({ type: 'error', status: 404, message: 'The model does not exist or you do not have access to it.', code: 'model_not_found' }),
  badRequest: (message = "Invalid value for 'temperature'."): ScriptedResponse => ({ type: 'error', status: 400, message, code: 'invalid_value' }),
  contextLength: (): ScriptedResponse => ({
    type: 'error',
    status: 400,
    message: "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.",
    code: 'context_length_exceeded',
  }),
  malformedJson: (): ScriptedResponse => ({ type: 'raw', body: '{"id": "chatcmpl-1", "choices": [' }),
  raw: (body: string): ScriptedResponse => ({ type: 'raw', body }),
  embeddings: (options: { dimensions?: number; reversed?: boolean } = {}): ScriptedResponse => ({ type: 'embeddings', ...options }),
  streamBreak: (...deltas: string[]): ScriptedResponse => ({ type: 'stream-break', deltas }),
  streamHold: (...deltas: string[]): ScriptedResponse => ({ type: 'stream-hold', deltas }),
  slow: (delayMs: number, then: ScriptedResponse = reply.text('slow reply')): ScriptedResponse => ({ type: 'slow', delayMs, then }),
};

export interface OpenAIServer {
  /** Base URL for clients: `http://127.0.0.1:<port>/v1`. */
  readonly url: string;
  /** Every request, in arrival order. */
  readonly requests: RecordedChatRequest[];
  /** Answers for the next calls, in order. */
  enqueue(...responses: ScriptedResponse[]): void;
  /** The answer once the queue is empty. @default reply.text('ok') */
  setDefault(response: ScriptedResponse): void;
  /** Width of the embeddings `/v1/embeddings` answers when nothing is queued. @default 8 */
  setEmbeddingDimensions(dimensions: number): void;
  /** Forgets requests, queued answers and the default. */
  reset(): void;
  stop(): Promise<void>;
}

export async function startOpenAIServer(): Promise<OpenAIServer> {
  const requests: RecordedChatRequest[] = [];
  const queue: ScriptedResponse[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let fallback = reply.text('ok');
  let counter = 0;
  let embeddingDimensions = 8;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || (req.url !== '/v1/chat/completions' && req.url !== '/v1/embeddings')) {
        return send(res, 404, { error: { message: `no route ${req.method} ${req.url}`, type: 'invalid_request_error', code: null } });
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      const recorded: RecordedChatRequest = { path: req.url, headers: req.headers, body, receivedAt: performance.now(), aborted: false };
      requests.push(recorded);
      res.on('close', () => {
        if (!res.writableFinished) recorded.aborted = true;
      });
      if (req.url === '/v1/embeddings') return answerEmbeddings(res, queue.shift() ?? reply.embeddings(), body);
      answer(res, queue.shift() ?? fallback, String(body['model']), ++counter, body['stream'] === true ? { includeUsage: isIncludeUsage(body['stream_options']) } : undefined);
    });
  });

  // OpenAI's API reference, "Create embeddings": `input` a string or an array of strings, the
  // answer a list of `{object: "embedding", embedding, index}` with usage.
  const answerEmbeddings = (res: http.ServerResponse, response: ScriptedResponse, body: Record<string, unknown>): void => {
    if (response.type !== 'embeddings') return answer(res, response, String(body['model']), ++counter);
    const input = body['input'];
    const texts = typeof input === 'string' ? [input] : Array.isArray(input) ? (input as unknown[]) : undefined;
    if (!texts || texts.length === 0 || texts.some((t) => typeof t !== 'string' || t === '')) {
      return send(res, 400, { error: { message: "'input' must be a non-empty string or array of non-empty strings", type: 'invalid_request_error', param: 'input', code: null } });
    }
    const width = response.dimensions ?? embeddingDimensions;
    const data = (texts as string[]).map((text, index) => ({ object: 'embedding', embedding: testVector(text, width), index }));
    if (response.reversed) data.reverse();
    send(res, 200, { object: 'list', data, model: String(body['model']), usage: { prompt_tokens: texts.length, total_tokens: texts.length } });
  };

  /** `stream` is set for a streamed request. */
  const answer = (res: http.ServerResponse, response: ScriptedResponse, model: string, n: number, stream?: StreamOptions): void => {
    switch (response.type) {
      case 'slow': {
        const timer = setTimeout(() => {
          timers.delete(timer);
          if (!res.destroyed) answer(res, response.then, model, n, stream);
        }, response.delayMs);
        timers.add(timer);
        res.on('close', () => {
          clearTimeout(timer);
          timers.delete(timer);
        });
        return;
      }
      case 'text':
        if (stream) return sendStream(res, { n, model, ...stream }, words(response.text).map((content) => ({ content })), response.finishReason ?? 'stop', response.usage);
        return send(res, 200, completion(n, model, { role: 'assistant', content: response.text }, response.finishReason ?? 'stop', response.usage));
      case 'tool-calls':
        if (stream) return sendStream(res, { n, model, ...stream }, toolCallDeltas(response.calls, n), 'tool_calls');
        return send(
          res,
          200,
          completion(n, model, {
            role: 'assistant',
            content: null,
            tool_calls: response.calls.map((c, i) => ({ id: c.id ?? `call_${n}_${i}`, type: 'function', function: { name: c.name, arguments: c.arguments } })),
          }, 'tool_calls'),
        );
      case 'rate-limit': {
        const headers = {
          ...(response.retryAfter !== undefined ? { 'retry-after': response.retryAfter } : {}),
          ...(response.retryAfterMs !== undefined ? { 'retry-after-ms': String(response.retryAfterMs) } : {}),
        };
        return send(res, 429, { error: { message: 'Rate limit reached for requests', type: 'requests', code: 'rate_limit_exceeded' } }, headers);
      }
      case 'error':
        return send(res, response.status, { error: { message: response.message, type: 'invalid_request_error', param: null, code: response.code ?? null } });
      case 'embeddings':
        return send(res, 404, { error: { message: 'embeddings are answered on /v1/embeddings only', type: 'invalid_request_error', code: null } });
      case 'stream-break':
        if (!stream) return send(res, 400, { error: { message: 'stream-break answers streamed requests only', type: 'invalid_request_error', code: null } });
        return sendStream(res, { n, model, ...stream }, response.deltas.map((content) => ({ content })), 'cut');
      case 'stream-hold':
        if (!stream) return send(res, 400, { error: { message: 'stream-hold answers streamed requests only', type: 'invalid_request_error', code: null } });
        return sendStream(res, { n, model, ...stream }, response.deltas.map((content) => ({ content })), 'hold');
      case 'raw':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(response.body);
        return;
    }
  };

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    enqueue: (...responses) => queue.push(...responses),
    setDefault: (response) => {
      fallback = response;
    },
    setEmbeddingDimensions: (dimensions) => {
      embeddingDimensions = dimensions;
    },
    reset: () => {
      requests.length = 0;
      queue.length = 0;
      fallback = reply.text('ok');
      embeddingDimensions = 8;
    },
    stop: async () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A chat completion body (OpenAI's "The chat completion object"). Also the router bench's upstream's. */
export function completion(n: number, model: string, message: object, finishReason: string, usage = { prompt_tokens: 10, completion_tokens: 5 }) {
  return {
    id: `chatcmpl-${n}`,
    object: 'chat.completion',
    created: 1_700_000_000,
    model,
    choices: [{ index: 0, message, finish_reason: finishReason }],
    usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
  };
}

/** `text` cut after each space, the spaces kept: several content deltas that join back to it. */
export function words(text: string): string[] {
  return text.match(/\S*\s*/g)?.filter((w) => w !== '') ?? [];
}

export interface StreamOptions {
  /** `stream_options.include_usage`: a last chunk with `usage` and no choices. */
  readonly includeUsage: boolean;
}

function isIncludeUsage(options: unknown): boolean {
  return typeof options === 'object' && options !== null && (options as Record<string, unknown>)['include_usage'] === true;
}

/**
 * Each call as OpenAI streams it: a first delta with `index`, `id`, `type` and the name, then the
 * arguments in pieces of a few characters (only `index` to tell whose), calls one after another.
 */
function toolCallDeltas(calls: readonly ScriptedToolCall[], n: number): object[] {
  return calls.flatMap((c, index) => [
    { tool_calls: [{ index, id: c.id ?? `call_${n}_${index}`, type: 'function', function: { name: c.name, arguments: '' } }] },
    ...(c.arguments.match(/[\s\S]{1,4}/g) ?? []).map((piece) => ({ tool_calls: [{ index, function: { arguments: piece } }] })),
  ]);
}

/**
 * OpenAI's streamed chat completion (API reference, "Create chat completion", `stream`: "data-only
 * server-sent events", the stream "terminated by a `data: [DONE]` message"; "The chat completion
 * chunk object"): chunks of `chat.completion.chunk`, the finish reason in the last one with
 * choices, then the usage chunk when `stream_options.include_usage` asked for it, then `[DONE]`.
 * `cut`: the connection is cut after the deltas instead; `hold`: it stays open until the client leaves.
 * Also the router bench's upstream's.
 */
export function sendStream(
  res: http.ServerResponse,
  stream: StreamOptions & { readonly n: number; readonly model: string },
  deltas: readonly object[],
  finishReason: string | 'cut' | 'hold',
  usage = { prompt_tokens: 10, completion_tokens: 5 },
): void {
  const chunk = (choices: object[], extra: object = {}) => ({ id: `chatcmpl-${stream.n}`, object: 'chat.completion.chunk', created: 1_700_000_000, model: stream.model, choices, ...extra });
  // With include_usage every chunk carries `usage: null` but the last (OpenAI's "Chat completion chunk object").
  const usageNull = stream.includeUsage ? { usage: null } : {};
  const choice = (delta: object, finish: string | null) => chunk([{ index: 0, delta, finish_reason: finish }], usageNull);
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const events = [choice({ role: 'assistant', content: '' }, null), ...deltas.map((delta) => choice(delta, null))];
  const sse = events.map((event) => `data: ${JSON.stringify(event)}\n\n`).join('');
  // Cut once the deltas are on the wire: the response is corked until the next tick, and a destroy
  // before then would drop the headers too (a refused request, not a broken stream).
  if (finishReason === 'cut') return void res.write(sse, () => res.destroy());
  res.write(sse);
  if (finishReason === 'hold') return;
  res.write(`data: ${JSON.stringify(choice({}, finishReason))}\n\n`);
  if (stream.includeUsage) res.write(`data: ${JSON.stringify(chunk([], { usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } }))}\n\n`);
  res.end('data: [DONE]\n\n');
}

export function send(res: http.ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/**
 * The vector the server answers for `text`: deterministic, different for different texts, and not
 * of unit length (so a client's normalization shows). The same text always gets the same vector.
 */
export function testVector(text: string, dimensions: number): number[] {
  let h = 0;
  for (const c of text) h = (h * 31 + c.charCodeAt(0)) % 1000;
  return Array.from({ length: dimensions }, (_, j) => ((h + j * 7) % 11) + 1);
}
