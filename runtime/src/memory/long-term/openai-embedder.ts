import OpenAI, { APIConnectionError, APIError } from 'openai';
import { embeddingsSpan } from '../../telemetry/spans';
import { type Problem, RuntimeSettings as S } from '../../contract';
import { EmbeddingError, MemoryOptionsError } from '../errors';
import type { Embedder } from '../types';
import { normalize } from './vectors';

/**
 * Most inputs in one request: OpenAI's API reference for `POST /v1/embeddings` ("any array must be
 * 2048 dimensions or less"). Servers with smaller batches (a GPU-bound vLLM) set `maxBatchSize`.
 */
export const OPENAI_MAX_INPUTS_PER_REQUEST = 2048;

/** A short text embedded at start to learn the model's width (`verify`). */
const PROBE_TEXT = 'width probe';

export interface OpenAIEmbedderOptions {
  /** Base URL up to `/v1`: `https://api.openai.com/v1`, a LiteLLM proxy, Ollama's `http://127.0.0.1:11434/v1`… */
  readonly baseUrl: string;
  /** The `model` sent with every request. */
  readonly model: string;
  /** The index's width: every vector must have this length. */
  readonly dimensions: number;
  /** Sent as `Authorization: Bearer …`. @default none: no Authorization header (a keyless local server) */
  readonly apiKey?: string;
  /** Inputs per request. @default OPENAI_MAX_INPUTS_PER_REQUEST */
  readonly maxBatchSize?: number;
  /** Retries of a 408/409/429/5xx or a lost connection, each after `Retry-After` when given. @default 3 */
  readonly maxRetries?: number;
  /** Limit of one request. @default 30000 */
  readonly timeoutMs?: number;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

/**
 * Embeddings from an OpenAI-compatible `POST {baseUrl}/embeddings` (OpenAI, LiteLLM, Ollama, vLLM),
 * through the official SDK, whose retries honour `Retry-After` / `retry-after-ms` on 429 and 5xx.
 * Batched, checked for width, scaled to unit length (OpenAI's are already; others' may not be).
 *
 * `dimensions` is sent only to OpenAI's text-embedding-3 models, the ones its API reference says
 * take it; other servers refuse or ignore it, so their model must give the index's width itself.
 * No task types: the endpoint has none, so documents and queries embed alike. No
 * `minRelatedScore`: nothing documents one for an arbitrary model.
 */
export class OpenAIEmbedder implements Embedder {
  readonly dimensions: number;
  readonly model: string;
  private readonly maxBatchSize: number;
  private readonly sendDimensions: boolean;
  // Private: neither `util.inspect` nor JSON shows it, so the key can't be logged with the embedder.
  readonly #client: OpenAI;

  constructor(options: OpenAIEmbedderOptions) {
    const problems: Problem[] = [];
    const positive = (path: string, value: number | undefined) => {
      if (value !== undefined && !(Number.isInteger(value) && value >= 1)) problems.push({ path, message: `expected a positive integer, got ${value}` });
    };
    positive('dimensions', options.dimensions);
    positive('maxBatchSize', options.maxBatchSize);
    if (options.maxBatchSize !== undefined && options.maxBatchSize > OPENAI_MAX_INPUTS_PER_REQUEST) {
      problems.push({ path: 'maxBatchSize', message: `at most ${OPENAI_MAX_INPUTS_PER_REQUEST} (OpenAI's limit per request), got ${options.maxBatchSize}` });
    }
    if (!/^https?:\/\//.test(options.baseUrl)) problems.push({ path: 'baseUrl', message: `expected an http:// or https:// URL, got "${options.baseUrl}"` });
    if (!options.model) problems.push({ path: 'model', message: 'expected a model id' });
    if (problems.length > 0) throw new MemoryOptionsError('OpenAIEmbedder', problems);
    this.dimensions = options.dimensions;
    this.model = options.model;
    this.maxBatchSize = options.maxBatchSize ?? OPENAI_MAX_INPUTS_PER_REQUEST;
    this.sendDimensions = options.model.startsWith('text-embedding-3');
    this.#client = new OpenAI({
      baseURL: options.baseUrl,
      // The SDK refuses to start without a key; a placeholder whose header is then removed below.
      apiKey: options.apiKey ?? 'no-key',
      // Explicit nulls: otherwise the SDK would pick up OPENAI_ORG_ID / OPENAI_PROJECT_ID from the environment.
      organization: null,
      project: null,
      maxRetries: options.maxRetries ?? 3,
      timeout: options.timeoutMs ?? 30_000,
      fetch: options.fetch,
      defaultHeaders: options.apiKey ? {} : { Authorization: null },
      logLevel: 'off',
    });
  }

  /** `purpose` changes nothing: the endpoint has no task types. */
  embed(texts: readonly string[], purpose: 'document' | 'query'): Promise<Float32Array[]> {
    return embeddingsSpan('openai', this.model, () => this.embedTexts(texts, purpose));
  }

  private async embedTexts(texts: readonly string[], _purpose?: 'document' | 'query'): Promise<Float32Array[]> {
    const vectors: Float32Array[] = [];
    for (let start = 0; start < texts.length; start += this.maxBatchSize) {
      vectors.push(...(await this.request(texts.slice(start, start + this.maxBatchSize))));
    }
    return vectors;
  }

  /**
   * Embeds one probe text and rejects when the model's width is not the index's, or the server
   * refuses for good (a wrong key, an unknown model): settings to fix before serving. A server
   * that is down or busy is not a reason to refuse to start; every response is checked anyway.
   */
  async verify(): Promise<void> {
    try {
      await this.request([PROBE_TEXT]);
    } catch (err) {
      if (err instanceof EmbeddingError && (err.kind === 'rate-limit' || err.kind === 'unavailable')) return;
      throw err;
    }
  }

  private async request(texts: readonly string[]): Promise<Float32Array[]> {
    let data: readonly { embedding: unknown; index: unknown }[];
    try {
      const response = await this.#client.embeddings.create({
        model: this.model,
        // OpenAI refuses empty strings ("cannot be an empty string"); a space embeds as nothing said.
        input: texts.map((t) => (t === '' ? ' ' : t)),
        encoding_format: 'float',
        ...(this.sendDimensions ? { dimensions: this.dimensions } : {}),
      });
      data = Array.isArray(response?.data) ? response.data : [];
    } catch (err) {
      throw this.mapped(err);
    }
    if (data.length !== texts.length) {
      throw new EmbeddingError('bad-response', `embedding model ${this.model} returned ${data.length} embeddings for ${texts.length} texts`);
    }
    // Each carries its input's `index`; the order of `data` is not promised.
    const vectors = new Array<Float32Array>(texts.length);
    for (const item of data) {
      const { embedding, index } = item;
      if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= texts.length || vectors[index]) {
        throw new EmbeddingError('bad-response', `embedding model ${this.model} returned an embedding with index ${String(index)} for ${texts.length} texts`);
      }
      if (!Array.isArray(embedding) || !embedding.every((v) => typeof v === 'number' && Number.isFinite(v))) {
        throw new EmbeddingError('bad-response', `embedding model ${this.model} returned an embedding that is not an array of numbers`);
      }
      if (embedding.length !== this.dimensions) throw widthMismatch(this.model, embedding.length, this.dimensions);
      vectors[index] = normalize(Float32Array.from(embedding as number[]));
    }
    return vectors;
  }

  private mapped(err: unknown): EmbeddingError {
    if (err instanceof EmbeddingError) return err;
    if (err instanceof APIConnectionError) return new EmbeddingError('unavailable', `embedding server unreachable: ${err.message}`, undefined, { cause: err });
    if (err instanceof APIError && err.status !== undefined) {
      const status = err.status;
      const kind = status === 401 || status === 403 ? 'auth' : status === 404 ? 'not-found' : status === 429 ? 'rate-limit' : status >= 500 || status === 408 ? 'unavailable' : 'bad-request';
      const hint = kind === 'auth' ? ` (check ${S.embeddingApiKey})` : kind === 'not-found' ? ` (check ${S.embeddingModel} and ${S.embeddingBaseUrl})` : '';
      return new EmbeddingError(kind, `embedding model ${this.model}: HTTP ${err.message}${hint}`, status, { cause: err });
    }
    // The SDK parses the body itself: a 200 that is not JSON ends here.
    return new EmbeddingError('bad-response', `embedding model ${this.model}: ${err instanceof Error ? err.message : String(err)}`, undefined, { cause: err });
  }
}

/** The model's width and the index's disagree: name both, and the settings that set them. */
export function widthMismatch(model: string, got: number, expected: number): EmbeddingError {
  return new EmbeddingError(
    'width-mismatch',
    `embedding model ${model} returns ${got}-dimensional vectors, but the index is ${expected}-dimensional: ` +
      `set ${S.vectorDimensions}=${got} (and rebuild the index at that width), or set ${S.embeddingModel} to a model that gives ${expected}`,
  );
}
