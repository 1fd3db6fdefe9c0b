/**
 * The Google API methods the runtime's service account is used for, and when: the runtime's side
 * of the IAM contract. The infrastructure grants the account exactly what these calls need
 * (test/environments/iam-contract.test.ts maps each method to its IAM permission from Google's
 * reference, and fails on a missing or an unneeded grant); a runtime test fails when a call site
 * uses a client method that is not declared here.
 */
import type { RuntimeConfig } from './runtime-config';

/** Who makes the call with the service account's identity. */
export type GoogleApiCaller =
  /** The runtime process, with the credentials of the account it runs as. */
  | 'runtime'
  /** Cloud Run, on the account's behalf, when it starts an instance (secrets mounted as variables). */
  | 'cloud-run';

/** What a call depends on: the parsed settings, and which variables the platform mounts from a secret. */
export interface GoogleApiCallContext {
  readonly config: RuntimeConfig;
  /** Variables rendered as secret references, each with the secret that feeds it. */
  readonly secretVariables: Readonly<Record<string, string>>;
}

export interface GoogleApiCall {
  /**
   * The method: a gRPC method's full name (`package.Service.Method`), or for Firestore with
   * MongoDB compatibility the wire command under `google.firestore.mongodbcompatible` (Google's
   * IAM page names them `projects.databases.MongoDBCompatible` `Find`, `Update`, ...).
   */
  readonly method: string;
  readonly caller: GoogleApiCaller;
  /** runtime/src files that make the call (empty for calls the platform makes). */
  readonly callSites: readonly string[];
  /** The resources called, in the settings `context` gives; none when the call is not made. */
  targets(context: GoogleApiCallContext): readonly string[];
  /** Why the runtime makes it. */
  readonly purpose: string;
}

/** The Firestore database a MongoDB URI names, when it is a Firestore with MongoDB compatibility one. */
export function firestoreDatabaseOf(config: RuntimeConfig): string | undefined {
  const mongo = config.memory.mongo;
  const project = config.google.projectId;
  if (!mongo || !project) return undefined;
  // Google's documented form: mongodb://UID.LOCATION.firestore.goog:443/DATABASE?…
  const host = /^mongodb(?:\+srv)?:\/\/(?:[^@/]*@)?([^/:?]+)/.exec(mongo.uri)?.[1];
  if (!host || !host.endsWith('.firestore.goog')) return undefined;
  return `projects/${project}/databases/${mongo.database}`;
}

/** A Google model in `location` (a deployment's own, else the runtime's region). */
function publisherModel(config: RuntimeConfig, model: string, location = config.google.region): string {
  return `projects/${config.google.projectId}/locations/${location}/publishers/google/models/${model}`;
}

const vectorSearch = (c: GoogleApiCallContext) => c.config.memory.vectorSearch;
const firestore = (c: GoogleApiCallContext) => {
  const db = firestoreDatabaseOf(c.config);
  return db ? [db] : [];
};

/** The publisher models of the vertex-gemini LLM deployments. */
const geminiModels = (c: GoogleApiCallContext) => [...new Set(c.config.llm.deployments.filter((d) => d.provider === 'vertex-gemini').map((d) => publisherModel(c.config, d.model, d.location)))];

const LONG_TERM = ['memory/long-term/vertex-long-term.ts'];
const MID_TERM = ['memory/mid-term/mongo-mid-term.ts'];

/** Prefix of the MongoDB wire commands as methods of Firestore with MongoDB compatibility. */
export const FIRESTORE_MONGODB = 'google.firestore.mongodbcompatible';

export const GOOGLE_API_CALLS: readonly GoogleApiCall[] = Object.freeze([
  {
    // Google's Telemetry API serves the OTLP service itself (https://cloud.google.com/stackdriver/docs/reference/telemetry/overview).
    method: 'opentelemetry.proto.collector.trace.v1.TraceService.Export',
    caller: 'runtime',
    callSites: ['telemetry/sdk.ts'],
    targets: (c) => (c.config.telemetry?.google && c.config.google.projectId ? [`projects/${c.config.google.projectId}/traces`] : []),
    purpose: "export the runtime's trace spans to Cloud Trace (the Telemetry (OTLP) API)",
  },
  {
    method: 'google.cloud.aiplatform.v1.PredictionService.Predict',
    caller: 'runtime',
    callSites: ['memory/long-term/vertex-embedder.ts'],
    targets: (c) => (vectorSearch(c) ? [publisherModel(c.config, c.config.memory.embedding.model)] : []),
    purpose: 'embed texts stored in and searched for in long-term memory',
  },
  {
    method: 'google.cloud.aiplatform.v1.PredictionService.GenerateContent',
    caller: 'runtime',
    callSites: ['llm/vertex-gemini-model.ts'],
    targets: geminiModels,
    purpose: 'answer with Gemini (a vertex-gemini LLM deployment)',
  },
  {
    method: 'google.cloud.aiplatform.v1.PredictionService.StreamGenerateContent',
    caller: 'runtime',
    callSites: ['llm/vertex-gemini-model.ts'],
    targets: geminiModels,
    purpose: 'stream an answer from Gemini (a streamed reply on a vertex-gemini LLM deployment)',
  },
  {
    method: 'google.cloud.aiplatform.v1.IndexService.UpsertDatapoints',
    caller: 'runtime',
    callSites: LONG_TERM,
    targets: (c) => (vectorSearch(c) ? [vectorSearch(c)!.indexName] : []),
    purpose: 'store long-term memories',
  },
  {
    method: 'google.cloud.aiplatform.v1.IndexService.RemoveDatapoints',
    caller: 'runtime',
    callSites: LONG_TERM,
    targets: (c) => (vectorSearch(c) ? [vectorSearch(c)!.indexName] : []),
    purpose: 'forget long-term memories',
  },
  {
    method: 'google.cloud.aiplatform.v1.MatchService.FindNeighbors',
    caller: 'runtime',
    callSites: LONG_TERM,
    targets: (c) => (vectorSearch(c) && (vectorSearch(c)!.access ?? 'public') === 'public' ? [vectorSearch(c)!.indexEndpointName] : []),
    purpose: 'search long-term memory on a public endpoint (and the readiness probe)',
  },
  {
    method: 'google.cloud.aiplatform.container.v1.MatchService.Match',
    caller: 'runtime',
    callSites: ['memory/long-term/vertex-private-match.ts'],
    targets: (c) => (vectorSearch(c)?.access === 'private' ? [vectorSearch(c)!.indexEndpointName] : []),
    purpose: 'search long-term memory on a Private Service Connect endpoint (plaintext gRPC to <ip>:10000)',
  },
  // Firestore with MongoDB compatibility, authenticated as the service account (MONGODB-OIDC).
  // An external MongoDB (Atlas) is no Google API: its user and password are the URI's.
  { method: `${FIRESTORE_MONGODB}.Find`, caller: 'runtime', callSites: MID_TERM, targets: firestore, purpose: 'read mid-term memories (findOne, find)' },
  { method: `${FIRESTORE_MONGODB}.Update`, caller: 'runtime', callSites: MID_TERM, targets: firestore, purpose: 'write mid-term memories (replaceOne with upsert)' },
  { method: `${FIRESTORE_MONGODB}.Insert`, caller: 'runtime', callSites: MID_TERM, targets: firestore, purpose: 'claim a run stopped for approval once (insertOne: insertIfAbsent)' },
  { method: `${FIRESTORE_MONGODB}.Delete`, caller: 'runtime', callSites: MID_TERM, targets: firestore, purpose: 'forget mid-term memories (deleteOne, deleteMany)' },
  { method: `${FIRESTORE_MONGODB}.ListIndexes`, caller: 'runtime', callSites: MID_TERM, targets: firestore, purpose: 'verify at start that the indexes the infrastructure declares exist' },
  { method: `${FIRESTORE_MONGODB}.Ping`, caller: 'runtime', callSites: MID_TERM, targets: firestore, purpose: 'readiness probe' },
  // The driver ends its implicit sessions when the client closes (MongoClient.close → endSessions).
  { method: `${FIRESTORE_MONGODB}.EndSessions`, caller: 'runtime', callSites: MID_TERM, targets: firestore, purpose: 'close the client on shutdown' },
  {
    method: 'google.cloud.secretmanager.v1.SecretManagerService.AccessSecretVersion',
    caller: 'cloud-run',
    callSites: [],
    targets: (c) => [...new Set(Object.values(c.secretVariables))],
    purpose: 'Cloud Run reads each secret mounted as a variable when it starts an instance, as the service account',
  },
] satisfies GoogleApiCall[]);

/**
 * The MongoDB driver methods mid-term memory may use, by the wire command each sends (the names
 * of Google's table for Firestore with MongoDB compatibility). A method missing here fails the
 * runtime's call-site test: say what it sends before using it.
 */
export const MONGODB_DRIVER_COMMANDS: Readonly<Record<string, string>> = Object.freeze({
  find: 'Find',
  findOne: 'Find',
  replaceOne: 'Update',
  insertOne: 'Insert',
  deleteOne: 'Delete',
  deleteMany: 'Delete',
  listIndexes: 'ListIndexes',
  command: 'Ping',
  close: 'EndSessions',
  createIndex: 'CreateIndexes',
  // The handshake and MONGODB-OIDC authentication: no method of Google's table.
  connect: 'Connect',
  db: 'None',
  collection: 'None',
});

/**
 * Wire commands the mid-term store sends only to servers that are not Firestore, so never with
 * the service account's identity; each with the reason.
 */
export const NOT_SENT_TO_FIRESTORE: Readonly<Record<string, string>> = Object.freeze({
  CreateIndexes: 'only with manageIndexes (self-hosted MongoDB, FerretDB); on Firestore the deployer creates the indexes (FirestoreMongoDatabase)',
  Connect: 'connection handshake and authentication (MONGODB-OIDC with the account\'s token): not an IAM-checked method',
  None: 'a local handle, no command',
});

/** The calls made in `context`, each with the resources it targets. */
export function googleApiCallsIn(context: GoogleApiCallContext): { call: GoogleApiCall; targets: readonly string[] }[] {
  return GOOGLE_API_CALLS.map((call) => ({ call, targets: call.targets(context) })).filter((c) => c.targets.length > 0);
}
