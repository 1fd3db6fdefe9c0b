/**
 * The Google API each Terraform resource type is created and read through, from the REST
 * reference of each service (the provider calls exactly these endpoints). On a fresh project an
 * API must be enabled before the first call to it, so a resource must wait for its API's
 * `google_project_service` — including `cloudresourcemanager.googleapis.com`, which every
 * project-level IAM binding goes through (projects.getIamPolicy / setIamPolicy).
 *
 * `serviceusage.googleapis.com` (which `google_project_service` itself calls) is enabled by
 * default on every new project ("Enabling and disabling services",
 * https://cloud.google.com/service-usage/docs/enable-disable), so it is not in this table's APIs
 * to enable.
 */
export interface ResourceApi {
  /** APIs the provider calls for this type. */
  readonly apis: readonly string[];
  /** Where Google documents the methods behind it. */
  readonly source: string;
}

const COMPUTE: ResourceApi = { apis: ['compute.googleapis.com'], source: 'https://cloud.google.com/compute/docs/reference/rest/v1' };
const RUN: ResourceApi = { apis: ['run.googleapis.com'], source: 'https://cloud.google.com/run/docs/reference/rest/v2/projects.locations.services' };
const SECRETS: ResourceApi = { apis: ['secretmanager.googleapis.com'], source: 'https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets' };
const IAM: ResourceApi = { apis: ['iam.googleapis.com'], source: 'https://cloud.google.com/iam/docs/reference/rest' };
const FIRESTORE: ResourceApi = { apis: ['firestore.googleapis.com'], source: 'https://cloud.google.com/firestore/docs/reference/rest/v1/projects.databases' };
const VERTEX: ResourceApi = { apis: ['aiplatform.googleapis.com'], source: 'https://cloud.google.com/vertex-ai/docs/reference/rest/v1/projects.locations.indexEndpoints' };
const STORAGE: ResourceApi = { apis: ['storage.googleapis.com'], source: 'https://cloud.google.com/storage/docs/json_api/v1/buckets' };
const REGISTRY: ResourceApi = { apis: ['artifactregistry.googleapis.com'], source: 'https://cloud.google.com/artifact-registry/docs/reference/rest/v1/projects.locations.repositories' };

export const RESOURCE_APIS: Readonly<Record<string, ResourceApi>> = {
  google_artifact_registry_repository: REGISTRY,
  google_artifact_registry_repository_iam_member: REGISTRY,
  google_cloud_run_v2_service: RUN,
  google_cloud_run_v2_service_iam_member: RUN,
  google_compute_address: COMPUTE,
  google_compute_backend_service: COMPUTE,
  google_compute_firewall: COMPUTE,
  google_compute_forwarding_rule: COMPUTE,
  google_compute_global_address: COMPUTE,
  google_compute_global_forwarding_rule: COMPUTE,
  google_compute_managed_ssl_certificate: COMPUTE,
  google_compute_network: COMPUTE,
  google_compute_region_network_endpoint_group: COMPUTE,
  google_compute_router: COMPUTE,
  google_compute_router_nat: COMPUTE,
  google_compute_security_policy: COMPUTE,
  google_compute_ssl_policy: COMPUTE,
  google_compute_subnetwork: COMPUTE,
  google_compute_target_https_proxy: COMPUTE,
  google_compute_url_map: COMPUTE,
  google_firestore_database: FIRESTORE,
  google_firestore_field: FIRESTORE,
  google_firestore_index: FIRESTORE,
  google_iam_workload_identity_pool: IAM,
  google_iam_workload_identity_pool_provider: IAM,
  google_project_iam_custom_role: { apis: ['iam.googleapis.com'], source: 'https://cloud.google.com/iam/docs/reference/rest/v1/projects.roles' },
  google_project_iam_member: {
    apis: ['cloudresourcemanager.googleapis.com'],
    source: 'https://cloud.google.com/resource-manager/reference/rest/v1/projects/setIamPolicy',
  },
  google_redis_instance: { apis: ['redis.googleapis.com'], source: 'https://cloud.google.com/memorystore/docs/redis/reference/rest/v1/projects.locations.instances' },
  google_secret_manager_secret: SECRETS,
  google_secret_manager_secret_iam_member: SECRETS,
  google_secret_manager_secret_version: SECRETS,
  google_service_account: IAM,
  google_service_account_iam_member: IAM,
  // The connection is made through Service Networking and peers the VPC (a Compute Engine resource).
  google_service_networking_connection: {
    apis: ['servicenetworking.googleapis.com', 'compute.googleapis.com'],
    source: 'https://cloud.google.com/service-infrastructure/docs/service-networking/reference/rest/v1/services.connections',
  },
  google_storage_bucket: STORAGE,
  google_storage_bucket_iam_member: STORAGE,
  google_vertex_ai_index: VERTEX,
  google_vertex_ai_index_endpoint: VERTEX,
  google_vertex_ai_index_endpoint_deployed_index: VERTEX,
};

/** The APIs `type` needs, or `undefined` for a type this table does not know. */
export function apisOf(type: string): readonly string[] | undefined {
  return RESOURCE_APIS[type]?.apis;
}
