/**
 * The LLM layer's contract: one small provider interface (after the Vercel AI SDK's language
 * model spec), plain data in and out. Providers implement `LanguageModel`; everything else — the
 * agents, the HTTP service — talks to an `LlmClient` (the router), never to a provider directly.
 */

export type JsonSchema = { readonly [key: string]: unknown };

export interface ToolDefinition {
  /** Letters, digits, `_` and `-`; what the model calls. */
  readonly name: string;
  readonly description: string;
  /** JSON Schema of the arguments object. */
  readonly parameters: JsonSchema;
}

export interface ToolCall {
  readonly id: string;
  readonly name: string;
  readonly arguments: Readonly<Record<string, unknown>>;
  /**
   * The arguments exactly as the model wrote them, set only when they were not a JSON object
   * (`arguments` is then `{}` and the result carries a warning), so the caller can tell the
   * model what it got wrong.
   */
  readonly rawArguments?: string;
  /**
   * Opaque data a provider needs back with this call on the next turn, keyed by provider
   * (Gemini's `{ 'vertex-gemini': { thoughtSignature } }`). Keep it when echoing the call.
   */
  readonly providerMetadata?: { readonly [provider: string]: Readonly<Record<string, string>> };
}

export type ChatMessage =
  | { readonly role: 'system' | 'user'; readonly content: string }
  | { readonly role: 'assistant'; readonly content: string; readonly toolCalls?: readonly ToolCall[] }
  | { readonly role: 'tool'; readonly content: string; readonly toolCallId: string };

export interface ChatRequest {
  readonly messages: readonly ChatMessage[];
  readonly tools?: readonly ToolDefinition[];
  /** @default "auto" when tools are given */
  readonly toolChoice?: 'auto' | 'none' | 'required' | { readonly name: string };
  readonly temperature?: number;
  readonly maxOutputTokens?: number;
  /** Ask for a JSON object (optionally matching a schema); the text is then that JSON. */
  readonly responseFormat?: { readonly type: 'json'; readonly schema?: JsonSchema };
  /** Aborts the call (the router's per-call timeout uses this). */
  readonly abortSignal?: AbortSignal;
}

export type FinishReason = 'stop' | 'length' | 'tool-calls' | 'content-filter' | 'other';

export interface ChatResult {
  readonly text: string;
  readonly toolCalls: readonly ToolCall[];
  readonly finishReason: FinishReason;
  readonly usage?: { readonly inputTokens?: number; readonly outputTokens?: number };
  /** Provider name (`openai-compatible`, `vertex-gemini`, `offline`) and the model that answered. */
  readonly provider: string;
  readonly model: string;
  /** Non-fatal problems (an unsupported setting ignored…): data, not exceptions. */
  readonly warnings: readonly string[];
}

/**
 * One piece of a streamed reply. Text comes as deltas; a tool call only once complete (providers
 * assemble argument deltas); `finish` is last and carries what `ChatResult` has besides text and
 * tool calls.
 */
export type StreamPart =
  | { readonly type: 'text-delta'; readonly text: string }
  | { readonly type: 'tool-call'; readonly toolCall: ToolCall }
  | ({ readonly type: 'finish' } & Pick<ChatResult, 'finishReason' | 'usage' | 'provider' | 'model' | 'warnings'>);

/**
 * The `ChatResult` a stream amounts to, the one `doChat` gives for the same reply: a caller can
 * stream and still handle every model alike. Rethrows the stream's `LlmError`; a stream that
 * ends without `finish` is a `server` error.
 */
export async function collectStream(parts: AsyncIterable<StreamPart>): Promise<ChatResult> {
  let text = '';
  const toolCalls: ToolCall[] = [];
  for await (const part of parts) {
    switch (part.type) {
      case 'text-delta':
        text += part.text;
        break;
      case 'tool-call':
        toolCalls.push(part.toolCall);
        break;
      case 'finish': {
        const { type: _, ...finish } = part;
        return { text, toolCalls, ...finish };
      }
    }
  }
  throw new LlmError('server', 'the stream ended without a finish');
}

/**
 * A provider's model. `doChat` is provider-facing (named so application code does not call it by
 * accident): it makes exactly one attempt and throws `LlmError` on failure; retries, timeouts and
 * fallbacks belong to the router that wraps it.
 */
export interface LanguageModel {
  readonly provider: string;
  readonly modelId: string;
  doChat(request: ChatRequest): Promise<ChatResult>;
  /**
   * The same single attempt, streamed (the AI SDK's `doStream`, simplified). Settles once the
   * upstream has sent its first chunk: a failure before that (a 429, a refused connection, a
   * blocked prompt) rejects it with `LlmError`, exactly as `doChat` would. A failure after it is
   * an `LlmError` thrown by the stream's iterator (a cut connection: `network`, retryable); the
   * stream ends with one `finish` part. Aborting `request.abortSignal`, or leaving the loop
   * early, stops the upstream request.
   */
  doStream?(request: ChatRequest): Promise<{ readonly stream: AsyncIterable<StreamPart> }>;
  /** Releases connections (a gRPC channel); the next call opens them again. */
  close?(): Promise<void>;
}

/** Why a call failed, as the router needs to know it. */
export type LlmErrorKind =
  | 'rate-limit' // 429: retry after Retry-After, cool the deployment down
  | 'server' // 5xx
  | 'timeout'
  | 'network' // connection refused/reset
  | 'auth' // 401/403: not retried
  | 'not-found' // 404 (model or route): not retried
  | 'context-window' // the prompt is too long for this model: context-window fallbacks
  | 'bad-request' // other 4xx: not retried
  | 'content-filter';

export class LlmError extends Error {
  readonly code = 'LLM_ERROR';
  constructor(
    readonly kind: LlmErrorKind,
    message: string,
    readonly details: {
      readonly status?: number;
      /** From a Retry-After / retry-after-ms header. */
      readonly retryAfterMs?: number;
      readonly provider?: string;
      readonly model?: string;
      readonly cause?: unknown;
    } = {},
  ) {
    super(message, { cause: details.cause });
    this.name = 'LlmError';
  }

  get retryable(): boolean {
    return this.kind === 'rate-limit' || this.kind === 'server' || this.kind === 'timeout' || this.kind === 'network';
  }
}

/** One try against one deployment, as recorded in a reply's trace. */
export interface Attempt {
  /** The configured deployment name (e.g. `primary`, `fallback-gemini`). */
  readonly deployment: string;
  readonly provider: string;
  readonly model: string;
  readonly outcome: 'ok' | 'error' | 'skipped-cooldown';
  readonly errorKind?: LlmErrorKind;
  readonly status?: number;
  readonly durationMs: number;
}

export interface RoutedChatResult extends ChatResult {
  /** The deployment that answered. */
  readonly deployment: string;
  /** Every attempt, in order, the successful one last. */
  readonly attempts: readonly Attempt[];
}

/**
 * What a routed stream yields: the text as generated, complete tool calls, each attempt as it
 * ends (so a client can see a failover happen), a `failover` when a deployment failed after text
 * was already yielded and another continues it, and last the whole result, as `chat` gives it.
 * The concatenated `text-delta`s equal `finish.result.text`: no text is yielded twice.
 */
export type RoutedStreamPart =
  | { readonly type: 'text-delta'; readonly text: string }
  | { readonly type: 'tool-call'; readonly toolCall: ToolCall }
  | { readonly type: 'attempt'; readonly attempt: Attempt }
  | { readonly type: 'failover'; readonly from: string; readonly to: string; readonly reason: LlmErrorKind; readonly sentChars: number }
  | { readonly type: 'finish'; readonly result: RoutedChatResult };

/** What agents and routes call: the router, with retries, fallbacks and cooldowns built in. */
export interface LlmClient {
  /** Deployment names, the default first. */
  readonly deployments: readonly string[];
  chat(request: ChatRequest, options?: { readonly deployment?: string }): Promise<RoutedChatResult>;
  /**
   * `chat`, streamed. Before the first text it fails over exactly as `chat` does; after it, a
   * failed deployment's answer is continued by the next one without yielding any text twice.
   * Throws `LlmRouterError` from the iterator when no deployment can finish the answer.
   */
  stream?(request: ChatRequest, options?: { readonly deployment?: string }): AsyncIterable<RoutedStreamPart>;
}
