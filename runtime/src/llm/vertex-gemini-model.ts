// Deep import, as the memory's Vertex clients do: the package root loads every Vertex AI client.
import { PredictionServiceClient } from '@google-cloud/aiplatform/build/src/v1/prediction_service_client';
import type { protos } from '@google-cloud/aiplatform';
import { Status, type ClientOptions, type GoogleAuth } from 'google-gax';
import { googleClientOptions, initializeAll, verifiedGoogleAuth } from '../google/client';
import { started } from './streaming';
import { LlmError, type ChatRequest, type ChatResult, type FinishReason, type LanguageModel, type LlmErrorKind, type StreamPart } from './types';
import { PROVIDER, fromCandidate, toGenerateContentRequest } from './vertex-gemini-mapping';

type IGenerateContentResponse = protos.google.cloud.aiplatform.v1.IGenerateContentResponse;

export interface VertexGeminiModelOptions {
  readonly project: string;
  /** A Vertex AI region, or `global`. */
  readonly region: string;
  /** Publisher model id, e.g. `gemini-2.5-flash`. */
  readonly model: string;
  /** @default `${region}-aiplatform.googleapis.com` (`aiplatform.googleapis.com` for `global`) */
  readonly apiHost?: string;
  /**
   * gRPC deadline of one call. An aborted call is abandoned at once but the client cannot cancel
   * it, so this is what ends it on the server: keep it near the router's timeout. @default 60000
   */
  readonly timeoutMs?: number;
  /** Credentials already verified. @default verified (Application Default Credentials) on first use */
  readonly auth?: GoogleAuth;
  /** How long verifying credentials may take. @default 10000 */
  readonly credentialsTimeoutMs?: number;
  /** Extra options merged into the Google client's (tests: `{sslCreds}`, which also skips the credentials check). */
  readonly clientOptions?: ClientOptions;
}

/**
 * Gemini on Vertex AI through PredictionService.GenerateContent (gRPC). The client is created on
 * the first call, after the credentials are proven (`verifiedGoogleAuth`): a Google client
 * created without credentials rejects a promise nobody awaits and takes the process down, so
 * constructing this model is always safe and a missing credential is an `auth` error of a call.
 */
export class VertexGeminiModel implements LanguageModel {
  readonly provider = PROVIDER;
  readonly modelId: string;
  private readonly modelPath: string;
  private client?: Promise<PredictionServiceClient>;
  /** Calls not settled yet, abandoned ones included: `close()` waits for them. */
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly options: VertexGeminiModelOptions) {
    this.modelId = options.model;
    this.modelPath = `projects/${options.project}/locations/${options.region}/publishers/google/models/${options.model}`;
  }

  async doChat(request: ChatRequest): Promise<ChatResult> {
    const warnings: string[] = [];
    const body = toGenerateContentRequest(this.modelPath, request, warnings);
    const client = await this.connected();
    if (request.abortSignal?.aborted) throw this.error('timeout', 'the call was aborted');
    let response: IGenerateContentResponse;
    try {
      [response] = await abandonOnAbort(this.track(client.generateContent(body, { timeout: this.options.timeoutMs ?? 60_000 })), request.abortSignal);
    } catch (err) {
      throw err instanceof AbortedError ? this.error('timeout', 'the call was aborted') : this.fromGrpcError(err);
    }
    const candidate = response.candidates?.[0];
    if (!candidate) {
      const blocked = response.promptFeedback?.blockReason;
      if (blocked) throw this.error('content-filter', `the prompt was blocked (${String(blocked)})`);
      throw this.error('server', 'malformed response: no candidates');
    }
    const { promptTokenCount, candidatesTokenCount } = response.usageMetadata ?? {};
    return {
      ...fromCandidate(candidate, warnings),
      usage: { inputTokens: promptTokenCount ?? undefined, outputTokens: candidatesTokenCount ?? undefined },
      provider: this.provider,
      model: response.modelVersion || this.modelId,
      warnings,
    };
  }

  /**
   * PredictionService.StreamGenerateContent: each chunk is a GenerateContentResponse, mapped as
   * `doChat` maps the whole one; the usage is the last chunk's. Gemini sends a function call whole,
   * in one part. Unlike `doChat`'s call, a stream can be cancelled: an abort ends it on the server.
   */
  doStream(request: ChatRequest): Promise<{ readonly stream: AsyncIterable<StreamPart> }> {
    return started(this.streamParts(request));
  }

  private async *streamParts(request: ChatRequest): AsyncGenerator<StreamPart, void, undefined> {
    const warnings: string[] = [];
    const body = toGenerateContentRequest(this.modelPath, request, warnings);
    const client = await this.connected();
    const signal = request.abortSignal;
    if (signal?.aborted) throw this.error('timeout', 'the call was aborted');
    // One attempt, as for doChat: gax's stream wrapper (retry-request) otherwise resends a call
    // that fails before its first message, hiding the error (and the attempt) from the router.
    const call = client.streamGenerateContent(body, { timeout: this.options.timeoutMs ?? 60_000, retryRequestOptions: { retries: 0, noResponseRetries: 0 } });
    this.track(finished(call));
    const cancel = () => call.cancel();
    signal?.addEventListener('abort', cancel, { once: true });
    let finishReason: FinishReason | undefined;
    let sawToolCalls = false;
    let usage: ChatResult['usage'];
    let model = '';
    let sawCandidate = false;
    let complete = false;
    try {
      for await (const chunk of call as AsyncIterable<IGenerateContentResponse>) {
        model ||= chunk.modelVersion ?? '';
        if (chunk.usageMetadata) usage = { inputTokens: chunk.usageMetadata.promptTokenCount ?? undefined, outputTokens: chunk.usageMetadata.candidatesTokenCount ?? undefined };
        const candidate = chunk.candidates?.[0];
        if (!candidate) {
          const blocked = chunk.promptFeedback?.blockReason;
          if (blocked) throw this.error('content-filter', `the prompt was blocked (${String(blocked)})`);
          continue; // a chunk with only usage
        }
        sawCandidate = true;
        const content = fromCandidate(candidate, warnings);
        if (content.text) yield { type: 'text-delta', text: content.text };
        for (const toolCall of content.toolCalls) yield { type: 'tool-call', toolCall };
        sawToolCalls ||= content.toolCalls.length > 0;
        const reason = String(candidate.finishReason ?? '');
        if (reason && reason !== 'FINISH_REASON_UNSPECIFIED') finishReason = content.finishReason;
      }
      complete = true;
    } catch (err) {
      if (signal?.aborted) throw this.error('timeout', 'the call was aborted');
      throw err instanceof LlmError ? err : this.fromGrpcError(err);
    } finally {
      signal?.removeEventListener('abort', cancel);
      // Left early (the consumer stopped reading, or a mapping error): the server stops too.
      if (!complete) call.cancel();
    }
    // gax ends a stream it cancelled without an error.
    if (signal?.aborted) throw this.error('timeout', 'the call was aborted');
    if (!sawCandidate) throw this.error('server', 'malformed response: no candidates');
    if (finishReason === undefined) throw this.error('network', 'the stream ended before a finish reason');
    yield {
      type: 'finish',
      // A chunk's reason knows only that chunk's calls: a call sent earlier still makes a STOP a tool-call finish.
      finishReason: sawToolCalls && finishReason === 'stop' ? 'tool-calls' : finishReason,
      ...(usage ? { usage } : {}),
      provider: this.provider,
      model: model || this.modelId,
      warnings,
    };
  }

  /** Closes the gRPC channel once no call is running (abandoned calls end at their deadline); the next call opens a new one. */
  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await Promise.allSettled([...this.inFlight]);
    if (client) await client.then((c) => c.close(), () => undefined);
  }

  private track<T>(call: Promise<T>): Promise<T> {
    this.inFlight.add(call);
    const forget = () => this.inFlight.delete(call);
    call.then(forget, forget);
    return call;
  }

  private connected(): Promise<PredictionServiceClient> {
    this.client ??= this.connect().catch((err: unknown) => {
      this.client = undefined; // the next call tries again (credentials may have appeared)
      throw this.error('auth', `could not set up the Vertex AI client: ${err instanceof Error ? err.message : String(err)}`, err);
    });
    return this.client;
  }

  private async connect(): Promise<PredictionServiceClient> {
    const { auth, clientOptions, region } = this.options;
    const verified = auth ?? (clientOptions?.sslCreds ? undefined : await verifiedGoogleAuth(this.options.credentialsTimeoutMs ?? 10_000));
    const host = this.options.apiHost ?? (region === 'global' ? 'aiplatform.googleapis.com' : `${region}-aiplatform.googleapis.com`);
    const client = new PredictionServiceClient(googleClientOptions(host, verified, clientOptions));
    await initializeAll([client]);
    return client;
  }

  private fromGrpcError(err: unknown): LlmError {
    const code = typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'number' ? err.code : undefined;
    const message = err instanceof Error ? err.message : String(err);
    // Without a gRPC status the failure happened in the client (encoding, channel): not this request's fault.
    return this.error(code === undefined ? 'server' : kindOfStatus(code, message), message, err);
  }

  private error(kind: LlmErrorKind, message: string, cause?: unknown): LlmError {
    return new LlmError(kind, `${this.provider} ${this.modelId}: ${message}`, { provider: this.provider, model: this.modelId, cause });
  }
}

// Vertex AI's "The input token count (N) exceeds the maximum number of tokens allowed (M)" and kin.
const TOKEN_LIMIT = /token count .*exceeds|maximum number of tokens|too many tokens|context (window|length)/i;

function kindOfStatus(code: Status, message: string): LlmErrorKind {
  switch (code) {
    case Status.RESOURCE_EXHAUSTED:
      return 'rate-limit';
    case Status.UNAVAILABLE:
    case Status.INTERNAL:
    case Status.UNKNOWN:
    case Status.ABORTED:
      return 'server';
    case Status.DEADLINE_EXCEEDED:
    case Status.CANCELLED:
      return 'timeout';
    case Status.UNAUTHENTICATED:
    case Status.PERMISSION_DENIED:
      return 'auth';
    case Status.NOT_FOUND:
      return 'not-found';
    default:
      return TOKEN_LIMIT.test(message) ? 'context-window' : 'bad-request';
  }
}

class AbortedError extends Error {}

/** Settles (never rejects) when a streaming call is over, however it ended. */
function finished(call: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve) => {
    const done = () => resolve();
    call.once('end', done);
    call.once('error', done);
    call.once('close', done);
  });
}

/**
 * Settles with `call`, or rejects as soon as `signal` aborts. The generated client's promise has
 * no cancel handle, so the abandoned call runs on until its deadline; its outcome is ignored.
 */
function abandonOnAbort<T>(call: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return call;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new AbortedError());
    signal.addEventListener('abort', onAbort, { once: true });
    call.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
