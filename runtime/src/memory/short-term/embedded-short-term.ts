import { DEFAULTS } from '../../contract';
import { frozenCopy } from '../frozen';
import { decodeScopedId, ofTenant } from '../tenancy';
import type { LayerStatus, ShortTermStore, StoredItem, TenantFilter } from '../types';

interface Entry<T> {
  value: T;
  expiresAt: number;
}

export interface EmbeddedShortTermOptions {
  /** Default time to live of a write, in seconds. @default DEFAULTS.shortTermTtlSeconds (3600) */
  readonly ttlSeconds?: number;
  /** Milliseconds since the epoch; injectable so tests can move time. @default Date.now */
  readonly clock?: () => number;
}

/**
 * In-process short-term memory honouring TTLs: the default when no Redis is configured. State is
 * per process: lost on restart, not shared between instances.
 */
export class EmbeddedShortTermStore implements ShortTermStore {
  private readonly items = new Map<string, Entry<StoredItem>>();
  /** conversation → item ids in arrival order (the recent list is the tail of this). */
  private readonly conversations = new Map<string, Entry<{ order: string[]; all: Set<string> }>>();
  private readonly ttlSeconds: number;
  private readonly now: () => number;
  private writes = 0;

  constructor(options: EmbeddedShortTermOptions = {}) {
    this.ttlSeconds = options.ttlSeconds ?? DEFAULTS.shortTermTtlSeconds;
    this.now = options.clock ?? Date.now;
  }

  async init(): Promise<void> {}

  async status(): Promise<LayerStatus> {
    return { layer: 'short-term', backend: 'embedded', embedded: true, ok: true, detail: `${this.items.size} items in process` };
  }

  async close(): Promise<void> {
    this.items.clear();
    this.conversations.clear();
  }

  async remember(item: StoredItem, keep: number, ttlSeconds?: number): Promise<void> {
    const expiresAt = this.expiry(ttlSeconds);
    const previous = this.live(this.items, item.id);
    if (previous?.value.conversationId) this.dropFromConversation(previous.value.conversationId, item.id);
    this.items.set(item.id, { value: frozenCopy(item), expiresAt });
    if (item.conversationId) {
      const conversation = this.live(this.conversations, item.conversationId) ?? { value: { order: [], all: new Set<string>() }, expiresAt };
      // An earlier write of this id that expired is still in the order: the item moves, once.
      conversation.value.order = conversation.value.order.filter((x) => x !== item.id);
      conversation.value.order.push(item.id);
      conversation.value.all.add(item.id);
      if (conversation.value.order.length > keep) conversation.value.order.splice(0, conversation.value.order.length - keep);
      // The conversation lives as long as its longest-lived turn: a short-lived write must not cut
      // short the turns before it.
      conversation.expiresAt = Math.max(conversation.expiresAt, expiresAt);
      this.conversations.set(item.conversationId, conversation);
    }
    this.sweepSometimes();
  }

  async recent(conversationId: string, limit: number, tenantId?: TenantFilter): Promise<StoredItem[]> {
    const conversation = this.live(this.conversations, conversationId);
    if (!conversation) return [];
    const items: StoredItem[] = [];
    for (const id of conversation.value.order) {
      const entry = this.live(this.items, id);
      if (!entry) this.dropFromConversation(conversationId, id);
      // An id that expired here and was stored again elsewhere belongs to its new conversation.
      else if (entry.value.conversationId === conversationId && ofTenant(entry.value, tenantId)) items.push(entry.value);
    }
    return limit > 0 ? items.slice(-limit) : [];
  }

  async getItem(id: string, tenantId?: TenantFilter): Promise<StoredItem | undefined> {
    const entry = this.live(this.items, id);
    return entry && ofTenant(entry.value, tenantId) ? entry.value : undefined;
  }

  async getItems(ids: readonly string[], tenantId?: TenantFilter): Promise<StoredItem[]> {
    return ids.flatMap((id) => {
      const entry = this.live(this.items, id);
      return entry && ofTenant(entry.value, tenantId) ? [entry.value] : [];
    });
  }

  async forgetItem(id: string): Promise<boolean> {
    const entry = this.live(this.items, id);
    if (!entry) return false;
    this.items.delete(id);
    if (entry.value.conversationId) this.dropFromConversation(entry.value.conversationId, id);
    return true;
  }

  async forgetConversation(conversationId: string): Promise<number> {
    const conversation = this.live(this.conversations, conversationId);
    this.conversations.delete(conversationId);
    if (!conversation) return 0;
    let removed = 0;
    for (const id of conversation.value.all) {
      if (this.live(this.items, id)?.value.conversationId === conversationId) {
        this.items.delete(id);
        removed++;
      }
    }
    return removed;
  }

  async forgetTenant(tenantId: string): Promise<number> {
    const owned = (id: string | undefined) => id !== undefined && decodeScopedId(id)?.tenant === tenantId;
    let removed = 0;
    for (const [id, entry] of this.items) {
      const item = entry.value;
      if (item.tenantId !== tenantId && !owned(item.id) && !owned(item.conversationId)) continue;
      this.items.delete(id);
      if (entry.expiresAt > this.now()) removed++;
    }
    for (const conversationId of this.conversations.keys()) if (owned(conversationId)) this.conversations.delete(conversationId);
    return removed;
  }

  private dropFromConversation(conversationId: string, id: string): void {
    const conversation = this.conversations.get(conversationId);
    if (!conversation) return;
    conversation.value.order = conversation.value.order.filter((x) => x !== id);
    conversation.value.all.delete(id);
  }

  private expiry(ttlSeconds?: number): number {
    return this.now() + (ttlSeconds ?? this.ttlSeconds) * 1000;
  }

  /** The entry if it has not expired; an expired one is removed on the way. */
  private live<T>(map: Map<string, Entry<T>>, key: string): Entry<T> | undefined {
    const entry = map.get(key);
    if (entry && entry.expiresAt <= this.now()) {
      map.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Expired entries nobody reads again would pile up: sweep every 1000 writes (amortized). */
  private sweepSometimes(): void {
    if (++this.writes % 1000 !== 0) return;
    const now = this.now();
    for (const map of [this.items, this.conversations] as Map<string, Entry<unknown>>[]) {
      for (const [key, entry] of map) if (entry.expiresAt <= now) map.delete(key);
    }
  }
}
