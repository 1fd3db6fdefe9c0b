import { VertexAiIndex } from '@cdktf/provider-google/lib/vertex-ai-index';
import { VertexAiIndexEndpoint } from '@cdktf/provider-google/lib/vertex-ai-index-endpoint';
import { VertexAiIndexEndpointDeployedIndex } from '@cdktf/provider-google/lib/vertex-ai-index-endpoint-deployed-index';
import { VECTOR_PUBLIC_QUERY_PERMISSIONS, VECTOR_WRITE_PERMISSIONS, VectorSearch, VectorSearchProps } from '../../infra/src/ai/vector-search';
import { MODEL_USER_PERMISSIONS } from '../../infra/src/ai/vertex-models';
import { type SchemaBlock, schemaOf } from '../helpers/provider-schema';
import { onlyResource, resourcesOf, synth } from '../helpers/synth';

const base: VectorSearchProps = { project: 'p-123456', region: 'us-central1', prefix: 'orchestra' };
const build = (props: Partial<VectorSearchProps> = {}) => synth((s) => new VectorSearch(s, 'vs', { ...base, ...props }));

describe('VectorSearch', () => {
  it('creates a streaming index of unit-normalized 768-d vectors, tree-AH with the seed leaf settings', () => {
    const { text, json } = build();
    expect(text).toHaveResourceWithProperties(VertexAiIndex, { index_update_method: 'STREAM_UPDATE', region: 'us-central1' });
    expect(onlyResource(json, 'google_vertex_ai_index').metadata).toEqual({
      config: {
        dimensions: 768,
        approximate_neighbors_count: 150,
        distance_measure_type: 'DOT_PRODUCT_DISTANCE',
        feature_norm_type: 'UNIT_L2_NORM',
        shard_size: 'SHARD_SIZE_SMALL',
        algorithm_config: { tree_ah_config: { leaf_node_embedding_count: 500, leaf_nodes_to_search_percent: 10 } },
      },
    });
  });

  it('needs no index setting for hybrid search: the provider has none to set', () => {
    // Google's "Index configuration parameters": `dimensions` and `algorithmConfig` are "Used for
    // dense embeddings only"; sparse embeddings come with each datapoint. Should a provider release
    // add a sparse or hybrid setting, this fails, and the construct's doc comment needs a second look.
    const names = (block: SchemaBlock): string[] => [...block.attributes, ...Object.entries(block.blocks).flatMap(([name, b]) => [name, ...names(b)])];
    const all = names(schemaOf('resource', 'google_vertex_ai_index')!);
    expect(all).toEqual(expect.arrayContaining(['dimensions', 'feature_norm_type', 'tree_ah_config']));
    expect(all.filter((n) => /sparse|hybrid|rrf/.test(n))).toEqual([]);
  });

  it('deploys on a public endpoint by default, sized by replicas', () => {
    const { text, json } = build();
    expect(text).toHaveResourceWithProperties(VertexAiIndexEndpoint, { public_endpoint_enabled: true });
    expect(onlyResource(json, 'google_vertex_ai_index_endpoint').private_service_connect_config).toBeUndefined();
    expect(text).toHaveResourceWithProperties(VertexAiIndexEndpointDeployedIndex, {
      deployed_index_id: 'orchestra_memory',
      dedicated_resources: { machine_spec: { machine_type: 'e2-standard-2' }, min_replica_count: 1, max_replica_count: 2 },
    });
    expect(resourcesOf(json, 'google_compute_forwarding_rule')).toHaveLength(0);
  });

  it('with Private Service Connect, allows only its project and forwards an internal address to the deployment', () => {
    const { json } = build({
      access: { type: 'private-service-connect', networkId: 'projects/p/global/networks/n', subnetId: 'projects/p/regions/r/subnetworks/s' },
      shardSize: 'SHARD_SIZE_MEDIUM',
      minReplicas: 2,
      maxReplicas: 4,
    });
    expect(onlyResource(json, 'google_vertex_ai_index_endpoint')).toMatchObject({
      public_endpoint_enabled: false,
      private_service_connect_config: { enable_private_service_connect: true, project_allowlist: ['p-123456'] },
    });
    expect(onlyResource(json, 'google_compute_address')).toMatchObject({ address_type: 'INTERNAL', subnetwork: 'projects/p/regions/r/subnetworks/s' });
    const rule = onlyResource(json, 'google_compute_forwarding_rule');
    expect(rule.target).toMatch(/^\$\{google_vertex_ai_index_endpoint_deployed_index\.\S+\.private_endpoints\[0\]\.service_attachment\}$/);
    expect(rule.load_balancing_scheme).toBe('');
    expect(onlyResource(json, 'google_vertex_ai_index_endpoint_deployed_index').dedicated_resources).toMatchObject({
      machine_spec: { machine_type: 'e2-standard-16' },
      min_replica_count: 2,
      max_replica_count: 4,
    });
  });

  it('takes initial contents and other dimensions', () => {
    const { json } = build({ initialContentsUri: 'gs://b/contents', embeddingModel: 'gemini-embedding-001', dimensions: 1536 });
    expect(onlyResource(json, 'google_vertex_ai_index').metadata).toMatchObject({ contents_delta_uri: 'gs://b/contents', config: { dimensions: 1536 } });
  });

  it("sizes the index for its embedding model, and tells the runtime both", () => {
    let vs: VectorSearch | undefined;
    const { json } = synth((s) => (vs = new VectorSearch(s, 'vs', { ...base, embeddingModel: 'gemini-embedding-001' })));
    expect(onlyResource(json, 'google_vertex_ai_index').metadata.config.dimensions).toBe(3072);
    expect(vs!.runtimeSettings.embedding).toEqual({ model: 'gemini-embedding-001', dimensions: 3072 });
    expect(vs!.runtimeSettings.vectorSearch).toEqual({ indexName: vs!.indexName, indexEndpointName: vs!.indexEndpointName, deployedIndexId: vs!.deployedIndexId, queryHost: vs!.queryHost });
    expect(() => build({ dimensions: 1024 })).toThrow(/dimensions: text-embedding-005 gives at most 768 dimensions, got 1024/);
  });

  it('grants use on the project (Vertex AI has no index-level IAM) through custom roles holding only what the calls check', () => {
    const member = 'serviceAccount:rt@p-123456.iam.gserviceaccount.com';
    const rolesOf = (props: VectorSearchProps) => {
      const { json } = synth((s) => {
        const vs = new VectorSearch(s, 'vs', props);
        vs.grantUse({ member });
        vs.grantUse({ member }); // granting twice is one binding
      });
      const roles = Object.entries(json.resource?.google_project_iam_custom_role ?? {});
      const members = resourcesOf(json, 'google_project_iam_member');
      expect(members.map((m) => ({ project: m.project, member: m.member }))).toEqual(roles.map(() => ({ project: 'p-123456', member })));
      expect(members.map((m) => m.role).sort()).toEqual(roles.map(([id]) => `\${google_project_iam_custom_role.${id}.name}`).sort());
      return Object.fromEntries(roles.map(([, r]) => [r.role_id, r.permissions]));
    };
    expect(rolesOf(base)).toEqual({
      orchestra_vector_search_user: [...VECTOR_WRITE_PERMISSIONS, ...VECTOR_PUBLIC_QUERY_PERMISSIONS].sort(),
      orchestra_vertex_model_user: [...MODEL_USER_PERMISSIONS],
    });
    const psc = rolesOf({ ...base, prefix: 'acme', access: { type: 'private-service-connect', networkId: 'n', subnetId: 's' } });
    expect(psc).toEqual({ acme_vector_search_user: [...VECTOR_WRITE_PERMISSIONS], acme_vertex_model_user: [...MODEL_USER_PERMISSIONS] });
  });

  it('rejects inconsistent sizes and a non-GCS contents URI, all at once', () => {
    expect(() => build({ minReplicas: 3, maxReplicas: 2, leafNodesToSearchPercent: 0, initialContentsUri: 's3://x' })).toThrow(
      /leafNodesToSearchPercent: 0[\s\S]*maxReplicas: 2 must be at least minReplicas \(3\)[\s\S]*initialContentsUri: must be a gs:\/\/ URI/,
    );
  });
});
