// Deep imports: see vertex-embedder.ts (the package root loads every Vertex AI client).
import type { IndexServiceClient } from '@google-cloud/aiplatform/build/src/v1/index_service_client';
import type { MatchServiceClient } from '@google-cloud/aiplatform/build/src/v1/match_service_client';
import type { protos } from '@google-cloud/aiplatform';
import type { ClientOptions, GoogleAuth } from 'google-gax';
import type { Embedder, LayerStatus, LongTermStore, StoredItem, VectorMatch, VectorSearchOptions } from '../types';
import { type Problem, defaultEmbeddingDimensions, matches, vertexResourceName } from '../../contract';
import { googleClientOptions, initializeAll, verifiedGoogleAuth } from '../../google/client';
import { MemoryOptionsError } from '../errors';
import { VertexEmbedder } from './vertex-embedder';

export { VertexCredentialsError } from '../../google/client';

type Restriction = protos.google.cloud.aiplatform.v1.IndexDatapoint.IRestriction;

/** Restrict namespaces written on every datapoint and matched by every search. */
export const TENANT_NAMESPACE = 'tenant';
export const CONVERSATION_NAMESPACE = 'conversation';

// Per upsertDatapoints / removeDatapoints call: 1000 × 768 floats keeps a request near 3 MB.
const WRITE_BATCH = 1000;

export interface VertexLongTermOptions {
  /** Project of the embedding model (the index and endpoint names carry their own). */
  readonly project: string;
  /** Region of the index, its endpoint and the embedding model. */
  readonly region: string;
  /** `projects/…/locations/…/indexes/…`; created with `index_update_method = STREAM_UPDATE`. */
  readonly indexName: string;
  /** `projects/…/locations/…/indexEndpoints/…`: a resource name, not a URL. */
  readonly indexEndpointName: string;
  readonly deployedIndexId: string;
  /** `host` or `host:port` serving findNeighbors: the endpoint's public domain (`…vdb.vertexai.goog`) or its PSC address. */
  readonly queryHost: string;
  /** Where writes go. @default `${region}-aiplatform.googleapis.com` */
  readonly apiHost?: string;
  /** Used by the default embedder. @default "text-embedding-005" */
  readonly embeddingModel?: string;
  /** The index's dimensions; every embedding must have this length. @default - the embedder's, else the embedding model's own width */
  readonly dimensions?: number;
  /** @default a VertexEmbedder of `embeddingModel`, sharing this store's credentials and options */
  readonly embedder?: Embedder;
  /** How long init() may take to verify credentials. @default 10000 */
  readonly credentialsTimeoutMs?: number;
  /** How long the status() probe may take. @default 5000 */
  readonly probeTimeoutMs?: number;
  /**
   * Connect (check credentials, load and open the clients) on first use instead of in `init()`,
   * so a cold start does not wait for it; `warmUp()` connects in the background.
   * @default false
   */
  readonly lazy?: boolean;
  /** Extra options merged into every Google client's (tests: `{sslCreds: grpc.credentials.createInsecure()}`). */
  readonly clientOptions?: ClientOptions;
}

interface Connection {
  readonly index: IndexServiceClient;
  readonly match: MatchServiceClient;
  readonly embedder: Embedder;
  /** The default embedder, which this store closes; an injected one belongs to the caller. */
  readonly ownedEmbedder?: VertexEmbedder;
}

/**
 * Long-term memory on Vertex AI Vector Search: contents embedded as documents and streamed into
 * the index (writes on the regional API host), searched through the deployed index's endpoint
 * with tenant and conversation restricts. Upserts become searchable within seconds, not at once.
 */
export class VertexLongTermStore implements LongTermStore {
  private readonly dimensions: number;
  private connection?: Promise<Connection>;
  private lastError?: unknown;

  constructor(private readonly options: VertexLongTermOptions) {
    this.dimensions = options.dimensions ?? options.embedder?.dimensions ?? defaultEmbeddingDimensions(options.embeddingModel);
    const problems = optionProblems(options, this.dimensions);
    if (problems.length > 0) throw new MemoryOptionsError('VertexLongTermStore', problems);
  }

  /**
   * Verifies credentials (unless `clientOptions.sslCreds` is set), then opens the clients; with
   * `lazy`, only on first use (or `warmUp()`).
   */
  async init(): Promise<void> {
    if (!this.options.lazy) await this.connected();
  }

  /** Connects now if not connected yet (idempotent; a failed attempt is retried by the next call). */
  async warmUp(): Promise<void> {
    await this.connected();
  }

  private connected(): Promise<Connection> {
    this.connection ??= this.open().catch((err: unknown) => {
      this.connection = undefined; // a later call tries again (credentials may have appeared)
      this.lastError = err;
      throw err;
    });
    return this.connection;
  }

  async close(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    const c = await connection?.catch(() => undefined);
    if (c) await Promise.all([c.index.close(), c.match.close(), c.ownedEmbedder?.close()]);
  }

  async upsert(items: readonly StoredItem[]): Promise<void> {
    if (items.length === 0) return;
    await this.tracked(async ({ index, embedder }) => {
      const vectors = await embedder.embed(items.map((i) => i.content), 'document');
      this.checkDimensions(vectors);
      const datapoints = items.map((item, i) => ({
        datapointId: item.id,
        featureVector: Array.from(vectors[i]),
        restricts: restrictsOf(item.tenantId, item.conversationId),
      }));
      for (const chunk of chunks(datapoints, WRITE_BATCH)) {
        await index.upsertDatapoints({ index: this.options.indexName, datapoints: chunk });
      }
    });
  }

  async search(query: string, options: VectorSearchOptions): Promise<VectorMatch[]> {
    if (options.limit < 1) return [];
    return this.tracked(async ({ match, embedder }) => {
      const [vector] = await embedder.embed([query], 'query');
      this.checkDimensions([vector]);
      return this.findNeighbors(match, Array.from(vector), options.limit, restrictsOf(options.tenantId, options.conversationId));
    });
  }

  async remove(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.tracked(async ({ index }) => {
      for (const chunk of chunks(ids, WRITE_BATCH)) {
        await index.removeDatapoints({ index: this.options.indexName, datapointIds: chunk });
      }
    });
  }

  /**
   * Healthy while the last call succeeded, at no cost. After a failure it probes the query path
   * (findNeighbors of a fixed vector, one neighbour, no Predict quota spent): the probe's success
   * clears the error, so a passing blip doesn't leave the layer reported down until traffic returns.
   */
  async status(): Promise<LayerStatus> {
    const base = { layer: 'long-term', backend: 'vertex-ai', embedded: false } as const;
    if (!this.connection) {
      // Never tried (lazy, idle) is healthy; a failed attempt is not.
      return this.lastError === undefined
        ? { ...base, ok: true, detail: 'idle: connects on first use' }
        : { ...base, ok: false, detail: messageOf(this.lastError) };
    }
    const failedInit = await this.connection.then(() => undefined, (err: unknown) => err);
    if (failedInit !== undefined) return { ...base, ok: false, detail: messageOf(failedInit) };
    if (this.lastError !== undefined) await this.tracked((c) => this.probe(c)).catch(() => undefined);
    if (this.lastError !== undefined) return { ...base, ok: false, detail: messageOf(this.lastError) };
    return { ...base, ok: true, detail: `${this.options.indexEndpointName} (${this.options.deployedIndexId}) via ${this.options.queryHost}` };
  }

  private async findNeighbors(match: MatchServiceClient, featureVector: number[], limit: number, restricts: Restriction[], timeout?: number): Promise<VectorMatch[]> {
    const [response] = await match.findNeighbors(
      {
        indexEndpoint: this.options.indexEndpointName,
        deployedIndexId: this.options.deployedIndexId,
        queries: [{ datapoint: { datapointId: 'query', featureVector, restricts }, neighborCount: limit }],
        returnFullDatapoint: false,
      },
      timeout === undefined ? undefined : { timeout },
    );
    const neighbors = response.nearestNeighbors?.[0]?.neighbors ?? [];
    // Nearest first, as the service answers. With DOT_PRODUCT_DISTANCE on unit vectors
    // `distance` is the cosine similarity (higher is closer), which is what VectorMatch.score means.
    return neighbors
      .filter((n) => n.datapoint?.datapointId)
      .map((n) => ({ id: n.datapoint?.datapointId as string, score: n.distance ?? 0 }));
  }

  private async probe({ match }: Connection): Promise<void> {
    const unit = new Array<number>(this.dimensions).fill(0);
    unit[0] = 1;
    await this.findNeighbors(match, unit, 1, [], this.options.probeTimeoutMs ?? 5000);
  }

  /** Runs `op` on the open clients and remembers whether it failed (for status()); errors still propagate. */
  private async tracked<T>(op: (c: Connection) => Promise<T>): Promise<T> {
    const connection = await this.connected();
    try {
      const result = await op(connection);
      this.lastError = undefined;
      return result;
    } catch (err) {
      this.lastError = err;
      throw err;
    }
  }

  private checkDimensions(vectors: readonly Float32Array[]): void {
    const wrong = vectors.find((v) => v.length !== this.dimensions);
    if (wrong) throw new Error(`embedder returned ${wrong.length} dimensions, the index has ${this.dimensions}`);
  }

  private async open(): Promise<Connection> {
    const { clientOptions, region } = this.options;
    // Before any Google client exists: one created without credentials crashes the process.
    const auth = clientOptions?.sslCreds ? undefined : await verifiedGoogleAuth(this.options.credentialsTimeoutMs ?? 10_000);
    const apiHost = this.options.apiHost ?? `${region}-aiplatform.googleapis.com`;
    // Loaded here, not at start-up: the client modules take ~0.2 s, which a cold start would pay.
    const [{ IndexServiceClient }, { MatchServiceClient }] = await Promise.all([
      import('@google-cloud/aiplatform/build/src/v1/index_service_client.js'),
      import('@google-cloud/aiplatform/build/src/v1/match_service_client.js'),
    ]);
    const index = new IndexServiceClient(googleClientOptions(apiHost, auth, clientOptions));
    const match = new MatchServiceClient(googleClientOptions(this.options.queryHost, auth, clientOptions));
    await initializeAll([index, match]);
    if (this.options.embedder) return { index, match, embedder: this.options.embedder };
    const own = this.defaultEmbedder(apiHost, auth);
    return { index, match, embedder: own, ownedEmbedder: own };
  }

  private defaultEmbedder(apiHost: string, auth: GoogleAuth | undefined): VertexEmbedder {
    const { project, region, embeddingModel, clientOptions, credentialsTimeoutMs } = this.options;
    return new VertexEmbedder({ project, region, apiHost, model: embeddingModel, dimensions: this.dimensions, auth, clientOptions, credentialsTimeoutMs });
  }
}

function restrictsOf(tenantId: string | undefined, conversationId: string | undefined): Restriction[] {
  const restricts: Restriction[] = [];
  if (tenantId !== undefined) restricts.push({ namespace: TENANT_NAMESPACE, allowList: [tenantId] });
  if (conversationId !== undefined) restricts.push({ namespace: CONVERSATION_NAMESPACE, allowList: [conversationId] });
  return restricts;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size));
  return result;
}

function optionProblems(o: VertexLongTermOptions, dimensions: number): Problem[] {
  const problems: Problem[] = [];
  for (const [field, collection] of [['indexName', 'indexes'], ['indexEndpointName', 'indexEndpoints']] as const) {
    const rule = vertexResourceName(collection);
    if (!matches(rule, o[field])) problems.push({ path: field, message: `must be ${rule.expected}, got "${o[field]}"` });
  }
  if (!o.deployedIndexId) problems.push({ path: 'deployedIndexId', message: 'is required' });
  for (const [name, host] of [['queryHost', o.queryHost], ['apiHost', o.apiHost]] as const) {
    if (host !== undefined && (host === '' || host.includes('/'))) problems.push({ path: name, message: `must be a host or host:port without a scheme or path, got "${host}"` });
  }
  if (!Number.isInteger(dimensions) || dimensions < 1) problems.push({ path: 'dimensions', message: `must be a positive integer, got ${dimensions}` });
  if (o.embedder && o.embedder.dimensions !== dimensions) {
    problems.push({ path: 'embedder.dimensions', message: `(${o.embedder.dimensions}) differs from dimensions (${dimensions})` });
  }
  return problems;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
