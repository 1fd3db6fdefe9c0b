import type { VertexLongTermOptions } from '../../runtime/src/memory/long-term/vertex-long-term';
/**
 * A local Vertex AI on 127.0.0.1: the real protos, served by the grpc-js copy that google-gax
 * uses (a second copy breaks the client's credentials). In memory: datapoints per index, exact
 * dot-product search with restricts, hybrid search (sparse embeddings, reciprocal-rank fusion;
 * see `nearest`), deterministic embeddings (HashingEmbedder) from Predict, deterministic Gemini
 * answers from GenerateContent (see `generateContent` below).
 * Every request is recorded; calls can be made to fail or wait on demand.
 *
 * Two ports, as Google serves two places. `port`: the public API (google.cloud.aiplatform.v1
 * IndexService, MatchService.FindNeighbors, PredictionService), what the regional host and an
 * endpoint's public domain serve. `privatePort`: only google.cloud.aiplatform.container.v1
 * MatchService (Match, BatchMatch), plaintext, what a Private Service Connect / private services
 * access endpoint serves on `<ip>:10000` (Google's "Query private services access (VPC Network
 * Peering) or Private Service Connect indexes"; python-aiplatform's
 * `_instantiate_private_match_service_stub`; the proto is runtime/protos/…/container/v1). Each
 * port answers the other's services UNIMPLEMENTED, as any gRPC server does for a service it lacks.
 * Both search the same datapoints with the same restrict rule.
 *
 * Connect a client with `{apiEndpoint: '127.0.0.1', port, sslCreds: grpc.credentials.createInsecure()}`
 * and `METADATA_SERVER_DETECTION=none` in the environment.
 */
import path from 'node:path';
import * as protoLoader from '@grpc/proto-loader';
import { grpc } from 'google-gax';
import { HashingEmbedder } from '../../runtime/src/memory/long-term/hashing-embedder';
import { dot } from '../../runtime/src/memory/long-term/vectors';

export type VertexMethod = 'FindNeighbors' | 'UpsertDatapoints' | 'RemoveDatapoints' | 'Predict' | 'GenerateContent' | 'StreamGenerateContent' | 'Match' | 'BatchMatch';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

// Decoded requests as @grpc/proto-loader produces them (camelCase, defaults filled in, arrays present).
export interface Restriction {
  namespace: string;
  allowList: string[];
  denyList: string[];
}

/**
 * `IndexDatapoint.NumericRestriction` (and the container's `NumericNamespace`, renamed to it):
 * int64 `valueInt` arrives as a decimal string; `Value` names the oneof member set (`oneofs: true`;
 * the proto names the oneof `Value`);
 * `op` is the enum's name (`enums: String`), OPERATOR_UNSPECIFIED when unset.
 */
export interface NumericRestriction {
  namespace: string;
  Value?: 'valueInt' | 'valueFloat' | 'valueDouble';
  valueInt?: string;
  valueFloat?: number;
  valueDouble?: number;
  op: 'OPERATOR_UNSPECIFIED' | 'LESS' | 'LESS_EQUAL' | 'EQUAL' | 'GREATER_EQUAL' | 'GREATER' | 'NOT_EQUAL';
}

/** `IndexDatapoint.SparseEmbedding`; int64 dimensions arrive as decimal strings (`longs: String`). */
export interface SparseEmbedding {
  values: number[];
  dimensions: string[];
}

export interface IndexDatapoint {
  datapointId: string;
  featureVector: number[];
  /** null when unset. */
  sparseEmbedding: SparseEmbedding | null;
  restricts: Restriction[];
  numericRestricts: NumericRestriction[];
}

/** `FindNeighborsRequest.Query.RRF` / `MatchRequest.RRF`: the weight of the dense results. */
export interface Rrf {
  alpha: number;
}

export interface UpsertDatapointsRequest {
  index: string;
  datapoints: IndexDatapoint[];
}

export interface RemoveDatapointsRequest {
  index: string;
  datapointIds: string[];
}

export interface FindNeighborsRequest {
  indexEndpoint: string;
  deployedIndexId: string;
  /** `rrf` is absent when the `ranking` oneof is unset. */
  queries: { datapoint: IndexDatapoint | null; neighborCount: number; rrf?: Rrf }[];
  returnFullDatapoint: boolean;
}

/** `NumericNamespace` of the container MatchService: `NumericRestriction` with `name` for `namespace`. */
export interface NumericNamespace extends Omit<NumericRestriction, 'namespace'> {
  name: string;
}

/** `Namespace` of the container MatchService: a token restrict (AND across namespaces). */
export interface Namespace {
  name: string;
  allowTokens: string[];
  denyTokens: string[];
}

/** The container's `SparseEmbedding`: the v1 one under other names. */
export interface MatchSparseEmbedding {
  floatVal: number[];
  dimension: string[];
}

/** The container MatchService's MatchRequest as decoded (the fields this server models). */
export interface MatchRequest {
  deployedIndexId: string;
  floatVal: number[];
  sparseEmbedding: MatchSparseEmbedding | null;
  /** Absent when the `ranking` oneof is unset. */
  rrf?: Rrf;
  numNeighbors: number;
  restricts: Namespace[];
  numericRestricts: NumericNamespace[];
  embeddingEnabled: boolean;
  embeddingId: string;
}

export interface BatchMatchRequest {
  requests: { deployedIndexId: string; requests: MatchRequest[]; lowLevelBatchSize: number }[];
}

/** Predict as recorded: `instances` and `parameters` converted from google.protobuf.Value to plain JSON. */
export interface PredictRequest {
  endpoint: string;
  instances: JsonValue[];
  parameters: JsonValue;
}

/** A Part as recorded: the one field that is set; Struct and Value fields converted to plain JSON. */
export interface GeminiPart {
  text?: string;
  functionCall?: { name: string; args: JsonValue };
  functionResponse?: { name: string; response: JsonValue };
  /** Base64, when the part carried one. */
  thoughtSignature?: string;
}

export interface GeminiContent {
  role: string;
  parts: GeminiPart[];
}

/** GenerateContent as recorded (unset optional fields left out). */
export interface GenerateContentRequest {
  model: string;
  contents: GeminiContent[];
  systemInstruction?: GeminiContent;
  tools: { functionDeclarations: { name: string; description: string; parametersJsonSchema: JsonValue }[] }[];
  toolConfig?: { functionCallingConfig?: { mode: string; allowedFunctionNames: string[] } };
  generationConfig?: { temperature?: number; maxOutputTokens?: number; responseMimeType: string; responseJsonSchema?: JsonValue };
}

export interface RequestOf {
  FindNeighbors: FindNeighborsRequest;
  UpsertDatapoints: UpsertDatapointsRequest;
  RemoveDatapoints: RemoveDatapointsRequest;
  Predict: PredictRequest;
  GenerateContent: GenerateContentRequest;
  StreamGenerateContent: GenerateContentRequest;
  Match: MatchRequest;
  BatchMatch: BatchMatchRequest;
}

export type RecordedRequest = { [M in VertexMethod]: { method: M; request: RequestOf[M] } }[VertexMethod];

export interface VertexServerOptions {
  /** The index the deployed index serves (FindNeighbors searches it). */
  readonly indexName: string;
  /** FindNeighbors answers NOT_FOUND for any other endpoint. */
  readonly indexEndpointName: string;
  /** FindNeighbors answers NOT_FOUND for any other deployed index id. */
  readonly deployedIndexId: string;
  /** Length of embeddings and of accepted feature vectors. @default 768 */
  readonly dimensions?: number;
  /** @default 0 (any free port) */
  readonly port?: number;
  /** Of the private match service. @default 0 (any free port) */
  readonly privatePort?: number;
}

export interface VertexServer {
  readonly port: number;
  /** `127.0.0.1:<port>`, for the store's `queryHost` (access public) / `apiHost`. */
  readonly host: string;
  /** The private match service's port: plaintext, container MatchService only. */
  readonly privatePort: number;
  /** `127.0.0.1:<privatePort>`, for the store's `queryHost` with access private. */
  readonly privateHost: string;
  /** Every request received, in arrival order (failed and delayed ones included). */
  readonly requests: RecordedRequest[];
  requestsOf<M extends VertexMethod>(method: M): RequestOf[M][];
  /** Datapoint ids currently in `index`. */
  datapointIds(index: string): string[];
  /** The next `n` calls of `method` fail with `code` (after being recorded). */
  failNext(method: VertexMethod, code: grpc.status, n?: number, message?: string): void;
  /**
   * The next StreamGenerateContent call sends its first `afterChunks` chunks, then fails with
   * `code` (a mid-stream failure; `failNext` fails a stream before its first chunk).
   */
  breakStreamNext(afterChunks: number, code: grpc.status, message?: string): void;
  /** The next StreamGenerateContent call sends its first `afterChunks` chunks, then nothing until the client cancels. */
  holdStreamNext(afterChunks: number): void;
  /** Held StreamGenerateContent calls (`holdStreamNext`) the client cancelled, in all. */
  readonly cancelledStreams: number;
  /** The next `n` calls of `method` (those `match` accepts, if given) are answered after `ms`. */
  delayNext<M extends VertexMethod>(method: M, ms: number, n?: number, match?: (request: RequestOf[M]) => boolean): void;
  /** Forgets recorded requests, pending failures and delays (not datapoints). */
  clearRequests(): void;
  stop(): Promise<void>;
  /** Stops and listens again on the same ports; datapoints survive. */
  restart(): Promise<void>;
}

// aiplatform ships google/cloud/**; google/api/** comes with google-gax; google/protobuf/** is built into proto-loader.
const PROTO_ROOTS = [
  path.dirname(require.resolve('@google-cloud/aiplatform/build/protos/protos.json')),
  path.join(path.dirname(require.resolve('google-gax')), '../protos'),
];
const PROTO_FILES = ['match_service', 'index_service', 'prediction_service'].map((f) => `google/cloud/aiplatform/v1/${f}.proto`);
const SERVICES = ['MatchService', 'IndexService', 'PredictionService'] as const;
// The runtime's own copy: @google-cloud/aiplatform does not ship the container protos.
const PRIVATE_PROTO_ROOT = path.resolve(__dirname, '../../runtime/protos');
const PRIVATE_PROTO_FILE = 'google/cloud/aiplatform/container/v1/match_service.proto';
export const PRIVATE_MATCH_SERVICE = 'google.cloud.aiplatform.container.v1.MatchService';

const LOADER_OPTIONS: protoLoader.Options = { keepCase: false, longs: String, enums: String, defaults: true, arrays: true, oneofs: true };

let definition: protoLoader.PackageDefinition | undefined;
let privateDefinition: protoLoader.PackageDefinition | undefined;

function loadDefinition(): protoLoader.PackageDefinition {
  definition ??= protoLoader.loadSync(PROTO_FILES, { ...LOADER_OPTIONS, includeDirs: PROTO_ROOTS });
  return definition;
}

/** The container MatchService's definition (its google/rpc/status.proto import comes with google-gax). */
export function loadPrivateDefinition(): protoLoader.PackageDefinition {
  privateDefinition ??= protoLoader.loadSync(PRIVATE_PROTO_FILE, { ...LOADER_OPTIONS, includeDirs: [PRIVATE_PROTO_ROOT, ...PROTO_ROOTS.slice(1)] });
  return privateDefinition;
}

interface Fault {
  readonly code?: grpc.status;
  readonly message?: string;
  readonly delayMs?: number;
  readonly match?: (request: never) => boolean;
  /** Streams: the chunks sent before `code` (or, without a code, before holding the stream open). */
  readonly afterChunks?: number;
}

export async function startVertexServer(options: VertexServerOptions): Promise<VertexServer> {
  const dimensions = options.dimensions ?? 768;
  const embedder = new HashingEmbedder(dimensions);
  const indexes = new Map<string, Map<string, IndexDatapoint>>();
  const requests: RecordedRequest[] = [];
  const faults = new Map<VertexMethod, Fault[]>();
  const timers = new Set<NodeJS.Timeout>();

  const indexOf = (name: string) => {
    let index = indexes.get(name);
    if (!index) indexes.set(name, (index = new Map()));
    return index;
  };

  let cancelledStreams = 0;
  const handlers: { [M in Exclude<VertexMethod, 'StreamGenerateContent'>]: (request: RequestOf[M]) => object } = {
    UpsertDatapoints(request: UpsertDatapointsRequest) {
      const index = indexOf(request.index);
      for (const d of request.datapoints) {
        checkVector(d.featureVector, dimensions, `datapoint ${d.datapointId}`);
        checkSparse(d.sparseEmbedding, `datapoint ${d.datapointId}`);
        checkDatapointNumeric(d, index);
      }
      for (const d of request.datapoints) index.set(d.datapointId, d);
      return {};
    },
    RemoveDatapoints(request: RemoveDatapointsRequest) {
      const index = indexOf(request.index);
      for (const id of request.datapointIds) index.delete(id);
      return {};
    },
    FindNeighbors(request: FindNeighborsRequest) {
      if (request.indexEndpoint !== options.indexEndpointName) throw grpcError(grpc.status.NOT_FOUND, `IndexEndpoint ${request.indexEndpoint} not found`);
      if (request.deployedIndexId !== options.deployedIndexId) throw grpcError(grpc.status.NOT_FOUND, `DeployedIndex ${request.deployedIndexId} not found`);
      const datapoints = [...indexOf(options.indexName).values()];
      return {
        nearestNeighbors: request.queries.map((q) => ({
          id: q.datapoint?.datapointId ?? '',
          neighbors: nearest(datapoints, q.datapoint, q.rrf, q.neighborCount, dimensions).map(({ datapoint, distance, sparseDistance }) => ({
            datapoint: request.returnFullDatapoint ? datapoint : { datapointId: datapoint.datapointId },
            distance,
            sparseDistance,
          })),
        })),
      };
    },
    Predict(request: PredictRequest) {
      const model = /^projects\/[^/]+\/locations\/[^/]+\/publishers\/google\/models\/([^/]+)$/.exec(request.endpoint)?.[1];
      if (!model) throw grpcError(grpc.status.NOT_FOUND, `Endpoint ${request.endpoint} not found`);
      const max = model.startsWith('gemini-embedding') ? 1 : 250;
      if (request.instances.length > max) throw grpcError(grpc.status.INVALID_ARGUMENT, `${model} accepts at most ${max} instances, got ${request.instances.length}`);
      const wanted = isObject(request.parameters) ? request.parameters['outputDimensionality'] : undefined;
      const modelEmbedder = typeof wanted === 'number' && wanted !== dimensions ? new HashingEmbedder(wanted) : embedder;
      return {
        predictions: request.instances.map((instance) => {
          const content = isObject(instance) ? instance['content'] : undefined;
          if (typeof content !== 'string') throw grpcError(grpc.status.INVALID_ARGUMENT, 'instance without content');
          const values = Array.from(modelEmbedder.embedOne(content));
          return toProtoValue({ embeddings: { values, statistics: { truncated: false, token_count: content.split(/\s+/).length } } });
        }),
        deployedModelId: '',
        model: request.endpoint,
      };
    },
    GenerateContent: generateContent,
    Match(request: MatchRequest) {
      if (request.deployedIndexId !== options.deployedIndexId) throw grpcError(grpc.status.NOT_FOUND, `DeployedIndex ${request.deployedIndexId} not found`);
      return match(request);
    },
    BatchMatch(request: BatchMatchRequest) {
      // Per the proto, a failure of one index's batch is its `status`, not the call's.
      return {
        responses: request.requests.map((batch) => {
          if (batch.deployedIndexId !== options.deployedIndexId) {
            return { deployedIndexId: batch.deployedIndexId, responses: [], status: { code: grpc.status.NOT_FOUND, message: `DeployedIndex ${batch.deployedIndexId} not found`, details: [] } };
          }
          try {
            return { deployedIndexId: batch.deployedIndexId, responses: batch.requests.map(match), status: { code: grpc.status.OK, message: '', details: [] } };
          } catch (err) {
            const e = err as grpc.ServiceError;
            return { deployedIndexId: batch.deployedIndexId, responses: [], status: { code: e.code, message: e.details, details: [] } };
          }
        }),
      };
    },
  };

  // The private endpoint names no index endpoint: the address is the deployed index's.
  const match = (request: MatchRequest) => {
    // Not modelled here: refused rather than ignored, so a test relying on them fails loudly.
    if (request.floatVal.length === 0 && request.embeddingId) throw grpcError(grpc.status.INVALID_ARGUMENT, 'queries by embedding_id are not modelled by the local server');
    const query: IndexDatapoint = {
      datapointId: '',
      featureVector: request.floatVal,
      sparseEmbedding: request.sparseEmbedding && { values: request.sparseEmbedding.floatVal, dimensions: request.sparseEmbedding.dimension },
      restricts: request.restricts.map((n) => ({ namespace: n.name, allowList: n.allowTokens, denyList: n.denyTokens })),
      numericRestricts: request.numericRestricts.map(({ name, ...rest }) => ({ namespace: name, ...rest })),
    };
    const found = nearest([...indexOf(options.indexName).values()], query, request.rrf, request.numNeighbors, dimensions);
    return {
      neighbor: found.map((n) => ({ id: n.datapoint.datapointId, distance: n.distance, sparseDistance: n.sparseDistance })),
      embeddings: request.embeddingEnabled
        ? found.map(({ datapoint: d }) => ({
            id: d.datapointId,
            floatVal: d.featureVector,
            sparseEmbedding: d.sparseEmbedding && { floatVal: d.sparseEmbedding.values, dimension: d.sparseEmbedding.dimensions },
            restricts: d.restricts.map((r) => ({ name: r.namespace, allowTokens: r.allowList, denyTokens: r.denyList })),
          }))
        : [],
    };
  };

  const unary = (method: Exclude<VertexMethod, 'StreamGenerateContent'>): grpc.handleUnaryCall<unknown, object> => (call, callback) => {
    const request =
      method === 'Predict' ? predictAsJson(call.request as RawPredictRequest) : method === 'GenerateContent' ? generateContentAsJson(call.request as RawGenerateContentRequest) : call.request;
    requests.push({ method, request } as RecordedRequest);
    const fault = takeFault(method, request);
    const answer = () => {
      if (fault.code !== undefined) return callback(grpcError(fault.code, fault.message ?? `injected ${grpc.status[fault.code]}`));
      try {
        callback(null, handlers[method](request as never));
      } catch (err) {
        callback(err as grpc.ServiceError);
      }
    };
    if (!fault.delayMs) return answer();
    const timer = setTimeout(() => {
      timers.delete(timer);
      answer();
    }, fault.delayMs);
    timers.add(timer);
  };

  // Errors travel as gRPC status codes, in a stream as in a unary call (Google's "API errors" page
  // of Generative AI on Vertex AI: 429 RESOURCE_EXHAUSTED, 500 INTERNAL, 503 UNAVAILABLE…); a
  // stream's status ends it, after whatever chunks it already sent.
  const streamGenerateContent: grpc.handleServerStreamingCall<RawGenerateContentRequest, object> = (call) => {
    const request = generateContentAsJson(call.request);
    requests.push({ method: 'StreamGenerateContent', request });
    const fault = takeFault('StreamGenerateContent', request);
    const fail = (code: grpc.status) => call.emit('error', grpcError(code, fault.message ?? `injected ${grpc.status[code]}`));
    if (fault.code !== undefined && fault.afterChunks === undefined) {
      fail(fault.code);
      return;
    }
    let chunks: object[];
    try {
      chunks = streamChunks(generateContent(request));
    } catch (err) {
      call.emit('error', err);
      return;
    }
    for (const chunk of chunks.slice(0, fault.afterChunks)) call.write(chunk);
    if (fault.afterChunks === undefined) call.end();
    else if (fault.code !== undefined) fail(fault.code);
    // Otherwise held: the client's cancel ends it (or the server's stop). Counted only here: grpc-js
    // also reports a stream it ended with an error status as cancelled.
    else call.once('cancelled', () => cancelledStreams++);
  };

  const implementations: Record<(typeof SERVICES)[number], grpc.UntypedServiceImplementation> = {
    MatchService: { FindNeighbors: unary('FindNeighbors') },
    IndexService: { UpsertDatapoints: unary('UpsertDatapoints'), RemoveDatapoints: unary('RemoveDatapoints') },
    PredictionService: { Predict: unary('Predict'), GenerateContent: unary('GenerateContent'), StreamGenerateContent: streamGenerateContent },
  };

  let servers: grpc.Server[] = [];
  let port = options.port ?? 0;
  let privatePort = options.privatePort ?? 0;

  const bind = (s: grpc.Server, at: number) =>
    new Promise<number>((resolve, reject) =>
      s.bindAsync(`127.0.0.1:${at}`, grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
    );

  const start = async () => {
    const pub = new grpc.Server();
    const def = loadDefinition();
    for (const name of SERVICES) {
      pub.addService(def[`google.cloud.aiplatform.v1.${name}`] as grpc.ServiceDefinition, implementations[name]);
    }
    // BatchGetEmbeddings is left out: grpc-js answers it UNIMPLEMENTED.
    const priv = new grpc.Server();
    priv.addService(loadPrivateDefinition()[PRIVATE_MATCH_SERVICE] as grpc.ServiceDefinition, { Match: unary('Match'), BatchMatch: unary('BatchMatch') });
    servers = [pub, priv];
    port = await bind(pub, port);
    privatePort = await bind(priv, privatePort);
  };

  const stop = async () => {
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    for (const s of servers) s.forceShutdown();
    servers = [];
  };

  const takeFault = (method: VertexMethod, request: unknown): Fault => {
    const list = faults.get(method) ?? [];
    const i = list.findIndex((f) => !f.match || f.match(request as never));
    return i < 0 ? {} : list.splice(i, 1)[0];
  };

  const queue = (method: VertexMethod, fault: Fault, n: number) => {
    const list = faults.get(method) ?? [];
    for (let i = 0; i < n; i++) list.push(fault);
    faults.set(method, list);
  };

  await start();
  return {
    get port() {
      return port;
    },
    get host() {
      return `127.0.0.1:${port}`;
    },
    get privatePort() {
      return privatePort;
    },
    get privateHost() {
      return `127.0.0.1:${privatePort}`;
    },
    requests,
    requestsOf: <M extends VertexMethod>(method: M) =>
      requests.filter((r): r is Extract<RecordedRequest, { method: M }> => r.method === method).map((r) => r.request as RequestOf[M]),
    datapointIds: (index) => [...indexOf(index).keys()],
    failNext: (method, code, n = 1, message) => queue(method, { code, message }, n),
    breakStreamNext: (afterChunks, code, message) => queue('StreamGenerateContent', { afterChunks, code, message }, 1),
    holdStreamNext: (afterChunks) => queue('StreamGenerateContent', { afterChunks }, 1),
    get cancelledStreams() {
      return cancelledStreams;
    },
    delayNext: (method, ms, n = 1, match) => queue(method, { delayMs: ms, match }, n),
    clearRequests: () => {
      requests.length = 0;
      faults.clear();
    },
    stop,
    restart: async () => {
      await stop();
      await start();
    },
  };
}

export interface Neighbor {
  readonly datapoint: IndexDatapoint;
  /** Dot product of the dense embeddings. */
  readonly distance: number;
  /** Dot product of the sparse embeddings: 0 when they share no dimension (or either is absent). */
  readonly sparseDistance: number;
}

/**
 * The `count` neighbors of `query`, modelled on Google's "About hybrid search"
 * (https://cloud.google.com/vertex-ai/docs/vector-search/about-hybrid-search) and the hybrid
 * search notebook it comes from (GoogleCloudPlatform/generative-ai, embeddings/hybrid-search.ipynb):
 * - the restricts choose the datapoints both halves search (they belong to the query datapoint);
 * - dense results: every such datapoint by the dot product of the feature vectors; sparse
 *   results: those whose sparse embedding shares a dimension with the query's, by the dot product
 *   of the sparse embeddings ("inverted distances, so a higher value means a shorter distance");
 * - without `rrf` the dense results alone ("`1`, or not specified: Hybrid search uses only dense
 *   search results and ignores sparse search results"); with it, Reciprocal Rank Fusion as the
 *   page describes it — each list gives an item the reciprocal of its rank ("the item ranked
 *   number one gets a reciprocal rank of 1/1 = 1, ... number two gets 1/2"), weighted `alpha` for
 *   the dense list and `1 - alpha` for the sparse one ("`0`: ... only sparse search results",
 *   "`0.5` means they will be merged with the same weight"), summed and sorted descending; an
 *   item no weighted list ranks is not a result;
 * - every neighbor reports both distances, as the page's example does (`sparse_dist: 0.000` for
 *   the items found by meaning only).
 * Exact search: the service's approximate candidate lists are not modelled.
 */
function nearest(datapoints: readonly IndexDatapoint[], query: IndexDatapoint | null, rrf: Rrf | undefined, count: number, dimensions: number): Neighbor[] {
  if (!query) throw grpcError(grpc.status.INVALID_ARGUMENT, 'query without datapoint');
  checkVector(query.featureVector, dimensions, 'query');
  checkSparse(query.sparseEmbedding, 'query');
  // Not modelled: the SDK documents alpha as not for dense-only queries; refused rather than guessed.
  if (rrf && !query.sparseEmbedding) throw grpcError(grpc.status.INVALID_ARGUMENT, 'rrf without a sparse embedding is not modelled by the local server');
  if (rrf && !(rrf.alpha >= 0 && rrf.alpha <= 1)) throw grpcError(grpc.status.INVALID_ARGUMENT, `rrf.alpha must be between 0 and 1, got ${rrf.alpha}`);
  for (const n of query.numericRestricts) {
    // "This MUST be specified for queries" (the op of a numeric restrict).
    if (n.op === 'OPERATOR_UNSPECIFIED') throw grpcError(grpc.status.INVALID_ARGUMENT, `numeric restrict ${n.namespace}: a query's op must be specified`);
    if (n.Value === undefined) throw grpcError(grpc.status.INVALID_ARGUMENT, `numeric restrict ${n.namespace}: no value`);
  }
  const querySparse = sparseMap(query.sparseEmbedding);
  const candidates = datapoints
    .filter((d) => query.restricts.every((r) => passes(d, r)) && query.numericRestricts.every((n) => passesNumeric(d, n)))
    .map((datapoint) => ({ datapoint, distance: dot(query.featureVector, datapoint.featureVector), sparseDistance: sparseDot(querySparse, datapoint.sparseEmbedding) }));
  const dense = [...candidates].sort((a, b) => b.distance - a.distance);
  const limit = count > 0 ? count : 10;
  if (!rrf) return dense.slice(0, limit);
  const sparse = candidates.filter((c) => c.sparseDistance > 0).sort((a, b) => b.sparseDistance - a.sparseDistance);
  const fused = new Map<Neighbor, number>();
  const add = (list: Neighbor[], weight: number) => list.forEach((n, i) => fused.set(n, (fused.get(n) ?? 0) + weight / (i + 1)));
  add(dense, rrf.alpha);
  add(sparse, 1 - rrf.alpha);
  return [...fused]
    .filter(([, score]) => score > 0)
    .sort(([a, x], [b, y]) => y - x || b.distance - a.distance)
    .slice(0, limit)
    .map(([n]) => n);
}

const sparseMaps = new WeakMap<SparseEmbedding, Map<string, number>>();

/** Dimension → value; repeated dimensions add up (Google's format example repeats one). Kept per embedding: datapoints are searched many times. */
function sparseMap(sparse: SparseEmbedding | null): Map<string, number> {
  if (!sparse) return new Map();
  let map = sparseMaps.get(sparse);
  if (!map) {
    map = new Map();
    for (const [i, dimension] of sparse.dimensions.entries()) map.set(dimension, (map.get(dimension) ?? 0) + sparse.values[i]);
    sparseMaps.set(sparse, map);
  }
  return map;
}

function sparseDot(query: Map<string, number>, sparse: SparseEmbedding | null): number {
  if (query.size === 0 || !sparse) return 0;
  const own = sparseMap(sparse);
  let sum = 0;
  for (const [dimension, value] of query) sum += value * (own.get(dimension) ?? 0);
  return sum;
}

/** "values [1,2,3] with dimensions [4,5,6] means value 1 is of the 4th dimension…" (the SDK's HybridQuery): pairs. */
function checkSparse(sparse: SparseEmbedding | null, what: string): void {
  if (sparse && sparse.values.length !== sparse.dimensions.length) {
    throw grpcError(grpc.status.INVALID_ARGUMENT, `${what}: sparse embedding has ${sparse.values.length} values for ${sparse.dimensions.length} dimensions`);
  }
}

/** Vector Search's rule: a datapoint without the namespace doesn't match; deny wins over allow. */
function passes(datapoint: IndexDatapoint, restrict: Restriction): boolean {
  const own = datapoint.restricts.filter((r) => r.namespace === restrict.namespace);
  if (own.length === 0) return false;
  const tokens = own.flatMap((r) => r.allowList);
  if (tokens.some((t) => restrict.denyList.includes(t))) return false;
  return restrict.allowList.length === 0 || tokens.some((t) => restrict.allowList.includes(t));
}

/**
 * The numeric rule of "Filter vector matches" and the protos' `NumericRestriction`: a datapoint is
 * eligible when its value in the namespace is `op` the query's value ("Datapoints for which
 * Operator is true relative to the query's Value field will be allowlisted"); one without the
 * namespace is not, as for token restricts. AND across the query's numeric restricts.
 */
function passesNumeric(datapoint: IndexDatapoint, restrict: NumericRestriction): boolean {
  const own = datapoint.numericRestricts.filter((n) => n.namespace === restrict.namespace);
  if (own.length === 0) return false;
  const wanted = numericValue(restrict);
  return own.some((n) => {
    const value = numericValue(n);
    switch (restrict.op) {
      case 'LESS': return value < wanted;
      case 'LESS_EQUAL': return value <= wanted;
      case 'EQUAL': return value === wanted;
      case 'GREATER_EQUAL': return value >= wanted;
      case 'GREATER': return value > wanted;
      case 'NOT_EQUAL': return value !== wanted;
      default: return false;
    }
  });
}

/** The value of a numeric restrict: int64 exactly (BigInt), floats as numbers (compared after the type check at upsert). */
function numericValue(n: NumericRestriction): bigint | number {
  if (n.Value === 'valueInt') return BigInt(n.valueInt ?? '0');
  return n.Value === 'valueFloat' ? (n.valueFloat ?? 0) : (n.valueDouble ?? 0);
}

/**
 * A datapoint's numeric restricts: no op ("specifying this for a datapoint is an error"), a value
 * set, and the value's type that of the namespace's other datapoints ("The type of Value must be
 * consistent for all datapoints with a given namespace name. This is verified at runtime").
 */
function checkDatapointNumeric(datapoint: IndexDatapoint, index: ReadonlyMap<string, IndexDatapoint>): void {
  for (const n of datapoint.numericRestricts) {
    const what = `datapoint ${datapoint.datapointId}: numeric restrict ${n.namespace}`;
    if (n.op !== 'OPERATOR_UNSPECIFIED') throw grpcError(grpc.status.INVALID_ARGUMENT, `${what}: op must not be specified for a datapoint`);
    if (n.Value === undefined) throw grpcError(grpc.status.INVALID_ARGUMENT, `${what}: no value`);
    for (const other of index.values()) {
      if (other.datapointId === datapoint.datapointId) continue;
      const type = other.numericRestricts.find((o) => o.namespace === n.namespace)?.Value;
      if (type === undefined) continue;
      if (type !== n.Value) throw grpcError(grpc.status.INVALID_ARGUMENT, `${what}: ${n.Value}, but the namespace holds ${type}`);
      break;
    }
  }
}

function checkVector(vector: readonly number[], dimensions: number, what: string): void {
  if (vector.length !== dimensions) {
    throw grpcError(grpc.status.INVALID_ARGUMENT, `${what} has ${vector.length} dimensions, the index has ${dimensions}`);
  }
}

function grpcError(code: grpc.status, details: string): Partial<grpc.ServiceError> {
  return { code, details, message: details };
}

// google.protobuf.Value as proto-loader decodes it (oneofs: true adds `kind`).
interface ProtoValue {
  kind?: string;
  nullValue?: unknown;
  numberValue?: number;
  stringValue?: string;
  boolValue?: boolean;
  structValue?: { fields: Record<string, ProtoValue> };
  listValue?: { values: ProtoValue[] };
}

interface RawPredictRequest {
  endpoint: string;
  instances: ProtoValue[];
  parameters: ProtoValue | null;
}

function predictAsJson(raw: RawPredictRequest): PredictRequest {
  return { endpoint: raw.endpoint, instances: raw.instances.map(fromProtoValue), parameters: raw.parameters ? fromProtoValue(raw.parameters) : null };
}

function fromProtoValue(value: ProtoValue): JsonValue {
  switch (value.kind) {
    case 'numberValue':
      return value.numberValue ?? 0;
    case 'stringValue':
      return value.stringValue ?? '';
    case 'boolValue':
      return value.boolValue ?? false;
    case 'listValue':
      return (value.listValue?.values ?? []).map(fromProtoValue);
    case 'structValue':
      return Object.fromEntries(Object.entries(value.structValue?.fields ?? {}).map(([k, v]) => [k, fromProtoValue(v)]));
    default:
      return null;
  }
}

function toProtoValue(value: JsonValue): ProtoValue {
  if (value === null) return { nullValue: 'NULL_VALUE' };
  if (typeof value === 'number') return { numberValue: value };
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (Array.isArray(value)) return { listValue: { values: value.map(toProtoValue) } };
  return { structValue: { fields: Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toProtoValue(v)])) } };
}

function isObject(value: JsonValue | undefined): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const MODEL_PATH = /^projects\/[^/]+\/locations\/[^/]+\/publishers\/google\/models\/([^/]+)$/;

/**
 * A deterministic Gemini: after function responses it reports them (`function <name> returned
 * <json>`); with tools in mode ANY it calls the first allowed function, and in mode AUTO (or
 * unset) the first function whose name the last user text mentions, with `{ query: <text> }`
 * and a thought signature `sig-<name>`; otherwise it echoes the last user text (`echo: …`, or
 * `{"echo": …}` when JSON is asked for), cut to maxOutputTokens words (finish MAX_TOKENS).
 * A user text containing BLOCK_ME is blocked by the prompt filter. Usage counts words.
 */
function generateContent(request: GenerateContentRequest): object {
  const model = MODEL_PATH.exec(request.model)?.[1];
  if (!model) throw grpcError(grpc.status.NOT_FOUND, `Publisher model ${request.model} not found`);
  const last = request.contents.at(-1);
  if (!last) throw grpcError(grpc.status.INVALID_ARGUMENT, 'contents must not be empty');
  const texts = request.contents.flatMap((c) => c.parts.flatMap((p) => (p.text ? [p.text] : [])));
  const promptTokenCount = words([...texts, ...(request.systemInstruction?.parts ?? []).map((p) => p.text ?? '')].join(' '));
  const lastText = last.parts.map((p) => p.text ?? '').join(' ').trim();
  if (lastText.includes('BLOCK_ME')) return { candidates: [], promptFeedback: { blockReason: 'SAFETY', blockReasonMessage: 'blocked' }, modelVersion: model };

  const answer = (parts: object[], finishReason: string, outputTokens: number) => ({
    candidates: [{ index: 0, content: { role: 'model', parts }, finishReason }],
    usageMetadata: { promptTokenCount, candidatesTokenCount: outputTokens, totalTokenCount: promptTokenCount + outputTokens },
    modelVersion: `${model}-001`,
  });
  const responses = last.parts.flatMap((p) => (p.functionResponse ? [p.functionResponse] : []));
  if (responses.length > 0) {
    const text = responses.map((r) => `function ${r.name} returned ${JSON.stringify(r.response)}`).join('; ');
    return answer([{ text }], 'STOP', words(text));
  }
  const declarations = request.tools.flatMap((t) => t.functionDeclarations);
  const config = request.toolConfig?.functionCallingConfig;
  const mode = config?.mode ?? 'AUTO';
  const called =
    mode === 'ANY'
      ? declarations.find((d) => config?.allowedFunctionNames.length === 0 || config?.allowedFunctionNames.includes(d.name))
      : mode === 'NONE'
        ? undefined
        : declarations.find((d) => lastText.includes(d.name));
  if (called) {
    const part = { functionCall: { name: called.name, args: toProtoValue({ query: lastText }).structValue }, thoughtSignature: Buffer.from(`sig-${called.name}`) };
    return answer([part], 'STOP', 1);
  }
  const max = request.generationConfig?.maxOutputTokens;
  const echo = lastText.split(/\s+/).slice(0, max || undefined).join(' ');
  const text = request.generationConfig?.responseMimeType === 'application/json' ? JSON.stringify({ echo }) : `echo: ${echo}`;
  return answer([{ text }], max && words(lastText) > max ? 'MAX_TOKENS' : 'STOP', words(text));
}

/**
 * A GenerateContent answer as Gemini streams it: the text a word (and its following space) per
 * chunk, a function call whole in its own chunk, the finish reason and usage in the last chunk,
 * every chunk with the model version. A blocked prompt is one chunk, as it is one response.
 */
function streamChunks(response: object): object[] {
  const { candidates, usageMetadata, modelVersion, promptFeedback } = response as {
    candidates: { index: number; content: { role: string; parts: ({ text?: string } & object)[] }; finishReason: string }[];
    usageMetadata?: object;
    modelVersion: string;
    promptFeedback?: object;
  };
  const [candidate] = candidates;
  if (!candidate) return [{ candidates: [], promptFeedback, modelVersion }];
  const parts = candidate.content.parts.flatMap((p) => (p.text ? (p.text.match(/\S+\s*/g) ?? []).map((text) => ({ text })) : [p]));
  return parts.map((part, i) => ({
    candidates: [{ index: 0, content: { role: 'model', parts: [part] }, ...(i === parts.length - 1 ? { finishReason: candidate.finishReason } : {}) }],
    ...(i === parts.length - 1 ? { usageMetadata } : {}),
    modelVersion,
  }));
}

function words(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

// GenerateContent as proto-loader decodes it (oneofs: true, defaults: true).
interface RawPart {
  data?: string;
  text?: string;
  functionCall?: { name: string; args: { fields: Record<string, ProtoValue> } | null };
  functionResponse?: { name: string; response: { fields: Record<string, ProtoValue> } | null };
  thoughtSignature?: Buffer;
}

interface RawContent {
  role: string;
  parts: RawPart[];
}

interface RawGenerateContentRequest {
  model: string;
  contents: RawContent[];
  systemInstruction?: RawContent | null;
  tools: { functionDeclarations: { name: string; description: string; parametersJsonSchema: ProtoValue | null }[] }[];
  toolConfig: { functionCallingConfig: { mode: string; allowedFunctionNames: string[]; streamFunctionCallArguments: boolean } | null } | null;
  generationConfig: {
    temperature?: number;
    maxOutputTokens?: number;
    responseMimeType: string;
    responseJsonSchema?: ProtoValue | null;
  } | null;
}

function toolConfigAsJson(raw: NonNullable<RawGenerateContentRequest['toolConfig']>): NonNullable<GenerateContentRequest['toolConfig']> {
  const config = raw.functionCallingConfig;
  return config ? { functionCallingConfig: { mode: config.mode, allowedFunctionNames: config.allowedFunctionNames } } : {};
}

function generateContentAsJson(raw: RawGenerateContentRequest): GenerateContentRequest {
  const struct = (s: { fields: Record<string, ProtoValue> } | null): JsonValue => fromProtoValue({ kind: 'structValue', structValue: s ?? { fields: {} } });
  const part = (p: RawPart): GeminiPart => ({
    ...(p.data === 'text' ? { text: p.text } : {}),
    ...(p.data === 'functionCall' && p.functionCall ? { functionCall: { name: p.functionCall.name, args: struct(p.functionCall.args) } } : {}),
    ...(p.data === 'functionResponse' && p.functionResponse ? { functionResponse: { name: p.functionResponse.name, response: struct(p.functionResponse.response) } } : {}),
    ...(p.thoughtSignature && p.thoughtSignature.length > 0 ? { thoughtSignature: p.thoughtSignature.toString('base64') } : {}),
  });
  const content = (c: RawContent): GeminiContent => ({ role: c.role, parts: c.parts.map(part) });
  const g = raw.generationConfig;
  return {
    model: raw.model,
    contents: raw.contents.map(content),
    ...(raw.systemInstruction ? { systemInstruction: content(raw.systemInstruction) } : {}),
    tools: raw.tools.map((t) => ({
      functionDeclarations: t.functionDeclarations.map((d) => ({
        name: d.name,
        description: d.description,
        parametersJsonSchema: d.parametersJsonSchema ? fromProtoValue(d.parametersJsonSchema) : null,
      })),
    })),
    ...(raw.toolConfig ? { toolConfig: toolConfigAsJson(raw.toolConfig) } : {}),
    ...(g
      ? {
          generationConfig: {
            ...(g.temperature !== undefined ? { temperature: g.temperature } : {}),
            ...(g.maxOutputTokens !== undefined ? { maxOutputTokens: g.maxOutputTokens } : {}),
            responseMimeType: g.responseMimeType,
            ...(g.responseJsonSchema ? { responseJsonSchema: fromProtoValue(g.responseJsonSchema) } : {}),
          },
        }
      : {}),
  };
}

/** Options for the real VertexLongTermStore talking to a local server on `port` (plaintext gRPC). */
export function localStoreOptions(
  port: number,
  names: Pick<VertexLongTermOptions, 'project' | 'region' | 'indexName' | 'indexEndpointName' | 'deployedIndexId'>,
): VertexLongTermOptions {
  return { ...names, queryHost: '127.0.0.1', apiHost: '127.0.0.1', clientOptions: { port, sslCreds: grpc.credentials.createInsecure() } };
}
