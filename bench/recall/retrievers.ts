/** The systems the benchmark compares, each behind `Retriever`. */
import type { LayeredMemoryManager } from '../../runtime/src/memory/manager';
import { Bm25Index } from './bm25';
import type { Retrieved, Retriever } from './evaluate';
import type { Dataset, Question } from './generator';

/** Where questions are asked from: a conversation of the user's with no turns of its own. */
export const askingConversation = (tenantId: string): string => `${tenantId}-asking`;

/**
 * The memory as an agent gets it: `retrieveContext` for the question, within the user's tenant,
 * from a conversation with no turns (so `recent` and `related` are empty and every turn must come
 * from long-term search). Found = the semantic matches, best first, after the manager's own
 * relevance cutoff (`semanticMinScore`), so it may return fewer than asked.
 */
export function memoryRetriever(memory: LayeredMemoryManager): Retriever {
  return {
    name: 'memory (retrieveContext)',
    async search(question: Question, limit: number): Promise<readonly Retrieved[]> {
      const context = await memory.retrieveContext(question.text, askingConversation(question.tenantId), { tenantId: question.tenantId, semanticLimit: limit });
      if (context.degraded.length > 0) throw new Error(`memory answered degraded: ${context.degraded.join('; ')}`);
      return context.semantic.map((m) => ({ id: m.item.id, content: m.item.content }));
    },
  };
}

/**
 * The long-term store's own ranking, without the manager's cutoff: what the search finds before
 * anything is dropped as unrelated (shows what the cutoff costs in recall).
 */
export function longTermRetriever(memory: LayeredMemoryManager, dataset: Dataset): Retriever {
  const content = new Map(dataset.turns.map((t) => [t.id, t.content]));
  return {
    name: 'long-term search, no cutoff',
    async search(question: Question, limit: number): Promise<readonly Retrieved[]> {
      const matches = await memory.layers.longTerm.search(question.text, { limit, tenantId: question.tenantId });
      return matches.map((m) => ({ id: m.id, content: content.get(m.id) ?? '' }));
    },
  };
}

/** Plain BM25 over each user's own turns (one index per tenant, as the memory filters by tenant). */
export function bm25Retriever(dataset: Dataset): Retriever {
  const indexes = new Map<string, Bm25Index>();
  const content = new Map<string, string>();
  for (const turn of dataset.turns) {
    let index = indexes.get(turn.tenantId);
    if (!index) indexes.set(turn.tenantId, (index = new Bm25Index()));
    index.add(turn.id, turn.content);
    content.set(turn.id, turn.content);
  }
  return {
    name: 'BM25 baseline',
    async search(question: Question, limit: number): Promise<readonly Retrieved[]> {
      const matches = indexes.get(question.tenantId)?.search(question.text, limit) ?? [];
      return matches.map((m) => ({ id: m.id, content: content.get(m.id)! }));
    },
  };
}
