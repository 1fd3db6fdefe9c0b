/**
 * Memory extraction: a conversation turn distilled by the model into short facts, stored as HIGH
 * items beside the turns they came from (Mem0's "extract, then update against what is known").
 * Lives with the agents because it calls a model; memory only stores what it is given.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { JsonSchema, LlmClient } from '../llm/types';
import type { LayeredMemoryManager } from '../memory/manager';
import { scopedId } from '../memory/tenancy';
import type { Json, StoredItem } from '../memory/types';
import { LlmRouterError } from '../llm/router';
import { describeFailure } from './errors';
import { tracedChat } from './llm-call';
import type { TraceRecorder } from './trace';

/** The role of an extracted fact: what tells it from a turn in memory and in a prompt. */
export const FACT_ROLE = 'fact';

/**
 * Dense (cosine) similarity above which a new fact is the same as a known one and replaces it.
 * Measured with the embedded hashing embedder: rewordings of one fact ("Dana runs a bakery in
 * Lyon" / "… in Lyon, France") score 0.92, while facts that differ in one word that matters
 * ("… in Lyon" / "… in Paris") score 0.84 and must stay apart. Neural embedders (Vertex AI's
 * text-embedding-005) put paraphrases above 0.9 as well, so one default serves both.
 */
export const FACT_MERGE_SIMILARITY = 0.9;

/** Facts taken from one turn: a model that lists more is summarising, not extracting. */
const MAX_FACTS_PER_TURN = 10;
/** A fact is one short sentence. */
const MAX_FACT_CHARS = 300;
/** Known facts compared with each new one: the nearest few are enough to find its duplicate. */
const DEDUP_CANDIDATES = 5;
/** The turn is quoted to the model up to this length. */
const TURN_CHARS = 4000;

const FactsSchema = z.strictObject({
  facts: z.array(z.string().trim().min(1).max(MAX_FACT_CHARS)).max(MAX_FACTS_PER_TURN),
});

const FACTS_JSON_SCHEMA: JsonSchema = {
  type: 'object',
  properties: { facts: { type: 'array', items: { type: 'string', maxLength: MAX_FACT_CHARS }, maxItems: MAX_FACTS_PER_TURN } },
  required: ['facts'],
  additionalProperties: false,
};

const PROMPT = [
  'You extract durable facts about the user from one conversation turn, for a long-term memory.',
  'Return JSON: {"facts": ["..."]}. Each fact is one short, self-contained sentence in the third person',
  '("The user\'s name is Dana."), about the user: who they are, what they own, do, prefer, plan or decided.',
  "Take facts from the user's message; the assistant's reply is context only. No greetings, no questions,",
  `no guesses. At most ${MAX_FACTS_PER_TURN} facts; {"facts": []} when there is nothing worth remembering.`,
].join(' ');

export interface ExtractionSettings {
  /** The router deployment asked. @default the router's default */
  readonly deployment?: string;
  /** `FACT_MERGE_SIMILARITY` unless the team config says otherwise. */
  readonly mergeAbove: number;
}

/** The turn facts are taken from: the user's stored message, and the reply it got. */
export interface ExtractionTurn {
  readonly conversationId: string;
  readonly tenantId?: string;
  readonly message: Pick<StoredItem, 'content' | 'createdAt' | 'occurredAt'>;
  readonly reply?: string;
  /** Ids of the stored turns (message, reply) the facts link back to. */
  readonly sourceTurns: readonly string[];
}

export interface ExtractionRun {
  readonly trace: TraceRecorder;
  readonly signal?: AbortSignal;
  /** The run's start: a fact of a conversation erased since is not written (`StoreOptions.asOf`). */
  readonly asOf: Date;
}

export interface ExtractionResult {
  /** Ids of the facts written: new ones and merged ones. */
  readonly stored: string[];
  /** Of those, the ones that replaced a known near-duplicate. */
  readonly merged: string[];
  /** `extraction: …` notes: why nothing (or not everything) was extracted. */
  readonly degraded: string[];
}

/** The name extraction's model calls carry in the trace. */
const TRACE_AGENT = 'fact-extractor';

export class FactExtractor {
  constructor(
    private readonly llm: LlmClient,
    private readonly memory: LayeredMemoryManager,
    private readonly settings: ExtractionSettings,
  ) {}

  /**
   * Asks the model for the turn's facts and stores each: a new HIGH item, or the known fact it
   * nearly duplicates, reworded and linked to this turn too. Never throws for the model or memory
   * failing (the reply stands without facts; `degraded` says why), only for the run's abort.
   */
  async extract(turn: ExtractionTurn, run: ExtractionRun): Promise<ExtractionResult> {
    const stored: string[] = [];
    const merged: string[] = [];
    const degraded: string[] = [];
    let facts: string[];
    let model: string;
    try {
      const reply = turn.reply === undefined ? '' : `\n\nAssistant's reply:\n${clip(turn.reply)}`;
      const result = await tracedChat(
        this.llm,
        run.trace,
        TRACE_AGENT,
        {
          messages: [
            { role: 'system', content: PROMPT },
            { role: 'user', content: `User's message:\n${clip(turn.message.content)}${reply}` },
          ],
          responseFormat: { type: 'json', schema: FACTS_JSON_SCHEMA },
          temperature: 0,
          abortSignal: run.signal,
        },
        this.settings.deployment,
      );
      // The offline model fills the schema with the user's words: a copy of the turn, not a fact.
      if (result.provider === 'offline') return { stored, merged, degraded: ['extraction: skipped: the offline model cannot extract facts (configure a model)'] };
      facts = parseFacts(result.text);
      model = result.model;
    } catch (error) {
      run.signal?.throwIfAborted();
      // The router's own message may quote a provider's; the attempts are what a client may read.
      return { stored, merged, degraded: [`extraction: ${error instanceof LlmRouterError ? describeFailure(error).message : messageOf(error)}`] };
    }

    for (const content of unique(facts)) {
      run.signal?.throwIfAborted();
      try {
        const known = await this.nearest(content, turn, run);
        const id = known?.id ?? newId(turn.tenantId);
        const previous = known?.metadata?.sourceTurns;
        const sourceTurns = [...new Set([...(Array.isArray(previous) ? previous.filter((t): t is string => typeof t === 'string') : []), ...turn.sourceTurns])];
        const metadata: Record<string, Json> = { sourceTurns, extractedBy: model };
        // A merged fact moves to the newest conversation it was said in, with its newer wording:
        // forgetting that conversation removes it, forgetting an older one leaves what was said since.
        const result = await this.memory.store(
          { id, content, conversationId: turn.conversationId, tenantId: turn.tenantId, role: FACT_ROLE, metadata, occurredAt: turn.message.occurredAt ?? turn.message.createdAt },
          'high',
          { signal: run.signal, asOf: run.asOf },
        );
        stored.push(result.id);
        if (known) merged.push(result.id);
        degraded.push(...result.degraded.map((n) => `extraction: write: ${n}`));
      } catch (error) {
        run.signal?.throwIfAborted();
        degraded.push(`extraction: fact not stored: ${messageOf(error)}`);
      }
    }
    return { stored, merged, degraded: [...new Set(degraded)] };
  }

  /** The tenant's known fact `content` nearly duplicates, if any: the closest one whose cosine passes the merge threshold. */
  private async nearest(content: string, turn: ExtractionTurn, run: ExtractionRun): Promise<StoredItem | undefined> {
    const context = await this.memory.retrieveContext(content, turn.conversationId, { tenantId: turn.tenantId, semanticLimit: DEDUP_CANDIDATES, semanticOnly: true, signal: run.signal });
    // A failed long-term read would make every fact look new: better none stored than duplicates.
    const down = context.degraded.find((n) => n.startsWith('long-term'));
    if (down !== undefined) throw new Error(`duplicates not checked: ${down}`);
    const candidates = context.semantic.filter((m) => m.item.role === FACT_ROLE && m.dense !== undefined && m.dense > this.settings.mergeAbove);
    candidates.sort((a, b) => (b.dense ?? 0) - (a.dense ?? 0));
    return candidates[0]?.item;
  }
}

/** The model's answer as facts; throws naming what was wrong with it. */
export function parseFacts(text: string): string[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new Error(`the model's answer is not JSON (${JSON.stringify(text.slice(0, 80))})`);
  }
  const parsed = FactsSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`the model's answer is not {"facts": [up to ${MAX_FACTS_PER_TURN} sentences of up to ${MAX_FACT_CHARS} characters]} (${issue.path.join('.') || 'root'}: ${issue.message})`);
  }
  return parsed.data.facts;
}

function unique(facts: readonly string[]): string[] {
  const seen = new Set<string>();
  return facts.filter((f) => {
    const key = f.toLowerCase();
    return seen.has(key) ? false : (seen.add(key), true);
  });
}

function newId(tenantId: string | undefined): string {
  const id = `fact-${randomUUID()}`;
  return tenantId === undefined ? id : scopedId(tenantId, id);
}

function clip(text: string): string {
  return text.length > TURN_CHARS ? `${text.slice(0, TURN_CHARS)}…` : text;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
