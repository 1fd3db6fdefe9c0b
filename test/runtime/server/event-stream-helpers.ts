// eventsource-parser is ESM only; jest transforms it to CommonJS (package.json), so it is required.
const { createParser } = require('eventsource-parser') as typeof import('eventsource-parser', { with: { 'resolution-mode': 'import' } });
import type { ChatRequest, LlmClient, RoutedChatResult, RoutedStreamPart } from '../../../runtime/src/llm/types';

export interface ServerEvent {
  readonly event: string;
  readonly data: unknown;
}

/** A response body of server-sent events, parsed as a browser's EventSource would (each `data` as JSON). */
export function parseEvents(body: string): ServerEvent[] {
  const events: ServerEvent[] = [];
  const parser = createParser({ onEvent: (e) => events.push({ event: e.event ?? 'message', data: JSON.parse(e.data) }) });
  parser.feed(body);
  return events;
}

/** A whole routed answer of `text` by `deployment`, as a router's `finish` carries it. */
export function routedResult(text: string, deployment = 'primary'): RoutedChatResult {
  return {
    text,
    toolCalls: [],
    finishReason: 'stop',
    provider: 'scripted',
    model: `scripted-${deployment}`,
    warnings: [],
    deployment,
    attempts: [{ deployment, provider: 'scripted', model: `scripted-${deployment}`, outcome: 'ok', durationMs: 1 }],
  };
}

/**
 * An LlmClient whose `stream` yields what `script` yields for each request; `chat` is the same
 * stream read to its `finish`, so a JSON request and a streamed one get the same answer.
 */
export class ScriptedStreamLlm implements LlmClient {
  readonly deployments = ['primary', 'backup'];
  readonly requests: ChatRequest[] = [];

  constructor(private readonly script: (request: ChatRequest) => AsyncIterable<RoutedStreamPart>) {}

  async chat(request: ChatRequest): Promise<RoutedChatResult> {
    for await (const part of this.stream(request)) if (part.type === 'finish') return part.result;
    throw new Error('the script ended without a finish');
  }

  async *stream(request: ChatRequest): AsyncGenerator<RoutedStreamPart> {
    this.requests.push(request);
    yield* this.script(request);
  }
}

/** A promise and the functions that settle it. */
export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Resolves when `signal` aborts (at once if it has). */
export function aborted(signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return new Promise(() => undefined);
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
