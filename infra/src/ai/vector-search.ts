import { Construct } from 'constructs';
import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member';
import { ComputeAddress } from '@cdktf/provider-google/lib/compute-address';
import { ComputeForwardingRule } from '@cdktf/provider-google/lib/compute-forwarding-rule';
import { VertexAiIndex } from '@cdktf/provider-google/lib/vertex-ai-index';
import { VertexAiIndexEndpoint } from '@cdktf/provider-google/lib/vertex-ai-index-endpoint';
import { VertexAiIndexEndpointDeployedIndex } from '@cdktf/provider-google/lib/vertex-ai-index-endpoint-deployed-index';
import {
  DEFAULT_EMBEDDING_MODEL,
  EMBEDDING_MODEL,
  type MemorySettingsInput,
  type VectorQueryAccess,
  defaultEmbeddingDimensions,
  embeddingWidthProblem,
  matches,
} from '@orchestra/runtime/contract';
import { IGrantable } from '../iam';
import { CustomRole } from '../security/custom-role';
import { grantModelUse } from './vertex-models';
import { PropsValidator } from '../props-validator';
import { isResourceName, prefixed } from '../naming';

/**
 * What the runtime's calls of the index need (Google's REST reference, "IAM Permissions" of
 * `indexes.upsertDatapoints` / `removeDatapoints`, and `indexEndpoints.findNeighbors`):
 * `roles/aiplatform.user` holds hundreds more. Vertex AI has no IAM on an index, so the custom
 * role holding these is granted on the project. A private (PSC) endpoint's match service checks
 * no IAM permission: its callers are whoever reaches the address.
 */
export const VECTOR_WRITE_PERMISSIONS: readonly string[] = Object.freeze(['aiplatform.indexes.update']);
export const VECTOR_PUBLIC_QUERY_PERMISSIONS: readonly string[] = Object.freeze(['aiplatform.indexEndpoints.queryVectors']);

export type ShardSize = 'SHARD_SIZE_SMALL' | 'SHARD_SIZE_MEDIUM' | 'SHARD_SIZE_LARGE';

/** The smallest machine each shard size may be served on (Vector Search's documented table). */
export const DEFAULT_MACHINE_TYPES: Readonly<Record<ShardSize, string>> = {
  SHARD_SIZE_SMALL: 'e2-standard-2',
  SHARD_SIZE_MEDIUM: 'e2-standard-16',
  SHARD_SIZE_LARGE: 'e2-highmem-16',
};

/** How queries reach the deployed index. */
export type VectorSearchAccess =
  /** The endpoint's public domain (`…vdb.vertexai.goog`); calls are still IAM-authenticated. */
  | { readonly type: 'public' }
  /**
   * Private Service Connect: an internal address in `subnetId` forwards to the deployed index, so
   * queries never leave the VPC.
   */
  | { readonly type: 'private-service-connect'; readonly networkId: string; readonly subnetId: string };

export interface VectorSearchProps {
  /** Project of the index; used for the PSC allowlist and grants. */
  readonly project: string;
  readonly region: string;
  /**
   * Prefix of display names and of the deployed index id.
   * @default - none
   */
  readonly prefix?: string;
  /**
   * The Vertex AI model the runtime embeds with: the index is built for its vectors, and the
   * runtime is told which model and width to use (`runtimeSettings`).
   * @default "text-embedding-005"
   */
  readonly embeddingModel?: string;
  /**
   * Width of the index's vectors: the model's own, or a smaller output dimensionality it supports.
   * @default - the embedding model's width (768 for text-embedding-005, 3072 for gemini-embedding-001)
   */
  readonly dimensions?: number;
  /** @default 150 */
  readonly approximateNeighborsCount?: number;
  /** @default 500 */
  readonly leafNodeEmbeddingCount?: number;
  /** @default 10 */
  readonly leafNodesToSearchPercent?: number;
  /** @default "SHARD_SIZE_SMALL" */
  readonly shardSize?: ShardSize;
  /**
   * A `gs://` folder of datapoints to build the index from.
   * @default - an empty index, filled by streaming upserts
   */
  readonly initialContentsUri?: string;
  /** @default { type: 'public' } */
  readonly access?: VectorSearchAccess;
  /** @default 1 */
  readonly minReplicas?: number;
  /** @default 2 */
  readonly maxReplicas?: number;
  /** @default - the smallest machine for the shard size (DEFAULT_MACHINE_TYPES) */
  readonly machineType?: string;
  /** @default - none */
  readonly labels?: Readonly<Record<string, string>>;
}

/**
 * Vertex AI Vector Search for long-term memory: a streaming-update index (upserts become
 * queryable in seconds) of unit-normalized vectors compared by dot product (cosine similarity),
 * an index endpoint, and the index deployed on it.
 *
 * Ready for hybrid search as it is: the runtime's datapoints carry a sparse embedding of their
 * terms beside the dense vector, and its queries ask for reciprocal-rank fusion of the two
 * (`IndexDatapoint.sparse_embedding`, `FindNeighborsRequest.Query.rrf`). An index needs no setting
 * for that: Google's "Index configuration parameters" marks `dimensions` and `algorithmConfig`
 * "Used for dense embeddings only", its hybrid search tutorial (GoogleCloudPlatform/generative-ai,
 * embeddings/hybrid-search.ipynb, behind "About hybrid search") builds its hybrid index with the
 * same tree-AH call as a dense one, and `google_vertex_ai_index` (provider 6.50.0) has no sparse
 * attribute.
 */
export class VectorSearch extends Construct {
  /** Index resource name, `projects/…/locations/…/indexes/…`: where upserts and removals go. */
  public readonly indexName: string;
  /** The index's short id. */
  public readonly indexId: string;
  /** Index endpoint resource name, `projects/…/locations/…/indexEndpoints/…`. */
  public readonly indexEndpointName: string;
  /** The endpoint's short id. */
  public readonly indexEndpointId: string;
  /** The id queries name (`deployed_index_id` in FindNeighbors). */
  public readonly deployedIndexId: string;
  /** Host that serves queries: the public domain, or the PSC address. */
  public readonly queryHost: string;
  /**
   * The protocol `queryHost` speaks: `public` (TLS 443, FindNeighbors) or `private` (the PSC
   * address, plaintext on port 10000, the container MatchService, as Google's "Query private
   * services access or Private Service Connect indexes" and its Python SDK do).
   */
  public readonly queryAccess: VectorQueryAccess;
  /** Width of the index's vectors. */
  public readonly dimensions: number;
  /** The model whose vectors the index holds. */
  public readonly embeddingModel: string;
  /** Regional API host for upserts and removals. */
  public readonly apiHost: string;
  private readonly project: string;
  private readonly prefix?: string;
  private readonly publicQueries: boolean;
  private userRole?: CustomRole;

  constructor(scope: Construct, id: string, props: VectorSearchProps) {
    super(scope, id);
    const embeddingModel = props.embeddingModel ?? DEFAULT_EMBEDDING_MODEL;
    const dimensions = props.dimensions ?? defaultEmbeddingDimensions(embeddingModel);
    const tooWide = embeddingWidthProblem(embeddingModel, dimensions);
    const shardSize = props.shardSize ?? 'SHARD_SIZE_SMALL';
    const minReplicas = props.minReplicas ?? 1;
    const maxReplicas = props.maxReplicas ?? 2;
    const leafPercent = props.leafNodesToSearchPercent ?? 10;
    const access = props.access ?? { type: 'public' };
    const name = (n: string) => prefixed(props.prefix, n);
    const deployedIndexId = name('memory').replace(/-/g, '_');

    new PropsValidator(this.node.path)
      .check('prefix', props.prefix, props.prefix === undefined || isResourceName(props.prefix, 40), 'must be a lowercase resource name of at most 40 characters')
      .check('embeddingModel', embeddingModel, matches(EMBEDDING_MODEL, embeddingModel), `"${embeddingModel}" must be ${EMBEDDING_MODEL.expected}`)
      .check('dimensions', dimensions, Number.isInteger(dimensions) && dimensions > 0, `${dimensions} must be a positive whole number`)
      .check('dimensions', dimensions, tooWide === undefined, tooWide ?? '')
      .check('leafNodesToSearchPercent', leafPercent, leafPercent > 0 && leafPercent <= 100, `${leafPercent} must be in (0, 100]`)
      .check('minReplicas', minReplicas, Number.isInteger(minReplicas) && minReplicas >= 1, `${minReplicas} must be a whole number, at least 1`)
      .check('maxReplicas', maxReplicas, maxReplicas >= minReplicas, `${maxReplicas} must be at least minReplicas (${minReplicas})`)
      .check('initialContentsUri', props.initialContentsUri, props.initialContentsUri === undefined || props.initialContentsUri.startsWith('gs://'), 'must be a gs:// URI')
      .throwIfInvalid();

    const labels = props.labels ? { ...props.labels } : undefined;
    const index = new VertexAiIndex(this, 'index', {
      region: props.region,
      displayName: name('memory-index'),
      description: 'Orchestra long-term memory',
      indexUpdateMethod: 'STREAM_UPDATE',
      metadata: {
        contentsDeltaUri: props.initialContentsUri,
        config: {
          dimensions,
          approximateNeighborsCount: props.approximateNeighborsCount ?? 150,
          distanceMeasureType: 'DOT_PRODUCT_DISTANCE',
          featureNormType: 'UNIT_L2_NORM',
          shardSize,
          algorithmConfig: {
            treeAhConfig: {
              leafNodeEmbeddingCount: props.leafNodeEmbeddingCount ?? 500,
              leafNodesToSearchPercent: leafPercent,
            },
          },
        },
      },
      labels,
    });

    const psc = access.type === 'private-service-connect';
    const endpoint = new VertexAiIndexEndpoint(this, 'endpoint', {
      region: props.region,
      displayName: name('memory-endpoint'),
      publicEndpointEnabled: !psc,
      privateServiceConnectConfig: psc
        ? { enablePrivateServiceConnect: true, projectAllowlist: [props.project] }
        : undefined,
      labels,
    });

    const deployed = new VertexAiIndexEndpointDeployedIndex(this, 'deployed-index', {
      indexEndpoint: endpoint.id,
      index: index.id,
      deployedIndexId,
      displayName: name('memory'),
      dedicatedResources: {
        machineSpec: { machineType: props.machineType ?? DEFAULT_MACHINE_TYPES[shardSize] },
        minReplicaCount: minReplicas,
        maxReplicaCount: maxReplicas,
      },
    });

    if (access.type === 'private-service-connect') {
      const address = new ComputeAddress(this, 'psc-address', {
        name: name('vector-search-psc'),
        region: props.region,
        subnetwork: access.subnetId,
        addressType: 'INTERNAL',
      });
      new ComputeForwardingRule(this, 'psc-forwarding-rule', {
        name: name('vector-search-psc'),
        region: props.region,
        network: access.networkId,
        ipAddress: address.id,
        target: deployed.privateEndpoints.get(0).serviceAttachment,
        // An empty scheme is what a PSC consumer endpoint for a service attachment takes.
        loadBalancingScheme: '',
      });
      this.queryHost = address.address;
      this.queryAccess = 'private';
    } else {
      this.queryHost = endpoint.publicEndpointDomainName;
      this.queryAccess = 'public';
    }

    this.project = props.project;
    this.prefix = props.prefix;
    this.publicQueries = !psc;
    // The provider's `id` is the full resource name; its `name` is the short id.
    this.indexName = index.id;
    this.indexId = index.name;
    this.indexEndpointName = endpoint.id;
    this.indexEndpointId = endpoint.name;
    this.deployedIndexId = deployed.deployedIndexId;
    this.dimensions = dimensions;
    this.embeddingModel = embeddingModel;
    this.apiHost = `${props.region}-aiplatform.googleapis.com`;
  }

  /** What the Orchestra runtime needs to use this index: where it is, and the model and width of its vectors. */
  get runtimeSettings(): Pick<MemorySettingsInput, 'vectorSearch' | 'embedding'> {
    return {
      vectorSearch: {
        indexName: this.indexName,
        indexEndpointName: this.indexEndpointName,
        deployedIndexId: this.deployedIndexId,
        queryHost: this.queryHost,
        // Unset is the runtime's default, public; private must be said, or the runtime would
        // speak TLS FindNeighbors to the PSC address (which its parser refuses for an IP anyway).
        ...(this.queryAccess === 'private' ? { access: this.queryAccess } : {}),
      },
      embedding: { model: this.embeddingModel, dimensions: this.dimensions },
    };
  }

  /**
   * Lets `grantee` upsert, remove and query datapoints and call the embedding model, with exactly
   * the permissions those calls check: a custom role on the project, and the model grant.
   */
  grantUse(grantee: IGrantable): ProjectIamMember {
    grantModelUse(this, { project: this.project, prefix: this.prefix }, grantee);
    this.userRole ??= new CustomRole(this, 'user-role', {
      project: this.project,
      roleId: `${this.prefix ? `${this.prefix}_` : ''}vector_search_user`,
      title: 'Vector Search index user',
      description: 'Upsert and remove datapoints; query the public endpoint: nothing else',
      permissions: [...VECTOR_WRITE_PERMISSIONS, ...(this.publicQueries ? VECTOR_PUBLIC_QUERY_PERMISSIONS : [])],
    });
    return this.userRole.grant(grantee);
  }
}
