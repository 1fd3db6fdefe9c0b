/**
 * The benchmark's core: every turn stored through the memory, every question asked of each
 * retriever, and the figures computed from the rankings. Timing is measured here and only reported.
 */
import { performance } from 'node:perf_hooks';
import type { LayeredMemoryManager } from '../../runtime/src/memory/manager';
import { QUESTION_TYPES, type Dataset, type Question, type QuestionType } from './generator';
import { estimateTokens, lexicalOverlap, mean, percentile, recallAt } from './metrics';

/** The ranks recall is reported at; the largest is how many results each retriever is asked for. */
export const RECALL_DEPTHS = [5, 10] as const;
export const SEARCH_LIMIT = Math.max(...RECALL_DEPTHS);
/** Questions asked once, unmeasured, before timing: the first calls pay for JIT compilation. */
export const WARM_UP_QUESTIONS = 20;

export interface Retrieved {
  readonly id: string;
  readonly content: string;
}

/** One way of finding the turns that answer a question, best first. */
export interface Retriever {
  readonly name: string;
  search(question: Question, limit: number): Promise<readonly Retrieved[]>;
}

export interface Answer {
  readonly question: Question;
  /** Turn ids, best first, at most `SEARCH_LIMIT`. */
  readonly ranked: readonly string[];
  /** Estimated tokens of the returned turns' text: what the context would carry. */
  readonly tokens: number;
  readonly ms: number;
}

export interface Figures {
  readonly questions: number;
  /** Mean over questions of `recallAt(k)`, by k. */
  readonly recall: Readonly<Record<(typeof RECALL_DEPTHS)[number], number>>;
  readonly meanReturned: number;
  readonly meanTokens: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
}

export interface Summary {
  readonly overall: Figures;
  readonly byType: Readonly<Record<QuestionType, Figures>>;
}

/**
 * Stores every turn as a HIGH item (so it reaches long-term memory): its session is its
 * conversation, its user its tenant, its time its `createdAt`. `concurrency` writes in flight.
 */
export async function storeTurns(memory: LayeredMemoryManager, dataset: Dataset, concurrency = 16): Promise<void> {
  let next = 0;
  const { turns } = dataset;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < turns.length) {
        const { id, content, conversationId, tenantId, role, createdAt } = turns[next++];
        await memory.store({ id, content, conversationId, tenantId, role, createdAt }, 'high');
      }
    }),
  );
}

/** Asks every question of `retriever`, one at a time, after a warm-up. */
export async function askAll(retriever: Retriever, questions: readonly Question[], now: () => number = () => performance.now()): Promise<Answer[]> {
  for (const question of questions.slice(0, WARM_UP_QUESTIONS)) await retriever.search(question, SEARCH_LIMIT);
  const answers: Answer[] = [];
  for (const question of questions) {
    const started = now();
    const found = await retriever.search(question, SEARCH_LIMIT);
    const ms = now() - started;
    const top = found.slice(0, SEARCH_LIMIT);
    answers.push({ question, ranked: top.map((r) => r.id), tokens: top.reduce((sum, r) => sum + estimateTokens(r.content), 0), ms });
  }
  return answers;
}

export function figures(answers: readonly Answer[]): Figures {
  const ms = answers.map((a) => a.ms).sort((a, b) => a - b);
  const recall = Object.fromEntries(RECALL_DEPTHS.map((k) => [k, mean(answers.map((a) => recallAt(k, a.question.evidence, a.ranked)))])) as Figures['recall'];
  return {
    questions: answers.length,
    recall,
    meanReturned: mean(answers.map((a) => a.ranked.length)),
    meanTokens: mean(answers.map((a) => a.tokens)),
    p50Ms: percentile(ms, 0.5),
    p95Ms: percentile(ms, 0.95),
  };
}

/**
 * Updated facts whose former value comes first: the superseded turn is among the results and ranks
 * above the current one (or the current one is missing). A reader of that context would likely
 * answer with the old value; only knowing when each turn was said can settle it.
 */
export function staleFirst(answers: readonly Answer[]): { readonly stale: number; readonly of: number } {
  const updated = answers.filter((a) => a.question.type === 'updated' && a.question.superseded);
  const stale = updated.filter((a) => {
    const old = Math.min(...a.question.superseded!.map((id) => a.ranked.indexOf(id)).filter((i) => i >= 0));
    const now = Math.min(...a.question.evidence.map((id) => a.ranked.indexOf(id)).filter((i) => i >= 0));
    return old < now;
  });
  return { stale: stale.length, of: updated.length };
}

export function summarize(answers: readonly Answer[]): Summary {
  const byType = Object.fromEntries(QUESTION_TYPES.map((type) => [type, figures(answers.filter((a) => a.question.type === type))])) as Record<QuestionType, Figures>;
  return { overall: figures(answers), byType };
}

export interface DatasetFigures {
  readonly users: number;
  readonly sessions: number;
  readonly turns: number;
  readonly questions: number;
  readonly byType: Readonly<Record<QuestionType, number>>;
  readonly meanEvidence: number;
  /** Mean `lexicalOverlap` of a question with its evidence, and the share of questions sharing no term with it. */
  readonly meanOverlap: number;
  readonly noOverlap: number;
}

export function datasetFigures(dataset: Dataset): DatasetFigures {
  const content = new Map(dataset.turns.map((t) => [t.id, t.content]));
  const overlaps = dataset.questions.map((q) => lexicalOverlap(q.text, q.evidence.map((id) => content.get(id)!)));
  return {
    users: new Set(dataset.turns.map((t) => t.tenantId)).size,
    sessions: dataset.sessions.length,
    turns: dataset.turns.length,
    questions: dataset.questions.length,
    byType: Object.fromEntries(QUESTION_TYPES.map((type) => [type, dataset.questions.filter((q) => q.type === type).length])) as Record<QuestionType, number>,
    meanEvidence: mean(dataset.questions.map((q) => q.evidence.length)),
    meanOverlap: mean(overlaps),
    noOverlap: overlaps.filter((o) => o === 0).length / overlaps.length,
  };
}
