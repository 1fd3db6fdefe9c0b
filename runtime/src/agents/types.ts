/**
 * The agents' contract: plain data in and out. An agent receives a message, a view of its team
 * and the context of the current run; it answers with a reply and records what it did in the
 * run's trace.
 */
import type { MemoryContext } from '../memory/manager';
import type { Json } from '../memory/types';
import type { RunBudget } from './budget';
import type { AgentFailure } from './errors';
import type { RunEvents } from './run-events';
import type { TraceRecorder } from './trace';

export type { TraceAction, TraceStep } from './trace';

export interface AgentMessage {
  /**
   * The id a team stores the message under, and its reply under `<id>:reply`: a retry of the same
   * message with the same id rewrites those turns instead of adding copies.
   * @default - a random UUID for each
   */
  readonly id?: string;
  /** The conversation the message belongs to; memory is read and written under it. */
  readonly conversationId: string;
  readonly content: string;
  /** Restricts semantic memory search to this tenant's items. */
  readonly tenantId?: string;
  /** Stored with the message in memory. */
  readonly metadata?: Readonly<Record<string, Json>>;
}

export interface AgentReply {
  readonly content: string;
  /** The agent that wrote `content` (a member, when the coordinator passed its answer on). */
  readonly agent: string;
  /** The model that wrote `content`; absent when no model did (e.g. a coordinator's own notice). */
  readonly model?: string;
  readonly provider?: string;
}

/** What an agent knows about a team mate. */
export interface TeamMember {
  readonly name: string;
  readonly description: string;
  readonly capabilities: readonly string[];
}

/**
 * The team as one agent sees it during a run. `members` are those it may delegate to: every agent
 * of the team except itself and those that delegated to it, so a member cannot delegate back.
 */
export interface TeamView {
  readonly members: readonly TeamMember[];
  /**
   * Runs member `to` on `message` (one level deeper) and records a `delegate` step, with `reason`
   * (why this member) in its detail. Throws `DelegationError` when `to` is not in `members`.
   */
  delegate(to: string, message: AgentMessage, context: AgentContext, reason?: string): Promise<AgentReply>;
  /**
   * `delegate`, with a failure as a result rather than an exception (the tool-error semantics of
   * agent frameworks): whatever the member throws, or a refused delegation, comes back as
   * `{ failure }` for the caller to work around, and is recorded in the trace (the failed
   * `delegate` step), `context.degraded` and `context.failures`.
   */
  tryDelegate(to: string, message: AgentMessage, context: AgentContext, reason?: string): Promise<{ readonly reply: AgentReply } | { readonly failure: AgentFailure }>;
}

/** A member's failure the run went on despite. */
export interface HandledFailure extends AgentFailure {
  /** The member that failed. */
  readonly agent: string;
  /** What it threw: for the logs, never for a client or a model. */
  readonly error: unknown;
}

/** The state of one run of a team on one message, shared by every agent of that run. */
export interface AgentContext {
  /** The conversation's memory, without the message being answered (that is the message). */
  readonly memory: MemoryContext;
  readonly trace: TraceRecorder;
  /** 0 for the coordinator, +1 per delegation. */
  readonly depth: number;
  /**
   * What the answer is given despite (`agent <name>: …`), added to the reply's `degraded` list:
   * safe to show a client. Shared by the whole run; agents push to it.
   */
  readonly degraded: string[];
  /** The member failures of this run that did not end it, with their errors, for the logs. */
  readonly failures: HandledFailure[];
  /**
   * Aborts when the request's deadline passes or its client goes away: pass it on as the model
   * call's `abortSignal` (and to memory), and start nothing new once it has aborted.
   */
  readonly signal?: AbortSignal;
  /**
   * Where the run is shown live. Its `onText` is present only while this agent's answer is the
   * reply: pass it to `tracedChat` for the call that writes it; hand a member whose answer you
   * rework a context `withoutText(context.events)`. Steps are told by `trace` itself.
   */
  readonly events?: RunEvents;
  /**
   * The run's token and cost pool, shared by every agent of the run. `tracedChat` reserves and
   * settles each model call against it already (it finds it through `trace`): read it, e.g. to
   * skip optional work when little is left. @default - none: no limit, nothing counted
   */
  readonly budget?: RunBudget;
}
