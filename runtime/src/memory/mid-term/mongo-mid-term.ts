import { Collection, MongoClient, MongoClientOptions, MongoServerError } from 'mongodb';
import { DEFAULTS } from '../../contract';
import type { Json, LayerStatus, MidTermStore, StoredItem } from '../types';

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
}

/** One document per item: each turn its own document, never appended to a shared one (hot documents). */
interface MemoryDocument {
  _id: string;
  content: string;
  conversationId?: string;
  tenantId?: string;
  role?: string;
  metadata?: Record<string, Json>;
  createdAt: Date;
  updatedAt: Date;
  /** null: kept until forgotten. */
  expiresAt: Date | null;
}

const NOT_IMPLEMENTED = 238;

/**
 * Mid-term memory on a MongoDB-wire server: MongoDB, Firestore with MongoDB compatibility, or
 * FerretDB. Expired documents are filtered out of every read, so expiry holds even where the
 * server has no TTL indexes (FerretDB v1) or removes expired documents late (TTL runs about once
 * a minute on MongoDB).
 */
export class MongoMidTermStore implements MidTermStore {
  private readonly client: MongoClient;
  private readonly collection: Collection<MemoryDocument>;
  private ttlIndex: boolean | undefined;

  constructor(private readonly options: MongoMidTermOptions) {
    this.client = new MongoClient(options.uri, {
      appName: 'orchestra-runtime',
      serverSelectionTimeoutMS: 3000,
      ...options.clientOptions,
    });
    this.collection = this.client.db(options.database).collection<MemoryDocument>(`${options.collectionPrefix ?? DEFAULTS.memoryNamespace}_memories`);
  }

  async init(): Promise<void> {
    await this.client.connect();
    await this.collection.createIndex({ conversationId: 1, createdAt: -1 }, { name: 'conversation_recent' });
    try {
      await this.collection.createIndex({ expiresAt: 1 }, { name: 'expiry', expireAfterSeconds: 0 });
      this.ttlIndex = true;
    } catch (error) {
      if (!(error instanceof MongoServerError && error.code === NOT_IMPLEMENTED)) throw error;
      this.ttlIndex = false;
      await this.collection.createIndex({ expiresAt: 1 }, { name: 'expiry' });
    }
  }

  /** Whether the server deletes expired documents itself (known after init). */
  get serverSideExpiry(): boolean | undefined {
    return this.ttlIndex;
  }

  async status(): Promise<LayerStatus> {
    const base = { layer: 'mid-term', backend: 'mongodb', embedded: false } as const;
    try {
      await this.client.db(this.options.database).command({ ping: 1 });
      return { ...base, ok: true, detail: `database ${this.options.database}${this.ttlIndex === false ? ', expiry by query (no TTL index on this server)' : ''}` };
    } catch (error) {
      return { ...base, ok: false, detail: (error as Error).message };
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  async upsert(item: StoredItem, expiresAt?: Date): Promise<void> {
    const now = new Date();
    const doc: MemoryDocument = {
      _id: item.id,
      content: item.content,
      createdAt: new Date(item.createdAt),
      updatedAt: now,
      expiresAt: expiresAt ?? null,
    };
    if (item.conversationId !== undefined) doc.conversationId = item.conversationId;
    if (item.tenantId !== undefined) doc.tenantId = item.tenantId;
    if (item.role !== undefined) doc.role = item.role;
    if (item.metadata !== undefined) doc.metadata = { ...item.metadata };
    await this.collection.replaceOne({ _id: item.id }, doc, { upsert: true });
  }

  async get(id: string): Promise<StoredItem | undefined> {
    const doc = await this.collection.findOne({ _id: id, ...this.unexpired() });
    return doc ? toItem(doc) : undefined;
  }

  async getMany(ids: readonly string[]): Promise<StoredItem[]> {
    if (ids.length === 0) return [];
    const docs = await this.collection.find({ _id: { $in: [...ids] }, ...this.unexpired() }).toArray();
    return docs.map(toItem);
  }

  async byConversation(conversationId: string, limit: number): Promise<StoredItem[]> {
    const docs = await this.collection
      .find({ conversationId, ...this.unexpired() })
      .sort({ createdAt: -1, _id: -1 })
      .limit(limit)
      .toArray();
    return docs.map(toItem);
  }

  async idsOfConversation(conversationId: string): Promise<string[]> {
    const docs = await this.collection.find({ conversationId }, { projection: { _id: 1 } }).toArray();
    return docs.map((d) => d._id);
  }

  async delete(id: string): Promise<boolean> {
    return (await this.collection.deleteOne({ _id: id })).deletedCount === 1;
  }

  async deleteConversation(conversationId: string): Promise<number> {
    return (await this.collection.deleteMany({ conversationId })).deletedCount;
  }

  private unexpired() {
    return { $or: [{ expiresAt: null }, { expiresAt: { $gt: new Date() } }] };
  }
}

function toItem(doc: MemoryDocument): StoredItem {
  const item: { -readonly [K in keyof StoredItem]: StoredItem[K] } = { id: doc._id, content: doc.content, createdAt: doc.createdAt.toISOString() };
  if (doc.conversationId !== undefined) item.conversationId = doc.conversationId;
  if (doc.tenantId !== undefined) item.tenantId = doc.tenantId;
  if (doc.role !== undefined) item.role = doc.role;
  if (doc.metadata !== undefined) item.metadata = doc.metadata;
  return item;
}
