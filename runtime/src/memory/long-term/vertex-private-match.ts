// The query path of a Vector Search index deployed with private services access (VPC Network
// Peering) or Private Service Connect. Google documents that such an index is queried by
// connecting to the endpoint's IP address directly ("Query private services access (VPC Network
// Peering) or Private Service Connect indexes",
// https://cloud.google.com/vertex-ai/docs/vector-search/query-index-vpc), and its Python SDK does
// it with an insecure gRPC channel to `<ip>:10000` and the container MatchService
// (`_instantiate_private_match_service_stub` in python-aiplatform's
// matching_engine_index_endpoint.py). The public `google.cloud.aiplatform.v1.MatchService` is not
// served there, and this service is not served on the public domain.
import path from 'node:path';
import type { grpc as Grpc } from 'google-gax';

/** The port the private match service listens on (the SDK's `"{}:10000".format(ip_address)`). */
export const PRIVATE_MATCH_PORT = 10000;

export const PRIVATE_MATCH_SERVICE = 'google.cloud.aiplatform.container.v1.MatchService';

// The proto travels in the package (package.json "files"), not in @google-cloud/aiplatform.
// src/memory/long-term and dist/memory/long-term are both three levels below the package root.
const PROTO_ROOT = path.resolve(__dirname, '../../../protos');
const PROTO_FILE = 'google/cloud/aiplatform/container/v1/match_service.proto';

// Without a deadline a stalled private endpoint would hold a search forever; 60 s is what the
// public client's FindNeighbors gets by default (match_service_client_config.json).
const DEFAULT_DEADLINE_MS = 60_000;

/** `Namespace` of match_service.proto: a token restrict (AND across namespaces). */
export interface MatchNamespace {
  readonly name: string;
  readonly allowTokens: readonly string[];
  readonly denyTokens?: readonly string[];
}

/** `SparseEmbedding` of match_service.proto: named unlike the v1 one (`values`/`dimensions`). */
export interface MatchSparseEmbedding {
  readonly floatVal: readonly number[];
  readonly dimension: readonly number[];
}

/** `NumericNamespace` of match_service.proto: a numeric restrict of a query (AND across namespaces). */
export interface MatchNumericNamespace {
  readonly name: string;
  readonly valueInt: number;
  readonly op: 'GREATER_EQUAL' | 'LESS';
}

/** The fields of `MatchRequest` this runtime sets. */
export interface MatchRequest {
  readonly deployedIndexId: string;
  readonly floatVal: readonly number[];
  /** A hybrid query's token half. */
  readonly sparseEmbedding?: MatchSparseEmbedding;
  /** Fusion of the dense and sparse results (`ranking` oneof); unset: dense results only. */
  readonly rrf?: { readonly alpha: number };
  readonly numNeighbors: number;
  readonly restricts: readonly MatchNamespace[];
  readonly numericRestricts?: readonly MatchNumericNamespace[];
}

export interface MatchNeighbor {
  readonly id: string;
  /** Of the dense embeddings. */
  readonly distance: number;
  /** Of the sparse embeddings (0: none shared, or no sparse query). */
  readonly sparseDistance: number;
}

interface MatchResponse {
  neighbor: { id: string; distance: number; sparseDistance?: number }[];
}

type MatchStub = Grpc.Client & {
  Match(request: MatchRequest, options: Grpc.CallOptions, callback: (err: Grpc.ServiceError | null, response?: MatchResponse) => void): Grpc.ClientUnaryCall;
};

type Namespaces = { [name: string]: Namespaces | Grpc.ServiceClientConstructor | undefined };

/**
 * A client of the container MatchService on `address` (`ip:port`), plaintext. It carries no
 * Google credentials: the SDK sends none on this channel (only a signed JWT when the deployed
 * index is configured for one), and grpc-js refuses call credentials on an insecure channel.
 */
export class PrivateMatchClient {
  private constructor(private readonly stub: MatchStub) {}

  /** Loads the proto and opens a lazy channel: nothing is dialled before the first call. */
  static async open(address: string): Promise<PrivateMatchClient> {
    // google-gax's loader: its proto-loader options and common protos (google/rpc/status.proto),
    // and its own grpc-js, so no second copy of either is loaded.
    const { GrpcClient, grpc } = await import('google-gax');
    const root = new GrpcClient({ grpc }).loadProto(PROTO_ROOT, PROTO_FILE) as Namespaces;
    const Service = PRIVATE_MATCH_SERVICE.split('.').reduce<Namespaces | Grpc.ServiceClientConstructor | undefined>(
      (at, part) => (at as Namespaces | undefined)?.[part],
      root,
    ) as Grpc.ServiceClientConstructor | undefined;
    if (typeof Service !== 'function') throw new Error(`${PRIVATE_MATCH_SERVICE} is not defined in ${path.join(PROTO_ROOT, PROTO_FILE)}`);
    return new PrivateMatchClient(new Service(address, grpc.credentials.createInsecure()) as unknown as MatchStub);
  }

  /** Nearest first, as the service answers. */
  match(request: MatchRequest, timeoutMs = DEFAULT_DEADLINE_MS): Promise<MatchNeighbor[]> {
    return new Promise((resolve, reject) => {
      this.stub.Match(request, { deadline: Date.now() + timeoutMs }, (err, response) => {
        if (err) reject(err);
        else resolve((response?.neighbor ?? []).map((n) => ({ id: n.id, distance: n.distance, sparseDistance: n.sparseDistance ?? 0 })));
      });
    });
  }

  async close(): Promise<void> {
    this.stub.close();
  }
}
