// Deep imports: see vertex-embedder.ts (the package root loads every Vertex AI client).
import type { IndexServiceClient } from '@google-cloud/aiplatform/build/src/v1/index_service_client';
import type { MatchServiceClient } from '@google-cloud/aiplatform/build/src/v1/match_service_client';
import type { protos } from '@google-cloud/aiplatform';
import type { ClientOptions, GoogleAuth } from 'google-gax';
import { type Embedder, type LayerStatus, type LongTermStore, type StoredItem, type TimeRange, type VectorMatch, type VectorSearchOptions, occurredAtOf } from '../types';
import { type Problem, VECTOR_QUERY_ACCESS, type VectorQueryAccess, defaultEmbeddingDimensions, matches, vertexResourceName } from '../../contract';
import { endpointOf, googleClientOptions, initializeAll, verifiedGoogleAuth } from '../../google/client';
import { MemoryOptionsError } from '../errors';
import { DEFAULT_HYBRID_ALPHA, RRF_K, isAlpha } from './fusion';

export { DEFAULT_HYBRID_ALPHA };
import { type SparseEmbedding, documentSparseEmbedding, querySparseEmbedding } from './sparse-embedding';
import { VertexEmbedder } from './vertex-embedder';
import { PRIVATE_MATCH_PORT, PRIVATE_MATCH_SERVICE, PrivateMatchClient } from './vertex-private-match';

export { VertexCredentialsError } from '../../google/client';
export { PRIVATE_MATCH_PORT } from './vertex-private-match';

type Restriction = protos.google.cloud.aiplatform.v1.IndexDatapoint.IRestriction;
type NumericRestriction = protos.google.cloud.aiplatform.v1.IndexDatapoint.INumericRestriction;

/** Restrict namespaces written on every datapoint and matched by every search. */
export const TENANT_NAMESPACE = 'tenant';
export const CONVERSATION_NAMESPACE = 'conversation';
/**
 * Numeric restrict namespace of every datapoint: when its item occurred, in ms since the epoch
 * (`value_int`), so a search's time range filters on the server ("Filter vector matches", numeric
 * restricts; `IndexDatapoint.NumericRestriction` of the v1 protos).
 */
export const OCCURRED_AT_NAMESPACE = 'occurred_at';

const PUBLIC_MATCH_SERVICE = 'google.cloud.aiplatform.v1.MatchService';
const UNIMPLEMENTED = 12; // grpc.status.UNIMPLEMENTED, without loading grpc-js to name it

/**
 * The query host does not serve the protocol `access` speaks (gRPC UNIMPLEMENTED: the service is
 * unknown there): a private address asked for the public FindNeighbors, or the reverse.
 */
export class VectorSearchAccessError extends Error {
  override readonly name = 'VectorSearchAccessError';
  readonly code = UNIMPLEMENTED;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Where and how the store sends queries, derived from `access` and `queryHost`. */
export interface QueryTarget {
  readonly access: VectorQueryAccess;
  /** `host:port` dialled. */
  readonly address: string;
  readonly tls: boolean;
  readonly service: string;
}

/**
 * `public`: the host's port, else 443, over TLS (the Google client's defaults), FindNeighbors.
 * `private`: the host's port, else 10000, plaintext, the container MatchService.
 */
export function queryTargetOf(queryHost: string, access: VectorQueryAccess = 'public'): QueryTarget {
  const { apiEndpoint, port } = endpointOf(queryHost);
  return access === 'private'
    ? { access, address: `${apiEndpoint}:${port ?? PRIVATE_MATCH_PORT}`, tls: false, service: `${PRIVATE_MATCH_SERVICE}.Match` }
    : { access, address: `${apiEndpoint}:${port ?? 443}`, tls: true, service: `${PUBLIC_MATCH_SERVICE}.FindNeighbors` };
}

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
  /**
   * `host` or `host:port` serving queries: the endpoint's public domain (`…vdb.vertexai.goog`),
   * or the IP address of its Private Service Connect / private services access endpoint.
   */
  readonly queryHost: string;
  /**
   * How queries reach the deployed index (see `queryTargetOf`). `clientOptions` apply to the
   * public query client only: the private one is plaintext and carries no credentials.
   * @default "public"
   */
  readonly access?: VectorQueryAccess;
  /**
   * Where writes (and embeddings) go, whatever `access` is: Google documents upsert/remove as calls
   * on the index resource at `${region}-aiplatform.googleapis.com`, and private networking as
   * needed only for online queries ("Set up a VPC Network Peering connection": "The VPC Network
   * Peering connection is required only for vector matching online queries"); the Python SDK's
   * `MatchingEngineIndex.upsert_datapoints` calls the regional IndexService for every endpoint kind.
   * @default `${region}-aiplatform.googleapis.com`
   */
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
   * gRPC deadline of a query. The memory manager gives up on a slow layer sooner (its layer
   * timeout) but cannot cancel the call; this is what ends it on the server, and what bounds how
   * long `close()` waits for it. @default 10000
   */
  readonly queryTimeoutMs?: number;
  /**
   * Connect (check credentials, load and open the clients) on first use instead of in `init()`,
   * so a cold start does not wait for it; `warmUp()` connects in the background.
   * @default false
   */
  readonly lazy?: boolean;
  /** Extra options merged into every Google client's (tests: `{sslCreds: grpc.credentials.createInsecure()}`). */
  readonly clientOptions?: ClientOptions;
  /**
   * Weight of the dense results against the token-based ones in the fusion Vector Search performs
   * (`RRF.alpha`): 1 dense only, 0 token-based only. A search's own `alpha` takes precedence.
   * @default DEFAULT_HYBRID_ALPHA (0.5)
   */
  readonly alpha?: number;
}

export type TokenRestrict = { readonly namespace: string; readonly allow: readonly string[] };

/**
 * A query's numeric restrict: datapoints whose value in `namespace` is `op` `value` are eligible
 * (the operator names of both protos' `Operator` enums); a datapoint without the namespace is not.
 */
export type NumericRestrict = { readonly namespace: string; readonly value: number; readonly op: 'GREATER_EQUAL' | 'LESS' };

/** What both query paths send. */
interface NeighborQuery {
  readonly featureVector: number[];
  /** A hybrid query: the token half, and the fusion's weight of the dense half. Absent: dense only. */
  readonly hybrid?: { readonly sparse: SparseEmbedding; readonly alpha: number };
  readonly limit: number;
  readonly restricts: readonly TokenRestrict[];
  readonly numeric: readonly NumericRestrict[];
}

/** A neighbor as both paths answer: its id and its two distances (0 where unset: proto3 sends no zero). */
interface Neighbor {
  readonly id: string;
  readonly distance: number;
  readonly sparseDistance: number;
}

/** One query path: FindNeighbors on the public endpoint, or Match on the private one. */
interface QueryClient {
  neighbors(query: NeighborQuery, timeout?: number): Promise<Neighbor[]>;
  close(): Promise<void>;
}

interface Connection {
  readonly index: IndexServiceClient;
  readonly query: QueryClient;
  readonly embedder: Embedder;
  /** The default embedder, which this store closes; an injected one belongs to the caller. */
  readonly ownedEmbedder?: VertexEmbedder;
}

/**
 * Long-term memory on Vertex AI Vector Search: contents embedded as documents and streamed into
 * the index (writes on the regional API host), searched through the deployed index's endpoint
 * (public FindNeighbors, or the private Match; see `access`) with tenant and conversation
 * restricts. Upserts become searchable within seconds, not at once.
 *
 * Hybrid search (Google's "About hybrid search"): every datapoint carries a sparse embedding of
 * its terms beside the dense one (`sparse-embedding.ts`), and a query sends both with
 * reciprocal-rank fusion weighted by `alpha`, so an item is found by meaning or by a shared word
 * (a name, a code, a number the embedding model blurs). The restricts are the query's, so they
 * hold for both halves.
 */
export class VertexLongTermStore implements LongTermStore {
  private readonly dimensions: number;
  private readonly alpha: number;
  private readonly target: QueryTarget;
  private connection?: Promise<Connection>;
  private lastError?: unknown;
  /** Calls not settled yet, abandoned ones included: `close()` waits for them before closing the channels. */
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly options: VertexLongTermOptions) {
    this.dimensions = options.dimensions ?? options.embedder?.dimensions ?? defaultEmbeddingDimensions(options.embeddingModel);
    this.alpha = options.alpha ?? DEFAULT_HYBRID_ALPHA;
    const problems = optionProblems(options, this.dimensions);
    if (problems.length > 0) throw new MemoryOptionsError('VertexLongTermStore', problems);
    this.target = queryTargetOf(options.queryHost, options.access);
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
    // A call still running when its channel closes ends with an error that nobody awaits.
    await Promise.allSettled([...this.inFlight]);
    const c = await connection?.catch(() => undefined);
    if (c) await Promise.all([c.index.close(), c.query.close(), c.ownedEmbedder?.close()]);
  }

  async upsert(items: readonly StoredItem[]): Promise<void> {
    if (items.length === 0) return;
    await this.tracked(async ({ index, embedder }) => {
      const vectors = await embedder.embed(items.map((i) => i.content), 'document');
      this.checkDimensions(vectors);
      const datapoints = items.map((item, i) => datapointOf(item, vectors[i]));
      for (const chunk of chunks(datapoints, WRITE_BATCH)) {
        await index.upsertDatapoints({ index: this.options.indexName, datapoints: chunk });
      }
    });
  }

  /**
   * `score`: with fusion, the reciprocal rank of the fused order (see `fusedMatch`); without it
   * (`alpha` 1, or a query without terms), the cosine similarity. `alpha` 0 searches tokens only.
   */
  async search(query: string, options: VectorSearchOptions): Promise<VectorMatch[]> {
    const alpha = options.alpha ?? this.alpha;
    if (!isAlpha(alpha)) throw new RangeError(`alpha must be within [0, 1], got ${alpha}`);
    if (options.limit < 1) return [];
    // Google: alpha "1, or not specified: Hybrid search uses only dense search results", so at 1
    // the token half is not sent at all; nor is an empty one (a query of stop words only).
    const sparse = alpha < 1 ? querySparseEmbedding(query) : undefined;
    if (alpha === 0 && !sparse) return []; // token-based only, and no token to look for
    return this.tracked(async ({ query: client, embedder }) => {
      const [vector] = await embedder.embed([query], 'query');
      this.checkDimensions([vector]);
      const neighbors = await client.neighbors(
        {
          featureVector: Array.from(vector),
          hybrid: sparse && { sparse, alpha },
          limit: options.limit,
          restricts: tokenRestricts(options.tenantId, options.conversationId),
          numeric: timeRestricts(options),
        },
        this.options.queryTimeoutMs ?? 10_000,
      );
      return sparse ? neighbors.map((n, i) => fusedMatch(n, i + 1, alpha)) : neighbors.map((n) => ({ id: n.id, score: n.distance, dense: n.distance }));
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
   * (a query of a fixed vector, one neighbour, no Predict quota spent): the probe's success
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
    const { address, access, tls, service } = this.target;
    const via = `${address} (${access}: ${service}${tls ? ', TLS' : ', plaintext'})`;
    return { ...base, ok: true, detail: `${this.options.indexEndpointName} (${this.options.deployedIndexId}) via ${via}` };
  }

  // Nearest first, as the service answers. With DOT_PRODUCT_DISTANCE on unit vectors `distance`
  // is the cosine similarity (higher is closer), on both paths; `sparse_distance` is the same
  // for the sparse embeddings ("inverted distances, so a higher value means a shorter distance",
  // About hybrid search).
  private publicQuery(match: MatchServiceClient): QueryClient {
    return {
      neighbors: async ({ featureVector, hybrid, limit, restricts, numeric }, timeout) => {
        const [response] = await match
          .findNeighbors(
            {
              indexEndpoint: this.options.indexEndpointName,
              deployedIndexId: this.options.deployedIndexId,
              queries: [
                {
                  datapoint: {
                    datapointId: 'query',
                    featureVector,
                    ...(hybrid ? { sparseEmbedding: { values: hybrid.sparse.values, dimensions: hybrid.sparse.dimensions } } : {}),
                    restricts: restricts.map(asRestriction),
                    ...(numeric.length > 0 ? { numericRestricts: numeric.map(asNumericRestriction) } : {}),
                  },
                  neighborCount: limit,
                  ...(hybrid ? { rrf: { alpha: hybrid.alpha } } : {}),
                },
              ],
              returnFullDatapoint: false,
            },
            timeout === undefined ? undefined : { timeout },
          )
          .catch((err: unknown) => this.rethrow(err));
        return (response.nearestNeighbors?.[0]?.neighbors ?? [])
          .filter((n) => n.datapoint?.datapointId)
          .map((n) => ({ id: n.datapoint?.datapointId as string, distance: n.distance ?? 0, sparseDistance: n.sparseDistance ?? 0 }));
      },
      close: () => match.close(),
    };
  }

  // The private Match names no endpoint: the address is the deployed index's.
  private privateQuery(client: PrivateMatchClient): QueryClient {
    return {
      neighbors: ({ featureVector, hybrid, limit, restricts, numeric }, timeout) =>
        client
          .match(
            {
              deployedIndexId: this.options.deployedIndexId,
              floatVal: featureVector,
              ...(hybrid
                ? { sparseEmbedding: { floatVal: hybrid.sparse.values, dimension: hybrid.sparse.dimensions }, rrf: { alpha: hybrid.alpha } }
                : {}),
              numNeighbors: limit,
              restricts: restricts.map((r) => ({ name: r.namespace, allowTokens: r.allow })),
              ...(numeric.length > 0 ? { numericRestricts: numeric.map((n) => ({ name: n.namespace, valueInt: n.value, op: n.op })) } : {}),
            },
            timeout,
          )
          .catch((err: unknown) => this.rethrow(err)),
      close: () => client.close(),
    };
  }

  /** UNIMPLEMENTED from the query host means the other protocol is spoken there: say which. */
  private rethrow(err: unknown): never {
    if ((err as { code?: unknown } | null)?.code !== UNIMPLEMENTED) throw err;
    const { address, access, service } = this.target;
    const hint =
      access === 'private'
        ? `access "private" speaks plaintext gRPC to the IP address of a Private Service Connect or private services access endpoint (port ${PRIVATE_MATCH_PORT}); an endpoint's public domain (…vdb.vertexai.goog) takes access "public"`
        : `access "public" speaks TLS to an endpoint's public domain (…vdb.vertexai.goog); the IP address of a Private Service Connect or private services access endpoint takes access "private"`;
    throw new VectorSearchAccessError(`Vector Search query host ${address} does not serve ${service} (UNIMPLEMENTED): ${hint}`, { cause: err });
  }

  private async probe({ query }: Connection): Promise<void> {
    const unit = new Array<number>(this.dimensions).fill(0);
    unit[0] = 1;
    await query.neighbors({ featureVector: unit, limit: 1, restricts: [], numeric: [] }, this.options.probeTimeoutMs ?? 5000);
  }

  /** Runs `op` on the open clients and remembers whether it failed (for status()); errors still propagate. */
  private async tracked<T>(op: (c: Connection) => Promise<T>): Promise<T> {
    const connection = await this.connected();
    const call = op(connection);
    this.inFlight.add(call);
    try {
      const result = await call;
      this.lastError = undefined;
      return result;
    } catch (err) {
      this.lastError = err;
      throw err;
    } finally {
      this.inFlight.delete(call);
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
    const { IndexServiceClient } = await import('@google-cloud/aiplatform/build/src/v1/index_service_client.js');
    const index = new IndexServiceClient(googleClientOptions(apiHost, auth, clientOptions));
    let query: QueryClient;
    if (this.target.access === 'private') {
      await initializeAll([index]);
      const client = await PrivateMatchClient.open(this.target.address).catch(async (err: unknown) => {
        await index.close();
        throw err;
      });
      query = this.privateQuery(client);
    } else {
      const { MatchServiceClient } = await import('@google-cloud/aiplatform/build/src/v1/match_service_client.js');
      const match = new MatchServiceClient(googleClientOptions(this.options.queryHost, auth, clientOptions));
      await initializeAll([index, match]);
      query = this.publicQuery(match);
    }
    if (this.options.embedder) return { index, query, embedder: this.options.embedder };
    const own = this.defaultEmbedder(apiHost, auth);
    return { index, query, embedder: own, ownedEmbedder: own };
  }

  private defaultEmbedder(apiHost: string, auth: GoogleAuth | undefined): VertexEmbedder {
    const { project, region, embeddingModel, clientOptions, credentialsTimeoutMs } = this.options;
    return new VertexEmbedder({ project, region, apiHost, model: embeddingModel, dimensions: this.dimensions, auth, clientOptions, credentialsTimeoutMs });
  }
}

/**
 * The datapoint of `item`: its id (already tenant-scoped) names it, its content's sparse
 * embedding rides beside the dense vector (none for a text without terms), and the tenant and the
 * conversation are restrict tokens in namespaces of their own, so a search within one tenant
 * matches that tenant's exact token, never a prefix of it.
 */
export function datapointOf(item: StoredItem, vector: Float32Array): protos.google.cloud.aiplatform.v1.IIndexDatapoint {
  const sparse = documentSparseEmbedding(item.content);
  return {
    datapointId: item.id,
    featureVector: Array.from(vector),
    ...(sparse ? { sparseEmbedding: { values: sparse.values, dimensions: sparse.dimensions } } : {}),
    restricts: restrictsOf(item.tenantId, item.conversationId),
    // A datapoint's numeric restrict carries no operator: "specifying this for a datapoint is an error".
    numericRestricts: [{ namespace: OCCURRED_AT_NAMESPACE, valueInt: Date.parse(occurredAtOf(item)) }],
  };
}

/**
 * A neighbor of a fused query, at `rank` (from 1) of the answer. Vector Search returns the fused
 * order but not the fused score, so `score` is the reciprocal rank of that order, 1 / (RRF_K +
 * rank): descending, and like `fuseRanks`' comparable only within one answer. `dense` and
 * `lexical` are the distances the service reports for each neighbor — Google's hybrid example
 * lists both for every one, `sparse_dist: 0.000` where no token is shared, so 0 there means "not
 * matched by tokens" — and with alpha 0 the dense half was not searched.
 */
function fusedMatch(n: Neighbor, rank: number, alpha: number): VectorMatch {
  return {
    id: n.id,
    score: 1 / (RRF_K + rank),
    ...(alpha > 0 ? { dense: n.distance } : {}),
    ...(n.sparseDistance > 0 ? { lexical: n.sparseDistance } : {}),
  };
}

/** One list for writes and both query protocols, so the two paths filter by the same tokens. */
export function tokenRestricts(tenantId: string | undefined, conversationId: string | undefined): TokenRestrict[] {
  const restricts: TokenRestrict[] = [];
  if (tenantId !== undefined) restricts.push({ namespace: TENANT_NAMESPACE, allow: [tenantId] });
  if (conversationId !== undefined) restricts.push({ namespace: CONVERSATION_NAMESPACE, allow: [conversationId] });
  return restricts;
}

/** A search's time range as numeric restricts on `OCCURRED_AT_NAMESPACE` (AND across them): [after, before). */
export function timeRestricts(range: TimeRange): NumericRestrict[] {
  const restricts: NumericRestrict[] = [];
  if (range.occurredAfter !== undefined) restricts.push({ namespace: OCCURRED_AT_NAMESPACE, value: Date.parse(range.occurredAfter), op: 'GREATER_EQUAL' });
  if (range.occurredBefore !== undefined) restricts.push({ namespace: OCCURRED_AT_NAMESPACE, value: Date.parse(range.occurredBefore), op: 'LESS' });
  return restricts;
}

function asNumericRestriction(n: NumericRestrict): NumericRestriction {
  return { namespace: n.namespace, valueInt: n.value, op: n.op };
}

function asRestriction(r: TokenRestrict): Restriction {
  return { namespace: r.namespace, allowList: [...r.allow] };
}

function restrictsOf(tenantId: string | undefined, conversationId: string | undefined): Restriction[] {
  return tokenRestricts(tenantId, conversationId).map(asRestriction);
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
  if (o.access !== undefined && !VECTOR_QUERY_ACCESS.includes(o.access)) {
    problems.push({ path: 'access', message: `must be ${VECTOR_QUERY_ACCESS.map((a) => `"${a}"`).join(' or ')}, got "${String(o.access)}"` });
  }
  for (const [name, host] of [['queryHost', o.queryHost], ['apiHost', o.apiHost]] as const) {
    if (host !== undefined && (host === '' || host.includes('/'))) problems.push({ path: name, message: `must be a host or host:port without a scheme or path, got "${host}"` });
  }
  if (!Number.isInteger(dimensions) || dimensions < 1) problems.push({ path: 'dimensions', message: `must be a positive integer, got ${dimensions}` });
  if (o.alpha !== undefined && !isAlpha(o.alpha)) problems.push({ path: 'alpha', message: `must be a number within [0, 1], got ${String(o.alpha)}` });
  if (o.embedder && o.embedder.dimensions !== dimensions) {
    problems.push({ path: 'embedder.dimensions', message: `(${o.embedder.dimensions}) differs from dimensions (${dimensions})` });
  }
  return problems;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
