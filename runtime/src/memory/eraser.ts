import { randomUUID } from 'node:crypto';
import { failureReason, withDeadline } from './deadline';
import { type LayerFailure, MemoryForgetError } from './errors';
import type { ErasureRecord, ErasureTarget, LayerName, LongTermStore, MidTermStore, ShortTermStore } from './types';

/** Ids removed from long-term, then from mid-term, per round of a tenant purge. */
const PURGE_BATCH = 500;

export interface ErasureRequest {
  readonly target: ErasureTarget;
  /** Whose data it is: mid-term and long-term leave other tenants' items alone. Required for a tenant purge. */
  readonly tenantId?: string;
  /** Who asked (a key's fingerprint), recorded in the receipt. */
  readonly requestedBy: string;
  readonly signal?: AbortSignal;
}

export interface Erasure {
  /** Items removed per layer (long-term: removals requested; Vector Search does not count them). */
  readonly removed: Record<LayerName, number>;
  /** The record left behind (state `complete`): what, when, who; no content. */
  readonly receipt: ErasureRecord;
}

interface EraserOptions {
  readonly timeoutMs: number;
  readonly now: () => Date;
}

/**
 * Removes a conversation, an item or a tenant from every layer, in an order that makes a retry
 * finish what a failed attempt left:
 *
 * 1. A `pending` record goes to mid-term first. It is the tombstone that refuses writes begun
 *    before it (see `erasure-record.ts`) and the operator's proof; without it nothing is removed.
 * 2. Short-term and long-term are cleared. Long-term holds ids and vectors only, and mid-term is
 *    the one list of which ids it holds (every HIGH item has its document, written before its
 *    vector), so:
 * 3. mid-term documents go last, and only once long-term took the removal. A failed long-term
 *    call leaves the documents, so the retry finds the same ids again instead of reporting
 *    success over vectors still searchable.
 * 4. The record becomes `complete` (or `failed`, with the reasons) — only then is success said.
 */
export class Eraser {
  constructor(
    private readonly layers: { readonly shortTerm: ShortTermStore; readonly midTerm: MidTermStore; readonly longTerm: LongTermStore },
    private readonly options: EraserOptions,
  ) {}

  async erase(request: ErasureRequest): Promise<Erasure> {
    const { midTerm } = this.layers;
    const pending: ErasureRecord = {
      id: randomUUID(),
      ...(request.tenantId === undefined ? {} : { tenantId: request.tenantId }),
      target: request.target,
      requestedBy: request.requestedBy,
      requestedAt: this.options.now().toISOString(),
      state: 'pending',
    };
    await this.call(() => midTerm.recordErasure(pending), request.signal).catch((error: unknown) => {
      throw new MemoryForgetError([{ layer: 'mid-term', reason: `erasure not recorded, nothing removed: ${failureReason(error, 'write')}` }], {});
    });

    const removed: Record<LayerName, number> = { 'short-term': 0, 'mid-term': 0, 'long-term': 0 };
    const failures: LayerFailure[] = [];
    const attempt = async (layer: LayerName, work: () => Promise<number>): Promise<boolean> => {
      try {
        removed[layer] += await this.call(work, request.signal);
        return true;
      } catch (error) {
        failures.push({ layer, reason: failureReason(error, 'write') });
        return false;
      }
    };
    if (request.target.kind === 'tenant') await this.purge(request.target.id, attempt);
    else await this.eraseOne(request.target, request.tenantId, attempt);

    const done: ErasureRecord = {
      ...pending,
      state: failures.length === 0 ? 'complete' : 'failed',
      completedAt: this.options.now().toISOString(),
      removed,
      ...(failures.length === 0 ? {} : { failures: failures.map((f) => `${f.layer}: ${f.reason}`) }),
    };
    // Not under the request's signal: what was removed is recorded even for a caller who left.
    await this.call(() => midTerm.recordErasure(done)).catch((error: unknown) => {
      failures.push({ layer: 'mid-term', reason: `receipt ${pending.id} left pending: ${failureReason(error, 'write')}` });
    });
    if (failures.length > 0) throw new MemoryForgetError(failures, removed, pending.id);
    return { removed, receipt: done };
  }

  private async eraseOne(target: ErasureTarget, tenantId: string | undefined, attempt: Attempt): Promise<void> {
    const { shortTerm, midTerm, longTerm } = this.layers;
    let ids: readonly string[] | undefined = target.kind === 'item' ? [target.id] : undefined;
    if (ids === undefined) await attempt('mid-term', async () => ((ids = await midTerm.idsOfConversation(target.id, tenantId)), 0));
    const vectorIds = ids;
    // Short-term forgets by key: keys are made of tenant-scoped ids, which no other tenant can name.
    const [, vectorsGone] = await Promise.all([
      attempt('short-term', async () => (target.kind === 'item' ? Number(await shortTerm.forgetItem(target.id)) : shortTerm.forgetConversation(target.id))),
      vectorIds === undefined ? false : attempt('long-term', async () => (vectorIds.length > 0 ? (await longTerm.remove(vectorIds), vectorIds.length) : 0)),
    ]);
    if (!vectorsGone) return;
    await attempt('mid-term', async () => (target.kind === 'item' ? Number(await midTerm.delete(target.id, tenantId)) : midTerm.deleteConversation(target.id, tenantId)));
  }

  /**
   * Every item of a tenant, in batches from mid-term (long-term first, as above) beside one
   * short-term sweep. A batch that deletes nothing would come back forever: it ends the purge as failed.
   */
  private async purge(tenantId: string, attempt: Attempt): Promise<void> {
    const { shortTerm, midTerm, longTerm } = this.layers;
    const durable = async (): Promise<void> => {
      for (;;) {
        let ids: string[] = [];
        if (!(await attempt('mid-term', async () => ((ids = await midTerm.idsOfTenant(tenantId, PURGE_BATCH)), 0)))) return;
        if (ids.length === 0) return;
        if (!(await attempt('long-term', async () => (await longTerm.remove(ids), ids.length)))) return;
        let deleted = 0;
        if (!(await attempt('mid-term', async () => (deleted = await midTerm.deleteMany(ids, tenantId))))) return;
        if (deleted === 0) {
          await attempt('mid-term', () => Promise.reject(new Error(`${ids.length} listed documents could not be deleted`)));
          return;
        }
      }
    };
    await Promise.all([attempt('short-term', () => shortTerm.forgetTenant(tenantId)), durable()]);
  }

  private call<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return withDeadline(work, this.options.timeoutMs, signal);
  }
}

type Attempt = (layer: LayerName, work: () => Promise<number>) => Promise<boolean>;
