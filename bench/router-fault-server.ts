/**
 * The router bench's upstream: a loopback OpenAI-compatible `POST /v1/chat/completions` whose
 * `up-primary` model fails as the current scenario says, while every other model (the fallback
 * groups) answers ANSWER. A fallback asked to continue an answer (the last message follows an
 * assistant prefix of ANSWER) continues it properly, restarts it verbatim, or repeats its last
 * words, chosen by the seeded `random`. Each request is recorded with its server-side span.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { completion, send, sendStream, words } from '../test/servers/openai-compatible-server';

export const ANSWER = 'The quick brown fox jumps over the lazy dog near the quiet river bank at dawn.';
export const PRIMARY_MODEL = 'up-primary';
/** What the primary sends of ANSWER before the connection is cut, in the mid-stream scenario. */
const WORDS_BEFORE_CUT = 4;

export type Fault = 'rate-limit' | 'server' | 'timeout' | 'context-window' | 'content-policy' | 'mid-stream' | 'jitter';

export interface UpstreamRequest {
  readonly model: string;
  readonly arrival: number;
  /** `performance.now()` once the answer was written or the client left. */
  end: number;
  /** A 200 written to the end (the upstream served the call). */
  served: boolean;
}

export interface FaultServer {
  readonly url: string;
  readonly requests: UpstreamRequest[];
  fault: Fault;
  stop(): Promise<void>;
}

/** `holdMs`: how long `timeout` holds the primary's answer; `jitterMs`: the bound of `jitter`'s delay. */
export async function startFaultServer(random: () => number, options: { holdMs: number; jitterMs: number }): Promise<FaultServer> {
  const requests: UpstreamRequest[] = [];
  const state: { fault: Fault } = { fault: 'jitter' };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) return error(res, 404, `no route ${req.method} ${req.url}`, 'not_found');
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { model: string; stream?: boolean; messages: { role: string; content: string }[] };
      const record: UpstreamRequest = { model: body.model, arrival: performance.now(), end: 0, served: false };
      requests.push(record);
      res.on('close', () => {
        record.end = performance.now();
        record.served = res.statusCode === 200 && res.writableFinished;
      });
      const stream = body.stream === true;
      if (body.model !== PRIMARY_MODEL) return answer(res, stream, fallbackText(body.messages, random));
      switch (state.fault) {
        case 'rate-limit':
          return error(res, 429, 'Rate limit reached for requests', 'rate_limit_exceeded', { 'retry-after': '1' });
        case 'server':
          return error(res, 500, 'The server had an error while processing your request.', 'server_error');
        case 'timeout': {
          const timer = setTimeout(() => answer(res, stream, ANSWER), options.holdMs);
          res.on('close', () => clearTimeout(timer));
          return;
        }
        case 'context-window':
          return error(res, 400, "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.", 'context_length_exceeded');
        case 'content-policy':
          return error(res, 400, 'Your request was rejected as a result of the safety system: content policy (content_policy_violation).', 'content_policy_violation');
        case 'mid-stream':
          if (!stream) return answer(res, false, ANSWER);
          return cut(res, words(ANSWER).slice(0, WORDS_BEFORE_CUT));
        case 'jitter': {
          const timer = setTimeout(() => answer(res, stream, ANSWER), Math.floor(random() * options.jitterMs));
          res.on('close', () => clearTimeout(timer));
          return;
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    get fault() {
      return state.fault;
    },
    set fault(f: Fault) {
      state.fault = f;
    },
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A fallback's answer: ANSWER, or the rest of it after an assistant prefix, continued one of three ways. */
function fallbackText(messages: readonly { role: string; content: string }[], random: () => number): string {
  const prefix = messages.at(-2);
  if (prefix?.role !== 'assistant' || !ANSWER.startsWith(prefix.content)) return ANSWER;
  const rest = ANSWER.slice(prefix.content.length);
  const roll = random();
  if (roll < 1 / 3) return rest;
  if (roll < 2 / 3) return ANSWER;
  const tail = words(prefix.content).slice(-2).join('');
  return tail + rest;
}

/** ANSWER's usage: 20 prompt tokens, a token a word. */
const usageOf = (text: string) => ({ prompt_tokens: 20, completion_tokens: words(text).length });

function answer(res: http.ServerResponse, stream: boolean, text: string): void {
  if (res.destroyed) return;
  if (!stream) return send(res, 200, completion(0, 'up', { role: 'assistant', content: text }, 'stop', usageOf(text)));
  sendStream(res, { n: 0, model: 'up', includeUsage: true }, words(text).map((content) => ({ content })), 'stop', usageOf(text));
}

/** Sends these deltas, then cuts the connection (no finish, no [DONE]). */
function cut(res: http.ServerResponse, deltas: readonly string[]): void {
  sendStream(res, { n: 0, model: 'up', includeUsage: true }, deltas.map((content) => ({ content })), 'cut');
}

function error(res: http.ServerResponse, status: number, message: string, code: string, headers: Record<string, string> = {}): void {
  send(res, status, { error: { message, type: status === 429 ? 'requests' : 'invalid_request_error', param: null, code } }, headers);
}
