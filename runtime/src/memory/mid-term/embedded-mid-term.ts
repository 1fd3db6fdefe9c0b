import type { LayerStatus, MidTermStore, StoredItem } from '../types';

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
  /** conversation → ids, so a conversation's reads do not scan every row. */
  private readonly conversations = new Map<string, Set<string>>();
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
  }

  async upsert(item: StoredItem, expiresAt?: Date): Promise<void> {
    this.unindex(this.rows.get(item.id));
    this.rows.set(item.id, { item: structuredClone(item), expiresAt: expiresAt?.getTime() });
    if (item.conversationId !== undefined) {
      const ids = this.conversations.get(item.conversationId) ?? new Set<string>();
      ids.add(item.id);
      this.conversations.set(item.conversationId, ids);
    }
  }

  async get(id: string): Promise<StoredItem | undefined> {
    const row = this.rows.get(id);
    return row && this.alive(row) ? structuredClone(row.item) : undefined;
  }

  async getMany(ids: readonly string[]): Promise<StoredItem[]> {
    return ids.flatMap((id) => {
      const row = this.rows.get(id);
      return row && this.alive(row) ? [structuredClone(row.item)] : [];
    });
  }

  async byConversation(conversationId: string, limit: number): Promise<StoredItem[]> {
    return this.rowsOf(conversationId)
      .filter((r) => this.alive(r))
      .sort((a, b) => b.item.createdAt.localeCompare(a.item.createdAt) || b.item.id.localeCompare(a.item.id))
      .slice(0, limit)
      .map((r) => structuredClone(r.item));
  }

  async idsOfConversation(conversationId: string): Promise<string[]> {
    return this.rowsOf(conversationId).map((r) => r.item.id);
  }

  async delete(id: string): Promise<boolean> {
    const row = this.rows.get(id);
    this.unindex(row);
    return this.rows.delete(id);
  }

  async deleteConversation(conversationId: string): Promise<number> {
    const ids = [...(this.conversations.get(conversationId) ?? [])];
    for (const id of ids) this.rows.delete(id);
    this.conversations.delete(conversationId);
    return ids.length;
  }

  private rowsOf(conversationId: string): Row[] {
    return [...(this.conversations.get(conversationId) ?? [])].flatMap((id) => {
      const row = this.rows.get(id);
      return row ? [row] : [];
    });
  }

  private unindex(row: Row | undefined): void {
    const conversationId = row?.item.conversationId;
    if (conversationId === undefined) return;
    const ids = this.conversations.get(conversationId);
    ids?.delete(row!.item.id);
    if (ids?.size === 0) this.conversations.delete(conversationId);
  }

  private alive(row: Row): boolean {
    return row.expiresAt === undefined || row.expiresAt > this.now();
  }
}
