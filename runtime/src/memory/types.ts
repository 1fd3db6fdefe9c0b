/**
 * The layered memory's contracts: what an item is, and the one interface per layer that both the
 * production backend and the embedded one implement. The manager only ever talks to these.
 */

/** How long an item lives, and so which layers hold it. */
export type Importance = 'low' | 'medium' | 'high';

export type LayerName = 'short-term' | 'mid-term' | 'long-term';

/** JSON-serializable data. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** One piece of memory: a conversation turn, a fact, a summary. */
export interface MemoryItem {
  /** Unique id; storing the same id again overwrites. */
  readonly id: string;
  readonly content: string;
  /** The conversation it belongs to; items without one are reachable by id and by search only. */
  readonly conversationId?: string;
  /**
   * Isolation boundary: a read for one tenant never returns another's items. Callers that share
   * one memory between tenants also make ids tenant-specific (`scopedId`).
   */
  readonly tenantId?: string;
  /** Who said it: `user`, `assistant`, an agent's name… */
  readonly role?: string;
  readonly metadata?: Readonly<Record<string, Json>>;
  /** ISO-8601 time; set by the manager when missing. */
  readonly createdAt?: string;
  /**
   * ISO-8601 time the item happened (a turn said, a fact learnt), which may be long before it was
   * stored (an imported history). Retrieval's time ranges apply to it. @default createdAt
   */
  readonly occurredAt?: string;
}

/**
 * An item as stored: `createdAt` always present; `occurredAt` set by `store`, absent only on items
 * stored before it existed (`occurredAtOf` reads those as `createdAt`).
 */
export interface StoredItem extends MemoryItem {
  readonly createdAt: string;
}

/** When `item` happened: its `occurredAt`, or `createdAt` for an item stored without one. */
export function occurredAtOf(item: StoredItem): string {
  return item.occurredAt ?? item.createdAt;
}

/**
 * A half-open time range `[occurredAfter, occurredBefore)` on `occurredAt`, ISO-8601 date-times;
 * an open end when undefined. Half-open so adjacent ranges (one day, the next) never both hold an
 * item, as Vector Search's numeric restricts GREATER_EQUAL and LESS express it.
 */
export interface TimeRange {
  /** Only items that occurred at or after this instant. */
  readonly occurredAfter?: string;
  /** Only items that occurred strictly before this instant. */
  readonly occurredBefore?: string;
}

/** Whether `item` falls within `range` (every item when neither end is given). */
export function occurredWithin(item: StoredItem, range: TimeRange): boolean {
  return withinMillis(Date.parse(occurredAtOf(item)), range);
}

/** Whether the instant `ms` (since the epoch) falls within `range`; NaN (unknown) never does when an end is given. */
export function withinMillis(ms: number, range: TimeRange): boolean {
  if (range.occurredAfter !== undefined && !(ms >= Date.parse(range.occurredAfter))) return false;
  if (range.occurredBefore !== undefined && !(ms < Date.parse(range.occurredBefore))) return false;
  return true;
}

/** Backend state for health reporting (`/readyz`). */
export interface LayerStatus {
  readonly layer: LayerName;
  /** `redis`, `mongodb`, `vertex-ai`, or `embedded`. */
  readonly backend: string;
  /** True for the in-process stores: nothing survives a restart or is shared between instances. */
  readonly embedded: boolean;
  readonly ok: boolean;
  readonly detail?: string;
}

interface Layer {
  /** Connects and prepares (indexes, scripts). Idempotent. */
  init(): Promise<void>;
  /** For a layer that connects lazily: connect now (e.g. right after the service is ready). */
  warmUp?(): Promise<void>;
  status(): Promise<LayerStatus>;
  close(): Promise<void>;
}

/**
 * Only items stored with this `tenantId`; undefined: any. Every read that returns items takes one,
 * and a backend applies it to what it found, so an item of another tenant is never returned even
 * if an id or key were ever shared (ids are tenant-scoped too; this is the second wall).
 */
export type TenantFilter = string | undefined;

/** Short-term memory: fast, expiring, per-conversation recent turns (Redis). */
export interface ShortTermStore extends Layer {
  /**
   * Stores `item` by id and appends it to its conversation's recent list, trimmed to `keep`
   * newest, both expiring after `ttlSeconds` (fractions allowed): one round trip.
   */
  remember(item: StoredItem, keep: number, ttlSeconds?: number): Promise<void>;
  /** The newest `limit` items of a conversation, oldest first: one round trip. */
  recent(conversationId: string, limit: number, tenantId?: TenantFilter): Promise<StoredItem[]>;
  getItem(id: string, tenantId?: TenantFilter): Promise<StoredItem | undefined>;
  /** The items of `ids` still alive, in no particular order: one round trip. */
  getItems(ids: readonly string[], tenantId?: TenantFilter): Promise<StoredItem[]>;
  /** Removes one item (and its entry in its conversation's list). Returns whether it existed. */
  forgetItem(id: string): Promise<boolean>;
  /** Removes a conversation's list and its items. Returns how many items were removed. */
  forgetConversation(conversationId: string): Promise<number>;
  /**
   * Removes every item of a tenant: its conversations (stored ids `scopedId(tenant, …)`) and
   * items stored under its scoped ids. Returns how many items were removed.
   */
  forgetTenant(tenantId: string): Promise<number>;
}

/** What an erasure removed: a conversation, one item, or everything of a tenant. `id` is the stored (tenant-scoped) id, or the tenant. */
export interface ErasureTarget {
  readonly kind: 'conversation' | 'item' | 'tenant';
  readonly id: string;
}

/**
 * The record an erasure leaves: what, when, and at whose request, never any content. Written
 * before anything is removed (`pending`), then `complete` or `failed`, so an operator can prove
 * what was erased and see what is still owed. Kept until removed by hand.
 */
export interface ErasureRecord {
  /** The receipt's id, given to the caller. */
  readonly id: string;
  readonly tenantId?: string;
  readonly target: ErasureTarget;
  /** Who asked: an API key's fingerprint (`tenant:<tenant>#<sha256 prefix>`), never the key. */
  readonly requestedBy: string;
  /** ISO-8601. Writes begun before this instant into the target are refused from now on (a tombstone). */
  readonly requestedAt: string;
  readonly state: 'pending' | 'complete' | 'failed';
  readonly completedAt?: string;
  /** Items removed per layer (long-term: removals requested). */
  readonly removed?: Readonly<Record<LayerName, number>>;
  /** `"<layer>: <reason>"` of a failed attempt; a retry is a new erasure with its own record. */
  readonly failures?: readonly string[];
}

/** Mid-term memory: durable documents with an expiry (MongoDB / Firestore). */
export interface MidTermStore extends Layer {
  /** Inserts or replaces by id. `expiresAt` undefined: kept until forgotten. */
  upsert(item: StoredItem, expiresAt?: Date): Promise<void>;
  /**
   * Inserts unless an unexpired item has this id, atomically: of any number of concurrent calls
   * for one id, on any number of instances, exactly one gets `true` (a claim, e.g. on a run
   * stopped for approval). An expired item with the id counts as absent and is replaced.
   */
  insertIfAbsent(item: StoredItem, expiresAt?: Date): Promise<boolean>;
  get(id: string, tenantId?: TenantFilter): Promise<StoredItem | undefined>;
  /** Items by id, unexpired ones only, in no particular order. */
  getMany(ids: readonly string[], tenantId?: TenantFilter): Promise<StoredItem[]>;
  /** The newest `limit` unexpired items of a conversation, newest first; with `range`, only those that occurred within it. */
  byConversation(conversationId: string, limit: number, tenantId?: TenantFilter, range?: TimeRange): Promise<StoredItem[]>;
  /** Ids of every item of a conversation, expired or not (what `forget` must also remove elsewhere). */
  idsOfConversation(conversationId: string, tenantId?: TenantFilter): Promise<string[]>;
  /** With `tenantId`, an item of another tenant is left alone (and not counted). */
  delete(id: string, tenantId?: TenantFilter): Promise<boolean>;
  deleteConversation(conversationId: string, tenantId?: TenantFilter): Promise<number>;
  /** Up to `limit` ids of a tenant's items, expired or not, in no particular order (a purge's next batch). */
  idsOfTenant(tenantId: string, limit: number): Promise<string[]>;
  /** Deletes these items of `tenantId` (others are left alone). Returns how many were deleted. */
  deleteMany(ids: readonly string[], tenantId: TenantFilter): Promise<number>;
  /**
   * Inserts or replaces an erasure's record by id and moves its target's tombstone to
   * `requestedAt` (`tombstoneKey`). The record holds no content.
   */
  recordErasure(record: ErasureRecord): Promise<void>;
  /** A record, within `tenantId` when given. */
  getErasure(id: string, tenantId?: TenantFilter): Promise<ErasureRecord | undefined>;
  /** For each key (`tombstoneKey`) erased at least once: the latest erasure's `requestedAt`, in ms since the epoch. */
  tombstones(keys: readonly string[]): Promise<Map<string, number>>;
}

/** A neighbour found by vector search. */
export interface VectorMatch {
  readonly id: string;
  /**
   * Relevance, higher is closer. A dense-only search (`alpha` 1): the cosine similarity in
   * [-1, 1] (dot product of unit vectors). A hybrid one: the fused reciprocal-rank score
   * (`fuseRanks`), comparable only within one answer.
   */
  readonly score: number;
  /** Cosine similarity of the dense embeddings, when the dense search ranked the item. */
  readonly dense?: number;
  /** Lexical score (BM25 in the embedded index, the sparse dot product in Vector Search), when the lexical search ranked it. */
  readonly lexical?: number;
}

export interface VectorSearchOptions extends TimeRange {
  readonly limit: number;
  /** Only items of this tenant (both signals). */
  readonly tenantId?: string;
  /** Only items of this conversation (both signals). */
  readonly conversationId?: string;
  /**
   * Weight of the dense ranking against the lexical one in reciprocal-rank fusion, as Vector
   * Search's `RRF.alpha`: 1 dense only, 0 lexical only. @default the store's own
   */
  readonly alpha?: number;
}

/** Long-term memory: semantic search over embedded content (Vertex AI Vector Search). */
export interface LongTermStore extends Layer {
  /** Embeds (as documents) and upserts; tenant, conversation and `occurredAt` become search restricts. */
  upsert(items: readonly StoredItem[]): Promise<void>;
  /** Embeds `query` (as a query) and returns the nearest items, best first. */
  search(query: string, options: VectorSearchOptions): Promise<VectorMatch[]>;
  remove(ids: readonly string[]): Promise<void>;
  /**
   * Scores at or below this are unrelated text for the store's embedder (`Embedder.minRelatedScore`);
   * undefined: none is known, and matches are ranked, not cut.
   */
  readonly minRelatedScore?: number;
}

/** Turns texts into unit-length vectors. */
export interface Embedder {
  readonly dimensions: number;
  /**
   * The cosine similarity at or below which a query and a document are unrelated text, as
   * measured or documented for this embedder: the default cutoff of semantic matches. Undefined
   * when nothing says where it lies; matches are then ranked only.
   */
  readonly minRelatedScore?: number;
  /**
   * The weight of this embedder's ranking against BM25's in hybrid search (0 BM25 only, 1 dense
   * only), when it has one of its own; undefined: `DEFAULT_HYBRID_ALPHA`, equal weight.
   */
  readonly hybridAlpha?: number;
  /** `document` when storing, `query` when searching (models embed the two differently). */
  embed(texts: readonly string[], purpose: 'document' | 'query'): Promise<Float32Array[]>;
  /**
   * Checks at start that the model gives `dimensions`-wide vectors (one probe embedding), for an
   * embedder whose model's width nothing else guarantees; rejects with a message naming both widths.
   */
  verify?(): Promise<void>;
  /** Releases what the embedder holds (a loaded model, a client). */
  close?(): Promise<void>;
}
