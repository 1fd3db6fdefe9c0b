import { frozenCopy } from '../frozen';
import { tombstoneKey } from '../erasure-record';
import { ofTenant } from '../tenancy';
import { type ErasureRecord, type LayerStatus, type MidTermStore, type StoredItem, type TenantFilter, type TimeRange, occurredWithin } from '../types';

interface Row {
  item: StoredItem;
  expiresAt?: number;
}

export interface EmbeddedMidTermOptions {
  /** Milliseconds since the epoch; injectable so tests can move time. @default Date.now */
  readonly clock?: () => number;
}

/**
 * In-process mid-term memory: the default when no MongoDB is configured. Same semantics as the
 * MongoDB store (expired items never returned, ids of a conversation include expired ones).
 */
export class EmbeddedMidTermStore implements MidTermStore {
  private readonly rows = new Map<string, Row>();
  /**
   * conversation → its rows, oldest first (by createdAt, then id): a conversation's newest items
   * are read from the end, without scanning or sorting every row on each call.
   */
  private readonly conversations = new Map<string, Row[]>();
  private readonly erasures = new Map<string, ErasureRecord>();
  private readonly tombstoneTimes = new Map<string, number>();
  private readonly now: () => number;

  constructor(options: EmbeddedMidTermOptions = {}) {
    this.now = options.clock ?? Date.now;
  }

  async init(): Promise<void> {}

  async status(): Promise<LayerStatus> {
    return { layer: 'mid-term', backend: 'embedded', embedded: true, ok: true, detail: `${this.rows.size} documents in process` };
  }

  async close(): Promise<void> {
    this.rows.clear();
    this.conversations.clear();
    this.erasures.clear();
    this.tombstoneTimes.clear();
  }

  async insertIfAbsent(item: StoredItem, expiresAt?: Date): Promise<boolean> {
    // One thread: the check and the write below run with nothing in between.
    const existing = this.rows.get(item.id);
    if (existing && this.alive(existing)) return false;
    await this.upsert(item, expiresAt);
    return true;
  }

  async upsert(item: StoredItem, expiresAt?: Date): Promise<void> {
    this.unindex(this.rows.get(item.id));
    const row: Row = { item: frozenCopy(item), expiresAt: expiresAt?.getTime() };
    this.rows.set(item.id, row);
    if (item.conversationId !== undefined) {
      const rows = this.conversations.get(item.conversationId) ?? [];
      // Items mostly arrive in time order, so the insertion point is found from the end.
      let at = rows.length;
      while (at > 0 && byTime(rows[at - 1], row) > 0) at--;
      rows.splice(at, 0, row);
      this.conversations.set(item.conversationId, rows);
    }
  }

  async get(id: string, tenantId?: TenantFilter): Promise<StoredItem | undefined> {
    const row = this.rows.get(id);
    return row && this.alive(row) && ofTenant(row.item, tenantId) ? row.item : undefined;
  }

  async getMany(ids: readonly string[], tenantId?: TenantFilter): Promise<StoredItem[]> {
    return ids.flatMap((id) => {
      const row = this.rows.get(id);
      return row && this.alive(row) && ofTenant(row.item, tenantId) ? [row.item] : [];
    });
  }

  async byConversation(conversationId: string, limit: number, tenantId?: TenantFilter, range?: TimeRange): Promise<StoredItem[]> {
    const rows = this.conversations.get(conversationId) ?? [];
    const found: StoredItem[] = [];
    for (let i = rows.length - 1; i >= 0 && found.length < limit; i--) {
      if (this.alive(rows[i]) && ofTenant(rows[i].item, tenantId) && (range === undefined || occurredWithin(rows[i].item, range))) found.push(rows[i].item);
    }
    return found;
  }

  async idsOfConversation(conversationId: string, tenantId?: TenantFilter): Promise<string[]> {
    return (this.conversations.get(conversationId) ?? []).filter((r) => ofTenant(r.item, tenantId)).map((r) => r.item.id);
  }

  async delete(id: string, tenantId?: TenantFilter): Promise<boolean> {
    const row = this.rows.get(id);
    if (row === undefined || !ofTenant(row.item, tenantId)) return false;
    this.unindex(row);
    return this.rows.delete(id);
  }

  async deleteConversation(conversationId: string, tenantId?: TenantFilter): Promise<number> {
    const rows = this.conversations.get(conversationId) ?? [];
    const [doomed, kept] = [rows.filter((r) => ofTenant(r.item, tenantId)), rows.filter((r) => !ofTenant(r.item, tenantId))];
    for (const row of doomed) this.rows.delete(row.item.id);
    if (kept.length > 0) this.conversations.set(conversationId, kept);
    else this.conversations.delete(conversationId);
    return doomed.length;
  }

  async idsOfTenant(tenantId: string, limit: number): Promise<string[]> {
    const ids: string[] = [];
    for (const row of this.rows.values()) {
      if (ids.length >= limit) break;
      if (row.item.tenantId === tenantId) ids.push(row.item.id);
    }
    return ids;
  }

  async deleteMany(ids: readonly string[], tenantId: TenantFilter): Promise<number> {
    let deleted = 0;
    for (const id of ids) if (await this.delete(id, tenantId)) deleted++;
    return deleted;
  }

  async recordErasure(record: ErasureRecord): Promise<void> {
    this.erasures.set(record.id, frozenCopy(record));
    const key = tombstoneKey(record.target);
    this.tombstoneTimes.set(key, Math.max(this.tombstoneTimes.get(key) ?? 0, Date.parse(record.requestedAt)));
  }

  async getErasure(id: string, tenantId?: TenantFilter): Promise<ErasureRecord | undefined> {
    const record = this.erasures.get(id);
    return record && ofTenant(record, tenantId) ? record : undefined;
  }

  async tombstones(keys: readonly string[]): Promise<Map<string, number>> {
    const found = new Map<string, number>();
    for (const key of keys) {
      const at = this.tombstoneTimes.get(key);
      if (at !== undefined) found.set(key, at);
    }
    return found;
  }

  private unindex(row: Row | undefined): void {
    const conversationId = row?.item.conversationId;
    if (row === undefined || conversationId === undefined) return;
    const rows = this.conversations.get(conversationId) ?? [];
    const at = rows.indexOf(row);
    if (at >= 0) rows.splice(at, 1);
    if (rows.length === 0) this.conversations.delete(conversationId);
  }

  private alive(row: Row): boolean {
    return row.expiresAt === undefined || row.expiresAt > this.now();
  }
}

/** Orders rows by createdAt, then id (ISO timestamps of one format compare as strings). */
function byTime(a: Row, b: Row): number {
  const [x, y] = [a.item, b.item];
  if (x.createdAt !== y.createdAt) return x.createdAt < y.createdAt ? -1 : 1;
  return x.id < y.id ? -1 : x.id > y.id ? 1 : 0;
}
