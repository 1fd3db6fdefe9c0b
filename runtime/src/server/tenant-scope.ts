import type { SemanticMatch } from '../memory/manager';
import { decodeScopedId, scopedId } from '../memory/tenancy';
import { type ErasureRecord, type StoredItem, occurredAtOf } from '../memory/types';

/**
 * Keeps tenants apart in a shared memory, twice over: every id a client names (conversation,
 * item) is stored as `scopedId(tenant, id)`, which no other tenant's ids can produce, and every
 * item is stored with the tenant, which each read filters on; responses show the client's own ids
 * and only items this scope owns.
 */
export class TenantScope {
  constructor(readonly tenant: string) {}

  id(clientId: string): string {
    return scopedId(this.tenant, clientId);
  }

  /** The client's id of one of this tenant's stored ids; undefined for any other id. */
  clientId(stored: string): string | undefined {
    const decoded = decodeScopedId(stored);
    return decoded?.tenant === this.tenant ? decoded.id : undefined;
  }

  /**
   * Whether `item` is this tenant's: stored with the tenant, in one of its conversations. The item
   * id itself may be unscoped: teams name the turns they store with random UUIDs.
   */
  owns(item: StoredItem): boolean {
    return item.tenantId === this.tenant && (item.conversationId === undefined || this.clientId(item.conversationId) !== undefined);
  }

  /** This tenant's items among `items`, as the client sees them: its own ids, no tenant field. */
  items(items: readonly StoredItem[]): Omit<StoredItem, 'tenantId'>[] {
    return items.filter((i) => this.owns(i)).map((i) => this.view(i));
  }

  matches(matches: readonly SemanticMatch[]): { item: Omit<StoredItem, 'tenantId'>; score: number }[] {
    return matches.filter((m) => this.owns(m.item)).map((m) => ({ item: this.view(m.item), score: m.score }));
  }

  /** A receipt of this tenant's as the client sees it: the target by its own id; undefined for another tenant's. */
  receipt(record: ErasureRecord): Omit<ErasureRecord, 'tenantId'> | undefined {
    if (record.tenantId !== this.tenant) return undefined;
    const { tenantId: _tenant, ...rest } = record;
    return record.target.kind === 'tenant' ? rest : { ...rest, target: { ...record.target, id: this.clientId(record.target.id) ?? record.target.id } };
  }

  private view(item: StoredItem): Omit<StoredItem, 'tenantId'> {
    const { tenantId: _tenant, ...rest } = item;
    return {
      ...rest,
      id: this.clientId(item.id) ?? item.id,
      occurredAt: occurredAtOf(item),
      ...(item.conversationId === undefined ? {} : { conversationId: this.clientId(item.conversationId) as string }),
    };
  }
}
