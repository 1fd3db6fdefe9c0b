/**
 * Google's IAM reference, copied for the methods the runtime calls and the predefined roles this
 * repository grants or has granted: each entry names the page it was copied from. Checked in so
 * the IAM contract test runs offline; when Google changes a page, change the entry and its
 * `checked` date together.
 *
 * Copied 2026-12 from stored copies of the pages (the dates in `checked` are the pages' own
 * "last updated" where one was shown).
 */

export interface MethodPermissions {
  /** Every permission the caller must hold; empty when Google checks none. */
  readonly permissions: readonly string[];
  /** The page the permissions were copied from. */
  readonly source: string;
  readonly note?: string;
}

/** A predefined role's permissions. */
export interface RolePermissions {
  /**
   * `complete`: the role's whole list as Google publishes it. `partial`: only the permissions
   * that bear on the runtime's calls were copied (the role holds hundreds more); enough to show
   * the role is broader, never to show it is narrow enough.
   */
  readonly copied: 'complete' | 'partial';
  readonly permissions: readonly string[];
  readonly source: string;
  readonly checked: string;
  readonly note?: string;
}

const VERTEX_REST = 'https://cloud.google.com/vertex-ai/docs/reference/rest/v1';
const FIRESTORE_MONGODB_IAM = 'https://cloud.google.com/firestore/mongodb-compatibility/docs/security/iam';
const MONGODB_TABLE = `${FIRESTORE_MONGODB_IAM} ("Required permissions for API methods", projects.databases.MongoDBCompatible; page last updated 2026-04-10)`;

/** Method (full RPC name, or `google.firestore.mongodbcompatible.<Command>`) → the permissions it checks. */
export const METHOD_PERMISSIONS: Readonly<Record<string, MethodPermissions>> = {
  'opentelemetry.proto.collector.trace.v1.TraceService.Export': {
    permissions: ['telemetry.traces.write'],
    source:
      'https://cloud.google.com/trace/docs/migrate-to-otlp-endpoints (the Telemetry (OTLP) API, telemetry.googleapis.com: the writing account needs roles/telemetry.tracesWriter) and https://cloud.google.com/iam/docs/roles-permissions/telemetry (telemetry.traces.write)',
    note: 'Checked on the project the spans name (resource attribute gcp.project_id); a project-level grant, the role\'s lowest level.',
  },
  'google.cloud.aiplatform.v1.PredictionService.Predict': {
    permissions: ['aiplatform.endpoints.predict'],
    source: 'https://cloud.google.com/vertex-ai/docs/general/iam-permissions ("Predict an endpoint": aiplatform.endpoints.predict on the endpoint resource)',
    note: 'On a publisher model (projects/…/publishers/google/models/…) the permission is held on the project: a publisher model has no IAM policy of its own.',
  },
  'google.cloud.aiplatform.v1.PredictionService.GenerateContent': {
    permissions: ['aiplatform.endpoints.predict'],
    source: 'https://cloud.google.com/vertex-ai/generative-ai/docs/access-control ("Make prompt requests": aiplatform.endpoints.predict)',
  },
  'google.cloud.aiplatform.v1.PredictionService.StreamGenerateContent': {
    permissions: ['aiplatform.endpoints.predict'],
    source: 'https://cloud.google.com/vertex-ai/generative-ai/docs/access-control ("Make prompt requests": aiplatform.endpoints.predict)',
    note: "The stored REST pages of the streaming methods on the same resource (endpoints / publishers.models serverStreamingPredict, streamRawPredict) each name aiplatform.endpoints.predict; streamGenerateContent's own page was not among the stored ones. Verify on the live page when next editing.",
  },
  'google.cloud.aiplatform.v1.IndexService.UpsertDatapoints': {
    permissions: ['aiplatform.indexes.update'],
    source: `${VERTEX_REST}/projects.locations.indexes/upsertDatapoints ("IAM Permissions")`,
    note: "The stored copy of the upsertDatapoints page had no IAM section; its sibling removeDatapoints (same `index` resource, same write) names aiplatform.indexes.update, as does the Vertex AI IAM permissions page for updating an index. Verify on the live page when next editing.",
  },
  'google.cloud.aiplatform.v1.IndexService.RemoveDatapoints': {
    permissions: ['aiplatform.indexes.update'],
    source: `${VERTEX_REST}/projects.locations.indexes/removeDatapoints ("IAM Permissions": aiplatform.indexes.update on the index resource)`,
  },
  'google.cloud.aiplatform.v1.MatchService.FindNeighbors': {
    permissions: ['aiplatform.indexEndpoints.queryVectors'],
    source: `${VERTEX_REST}/projects.locations.indexEndpoints/findNeighbors ("IAM Permissions")`,
    note: "Not confirmed from a stored copy of Google's page in this session: no copy of the findNeighbors page's IAM section was found. aiplatform.indexEndpoints.queryVectors is the only query permission in the aiplatform.* list of roles/aiplatform.user and roles/aiplatform.viewer (IAM API role definitions, 2026-08-22). Verify on the live page.",
  },
  'google.cloud.aiplatform.container.v1.MatchService.Match': {
    permissions: [],
    source: 'https://cloud.google.com/vertex-ai/docs/vector-search/jwt-auth',
    note: "No IAM check: the private match service on <ip>:10000 is reached over plaintext gRPC without Google credentials (python-aiplatform's _instantiate_private_match_service_stub opens grpc.insecure_channel). Google's JWT page: authentication of private (VPC peering / PSC) endpoints is an opt-in signed JWT for the data-plane MatchService; IAM roles secure only the admin APIs. Access is the network's: the PSC forwarding rule in the VPC and the endpoint's project allowlist.",
  },
  'google.firestore.mongodbcompatible.Find': { permissions: ['datastore.entities.get', 'datastore.entities.list'], source: MONGODB_TABLE },
  'google.firestore.mongodbcompatible.Update': {
    permissions: ['datastore.entities.get', 'datastore.entities.list', 'datastore.entities.update', 'datastore.entities.create'],
    source: MONGODB_TABLE,
    note: 'datastore.entities.create is "for upsert only"; the runtime replaces with upsert: true.',
  },
  'google.firestore.mongodbcompatible.Insert': {
    permissions: ['datastore.entities.create'],
    source: MONGODB_TABLE,
    note: 'The stored excerpts of the table did not show the Insert row; datastore.entities.create is what the table gives for creating a document (Update lists it "for upsert only"). Verify on the live page when next editing.',
  },
  'google.firestore.mongodbcompatible.Delete': {
    permissions: ['datastore.entities.delete'],
    source: MONGODB_TABLE,
    note: 'Google\'s table has no row for the delete command; FindAndModify lists datastore.entities.delete "for delete only", and the permissions table describes it as "Delete a document". Inferred, not copied.',
  },
  'google.firestore.mongodbcompatible.ListIndexes': {
    permissions: ['datastore.schemas.list'],
    source: MONGODB_TABLE,
    note: 'Older copies of the page say datastore.indexes.list; the page notes datastore.schemas.* were previously named datastore.indexes.* and that datastore.indexes stays an alias.',
  },
  'google.firestore.mongodbcompatible.EndSessions': { permissions: ['datastore.databases.get'], source: MONGODB_TABLE },
  'google.firestore.mongodbcompatible.Ping': {
    permissions: [],
    source: MONGODB_TABLE,
    note: 'ping is not in Google\'s table (it reads no document); no permission is assumed.',
  },
  'google.cloud.secretmanager.v1.SecretManagerService.AccessSecretVersion': {
    permissions: ['secretmanager.versions.access'],
    source: 'https://cloud.google.com/iam/docs/roles-permissions/secretmanager (roles/secretmanager.secretAccessor: "Allows accessing the payload of secrets"); https://cloud.google.com/secret-manager/docs/access-secret-version ("Required roles")',
    note: 'Performed by Cloud Run as the service account when an instance starts with a secret mounted as a variable (https://cloud.google.com/run/docs/configuring/services/secrets).',
  },
};

/** Predefined role → its permissions. */
export const ROLE_PERMISSIONS: Readonly<Record<string, RolePermissions>> = {
  'roles/telemetry.tracesWriter': {
    copied: 'complete',
    permissions: ['telemetry.traces.write'],
    source: 'https://cloud.google.com/iam/docs/roles-permissions/telemetry ("Cloud Telemetry Traces Writer": access to write trace spans)',
    checked: '2025-10-29 (page last updated)',
    note: 'Narrower than roles/cloudtrace.agent (cloudtrace.traces.patch and telemetry.traces.write), which the Cloud Trace API exporter would need. The stored copies of the role page render its list ambiguously; Cloud Telemetry Writer lists telemetry.metrics.write and telemetry.traces.write. Verify on the live page when next editing.',
  },
  'roles/secretmanager.secretAccessor': {
    copied: 'complete',
    permissions: ['resourcemanager.projects.get', 'resourcemanager.projects.list', 'secretmanager.versions.access'],
    source: 'https://cloud.google.com/iam/docs/roles-permissions/secretmanager',
    checked: '2026-08-22 (same list in the IAM API\'s role definition)',
    note: 'Lowest-level resource it can be granted on: Secret. Granted on a secret, the resourcemanager.projects.* permissions apply to no resource (a secret has no project below it).',
  },
  'roles/datastore.user': {
    copied: 'complete',
    permissions: [
      'appengine.applications.get',
      'databasesconsole.locations.get',
      'databasesconsole.locations.list',
      'databasesconsole.studioQueries.create',
      'databasesconsole.studioQueries.delete',
      'databasesconsole.studioQueries.search',
      'databasesconsole.studioQueries.update',
      'datastore.databases.get',
      'datastore.databases.getMetadata',
      'datastore.databases.list',
      'datastore.entities.allocateIds',
      'datastore.entities.create',
      'datastore.entities.delete',
      'datastore.entities.get',
      'datastore.entities.list',
      'datastore.entities.update',
      'datastore.namespaces.get',
      'datastore.namespaces.list',
      'datastore.schemas.list',
      'datastore.statistics.get',
      'datastore.statistics.list',
      'resourcemanager.projects.get',
      'resourcemanager.projects.list',
    ],
    source: 'https://cloud.google.com/iam/docs/roles-permissions/firestore (Cloud Datastore User); the Firestore with MongoDB compatibility IAM page lists the same with datastore.entities.* for the six entity permissions and without the databasesconsole.* ones',
    checked: '2026-08-22 (IAM API role definition, 23 permissions)',
  },
  'roles/aiplatform.user': {
    copied: 'partial',
    permissions: [
      'aiplatform.endpoints.create',
      'aiplatform.endpoints.delete',
      'aiplatform.endpoints.deploy',
      'aiplatform.endpoints.predict',
      'aiplatform.indexEndpoints.create',
      'aiplatform.indexEndpoints.delete',
      'aiplatform.indexEndpoints.deploy',
      'aiplatform.indexEndpoints.get',
      'aiplatform.indexEndpoints.list',
      'aiplatform.indexEndpoints.queryVectors',
      'aiplatform.indexEndpoints.undeploy',
      'aiplatform.indexEndpoints.update',
      'aiplatform.indexes.create',
      'aiplatform.indexes.delete',
      'aiplatform.indexes.get',
      'aiplatform.indexes.list',
      'aiplatform.indexes.update',
      'resourcemanager.projects.get',
      'resourcemanager.projects.list',
    ],
    source: 'https://cloud.google.com/iam/docs/roles-permissions/aiplatform (Vertex AI User)',
    checked: '2026-08-22 (IAM API role definition: 446 permissions; only the endpoint, index and index-endpoint ones are copied)',
  },
};
