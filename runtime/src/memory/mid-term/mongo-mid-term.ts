import { handleWhen, retry } from 'cockatiel';
import { Collection, Document, MongoAPIError, MongoClient, MongoClientOptions, MongoParseError, MongoRuntimeError, MongoServerError } from 'mongodb';
import { MID_TERM_INDEXES, MID_TERM_TTL, type MidTermIndex, erasureCollectionNames, midTermCollectionName, mongoIndexKey } from '../../contract';
import { tombstoneKey } from '../erasure-record';
import { MemoryOptionsError } from '../errors';
import { BackendUnavailableError, ConnectionState, type ReconnectOptions, reconnectBackoff } from '../reconnect';
import { type ErasureRecord, type Json, type LayerStatus, type MidTermStore, type StoredItem, type TenantFilter, type TimeRange, occurredAtOf } from '../types';

export interface MongoMidTermOptions {
  /**
   * Connection string. For Firestore with MongoDB compatibility:
   * `mongodb://UID.LOCATION.firestore.goog:443/DATABASE?loadBalanced=true&tls=true&retryWrites=false`
   * plus `authMechanism=MONGODB-OIDC&authMechanismProperties=ENVIRONMENT:gcp,TOKEN_RESOURCE:FIRESTORE`.
   */
  readonly uri: string;
  readonly database: string;
  /** Collection names start with this. @default DEFAULTS.memoryNamespace ("orchestra") */
  readonly collectionPrefix?: string;
  /** Extra driver options (tests: timeouts). */
  readonly clientOptions?: MongoClientOptions;
  /**
   * A client to use instead of one built from `uri` and `clientOptions` (a shared pool, or one
   * with command monitoring); `close()` closes it.
   */
  readonly client?: MongoClient;
  /**
   * Create missing indexes in `init()` (see `ensureIndexes()`). Only for servers where the
   * runtime's user may create indexes: self-hosted MongoDB, FerretDB. On Firestore the indexes
   * belong to the infrastructure (`FirestoreMongoDatabase`), whose deployer has the index-admin
   * role that the runtime's `roles/datastore.user` lacks.
   * @default false - `init()` only lists the indexes and warns about missing ones
   */
  readonly manageIndexes?: boolean;
  /** pino-compatible; told about missing indexes and an unreachable server. @default - silent (still in `indexCheck` and `status()`) */
  readonly logger?: { warn(obj: object, msg: string): void };
  /** Backoff between attempts to make the first connection. @default RECONNECT_DEFAULTS (200 ms, capped at 10 s) */
  readonly reconnect?: ReconnectOptions;
}

/** What `init()` found out about the indexes of the collection; problems are warnings, not errors. */
export interface MidTermIndexCheck {
  /** False when the server refused to list the indexes: nothing is known about them. */
  readonly listed: boolean;
  /** Names (from the contract's MID_TERM_INDEXES) of the query indexes not found. */
  readonly missing: readonly string[];
  /** Whether a TTL index deletes expired documents (undefined when not listed). */
  readonly serverSideExpiry: boolean | undefined;
  /** One sentence per problem, also given to the logger. */
  readonly warnings: readonly string[];
}

/** One document per item: each turn its own document, never appended to a shared one (hot documents). */
export interface MemoryDocument {
  _id: string;
  content: string;
  conversationId?: string;
  tenantId?: string;
  role?: string;
  metadata?: Record<string, Json>;
  createdAt: Date;
  /** A Date, so time ranges compare instants (absent on documents written before it existed: read as `createdAt`). */
  occurredAt?: Date;
  updatedAt: Date;
  /** null: kept until forgotten. */
  expiresAt: Date | null;
}

/** An erasure's receipt: what, when, who, never content. */
interface ErasureDocument extends Omit<ErasureRecord, 'id' | 'requestedAt' | 'completedAt'> {
  _id: string;
  requestedAt: Date;
  completedAt?: Date;
}

/** The latest erasure of one target (`tombstoneKey`). */
interface TombstoneDocument {
  _id: string;
  erasedAt: Date;
  receipt: string;
}

// MongoDB's error codes (src/mongo/base/error_codes.yml in the MongoDB server repository).
const UNAUTHORIZED = 13;
const AUTHENTICATION_FAILED = 18;
const NAMESPACE_NOT_FOUND = 26;
const NOT_IMPLEMENTED = 238;
const DUPLICATE_KEY = 11000;

/**
 * Mid-term memory on a MongoDB-wire server: MongoDB, Firestore with MongoDB compatibility, or
 * FerretDB. Expired documents are filtered out of every read, so expiry holds even where the
 * server has no TTL indexes (FerretDB v1) or removes expired documents late (TTL runs about once
 * a minute on MongoDB).
 */
export class MongoMidTermStore implements MidTermStore {
  private readonly client: MongoClient;
  private readonly collection: Collection<MemoryDocument>;
  private readonly erasureRecords: Collection<ErasureDocument>;
  private readonly tombstoneDocs: Collection<TombstoneDocument>;
  private check: MidTermIndexCheck | undefined;
  private readonly connection = new ConnectionState();
  /** Set by `init()`: the first connection, made in the background until it succeeds. */
  private connecting?: Promise<void>;
  private readonly closing = new AbortController();

  constructor(private readonly options: MongoMidTermOptions) {
    try {
      this.client =
        options.client ??
        new MongoClient(options.uri, {
          appName: 'orchestra-runtime',
          serverSelectionTimeoutMS: 3000,
          ...options.clientOptions,
        });
    } catch (error) {
      // A connection string the driver cannot parse never works: fail the start, not every request.
      if (error instanceof MongoParseError || error instanceof MongoAPIError || error instanceof MongoRuntimeError) {
        throw new MemoryOptionsError('MongoMidTermStore', [{ path: 'uri', message: error.message }]);
      }
      throw error;
    }
    const db = this.client.db(options.database);
    this.collection = db.collection<MemoryDocument>(midTermCollectionName(options.collectionPrefix));
    const erasures = erasureCollectionNames(options.collectionPrefix);
    this.erasureRecords = db.collection<ErasureDocument>(erasures.records);
    this.tombstoneDocs = db.collection<TombstoneDocument>(erasures.tombstones);
  }

  /**
   * Connects and checks the indexes (creating missing ones only with `manageIndexes`). Missing
   * or unlistable indexes are warnings: reads stay correct without them (expired documents are
   * filtered by query), only slower, and a start that failed on them would fail every cold start.
   *
   * A server that cannot be reached, or refuses the credentials, does not fail it either: the
   * first attempt's outcome is awaited, then attempts go on in the background with capped
   * backoff while calls fail at once with the reason and `status()` reports it. Only a server
   * that answers the index step with an error fails it (that answer would not change).
   */
  async init(): Promise<void> {
    if (this.connecting) return;
    let settleFirst!: (failure?: unknown) => void;
    const first = new Promise<unknown>((resolve) => (settleFirst = resolve));
    // Unreferenced: a pending retry must not keep a process (or a test run) alive after close().
    const policy = retry(handleWhen(retried), { backoff: reconnectBackoff(this.options.reconnect) }).dangerouslyUnref();
    let attempts = 0;
    policy.onRetry((event) => {
      attempts = event.attempt;
      const error = 'error' in event ? event.error : undefined;
      const reason = firstLine(error);
      const refusedAuth = error instanceof MongoServerError && error.code === AUTHENTICATION_FAILED;
      if (this.connection.failed(reason, event.delay, attempts, refusedAuth)) {
        this.options.logger?.warn({ layer: 'mid-term', database: this.options.database, reason }, 'MongoDB unreachable; connecting in the background');
      }
      settleFirst();
    });
    const connected = policy.execute(async ({ signal }) => {
      if (signal.aborted) throw new Error('closed');
      // A failed connect leaves the driver's client on a closed topology, which every later call
      // reports as "Topology is closed"; connect() builds a new one each time. Once connected,
      // the driver's own server monitoring rides out later outages.
      await this.client.connect();
      if (this.options.manageIndexes) await this.ensureIndexes();
      else this.remember(await this.verifyIndexes());
    }, this.closing.signal);
    this.connecting = connected.then(
      () => {
        if (this.connection.connected()) this.options.logger?.warn({ layer: 'mid-term', database: this.options.database }, 'MongoDB reachable again');
        settleFirst();
      },
      (error: unknown) => {
        if (this.closing.signal.aborted) return settleFirst();
        if (attempts > 0) this.options.logger?.warn({ layer: 'mid-term', database: this.options.database, reason: firstLine(error) }, 'MongoDB refused the start: not retrying');
        this.connection.failed(firstLine(error), undefined, attempts + 1);
        settleFirst(error);
      },
    );
    // Resolves on the first attempt's outcome; only a definitive refusal then is thrown (later
    // ones are in status()). Calls made meanwhile wait for nothing: they fail with the reason.
    const failure = await first;
    if (failure !== undefined) throw failure;
  }

  /** Fails at once, with why, until the first connection is made (the driver would say "Topology is closed"). */
  private get documents(): Collection<MemoryDocument> {
    return this.reachable(this.collection);
  }

  private reachable<T extends Document>(collection: Collection<T>): Collection<T> {
    if (!this.connection.up) throw new BackendUnavailableError(`mongodb database ${this.options.database}`, this.connection);
    return collection;
  }

  /**
   * Creates the contract's indexes that the collection lacks, one `createIndexes` each (Firestore
   * with MongoDB compatibility takes one index per request: its "Manage indexes" page), then
   * checks again. For servers where the runtime's user may create indexes; a refusal
   * (Unauthorized) is a warning, and the TTL index is skipped where the server has none
   * (FerretDB v1 answers NotImplemented).
   */
  async ensureIndexes(): Promise<MidTermIndexCheck> {
    const before = await this.verifyIndexes();
    const warnings: string[] = [];
    const refused = (error: unknown, what: string): boolean => {
      if (!(error instanceof MongoServerError && error.code === UNAUTHORIZED)) return false;
      warnings.push(`not allowed to create ${what} on ${this.collection.collectionName} (${error.message}): create it as the deployer (FirestoreMongoDatabase declares it)`);
      return true;
    };
    for (const index of MID_TERM_INDEXES.filter((i) => before.missing.includes(i.name))) {
      try {
        await this.collection.createIndex(mongoIndexKey(index), { name: index.name });
      } catch (error) {
        if (!refused(error, `index ${index.name}`)) throw error;
      }
    }
    let ttlUnsupported = false;
    if (before.serverSideExpiry !== true) {
      try {
        await this.collection.createIndex({ [MID_TERM_TTL.field]: 1 }, { name: MID_TERM_TTL.name, expireAfterSeconds: MID_TERM_TTL.expireAfterSeconds });
      } catch (error) {
        ttlUnsupported = error instanceof MongoServerError && error.code === NOT_IMPLEMENTED;
        if (!ttlUnsupported && !refused(error, `TTL index ${MID_TERM_TTL.name}`)) throw error;
      }
    }
    const after = await this.verifyIndexes();
    // A server without TTL indexes is a known limit, not something an operator can fix: no warning.
    const afterWarnings = ttlUnsupported ? after.warnings.filter((w) => !w.startsWith('no TTL index')) : after.warnings;
    return this.remember({ ...after, warnings: [...warnings, ...afterWarnings] });
  }

  /** The outcome of the last index check (after `init()`). */
  get indexCheck(): MidTermIndexCheck | undefined {
    return this.check;
  }

  /** Whether the server deletes expired documents itself (known after init; undefined if the indexes could not be listed). */
  get serverSideExpiry(): boolean | undefined {
    return this.check?.serverSideExpiry;
  }

  /**
   * Lists the collection's indexes and compares them, by key, with the contract's: an index the
   * infrastructure declared has a server-chosen name. Listing needs only
   * `datastore.indexes.list` on Firestore (Google's IAM page for Firestore with MongoDB
   * compatibility), not the index-admin role; a refusal leaves the indexes unknown.
   */
  private async verifyIndexes(): Promise<MidTermIndexCheck> {
    const name = this.collection.collectionName;
    let listed: Document[];
    try {
      listed = await this.collection.listIndexes().toArray();
    } catch (error) {
      if (!(error instanceof MongoServerError)) throw error;
      if (error.code === NAMESPACE_NOT_FOUND) {
        listed = [];
      } else {
        return {
          listed: false,
          missing: MID_TERM_INDEXES.map((i) => i.name),
          serverSideExpiry: undefined,
          warnings: [`could not list the indexes of ${name} (${error.message}); whether ${MID_TERM_INDEXES.map((i) => i.name).join(', ')} exist is unknown`],
        };
      }
    }
    const missing = MID_TERM_INDEXES.filter((index) => !listed.some((l) => sameKey(l.key, index))).map((i) => i.name);
    const ttl = listed.some((l) => typeof l.expireAfterSeconds === 'number' && Object.keys(l.key ?? {}).join() === MID_TERM_TTL.field);
    const warnings = MID_TERM_INDEXES.filter((i) => missing.includes(i.name)).map(
      (i) => `index ${i.name} ${JSON.stringify(mongoIndexKey(i))} not found on ${name}: ${i.serves} scan the whole collection`,
    );
    if (!ttl) warnings.push(`no TTL index on ${name}.${MID_TERM_TTL.field}: expired documents are never returned, but stay stored until forgotten`);
    return { listed: true, missing, serverSideExpiry: ttl, warnings };
  }

  private remember(check: MidTermIndexCheck): MidTermIndexCheck {
    this.check = check;
    for (const warning of check.warnings) this.options.logger?.warn({ layer: 'mid-term', collection: this.collection.collectionName }, warning);
    return check;
  }

  async status(): Promise<LayerStatus> {
    const base = { layer: 'mid-term', backend: 'mongodb', embedded: false } as const;
    if (!this.connection.up) return { ...base, ok: false, detail: `database ${this.options.database}: ${this.connection.describe()}` };
    try {
      await this.client.db(this.options.database).command({ ping: 1 });
      return { ...base, ok: true, detail: `database ${this.options.database}${indexDetail(this.check)}` };
    } catch (error) {
      return { ...base, ok: false, detail: (error as Error).message };
    }
  }

  async close(): Promise<void> {
    this.closing.abort();
    await this.client.close();
  }

  async upsert(item: StoredItem, expiresAt?: Date): Promise<void> {
    const doc = documentOf(item, expiresAt, new Date());
    await this.documents.replaceOne({ _id: doc._id }, doc, { upsert: true });
  }

  async insertIfAbsent(item: StoredItem, expiresAt?: Date): Promise<boolean> {
    const doc = documentOf(item, expiresAt, new Date());
    try {
      // `_id` is unique: of concurrent inserts the server accepts one and refuses the rest.
      await this.documents.insertOne(doc);
      return true;
    } catch (error) {
      if (!(error instanceof MongoServerError && error.code === DUPLICATE_KEY)) throw error;
    }
    // Taken, unless what holds the id has expired (the TTL monitor removes it only every minute):
    // replaced only if still expired, so one of several concurrent takers wins.
    const replaced = await this.documents.replaceOne({ _id: doc._id, expiresAt: { $lte: new Date() } }, doc);
    return replaced.modifiedCount === 1;
  }

  async get(id: string, tenantId?: TenantFilter): Promise<StoredItem | undefined> {
    const doc = await this.documents.findOne({ ...itemFilter(id, tenantId), ...this.unexpired() });
    return doc ? toItem(doc) : undefined;
  }

  async getMany(ids: readonly string[], tenantId?: TenantFilter): Promise<StoredItem[]> {
    if (ids.length === 0) return [];
    const docs = await this.documents.find({ _id: { $in: [...ids] }, ...tenantField(tenantId), ...this.unexpired() }).toArray();
    return docs.map(toItem);
  }

  async byConversation(conversationId: string, limit: number, tenantId?: TenantFilter, range?: TimeRange): Promise<StoredItem[]> {
    // The range filters within the conversation's documents, which the conversation_recent index
    // finds and orders: a conversation is small enough that no index on occurredAt is needed.
    const docs = await this.documents
      .find({ ...conversationFilter(conversationId, tenantId), ...(range === undefined ? this.unexpired() : { $and: [this.unexpired(), occurredFilter(range)] }) })
      .sort({ createdAt: -1, _id: -1 })
      .limit(limit)
      .toArray();
    return docs.map(toItem);
  }

  async idsOfConversation(conversationId: string, tenantId?: TenantFilter): Promise<string[]> {
    const docs = await this.documents.find(conversationFilter(conversationId, tenantId), { projection: { _id: 1 } }).toArray();
    return docs.map((d) => d._id);
  }

  async delete(id: string, tenantId?: TenantFilter): Promise<boolean> {
    return (await this.documents.deleteOne(itemFilter(id, tenantId))).deletedCount === 1;
  }

  async deleteConversation(conversationId: string, tenantId?: TenantFilter): Promise<number> {
    return (await this.documents.deleteMany(conversationFilter(conversationId, tenantId))).deletedCount;
  }

  async idsOfTenant(tenantId: string, limit: number): Promise<string[]> {
    // No index on tenantId alone: a purge is rare and an operator's, so it may scan the collection.
    const docs = await this.documents.find({ tenantId }, { projection: { _id: 1 } }).limit(limit).toArray();
    return docs.map((d) => d._id);
  }

  async deleteMany(ids: readonly string[], tenantId: TenantFilter): Promise<number> {
    if (ids.length === 0) return 0;
    return (await this.documents.deleteMany({ _id: { $in: [...ids] }, ...tenantField(tenantId) })).deletedCount;
  }

  async recordErasure(record: ErasureRecord): Promise<void> {
    const { id, requestedAt, completedAt, ...rest } = record;
    const doc: ErasureDocument = { _id: id, ...rest, requestedAt: new Date(requestedAt), ...(completedAt === undefined ? {} : { completedAt: new Date(completedAt) }) };
    await this.reachable(this.erasureRecords).replaceOne({ _id: id }, doc, { upsert: true });
    // Erasures of one target are asked for in time order, so the latest write carries the latest time.
    const key = tombstoneKey(record.target);
    await this.reachable(this.tombstoneDocs).replaceOne({ _id: key }, { erasedAt: doc.requestedAt, receipt: id }, { upsert: true });
  }

  async getErasure(id: string, tenantId?: TenantFilter): Promise<ErasureRecord | undefined> {
    const doc = await this.reachable(this.erasureRecords).findOne({ _id: id, ...tenantField(tenantId) });
    if (!doc) return undefined;
    const { _id, requestedAt, completedAt, ...rest } = doc;
    return { id: _id, ...rest, requestedAt: requestedAt.toISOString(), ...(completedAt === undefined ? {} : { completedAt: completedAt.toISOString() }) };
  }

  async tombstones(keys: readonly string[]): Promise<Map<string, number>> {
    if (keys.length === 0) return new Map();
    const docs = await this.reachable(this.tombstoneDocs).find({ _id: { $in: [...keys] } }).toArray();
    return new Map(docs.map((d) => [d._id, d.erasedAt.getTime()]));
  }

  private unexpired() {
    return { $or: [{ expiresAt: null }, { expiresAt: { $gt: new Date() } }] };
  }
}

/**
 * Whether a failed attempt to connect is worth another: unreachable servers, TLS, DNS, and
 * refused credentials (the secret may be rotated) are; a server's other answers, and settings the
 * driver refuses before sending anything, are not.
 */
function retried(error: Error): boolean {
  if (error instanceof MongoServerError) return error.code === AUTHENTICATION_FAILED;
  return !(error instanceof MongoParseError || error instanceof MongoAPIError);
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0].slice(0, 300);
}

/** Index problems for `status()`: not failures (the layer answers), but worth seeing on /readyz. */
function indexDetail(check: MidTermIndexCheck | undefined): string {
  if (!check) return '';
  if (!check.listed) return ', indexes unknown (listIndexes refused)';
  const parts = check.missing.length > 0 ? [`missing indexes: ${check.missing.join(', ')}`] : [];
  if (!check.serverSideExpiry) parts.push('expiry by query (no TTL index)');
  return parts.map((p) => `, ${p}`).join('');
}

/** Whether a listed index key is the contract's index: same fields, same order, same directions. */
function sameKey(key: Document | undefined, index: MidTermIndex): boolean {
  const entries = Object.entries(key ?? {});
  return entries.length === index.fields.length && index.fields.every((f, i) => entries[i][0] === f.field && Number(entries[i][1]) === f.direction);
}

/** The document stored for `item`: its id (already tenant-scoped) is `_id`, its tenant a field reads filter on. */
export function documentOf(item: StoredItem, expiresAt: Date | undefined, now: Date): MemoryDocument {
  const doc: MemoryDocument = {
    _id: item.id,
    content: item.content,
    createdAt: new Date(item.createdAt),
    occurredAt: new Date(occurredAtOf(item)),
    updatedAt: now,
    expiresAt: expiresAt ?? null,
  };
  if (item.conversationId !== undefined) doc.conversationId = item.conversationId;
  if (item.tenantId !== undefined) doc.tenantId = item.tenantId;
  if (item.role !== undefined) doc.role = item.role;
  if (item.metadata !== undefined) doc.metadata = { ...item.metadata };
  return doc;
}

// The tenant is an equality on a second field after the indexed one (`_id`, or `conversationId`
// of the conversation_recent index): the same index serves the query, and a document of another
// tenant is never returned, counted or deleted.
const tenantField = (tenantId: TenantFilter): { tenantId?: string } => (tenantId === undefined ? {} : { tenantId });

/** The filter of one item's document, within `tenantId` when given. */
export function itemFilter(id: string, tenantId?: TenantFilter): { _id: string; tenantId?: string } {
  return { _id: id, ...tenantField(tenantId) };
}

/** The filter of a conversation's documents, within `tenantId` when given. */
export function conversationFilter(conversationId: string, tenantId?: TenantFilter): { conversationId: string; tenantId?: string } {
  return { conversationId, ...tenantField(tenantId) };
}

/**
 * The filter of a time range on `occurredAt`; a document written before `occurredAt` existed is
 * read as having occurred at its `createdAt`, as `occurredAtOf` reads the item.
 */
export function occurredFilter(range: TimeRange): Document {
  const within = {
    ...(range.occurredAfter === undefined ? {} : { $gte: new Date(range.occurredAfter) }),
    ...(range.occurredBefore === undefined ? {} : { $lt: new Date(range.occurredBefore) }),
  };
  if (Object.keys(within).length === 0) return {};
  return { $or: [{ occurredAt: within }, { occurredAt: { $exists: false }, createdAt: within }] };
}

function toItem(doc: MemoryDocument): StoredItem {
  const createdAt = doc.createdAt.toISOString();
  const item: { -readonly [K in keyof StoredItem]: StoredItem[K] } = { id: doc._id, content: doc.content, createdAt, occurredAt: doc.occurredAt?.toISOString() ?? createdAt };
  if (doc.conversationId !== undefined) item.conversationId = doc.conversationId;
  if (doc.tenantId !== undefined) item.tenantId = doc.tenantId;
  if (doc.role !== undefined) item.role = doc.role;
  if (doc.metadata !== undefined) item.metadata = doc.metadata;
  return item;
}
