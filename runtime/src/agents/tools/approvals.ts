/**
 * Tool calls that wait for a person: the run stops, its state is kept in mid-term memory (so any
 * instance can resume it, after a restart too), and a decision resumes it once.
 */
import { randomUUID } from 'node:crypto';
import type { ChatMessage, ToolCall } from '../../llm/types';
import type { MidTermStore } from '../../memory/types';

/** Where a stopped run stands: enough for the agent to go on from the call that waits. */
export interface PausedRun {
  /** The agent whose tool call waits. */
  readonly agent: string;
  /** The agent's conversation with the model so far, the assistant turn with the calls last but for the results already in. */
  readonly messages: readonly ChatMessage[];
  readonly pendingCall: ToolCall;
  /** Calls of the same model turn after the pending one, still to run. */
  readonly queue: readonly ToolCall[];
  /** Tool rounds used so far. */
  readonly rounds: number;
  /** The message being answered (tenant-scoped ids). */
  readonly message: { readonly id?: string; readonly conversationId: string; readonly tenantId?: string };
}

/** A run kept for approval: the paused agent's state and the team it belongs to. */
export interface PendingRun extends PausedRun {
  readonly runId: string;
  readonly teamId: string;
  readonly tenantId?: string;
  /** The conversation id as the client named it (`message.conversationId` is tenant-scoped). */
  readonly clientConversationId: string;
  readonly createdAt: string;
}

/** Thrown through the team when a tool that requires approval is about to run. Not a failure. */
export class ToolApprovalRequired extends Error {
  readonly code = 'AGENT_TOOL_APPROVAL_REQUIRED';
  constructor(readonly paused: PausedRun) {
    super(`tool call ${paused.pendingCall.name} of agent "${paused.agent}" waits for approval`);
    this.name = 'ToolApprovalRequired';
  }
}

export interface ApprovalDecision {
  readonly approve: boolean;
  readonly reason?: string;
}

/** How long a run waits for its decision before it is gone. */
export const APPROVAL_TTL_MS = 24 * 3600 * 1000;
/** The conversation id every pending run is stored under: its own namespace, never a conversation's context. */
export const APPROVALS_NAMESPACE = 'orchestra:tool-approvals';
const ROLE = 'tool-approval';

const itemId = (runId: string) => `${APPROVALS_NAMESPACE}:${runId}`;
/** The decision's claim on a run: one item whose insertion only one decision can win. */
const claimId = (runId: string) => `${APPROVALS_NAMESPACE}:${runId}:claim`;

export type ClaimOutcome = { readonly run: PendingRun } | { readonly missing: true } | { readonly resumed: true };

/**
 * Pending runs in the mid-term store, one item each, with the tenant's id (a read by another
 * tenant finds nothing) and an expiry.
 */
export class ApprovalStore {
  constructor(
    private readonly store: MidTermStore,
    private readonly ttlMs: number = APPROVAL_TTL_MS,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Keeps `paused` and returns its run id. */
  async save(teamId: string, tenantId: string | undefined, clientConversationId: string, paused: PausedRun): Promise<PendingRun> {
    const now = this.clock();
    const run: PendingRun = { ...paused, runId: randomUUID(), teamId, tenantId, clientConversationId, createdAt: now.toISOString() };
    await this.store.upsert(
      { id: itemId(run.runId), content: JSON.stringify(run), conversationId: APPROVALS_NAMESPACE, tenantId, role: ROLE, createdAt: run.createdAt, metadata: { teamId, status: 'pending' } },
      new Date(now.getTime() + this.ttlMs),
    );
    return run;
  }

  /**
   * Takes the run for resuming: marks it resumed, so a second decision is refused. `missing` for
   * a run that is not this tenant's or this team's, or has expired.
   */
  async claim(runId: string, teamId: string, tenantId: string | undefined): Promise<ClaimOutcome> {
    const item = await this.store.get(itemId(runId), tenantId);
    if (!item || item.role !== ROLE || item.tenantId !== tenantId || item.metadata?.['teamId'] !== teamId) return { missing: true };
    if (item.metadata?.['status'] !== 'pending') return { resumed: true };
    // Two decisions at once, on two instances, both read `pending`: the claim's insertion is what
    // only one of them can win, so the tool runs once. The run stays, marked, until it expires: a
    // later decision gets 409, not 404.
    const expiresAt = new Date(Date.parse(item.createdAt) + this.ttlMs);
    const claim = { id: claimId(runId), content: '', conversationId: APPROVALS_NAMESPACE, tenantId, role: ROLE, createdAt: this.clock().toISOString(), metadata: { teamId } };
    if (!(await this.store.insertIfAbsent(claim, expiresAt))) return { resumed: true };
    await this.store.upsert({ ...item, metadata: { ...item.metadata, status: 'resumed' } }, expiresAt);
    return { run: JSON.parse(item.content) as PendingRun };
  }
}
