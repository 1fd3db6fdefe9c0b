/**
 * Tombstones: each erasure marks its target (a conversation, an item, a tenant) with the instant
 * it was asked for, and a write begun before that instant into a marked target is stale: a reply
 * still being generated when its conversation was erased, a client's delayed write. Those are
 * refused, so a forgotten id stays forgotten; a write begun afterwards is new data and is taken.
 */
import type { ErasureTarget, StoredItem } from './types';

/** The key of a target's tombstone. */
export function tombstoneKey(target: ErasureTarget): string {
  return `${target.kind}/${target.id}`;
}

/** The targets a write of `item` falls within: the item itself, its conversation, its tenant. */
export function targetsOf(item: Pick<StoredItem, 'id' | 'conversationId' | 'tenantId'>): ErasureTarget[] {
  const targets: ErasureTarget[] = [{ kind: 'item', id: item.id }];
  if (item.conversationId !== undefined) targets.push({ kind: 'conversation', id: item.conversationId });
  if (item.tenantId !== undefined) targets.push({ kind: 'tenant', id: item.tenantId });
  return targets;
}
