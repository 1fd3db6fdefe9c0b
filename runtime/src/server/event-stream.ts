/**
 * Server-sent events (the WHATWG HTML "Server-sent events" format) for a route that streams its
 * answer. fastify sends a Node `Readable` natively, with its hooks kept (idempotency's onSend and
 * onResponse, the request log, the disconnect its `close` tells), so the stream is one: the
 * framing is a line per field. The fastify SSE plugins were weighed: @fastify/sse is still 0.x,
 * and fastify-sse-v2 answers from an async iterable, where the status has to be decided before
 * the first event (an error before it is an ordinary HTTP error here, an `error` event after).
 */
import { PassThrough, type Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';

export const EVENT_STREAM = 'text/event-stream';

/** The headers of a streamed answer: no caching, and no proxy buffering (nginx's), which would hold the events back. */
export const EVENT_STREAM_HEADERS = {
  'content-type': `${EVENT_STREAM}; charset=utf-8`,
  'cache-control': 'no-cache',
  'x-accel-buffering': 'no',
} as const;

/**
 * Whether the request asks for events: `Accept` names `text/event-stream` (or `text/*`) with a
 * nonzero weight, and ranks it at least as high as JSON. `*\/*` and no `Accept` get JSON, as before.
 */
export function wantsEventStream(request: FastifyRequest): boolean {
  const accept = request.headers.accept;
  if (accept === undefined) return false;
  let events = 0;
  let json = 0;
  for (const range of accept.split(',')) {
    const [type = '', ...params] = range.split(';').map((p) => p.trim().toLowerCase());
    const q = Number(params.find((p) => p.startsWith('q='))?.slice(2) ?? '1');
    const weight = Number.isFinite(q) ? q : 0;
    if (type === EVENT_STREAM) events = Math.max(events, weight);
    else if (type === 'application/json') json = Math.max(json, weight);
  }
  return events > 0 && events >= json;
}

/** One event, `data` as one line of JSON (JSON.stringify writes no line breaks). */
export function formatEvent(event: string, data: unknown): string {
  return formatJsonEvent(event, JSON.stringify(data));
}

/** `formatEvent` for a body already serialized as JSON. */
export function formatJsonEvent(event: string, json: string): string {
  return `event: ${event}\ndata: ${json}\n\n`;
}

/**
 * How often a streamed answer that has said nothing for a while sends a comment line: proxies
 * close a response that stays idle too long (nginx's `proxy_read_timeout` defaults to 60 s), while
 * a team may think longer than that between two events (a slow model, a tool). The format's
 * comment (a line starting with `:`) is ignored by clients.
 */
export const EVENT_STREAM_KEEP_ALIVE_MS = 15_000;

/**
 * A stream of events to hand to `reply.send`; once ended (or its client gone), further events are
 * dropped. From its first write, a comment goes out every `keepAliveMs` of silence.
 */
export class EventStream {
  private readonly output = new PassThrough();
  private keepAlive: NodeJS.Timeout | undefined;

  constructor(private readonly keepAliveMs: number = EVENT_STREAM_KEEP_ALIVE_MS) {
    this.output.once('close', () => clearTimeout(this.keepAlive));
  }

  get readable(): Readable {
    return this.output;
  }

  send(event: string, data: unknown): void {
    this.write(formatEvent(event, data));
  }

  write(chunk: string): void {
    if (this.output.writableEnded || this.output.destroyed) return;
    this.output.write(chunk);
    this.quietFor(this.keepAliveMs);
  }

  end(): void {
    clearTimeout(this.keepAlive);
    if (!this.output.writableEnded && !this.output.destroyed) this.output.end();
  }

  private quietFor(ms: number): void {
    clearTimeout(this.keepAlive);
    this.keepAlive = setTimeout(() => this.write(': keep-alive\n\n'), ms);
    // A forgotten stream must not keep the process alive.
    this.keepAlive.unref();
  }
}
