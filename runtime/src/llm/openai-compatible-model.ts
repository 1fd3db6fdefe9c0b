import OpenAI, { APIConnectionError, APIError } from 'openai';
import type { ChatCompletionCreateParamsNonStreaming, ChatCompletionCreateParamsStreaming, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { z } from 'zod';
import { problemsFromZod } from '../contract';
import { started } from './streaming';
import { LlmError, type ChatMessage, type ChatRequest, type ChatResult, type FinishReason, type LanguageModel, type LlmErrorKind, type StreamPart, type ToolCall } from './types';

export interface OpenAICompatibleModelOptions {
  /** Base URL up to `/v1`, e.g. a LiteLLM proxy's `http://litellm:4000/v1` or `https://api.openai.com/v1`. */
  readonly baseUrl: string;
  /** The `model` sent with every request. */
  readonly model: string;
  /** Sent as `Authorization: Bearer …`. @default none: no Authorization header (a keyless local proxy) */
  readonly apiKey?: string;
  /** Limit of one request, a backstop behind the router's per-call timeout. @default 60000 */
  readonly timeoutMs?: number;
  /** Extra headers on every request. */
  readonly headers?: Readonly<Record<string, string>>;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

/**
 * A model behind an OpenAI-compatible `/v1/chat/completions` (a LiteLLM proxy, vLLM, OpenAI…),
 * through the official SDK with its retries off: one `doChat` is one HTTP request, and the router
 * owns retries. Sends `max_tokens` rather than `max_completion_tokens`: every compatible server
 * takes it (LiteLLM translates it for OpenAI's reasoning models), while the newer name is
 * OpenAI's own and older vLLM/Ollama servers reject or ignore it.
 */
export class OpenAICompatibleModel implements LanguageModel {
  readonly provider = 'openai-compatible';
  readonly modelId: string;
  private readonly timeoutMs: number;
  // Private fields: neither `util.inspect` nor JSON shows them, so the key can't be logged with the model.
  readonly #client: OpenAI;
  readonly #apiKey?: string;

  constructor(options: OpenAICompatibleModelOptions) {
    this.modelId = options.model;
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.#apiKey = options.apiKey;
    this.#client = new OpenAI({
      baseURL: options.baseUrl,
      // The SDK refuses to start without a key; a placeholder whose header is then removed below.
      apiKey: options.apiKey ?? 'no-key',
      // Explicit nulls: otherwise the SDK would pick up OPENAI_ORG_ID / OPENAI_PROJECT_ID from the environment.
      organization: null,
      project: null,
      maxRetries: 0,
      fetch: options.fetch,
      defaultHeaders: { ...options.headers, ...(options.apiKey ? {} : { Authorization: null }) },
      // Errors are mapped and reported by the caller; the SDK's own console output is noise.
      logLevel: 'off',
    });
  }

  async doChat(request: ChatRequest): Promise<ChatResult> {
    const warnings: string[] = [];
    const body = this.requestBody(request, warnings);
    const { signal, deadline } = this.signals(request);
    let raw: unknown;
    try {
      raw = await this.#client.chat.completions.create(body, { signal });
    } catch (err) {
      throw this.toLlmError(err, signal, deadline);
    }
    return this.result(raw, warnings);
  }

  /**
   * `stream: true`, usage asked for in a last chunk (`stream_options.include_usage`). `timeoutMs`
   * bounds the wait for the first chunk and every silence after it, not the whole stream: a long
   * answer that keeps coming is not cut (the caller's signal bounds the whole, as the deadline).
   */
  doStream(request: ChatRequest): Promise<{ readonly stream: AsyncIterable<StreamPart> }> {
    return started(this.streamParts(request));
  }

  private async *streamParts(request: ChatRequest): AsyncGenerator<StreamPart, void, undefined> {
    const warnings: string[] = [];
    const body: ChatCompletionCreateParamsStreaming = { ...this.requestBody(request, warnings), stream: true, stream_options: { include_usage: true } };
    const idle = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const touch = () => {
      clearTimeout(timer);
      timer = setTimeout(() => idle.abort(), this.timeoutMs);
    };
    touch();
    const { signal, deadline } = this.signals(request, idle.signal);
    // Tool calls by their `index`: the id and name come in the first delta, the arguments in pieces.
    const calls = new Map<number, { id?: string; name: string; arguments: string }>();
    let finishReason: FinishReason | undefined;
    let usage: ChatResult['usage'];
    let model = '';
    try {
      const chunks = await this.#client.chat.completions.create(body, { signal });
      for await (const raw of chunks) {
        touch();
        const parsed = chunkSchema.safeParse(raw);
        if (!parsed.success) throw this.malformed(parsed.error);
        const chunk = parsed.data;
        model ||= chunk.model ?? '';
        if (chunk.usage) usage = { inputTokens: chunk.usage.prompt_tokens, outputTokens: chunk.usage.completion_tokens };
        const choice = chunk.choices[0];
        if (!choice) continue; // the usage chunk has no choices
        if (choice.delta?.content) yield { type: 'text-delta', text: choice.delta.content };
        for (const delta of choice.delta?.tool_calls ?? []) {
          const call = calls.get(delta.index) ?? { name: '', arguments: '' };
          call.id ||= delta.id ?? undefined;
          call.name += delta.function?.name ?? '';
          call.arguments += delta.function?.arguments ?? '';
          calls.set(delta.index, call);
        }
        if (choice.finish_reason) {
          finishReason = finishReasonOf(choice.finish_reason);
          // Complete now: what follows is at most the usage chunk.
          for (const [index, call] of [...calls].sort(([a], [b]) => a - b)) yield { type: 'tool-call', toolCall: toToolCall(call.id ?? `call_${index}`, call.name, call.arguments, warnings) };
          calls.clear();
        }
      }
    } catch (err) {
      throw err instanceof LlmError ? err : this.toLlmError(err, signal, deadline);
    } finally {
      clearTimeout(timer);
    }
    // The SDK ends the iteration quietly when its request is aborted, and a body that just stops is a cut too.
    if (signal.aborted) throw this.toLlmError(undefined, signal, deadline);
    if (finishReason === undefined) throw this.error('network', 'the stream ended before its finish_reason');
    yield { type: 'finish', finishReason, ...(usage ? { usage } : {}), provider: this.provider, model: model || this.modelId, warnings };
  }

  /** Our own deadline instead of the SDK's `timeout`: its signal tells a timeout from the caller's
   * abort, where the SDK's classification rests on `instanceof` checks that fail when fetch's
   * errors come from another realm (as under Jest). */
  private signals(request: ChatRequest, deadline: AbortSignal = AbortSignal.timeout(this.timeoutMs)): { signal: AbortSignal; deadline: AbortSignal } {
    return { signal: request.abortSignal ? AbortSignal.any([request.abortSignal, deadline]) : deadline, deadline };
  }

  private malformed(error: z.ZodError): LlmError {
    const problems = problemsFromZod(error).map((p) => `${p.path}: ${p.message}`);
    return this.error('server', `malformed response: ${problems.join('; ')}`);
  }

  private requestBody(request: ChatRequest, warnings: string[]): ChatCompletionCreateParamsNonStreaming {
    const tools = request.tools ?? [];
    if (request.toolChoice !== undefined && tools.length === 0) warnings.push('toolChoice ignored: no tools were given');
    const choice = request.toolChoice;
    const format = request.responseFormat;
    return {
      model: this.modelId,
      messages: request.messages.map(toOpenAIMessage),
      ...(tools.length > 0
        ? {
            tools: tools.map((t) => ({ type: 'function' as const, function: { name: t.name, description: t.description, parameters: { ...t.parameters } } })),
            ...(choice !== undefined ? { tool_choice: typeof choice === 'object' ? { type: 'function' as const, function: { name: choice.name } } : choice } : {}),
          }
        : {}),
      ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
      ...(request.maxOutputTokens !== undefined ? { max_tokens: request.maxOutputTokens } : {}),
      ...(format
        ? {
            response_format: format.schema
              ? { type: 'json_schema' as const, json_schema: { name: 'response', schema: { ...format.schema } } }
              : { type: 'json_object' as const },
          }
        : {}),
    };
  }

  private result(raw: unknown, warnings: string[]): ChatResult {
    const parsed = completionSchema.safeParse(raw);
    if (!parsed.success) throw this.malformed(parsed.error);
    const completion = parsed.data;
    const [choice] = completion.choices;
    const toolCalls = (choice.message.tool_calls ?? []).flatMap((call, i): ToolCall[] => {
      if (!call.function) {
        warnings.push(`tool call ${call.id ?? i} of type "${call.type}" ignored: only function tools are supported`);
        return [];
      }
      return [toToolCall(call.id ?? `call_${i}`, call.function.name, call.function.arguments, warnings)];
    });
    const usage = completion.usage;
    return {
      text: choice.message.content ?? '',
      toolCalls,
      finishReason: finishReasonOf(choice.finish_reason),
      ...(usage ? { usage: { inputTokens: usage.prompt_tokens, outputTokens: usage.completion_tokens } } : {}),
      provider: this.provider,
      model: completion.model || this.modelId,
      warnings,
    };
  }

  private toLlmError(err: unknown, signal: AbortSignal, deadline: AbortSignal): LlmError {
    // Aborted while sending or while reading the body: which signal fired says why.
    if (signal.aborted) return deadline.aborted ? this.error('timeout', `no response within ${this.timeoutMs} ms`) : this.error('timeout', 'the call was aborted');
    // The SDK's connection error is an APIError without a status.
    if (err instanceof APIConnectionError) return this.error('network', `connection failed: ${err.message}`, { cause: err.cause });
    // An `error` event inside a stream: the SDK's APIError without a status.
    if (err instanceof APIError && err.status === undefined) return this.error('server', `error in the stream: ${err.message}`);
    if (err instanceof APIError) {
      const status = err.status;
      const kind = kindOfStatus(status, `${err.code ?? ''} ${err.type ?? ''} ${err.message}`);
      const retryAfterMs = kind === 'rate-limit' ? retryAfterOf(err.headers) : undefined;
      // No `cause`: the SDK error holds the response body, which some servers echo the key into.
      return this.error(kind, `HTTP ${err.message}`, { status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
    }
    // By name: fetch's errors may come from another realm, where `instanceof SyntaxError` fails.
    if (nameOf(err) === 'SyntaxError') return this.error('server', 'malformed response: the body is not valid JSON');
    return this.error('network', String(err), { cause: err });
  }

  private error(kind: LlmErrorKind, message: string, details: { status?: number; retryAfterMs?: number; cause?: unknown } = {}): LlmError {
    const text = `${this.provider} ${this.modelId}: ${message}`;
    return new LlmError(kind, this.#apiKey ? text.split(this.#apiKey).join('[redacted]') : text, { ...details, provider: this.provider, model: this.modelId });
  }
}

// What the stream mapping reads from a `chat.completion.chunk`.
const chunkSchema = z.object({
  model: z.string().optional(),
  choices: z.array(
    z.object({
      delta: z
        .object({
          content: z.string().nullish(),
          tool_calls: z
            .array(
              z.object({
                index: z.number(),
                id: z.string().nullish(),
                function: z.object({ name: z.string().nullish(), arguments: z.string().nullish() }).nullish(),
              }),
            )
            .nullish(),
        })
        .nullish(),
      finish_reason: z.string().nullish(),
    }),
  ),
  usage: z.object({ prompt_tokens: z.number().optional(), completion_tokens: z.number().optional() }).nullish(),
});

// What the mapping reads from a chat completion; the rest passes unchecked.
const completionSchema = z.object({
  model: z.string().optional(),
  choices: z
    .array(
      z.object({
        message: z.object({
          content: z.string().nullish(),
          tool_calls: z
            .array(
              z.object({
                id: z.string().optional(),
                type: z.string().optional(),
                function: z.object({ name: z.string(), arguments: z.string() }).optional(),
              }),
            )
            .nullish(),
        }),
        finish_reason: z.string().nullish(),
      }),
    )
    .min(1, 'expected at least one choice'),
  usage: z.object({ prompt_tokens: z.number().optional(), completion_tokens: z.number().optional() }).nullish(),
});

function toOpenAIMessage(message: ChatMessage): ChatCompletionMessageParam {
  switch (message.role) {
    case 'system':
    case 'user':
      return { role: message.role, content: message.content };
    case 'tool':
      return { role: 'tool', tool_call_id: message.toolCallId, content: message.content };
    case 'assistant': {
      const calls = message.toolCalls ?? [];
      if (calls.length === 0) return { role: 'assistant', content: message.content };
      return {
        role: 'assistant',
        // OpenAI wants null, not '', beside tool calls.
        content: message.content || null,
        tool_calls: calls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.rawArguments ?? JSON.stringify(c.arguments) } })),
      };
    }
  }
}

/** Arguments that are not a JSON object become `{}`, a warning, and `rawArguments`: the model's mistake, not a crash. */
function toToolCall(id: string, name: string, args: string, warnings: string[]): ToolCall {
  if (args.trim() === '') return { id, name, arguments: {} }; // some servers send '' for a call without arguments
  try {
    const parsed: unknown = JSON.parse(args);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return { id, name, arguments: parsed as Record<string, unknown> };
  } catch {
    // reported below
  }
  warnings.push(`tool call ${id} (${name}): arguments are not a JSON object; passed as {} with rawArguments`);
  return { id, name, arguments: {}, rawArguments: args };
}

function nameOf(err: unknown): unknown {
  return typeof err === 'object' && err !== null && 'name' in err ? err.name : undefined;
}

function finishReasonOf(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case 'stop':
      return 'stop';
    case 'length':
      return 'length';
    case 'tool_calls':
    case 'function_call':
      return 'tool-calls';
    case 'content_filter':
      return 'content-filter';
    default:
      return 'other';
  }
}

// Phrasings of "the prompt is too long" across OpenAI, vLLM, Anthropic and LiteLLM's own mapping.
const CONTEXT_WINDOW = /context_length_exceeded|maximum context length|context (window|length)|too many tokens|prompt is too long|input is too long|ContextWindowExceeded/i;
const CONTENT_FILTER = /content_filter|content (management )?policy|ContentPolicyViolation/i;

function kindOfStatus(status: number, text: string): LlmErrorKind {
  if (status === 429) return 'rate-limit';
  if (status >= 500) return 'server';
  if (status === 401 || status === 403) return 'auth';
  if (status === 404) return 'not-found';
  if (status === 408) return 'timeout';
  if (CONTEXT_WINDOW.test(text)) return 'context-window';
  if (CONTENT_FILTER.test(text)) return 'content-filter';
  return 'bad-request';
}

/** `retry-after-ms` (OpenAI's, fractional milliseconds) first, then `Retry-After` in seconds or as an HTTP date. */
function retryAfterOf(headers: Headers | undefined): number | undefined {
  const ms = Number.parseFloat(headers?.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers?.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
