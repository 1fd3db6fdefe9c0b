/**
 * The indexes mid-term memory's queries rely on, written once: the infrastructure declares them
 * (Firestore: `google_firestore_index` and a TTL policy, created by the deployer), the runtime
 * only verifies them at start (its service account has `roles/datastore.user`, which cannot
 * create Firestore indexes: Google's "Manage indexes" page for Firestore with MongoDB
 * compatibility requires `roles/datastore.indexAdmin`, `roles/datastore.owner`, editor or
 * owner) and creates them itself only where told to (self-hosted MongoDB, FerretDB).
 */
import { DEFAULTS } from './defaults';
import type { Rule } from './rules';

/** 1 ascending, -1 descending: MongoDB's key notation, which `createIndex` and `listIndexes` use. */
export type IndexDirection = 1 | -1;

export interface MidTermIndexField {
  readonly field: string;
  readonly direction: IndexDirection;
}

export interface MidTermIndex {
  /**
   * The name the runtime gives the index when it creates it. Verification matches on the key
   * alone: an index declared through Firestore's admin API gets a server-chosen name.
   */
  readonly name: string;
  /** In index order. */
  readonly fields: readonly MidTermIndexField[];
  /** The query it serves, for warnings that say what is slow without it. */
  readonly serves: string;
}

export interface MidTermTtl {
  /** The name the runtime gives the TTL index when it creates it (MongoDB, FerretDB). */
  readonly name: string;
  /** A date field: the document may be deleted once the date has passed. */
  readonly field: string;
  /**
   * Seconds after `field`'s date. 0: the field holds the expiry itself, which is also the only
   * shape Firestore's TTL policy without an offset has (`ttl_config {}`).
   */
  readonly expireAfterSeconds: 0;
}

/**
 * A memory namespace: the runtime's rule for ORCHESTRA_MEMORY_NAMESPACE. Collection names made
 * from it never match `__.*__`, which Firestore with MongoDB compatibility reserves (Google's
 * "Behavior differences" page).
 */
export const MEMORY_NAMESPACE: Rule = Object.freeze({ pattern: /^[A-Za-z0-9_-]{1,40}$/, expected: 'letters, digits, _ or -, at most 40' });

/** The collection mid-term memory keeps its documents in. */
export function midTermCollectionName(namespace: string = DEFAULTS.memoryNamespace): string {
  return `${namespace}_memories`;
}

/**
 * Where erasures are recorded beside the items: their receipts, and one tombstone per erased
 * target. Both are read by `_id` only (no index to declare) and never expire: they are the proof.
 */
export function erasureCollectionNames(namespace: string = DEFAULTS.memoryNamespace): { readonly records: string; readonly tombstones: string } {
  return { records: `${namespace}_erasures`, tombstones: `${namespace}_tombstones` };
}

/**
 * Read by conversation, newest first (`byConversation`, `idsOfConversation`, `deleteConversation`).
 * The query also orders by `_id` descending to break ties; Firestore appends `__name__` to a
 * composite index in the direction of its last field (Index.fields in Google's Firestore Admin
 * API reference), which is that order.
 */
export const MID_TERM_INDEXES: readonly MidTermIndex[] = Object.freeze([
  Object.freeze({
    name: 'conversation_recent',
    fields: Object.freeze([Object.freeze({ field: 'conversationId', direction: 1 as const }), Object.freeze({ field: 'createdAt', direction: -1 as const })]),
    serves: 'reads by conversation, newest first',
  }),
]);

/**
 * Server-side deletion of expired documents. Reads filter expired documents out themselves, so
 * without it nothing expired is ever returned; the documents are only kept (and stored) longer.
 */
export const MID_TERM_TTL: MidTermTtl = Object.freeze({ name: 'expiry', field: 'expiresAt', expireAfterSeconds: 0 });

/** `index` as a MongoDB key document (`{ conversationId: 1, createdAt: -1 }`). */
export function mongoIndexKey(index: Pick<MidTermIndex, 'fields'>): Record<string, IndexDirection> {
  return Object.fromEntries(index.fields.map((f) => [f.field, f.direction]));
}
