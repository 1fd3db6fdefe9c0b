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
  }

  async upsert(item: StoredItem, expiresAt?: Date): Promise<void> {
    this.rows.set(item.id, { item: structuredClone(item), expiresAt: expiresAt?.getTime() });
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
    return [...this.rows.values()]
      .filter((r) => r.item.conversationId === conversationId && this.alive(r))
      .sort((a, b) => b.item.createdAt.localeCompare(a.item.createdAt) || b.item.id.localeCompare(a.item.id))
      .slice(0, limit)
      .map((r) => structuredClone(r.item));
  }

  async idsOfConversation(conversationId: string): Promise<string[]> {
    return [...this.rows.values()].filter((r) => r.item.conversationId === conversationId).map((r) => r.item.id);
  }

  async delete(id: string): Promise<boolean> {
    return this.rows.delete(id);
  }

  async deleteConversation(conversationId: string): Promise<number> {
    let removed = 0;
    for (const [id, row] of this.rows) {
      if (row.item.conversationId === conversationId) {
        this.rows.delete(id);
        removed++;
      }
    }
    return removed;
  }

  private alive(row: Row): boolean {
    return row.expiresAt === undefined || row.expiresAt > this.now();
  }
}
