// Deep imports: the package root loads every Vertex AI client (~0.7 s at start-up, which Cloud Run
// users wait for); these three modules load in ~0.2 s. The version is pinned, so the paths are too.
import { embeddingsSpan } from '../../telemetry/spans';
import type { PredictionServiceClient } from '@google-cloud/aiplatform/build/src/v1/prediction_service_client';
import type { protos } from '@google-cloud/aiplatform';
import type { ClientOptions, GoogleAuth } from 'google-gax';
import { DEFAULT_EMBEDDING_MODEL, defaultEmbeddingDimensions } from '../../contract';
import { googleClientOptions, initializeAll, verifiedGoogleAuth } from '../../google/client';
import { MemoryOptionsError } from '../errors';
import type { Embedder } from '../types';
import { normalize } from './vectors';

type ProtoValue = protos.google.protobuf.IValue;
type Helpers = typeof import('@google-cloud/aiplatform/build/src/helpers.js');

// The client modules load on first use, not at start-up: Cloud Run users wait for a cold start.
let helpers: Helpers | undefined;


// text-embedding-00x limits per request; gemini-embedding models take one text per request.
const MAX_TEXTS_PER_REQUEST = 250;
const MAX_TOKENS_PER_REQUEST = 20_000;
const CHARS_PER_TOKEN = 4;

export interface VertexEmbedderOptions {
  readonly project: string;
  readonly region: string;
  /** Publisher model id. @default "text-embedding-005" */
  readonly model?: string;
  /** Length of every vector; sent as `outputDimensionality` when it differs from the model's. @default the model's own (768; 3072 for gemini-embedding-001) */
  readonly dimensions?: number;
  /** @default `${region}-aiplatform.googleapis.com` */
  readonly apiHost?: string;
  /** Query embeddings remembered (least recently used dropped first); 0 turns the cache off. @default 1000 */
  readonly queryCacheSize?: number;
  /** Predict requests in flight at once for one `embed` call. @default 4 */
  readonly concurrency?: number;
  /** Credentials already verified (the long-term store shares its own). @default verified on first use */
  readonly auth?: GoogleAuth;
  /** How long verifying credentials may take. @default 10000 */
  readonly credentialsTimeoutMs?: number;
  /** Extra options merged into the Google client's (tests: `{sslCreds}`). */
  readonly clientOptions?: ClientOptions;
}

/**
 * Vertex AI text embeddings (PredictionService.predict on a Google publisher model): batched to the
 * model's request limits, checked for length, scaled to unit length, query embeddings cached.
 *
 * No `minRelatedScore`: Google documents no similarity below which text-embedding or
 * gemini-embedding vectors are unrelated, and its own examples put even opposite words well above
 * 0 (BigQuery's AI.SIMILARITY on text-embedding-005: "happy"/"glad" 0.92, "sad"/"glad" 0.66), so
 * matches are ranked, not cut, unless ORCHESTRA_SEMANTIC_MIN_SCORE sets a cutoff measured on the
 * deployment's own data.
 */
export class VertexEmbedder implements Embedder {
  readonly dimensions: number;
  readonly model: string;
  private readonly endpoint: string;
  private readonly parameters: Record<string, string | number | boolean>;
  private readonly oneTextPerRequest: boolean;
  private readonly queryCache: LruCache<Float32Array>;
  private client?: Promise<PredictionServiceClient>;

  constructor(private readonly options: VertexEmbedderOptions) {
    this.model = options.model ?? DEFAULT_EMBEDDING_MODEL;
    const modelDimensions = defaultEmbeddingDimensions(this.model);
    this.dimensions = options.dimensions ?? modelDimensions;
    if (!Number.isInteger(this.dimensions) || this.dimensions < 1) {
      throw new MemoryOptionsError('VertexEmbedder', [{ path: 'dimensions', message: `expected a positive integer, got ${this.dimensions}` }]);
    }
    this.endpoint = `projects/${options.project}/locations/${options.region}/publishers/google/models/${this.model}`;
    this.parameters = ({
      autoTruncate: true,
      ...(this.dimensions === modelDimensions ? {} : { outputDimensionality: this.dimensions }),
    });
    this.oneTextPerRequest = this.model.startsWith('gemini-embedding');
    this.queryCache = new LruCache(options.queryCacheSize ?? 1000);
  }

  embed(texts: readonly string[], purpose: 'document' | 'query'): Promise<Float32Array[]> {
    return embeddingsSpan('vertex-ai', this.model, () => this.embedTexts(texts, purpose));
  }

  private async embedTexts(texts: readonly string[], purpose: 'document' | 'query'): Promise<Float32Array[]> {
    if (purpose === 'document') return this.embedUncached(texts, purpose);
    const vectors = texts.map((t) => this.queryCache.get(t));
    const missing = [...new Set(texts.filter((_, i) => !vectors[i]))];
    const fresh = await this.embedUncached(missing, purpose);
    missing.forEach((text, i) => this.queryCache.set(text, fresh[i]));
    const byText = new Map(missing.map((text, i) => [text, fresh[i]]));
    // Copies, so a caller scaling its vector can't corrupt the cached one.
    return texts.map((t, i) => Float32Array.from(vectors[i] ?? (byText.get(t) as Float32Array)));
  }

  /** Closes the gRPC channel; the next `embed` opens a new one. */
  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) await client.then((c) => c.close(), () => undefined);
  }

  private async embedUncached(texts: readonly string[], purpose: 'document' | 'query'): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    const client = await this.connected();
    const batches = this.oneTextPerRequest ? texts.map((t) => [t]) : batchByLimits(texts);
    const results = await mapConcurrently(batches, this.options.concurrency ?? 4, (batch) => this.predict(client, batch, purpose));
    return results.flat();
  }

  private async predict(client: PredictionServiceClient, texts: readonly string[], purpose: 'document' | 'query'): Promise<Float32Array[]> {
    const taskType = purpose === 'document' ? 'RETRIEVAL_DOCUMENT' : 'RETRIEVAL_QUERY';
    const [response] = await client.predict({
      endpoint: this.endpoint,
      instances: texts.map((content) => protoValue({ content, task_type: taskType })),
      parameters: protoValue(this.parameters),
    });
    const predictions = response.predictions ?? [];
    if (predictions.length !== texts.length) {
      throw new Error(`Vertex AI model ${this.model} returned ${predictions.length} embeddings for ${texts.length} texts`);
    }
    return predictions.map((p) => this.vectorOf(p));
  }

  private vectorOf(prediction: ProtoValue): Float32Array {
    // The helper is typed with protobufjs's own Value interface; the client's is the same message.
    const decoded = loadedHelpers().fromValue(prediction as Parameters<Helpers['fromValue']>[0]);
    const embeddings = isRecord(decoded) ? decoded['embeddings'] : undefined;
    const values = isRecord(embeddings) ? embeddings['values'] : undefined;
    if (!Array.isArray(values) || !values.every((v): v is number => typeof v === 'number')) {
      throw new Error(`Vertex AI model ${this.model} returned a prediction without embeddings.values`);
    }
    if (values.length !== this.dimensions) {
      throw new Error(
        `Vertex AI model ${this.model} returned ${values.length} dimensions, expected ${this.dimensions}: ` +
          'set dimensions to the index dimensions the model supports',
      );
    }
    return normalize(Float32Array.from(values));
  }

  private connected(): Promise<PredictionServiceClient> {
    this.client ??= this.connect().catch((err: unknown) => {
      this.client = undefined; // the next call tries again (credentials may have appeared)
      throw err;
    });
    return this.client;
  }

  private async connect(): Promise<PredictionServiceClient> {
    const { auth, clientOptions, region } = this.options;
    const verified = auth ?? (clientOptions?.sslCreds ? undefined : await verifiedGoogleAuth(this.options.credentialsTimeoutMs ?? 10_000));
    const host = this.options.apiHost ?? `${region}-aiplatform.googleapis.com`;
    const [{ PredictionServiceClient }, loaded] = await Promise.all([
      import('@google-cloud/aiplatform/build/src/v1/prediction_service_client.js'),
      import('@google-cloud/aiplatform/build/src/helpers.js'),
    ]);
    helpers ??= loaded;
    const client = new PredictionServiceClient(googleClientOptions(host, verified, clientOptions));
    await initializeAll([client]);
    return client;
  }
}

/** Consecutive batches of at most 250 texts and about 20k tokens (a longer text goes alone). */
function batchByLimits(texts: readonly string[]): string[][] {
  const batches: string[][] = [];
  let current: string[] = [];
  let tokens = 0;
  for (const text of texts) {
    const estimate = Math.ceil(text.length / CHARS_PER_TOKEN);
    if (current.length > 0 && (current.length === MAX_TEXTS_PER_REQUEST || tokens + estimate > MAX_TOKENS_PER_REQUEST)) {
      batches.push(current);
      current = [];
      tokens = 0;
    }
    current.push(text);
    tokens += estimate;
  }
  batches.push(current);
  return batches;
}

/** `fn` over `items` with at most `limit` in flight, results in input order; stops starting new ones after a failure. */
async function mapConcurrently<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i]);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

function loadedHelpers(): Helpers {
  if (!helpers) throw new Error('Vertex AI helpers used before the client connected');
  return helpers;
}

function protoValue(value: Record<string, string | number | boolean>): ProtoValue {
  const converted = loadedHelpers().toValue(value);
  if (!converted) throw new TypeError('could not convert a request parameter to google.protobuf.Value');
  return converted;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A Map kept in use order: reads move an entry to the end, inserts past capacity drop the first. */
class LruCache<V> {
  private readonly entries = new Map<string, V>();

  constructor(private readonly capacity: number) {}

  get(key: string): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: string, value: V): void {
    if (this.capacity < 1) return;
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
  }
}
