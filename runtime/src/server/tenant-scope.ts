import type { SemanticMatch } from '../memory/manager';
import type { StoredItem } from '../memory/types';

/**
 * Keeps tenants apart in a shared memory: every id a client names (conversation, item) is stored
 * as `<tenant>:<id>`, so one tenant can neither read, overwrite nor forget another's data by
 * guessing ids; responses show the client's own ids.
 */
export class TenantScope {
  private readonly prefix: string;

  constructor(readonly tenant: string) {
    this.prefix = `${tenant}:`;
  }

  id(clientId: string): string {
    return this.prefix + clientId;
  }

  clientId(scopedId: string): string {
    return scopedId.startsWith(this.prefix) ? scopedId.slice(this.prefix.length) : scopedId;
  }

  /** An item as the client sees it: its own ids, no tenant field. */
  item(item: StoredItem): Omit<StoredItem, 'tenantId'> {
    const { tenantId: _tenant, ...rest } = item;
    return {
      ...rest,
      id: this.clientId(item.id),
      ...(item.conversationId === undefined ? {} : { conversationId: this.clientId(item.conversationId) }),
    };
  }

  match(match: SemanticMatch): { item: Omit<StoredItem, 'tenantId'>; score: number } {
    return { item: this.item(match.item), score: match.score };
  }
}
