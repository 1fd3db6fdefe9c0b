import { DEFAULTS } from '../contract';
import { MEMORY_SPAN } from '../telemetry/conventions';
import { memoryLayerSpan, memorySpan } from '../telemetry/spans';
import { failureReason as reason, withDeadline } from './deadline';
import { targetsOf, tombstoneKey } from './erasure-record';
import { Eraser } from './eraser';
import { LayerFailure, MemoryErasedError, MemoryOptionsError, MemoryValidationError, MemoryWriteError } from './errors';
import { isEmptyRange, parseId, parseImportance, parseItem, parseTimeRange } from './item-schema';
import { isAlpha } from './long-term/fusion';
import { type ErasureRecord, type ErasureTarget, type Importance, type LayerName, type LayerStatus, type LongTermStore, type MidTermStore, type ShortTermStore, type StoredItem, type TimeRange, occurredWithin } from './types';

export interface MemoryManagerOptions {
  /** Turns kept per conversation in short-term memory, and returned as `recent`. @default DEFAULTS.recentMessages (20) */
  readonly recentMessages?: number;
  /** Seconds a short-term write lives. @default DEFAULTS.shortTermTtlSeconds (3600) */
  readonly shortTermTtlSeconds?: number;
  /** Days a MEDIUM item lives in mid-term memory; HIGH items stay until forgotten. @default DEFAULTS.midTermTtlDays (30) */
  readonly midTermTtlDays?: number;
  /** Time budget of each layer in a read (`retrieveContext`, `status`). @default DEFAULTS.layerTimeoutMs (1500) */
  readonly layerTimeoutMs?: number;
  /** Time budget of each layer in a write (embedding included). @default 10000 */
  readonly writeTimeoutMs?: number;
  /** Mid-term items returned as `related`. @default 20 */
  readonly relatedLimit?: number;
  /** Long-term matches returned as `semantic`. @default 5 */
  readonly semanticLimit?: number;
  /**
   * The cosine similarity (-1 to 1) a semantic match must score above, unless it was also found
   * lexically: in hybrid search, a match whose words the query shares (`VectorMatch.lexical` > 0)
   * is kept whatever its dense score, since rare words (codes, names, numbers) are where dense
   * embeddings score low and lexical search is right; a match found by the dense signal alone
   * must pass this on its cosine (`VectorMatch.dense`, or `score` from a dense-only store).
   * @default - the long-term store's `minRelatedScore`: its embedder's measured cutoff (0.1 for the
   * hashing embedder), or no cutoff (ranking only) where none is known, as for Vertex AI's models
   */
  readonly semanticMinScore?: number;
  /**
   * Weight of the dense ranking against the lexical one in the long-term store's hybrid search
   * (`VectorSearchOptions.alpha`), from 0 (lexical only) to 1 (dense only).
   * @default - the store's own (its embedder's `hybridAlpha`, else `DEFAULT_HYBRID_ALPHA`)
   */
  readonly hybridAlpha?: number;
  /** pino-compatible; told about degraded layers. @default - silent */
  readonly logger?: { warn(obj: object, msg: string): void };
  /** @default () => new Date() */
  readonly clock?: () => Date;
}

export interface StoreResult {
  readonly id: string;
  readonly importance: Importance;
  readonly written: LayerName[];
  /** Layers that failed without losing the item (short-term, when a durable layer has it). */
  readonly degraded: string[];
}

export interface SemanticMatch {
  readonly item: StoredItem;
  /** The store's relevance (`VectorMatch.score`): a fused rank score in hybrid search, comparable within one answer only. */
  readonly score: number;
  /** Cosine similarity of the dense embeddings (`VectorMatch.dense`), when the dense search ranked the item: comparable across answers. */
  readonly dense?: number;
}

export interface MemoryContext {
  /** The conversation's newest turns, oldest first (short-term). */
  readonly recent: StoredItem[];
  /** Older durable items of the conversation, newest first, without those already in `recent`. */
  readonly related: StoredItem[];
  /** Items whose meaning is closest to the query, best first (long-term). */
  readonly semantic: SemanticMatch[];
  /** `"<layer>: <reason>"` for each layer that failed or timed out; its part is empty. */
  readonly degraded: string[];
}

/**
 * `occurredAfter` / `occurredBefore` (`TimeRange`): only items that occurred within that range, in
 * every part (recent, related and semantic), for "what did we say last week" questions.
 */
export interface RetrieveOptions extends TimeRange {
  /** Only this tenant's items, in every part (each layer filters on the items' `tenantId`). */
  readonly tenantId?: string;
  /** Restrict semantic search to the conversation itself. @default false (whole tenant) */
  readonly semanticWithinConversation?: boolean;
  readonly semanticLimit?: number;
  /** Long-term search only: `recent` and `related` stay empty, short- and mid-term are not read (a duplicate check). @default false */
  readonly semanticOnly?: boolean;
  /** The request's: once aborted, no layer is called and the read rejects with its reason. */
  readonly signal?: AbortSignal;
}

export interface StoreOptions {
  /** The request's: once aborted, no layer is called and the write rejects with its reason. */
  readonly signal?: AbortSignal;
  /**
   * When the write began (a request's arrival, a team run's start). Given, the write is refused
   * with `MemoryErasedError` when its item, conversation or tenant was erased at or after this
   * instant: a stale write must not bring forgotten data back. It costs one mid-term read.
   * @default - not checked
   */
  readonly asOf?: Date;
}

/**
 * With `tenantId`, mid-term leaves documents of another tenant alone, and so does long-term when a
 * conversation is forgotten (its ids come from those documents). One item's short-term entry and
 * vector are removed by id alone: that id is tenant-scoped by the caller. `purgeTenant` removes
 * everything stored with that tenant (an operator's act).
 */
export type ForgetTarget = (({ readonly conversationId: string } | { readonly itemId: string }) & { readonly tenantId?: string }) | { readonly purgeTenant: string };

export interface ForgetOptions {
  /** Who asked, for the receipt: a key's fingerprint, never a secret. @default "library" */
  readonly requestedBy?: string;
  readonly signal?: AbortSignal;
}

export interface ForgetResult {
  /** Items removed per layer (long-term: removals requested; Vector Search does not count them). */
  readonly removed: Record<LayerName, number>;
  /** The erasure's record, also kept in mid-term: what, when, who, and no content. */
  readonly receipt: ErasureRecord;
}

export interface MemoryLayers {
  readonly shortTerm: ShortTermStore;
  readonly midTerm: MidTermStore;
  readonly longTerm: LongTermStore;
}

/** LOW lives in short-term only, MEDIUM also in mid-term, HIGH in all three. */
const LAYERS_BY_IMPORTANCE: Record<Importance, LayerName[]> = {
  low: ['short-term'],
  medium: ['short-term', 'mid-term'],
  high: ['short-term', 'mid-term', 'long-term'],
};

/** Layers whose failure loses the item: short-term is only a cache once a durable layer has it. */
const REQUIRED_BY_IMPORTANCE: Record<Importance, LayerName[]> = {
  low: ['short-term'],
  medium: ['mid-term'],
  high: ['mid-term', 'long-term'],
};

/**
 * One memory over three layers. Reads query the layers concurrently, each within its own time
 * budget, and degrade (an empty part plus a note) instead of failing; writes fail when a layer
 * the item's importance requires did not take it.
 */
export class LayeredMemoryManager {
  private readonly recentMessages: number;
  private readonly shortTermTtlSeconds: number;
  private readonly midTermTtlMs: number;
  private readonly relatedLimit: number;
  private readonly semanticLimit: number;
  private readonly semanticMinScore: number | undefined;
  private readonly hybridAlpha: number | undefined;
  private readonly readTimeoutMs: number;
  private readonly writeTimeoutMs: number;
  private readonly now: () => Date;

  constructor(
    readonly layers: MemoryLayers,
    private readonly options: MemoryManagerOptions = {},
  ) {
    this.recentMessages = options.recentMessages ?? DEFAULTS.recentMessages;
    this.shortTermTtlSeconds = options.shortTermTtlSeconds ?? DEFAULTS.shortTermTtlSeconds;
    this.midTermTtlMs = (options.midTermTtlDays ?? DEFAULTS.midTermTtlDays) * 24 * 3600 * 1000;
    this.relatedLimit = options.relatedLimit ?? 20;
    this.semanticLimit = options.semanticLimit ?? 5;
    this.semanticMinScore = options.semanticMinScore ?? layers.longTerm.minRelatedScore;
    if (options.hybridAlpha !== undefined && !isAlpha(options.hybridAlpha)) {
      throw new MemoryOptionsError('LayeredMemoryManager', [{ path: 'hybridAlpha', message: `expected a number from 0 to 1, got ${options.hybridAlpha}` }]);
    }
    this.hybridAlpha = options.hybridAlpha;
    this.readTimeoutMs = options.layerTimeoutMs ?? DEFAULTS.layerTimeoutMs;
    this.writeTimeoutMs = options.writeTimeoutMs ?? 10_000;
    this.now = options.clock ?? (() => new Date());
  }

  /**
   * Connects every layer (indexes, scripts); call once before use. A backend that is unreachable
   * or refuses the credentials does not fail it: that layer keeps connecting in the background,
   * reads degrade and writes that need it fail, and `status()` says why. It throws for what
   * waiting cannot fix (a server's definitive refusal, missing Google credentials).
   */
  async init(): Promise<void> {
    await Promise.all([this.layers.shortTerm.init(), this.layers.midTerm.init(), this.layers.longTerm.init()]);
  }

  /**
   * Connects layers that connect lazily, so the first request does not pay for it. Failures are
   * reported by `status()` and retried on use; nothing here throws.
   */
  async warmUp(): Promise<void> {
    const { shortTerm, midTerm, longTerm } = this.layers;
    await Promise.allSettled([shortTerm.warmUp?.(), midTerm.warmUp?.(), longTerm.warmUp?.()]);
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.layers.shortTerm.close(), this.layers.midTerm.close(), this.layers.longTerm.close()]);
  }

  /**
   * Validates `input` (throws `MemoryValidationError` naming the field, writing nothing), then
   * writes the layers `importance` calls for, concurrently. Throws `MemoryWriteError` when a
   * required layer failed.
   */
  store(input: unknown, importance: unknown = 'low', options: StoreOptions = {}): Promise<StoreResult> {
    return memorySpan(MEMORY_SPAN.store, () => this.storeItem(input, importance, options));
  }

  private async storeItem(input: unknown, importance: unknown, options: StoreOptions): Promise<StoreResult> {
    const level = parseImportance(importance);
    const now = this.now();
    const item = parseItem(input, now);
    // Before any layer: an aborted write must not half-happen (short-term taken, mid-term not).
    options.signal?.throwIfAborted();
    const layers = LAYERS_BY_IMPORTANCE[level];
    const failures: LayerFailure[] = [];
    const written: LayerName[] = [];
    const notes = options.asOf === undefined ? [] : await this.refuseStale(item, level, options.asOf, options.signal);
    const attempt = (layer: LayerName): Promise<boolean> =>
      withDeadline(() => memoryLayerSpan(MEMORY_SPAN.store, layer, () => this.write(layer, item, level, now)), this.writeTimeoutMs, options.signal).then(
        () => (written.push(layer), true),
        (error: unknown) => (failures.push({ layer, reason: reason(error, 'write') }), false),
      );
    // A vector goes to long-term only once its document is in mid-term: mid-term is the list of
    // what long-term holds (forget finds the ids there), so a vector without one could never be
    // forgotten.
    await Promise.all(
      layers
        .filter((layer) => layer !== 'long-term')
        .map((layer) =>
          attempt(layer).then(async (ok) => {
            if (layer !== 'mid-term' || !layers.includes('long-term')) return;
            if (ok) await attempt('long-term');
            else failures.push({ layer: 'long-term', reason: 'not written: mid-term did not take the item' });
          }),
        ),
    );
    written.sort((a, b) => layers.indexOf(a) - layers.indexOf(b));
    if (failures.length === 0) return { id: item.id, importance: level, written, degraded: notes };
    options.signal?.throwIfAborted();

    const required = REQUIRED_BY_IMPORTANCE[level];
    if (failures.some((f) => required.includes(f.layer))) throw new MemoryWriteError(failures, written);
    const degraded = [...notes, ...failures.map((f) => `${f.layer}: ${f.reason}`)];
    this.options.logger?.warn({ id: item.id, degraded }, 'memory write degraded');
    return { id: item.id, importance: level, written, degraded };
  }

  /**
   * Throws `MemoryErasedError` when the item, its conversation or its tenant was erased at or
   * after `asOf`. Tombstones live in mid-term: a durable write cannot be made without it anyway,
   * while a LOW write (short-term only, gone within the hour) goes ahead unchecked and says so.
   */
  private async refuseStale(item: StoredItem, level: Importance, asOf: Date, signal?: AbortSignal): Promise<string[]> {
    const targets = targetsOf(item);
    let stones: Map<string, number>;
    try {
      stones = await withDeadline(() => this.layers.midTerm.tombstones(targets.map(tombstoneKey)), this.writeTimeoutMs, signal);
    } catch (error) {
      signal?.throwIfAborted();
      const failure = { layer: 'mid-term' as const, reason: `erasures not checked: ${reason(error, 'read')}` };
      if (level !== 'low') throw new MemoryWriteError([failure], []);
      return [`${failure.layer}: ${failure.reason}`];
    }
    for (const target of targets) {
      const erasedAt = stones.get(tombstoneKey(target));
      if (erasedAt !== undefined && erasedAt >= asOf.getTime()) throw new MemoryErasedError(target, new Date(erasedAt).toISOString());
    }
    return [];
  }

  private write(layer: LayerName, item: StoredItem, level: Importance, now: Date): Promise<unknown> {
    switch (layer) {
      case 'short-term':
        return this.layers.shortTerm.remember(item, this.recentMessages, this.shortTermTtlSeconds);
      case 'mid-term':
        // HIGH items back the long-term index, which never expires: their documents are kept too.
        return this.layers.midTerm.upsert(item, level === 'high' ? undefined : new Date(now.getTime() + this.midTermTtlMs));
      case 'long-term':
        return this.layers.longTerm.upsert([item]);
    }
  }

  /**
   * Context for answering `query` in a conversation, from all three layers at once. A layer that
   * fails or exceeds its budget contributes nothing and is named in `degraded`.
   */
  retrieveContext(query: string, conversationId: string, options: RetrieveOptions = {}): Promise<MemoryContext> {
    return memorySpan(MEMORY_SPAN.search, () => this.readContext(query, conversationId, options));
  }

  private async readContext(query: string, conversationId: string, options: RetrieveOptions): Promise<MemoryContext> {
    if (typeof query !== 'string' || query.trim() === '') throw MemoryValidationError.of('query', 'a non-empty string');
    parseId('conversationId', conversationId);
    if (options.tenantId !== undefined) parseId('tenantId', options.tenantId);
    const range = parseTimeRange(options);
    // Nothing occurs within an empty range: no layer needs asking.
    if (isEmptyRange(range)) return { recent: [], related: [], semantic: [], degraded: [] };
    const ranged = range.occurredAfter !== undefined || range.occurredBefore !== undefined;
    const degraded: string[] = [];
    const guarded = async <T>(layer: LayerName, read: () => Promise<T>, fallback: T): Promise<T> => {
      try {
        return await withDeadline(() => memoryLayerSpan(MEMORY_SPAN.search, layer, read), this.readTimeoutMs, options.signal);
      } catch (error) {
        degraded.push(`${layer}: ${reason(error, 'read')}`);
        return fallback;
      }
    };

    const none = Promise.resolve([] as StoredItem[]);
    const [recent, related, semantic] = await Promise.all([
      // Short-term holds only the newest few turns of a conversation: filtered here, after the read.
      options.semanticOnly ? none : guarded('short-term', async () => (await this.layers.shortTerm.recent(conversationId, this.recentMessages, options.tenantId)).filter((i) => !ranged || occurredWithin(i, range)), [] as StoredItem[]),
      options.semanticOnly ? none : guarded('mid-term', () => this.layers.midTerm.byConversation(conversationId, this.relatedLimit + this.recentMessages, options.tenantId, ranged ? range : undefined), [] as StoredItem[]),
      guarded('long-term', () => this.semanticSearch(query, conversationId, { ...options, ...range }), [] as SemanticMatch[]),
    ]);
    // An aborted read is no degraded context: nobody is waiting for it.
    options.signal?.throwIfAborted();
    if (degraded.length > 0) this.options.logger?.warn({ conversationId, degraded }, 'memory context degraded');

    const inRecent = new Set(recent.map((i) => i.id));
    return {
      recent,
      related: related.filter((i) => !inRecent.has(i.id)).slice(0, this.relatedLimit),
      semantic,
      degraded: degraded.sort(),
    };
  }

  /**
   * Removes a conversation, one item, or everything of a tenant from every layer (the right to be
   * forgotten), in an order that a retry completes (see `Eraser`), and leaves a record of it
   * without content. Throws `MemoryForgetError` with what was removed when a layer could not be
   * reached; then the record says `failed`, and calling again is safe.
   */
  async forget(target: ForgetTarget, options: ForgetOptions = {}): Promise<ForgetResult> {
    let erasure: ErasureTarget;
    let tenantId: string | undefined;
    if ('purgeTenant' in target) {
      tenantId = parseId('purgeTenant', target.purgeTenant);
      erasure = { kind: 'tenant', id: tenantId };
    } else {
      tenantId = target.tenantId === undefined ? undefined : parseId('tenantId', target.tenantId);
      erasure = 'conversationId' in target ? { kind: 'conversation', id: parseId('conversationId', target.conversationId) } : { kind: 'item', id: parseId('itemId', target.itemId) };
    }
    const eraser = new Eraser(this.layers, { timeoutMs: this.writeTimeoutMs, now: this.now });
    return memorySpan(MEMORY_SPAN.forget, () => eraser.erase({ target: erasure, tenantId, requestedBy: options.requestedBy ?? 'library', signal: options.signal }));
  }

  /** An erasure's record by its receipt id, within `tenantId` when given. */
  async erasure(id: string, tenantId?: string): Promise<ErasureRecord | undefined> {
    return withDeadline(() => this.layers.midTerm.getErasure(parseId('receipt', id), tenantId), this.readTimeoutMs);
  }

  /** Each layer's backend and health, probed concurrently within the read budget. */
  async status(): Promise<LayerStatus[]> {
    const { shortTerm, midTerm, longTerm } = this.layers;
    const probes: [LayerName, ShortTermStore | MidTermStore | LongTermStore][] = [
      ['short-term', shortTerm],
      ['mid-term', midTerm],
      ['long-term', longTerm],
    ];
    return Promise.all(
      probes.map(async ([layer, store]) => {
        try {
          return await withDeadline(() => store.status(), this.readTimeoutMs);
        } catch (error) {
          return { layer, backend: 'unknown', embedded: false, ok: false, detail: reason(error, 'read') };
        }
      }),
    );
  }

  private async semanticSearch(query: string, conversationId: string, options: RetrieveOptions): Promise<SemanticMatch[]> {
    const matches = await this.layers.longTerm.search(query, {
      limit: options.semanticLimit ?? this.semanticLimit,
      tenantId: options.tenantId,
      conversationId: options.semanticWithinConversation ? conversationId : undefined,
      ...(options.occurredAfter === undefined ? {} : { occurredAfter: options.occurredAfter }),
      ...(options.occurredBefore === undefined ? {} : { occurredBefore: options.occurredBefore }),
      ...(this.hybridAlpha === undefined ? {} : { alpha: this.hybridAlpha }),
    });
    const minScore = this.semanticMinScore;
    const relevant = minScore === undefined ? matches : matches.filter((m) => (m.lexical !== undefined && m.lexical > 0) || (m.dense ?? m.score) > minScore);
    if (relevant.length === 0) return [];
    // Vector Search keeps ids and vectors only; the items live in mid-term, and recent ones in
    // short-term too. Reading short-term first spares the durable store (Firestore's quotas) and
    // keeps this branch off the server the mid-term branch is reading at the same moment.
    const ids = relevant.map((m) => m.id);
    options.signal?.throwIfAborted();
    const cached = await this.layers.shortTerm.getItems(ids, options.tenantId).catch(() => [] as StoredItem[]);
    const items = new Map(cached.map((i) => [i.id, i]));
    const missing = ids.filter((id) => !items.has(id));
    if (missing.length > 0 && !options.signal?.aborted) for (const item of await this.layers.midTerm.getMany(missing, options.tenantId)) items.set(item.id, item);
    const ranged = options.occurredAfter !== undefined || options.occurredBefore !== undefined;
    return relevant.flatMap((m) => {
      const item = items.get(m.id);
      // The store applied the range already; checked again on the item itself, the source of truth.
      return item && (!ranged || occurredWithin(item, options)) ? [{ item, score: m.score, ...(m.dense === undefined ? {} : { dense: m.dense }) }] : [];
    });
  }
}
