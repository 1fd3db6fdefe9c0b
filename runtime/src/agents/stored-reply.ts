import { randomUUID } from 'node:crypto';
import { MemoryErasedError, MemoryWriteError } from '../memory/errors';
import type { LayeredMemoryManager } from '../memory/manager';
import { scopedId } from '../memory/tenancy';
import type { Importance, Json } from '../memory/types';
import type { AgentReply } from './types';

/** A new turn's id, scoped to its tenant like every other id. */
export function newTurnId(tenantId: string | undefined): string {
  return tenantId === undefined ? randomUUID() : scopedId(tenantId, randomUUID());
}

/**
 * Stores a team's reply as the conversation's assistant turn: `messageId:reply` when the message
 * had an id. An empty reply (a model that said nothing) is nothing to remember, and memory refuses
 * it. A reply that could not be stored has been paid for: it is still returned, and the notes say
 * the next turn will not see it. Shared by a run and a run resumed after an approval.
 */
export async function storeReply(
  memory: LayeredMemoryManager,
  teamId: string,
  importance: Importance,
  reply: AgentReply,
  turn: { readonly messageId?: string; readonly conversationId: string; readonly tenantId?: string },
  options: { readonly signal?: AbortSignal; readonly asOf?: Date } = {},
): Promise<{ readonly id?: string; readonly notes: string[] }> {
  if (reply.content === '') return { notes: [] };
  const metadata: Record<string, Json> = { teamId, agent: reply.agent };
  if (reply.model !== undefined) metadata.model = reply.model;
  if (reply.provider !== undefined) metadata.provider = reply.provider;
  const { messageId, conversationId, tenantId } = turn;
  try {
    const id = messageId === undefined ? newTurnId(tenantId) : `${messageId}:reply`;
    const stored = await memory.store({ id, content: reply.content, conversationId, tenantId, role: 'assistant', metadata }, importance, options);
    return { id: stored.id, notes: stored.degraded.map((n) => `write: ${n}`) };
  } catch (error) {
    if (error instanceof MemoryErasedError) return { notes: [`reply not stored: ${error.message}`] };
    if (error instanceof MemoryWriteError) return { notes: [`reply not stored: ${error.failures.map((f) => `${f.layer}: ${f.reason}`).join('; ')}`] };
    throw error;
  }
}
