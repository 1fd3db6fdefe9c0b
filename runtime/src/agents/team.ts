import { dirname } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { joinPath } from '../contract';
import { MemoryValidationError } from '../memory/errors';
import type { MemoryContext } from '../memory/manager';
import type { Importance } from '../memory/types';
import type { AgentDeps, BaseAgent } from './base-agent';
import { type BudgetLimits, type BudgetReport, type LlmPricing, RunBudget, type RunUsage, type TeamBudget, attachBudget, runLimits, teamBudgetProblems } from './budget';
import { AgentConfigError, BudgetExceededError, DelegationError, RunAbortedError, TeamConfigError, describeFailure } from './errors';
import { FACT_ROLE, FactExtractor } from './fact-extractor';
import { newTurnId, storeReply } from './stored-reply';
import type { AgentRegistry } from './registry';
import { type TeamConfigInput, parseTeamConfig } from './team-config';
import type { RunEvents } from './run-events';
import { TraceRecorder } from './trace';
import { type ApprovalDecision, type PendingRun, ToolApprovalRequired } from './tools/approvals';
import { resumeToolRun } from './tools/resume';
import { invokeAgentSpan } from '../telemetry/spans';
import type { AgentContext, AgentMessage, AgentReply, HandledFailure, TeamMember, TeamView, TraceStep } from './types';

export interface TeamDeps extends AgentDeps {
  /** Where the agent types the config names are found. */
  readonly registry: AgentRegistry;
  /**
   * The deployments' prices (`LlmPricing.fromConfig` of the router's config): runs then report
   * their cost, and a budget may limit it. @default none: tokens only
   */
  readonly pricing?: LlmPricing;
}

export interface TeamOptions {
  /** The file the config came from, named in errors. */
  readonly source?: string;
  /** For the trace's `startedAt`. @default () => new Date() */
  readonly clock?: () => Date;
}

/** A team's answer to one message. */
export interface TeamResult {
  readonly reply: AgentReply;
  /** What each agent did, in the order it started: delegations, model calls, answers. */
  readonly trace: TraceStep[];
  readonly memory: {
    /** Memory problems the answer was given despite: `read: <layer>: <reason>`, `write: …`, `reply not stored: …`. */
    readonly degraded: string[];
  };
  readonly agents: {
    /**
     * What the agents answered despite, safe to show a client: `agent <member>: failed (<kind>): …`
     * for a member whose failure was worked around, `agent <coordinator>: …` for a reply composed
     * from the work done (the step limit, the coordinator's own model failing late).
     */
    readonly degraded: string[];
    /** The member failures behind those notes, with the errors themselves: for the logs only. */
    readonly failures: HandledFailure[];
  };
  /** What the run's model calls used, the refused ones excepted. */
  readonly usage: RunUsage;
  /** The run's limits, what it used, and why it stopped when its budget did not cover a call. */
  readonly budget: BudgetReport;
}

export interface RunOptions {
  /**
   * The request's deadline and its client's disconnect. Once it aborts the run ends at once with
   * `RunAbortedError`; model and memory calls get it, and nothing new starts, the reply's write
   * included.
   */
  readonly signal?: AbortSignal;
  /**
   * Shows the run live: each step as it starts and ends, the reply's text as it is written, a
   * failover mid-answer. A reply no model streamed (a coordinator routing by tool calls, whose
   * final answer is known only once its call ends; a notice written without a model) is told as
   * one text event when it is known, so the text events add up to the reply. Only a streamed call
   * that failed part-way and was answered around breaks that: the result's reply is the reply.
   */
  readonly events?: RunEvents;
  /**
   * The request's own limits: each lowers the team's (`budget` of its config). Raising one throws
   * `BudgetRequestError` before anything is stored or run. @default the team's
   */
  readonly budget?: BudgetLimits;
}

/** Delegation details in the trace quote the task up to this length. */
const TASK_IN_TRACE = 200;

/**
 * Agents built from a team config, answering through their coordinator. Each message is stored
 * in memory before it is answered (so it is kept even when answering fails), the conversation's
 * context is read once for the whole run, and the reply is stored after it.
 */
export class AgentTeam {
  readonly id: string;
  readonly description?: string;
  /** The coordinator's name. */
  readonly coordinator: string;
  /** Every agent of the team, coordinator included, in config order. */
  readonly members: readonly TeamMember[];
  readonly source?: string;
  /** Each run's default limits; a request may lower them. */
  readonly budget: TeamBudget;

  private constructor(
    config: { id: string; description?: string; coordinator: string; budget: TeamBudget },
    private readonly agents: ReadonlyMap<string, BaseAgent>,
    private readonly coordinatorAgent: BaseAgent,
    private readonly importance: Importance,
    private readonly deps: TeamDeps,
    private readonly options: TeamOptions,
    /** Set when the config enables memory extraction. */
    private readonly extractor?: FactExtractor,
  ) {
    this.id = config.id;
    this.description = config.description;
    this.coordinator = config.coordinator;
    this.members = [...agents.values()].map(({ name, description, capabilities }) => ({ name, description, capabilities }));
    this.source = options.source;
    this.budget = config.budget;
  }

  /**
   * Validates `input` and builds its agents, loading their types from the registry. Throws
   * `TeamConfigError` naming the field (`agents[1].type`, `agents[0].config.temperature`…);
   * `AgentRegistryError` when a registered type cannot be loaded.
   */
  static async create(input: TeamConfigInput, deps: TeamDeps, options: TeamOptions = {}): Promise<AgentTeam> {
    const config = parseTeamConfig(input, options.source);
    const agents = new Map<string, BaseAgent>();
    for (const [i, entry] of config.agents.entries()) {
      const info = deps.registry.get(entry.type);
      if (!info) {
        const known = deps.registry.list().map((t) => t.name);
        throw new TeamConfigError([{ path: `agents[${i}].type`, message: `expected a registered agent type (${known.join(', ') || 'none registered'})` }], options.source);
      }
      const AgentType = await deps.registry.resolve(entry.type);
      try {
        const init = { name: entry.name, description: entry.description ?? info.description, capabilities: entry.capabilities ?? info.capabilities };
        const agent = new AgentType({ ...init, config: entry.config, deps: { memory: deps.memory, llm: deps.llm } });
        agents.set(entry.name, agent);
        await agent.open({ baseDir: options.source === undefined ? undefined : dirname(options.source) });
      } catch (error) {
        // What the agents before it opened (MCP servers) must not outlive a team never built.
        await Promise.allSettled([...agents.values()].map((a) => a.close()));
        if (!(error instanceof AgentConfigError)) throw error;
        throw new TeamConfigError(error.problems.map((p) => ({ ...p, path: joinPath(`agents[${i}].config`, p.path) })), options.source, { cause: error });
      }
    }
    const all = [...agents.values()];
    const problems = config.agents.flatMap((entry, i) =>
      (agents.get(entry.name) as BaseAgent).teamProblems(all).map((p) => ({ ...p, path: joinPath(`agents[${i}].config`, p.path) })),
    );
    const { extraction } = config;
    if (extraction.enabled && extraction.deployment !== undefined && !deps.llm.deployments.includes(extraction.deployment)) {
      problems.push({ path: 'extraction.deployment', message: `expected one of the router's deployments (${deps.llm.deployments.join(', ') || 'none'})` });
    }
    problems.push(...teamBudgetProblems(config.budget, deps.pricing));
    if (problems.length > 0) {
      await Promise.allSettled(all.map((a) => a.close()));
      throw new TeamConfigError(problems, options.source);
    }
    const extractor = extraction.enabled ? new FactExtractor(deps.llm, deps.memory, { deployment: extraction.deployment, mergeAbove: extraction.mergeAbove }) : undefined;
    // parseTeamConfig checked that the coordinator is one of the agents.
    const coordinator = agents.get(config.coordinator) as BaseAgent;
    return new AgentTeam(config, agents, coordinator, config.importance, deps, options, extractor);
  }

  /** Closes what the agents opened (MCP connections): with the app. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.agents.values()].map((a) => a.close()));
  }

  /** A run's trace and its budget (the team's limits, or the request's lower ones), which every model call of the run finds through the trace. */
  private startRun(options: RunOptions): { trace: TraceRecorder; budget: RunBudget } {
    const trace = new TraceRecorder(this.options.clock, options.events?.onStep);
    const budget = new RunBudget(runLimits(this.budget, options.budget, this.deps.pricing), this.deps.pricing, this.budget.maxOutputTokens);
    attachBudget(trace, budget);
    return { trace, budget };
  }

  /**
   * Resumes a run stopped for a tool call's approval (`ToolApprovalRequired`, kept by an
   * `ApprovalStore`): the paused agent goes on and its answer is stored as the turn's reply. The
   * resumed part draws on a budget of its own, at the team's limits (or the request's lower ones).
   */
  resumeApproval(run: PendingRun, decision: ApprovalDecision, options: RunOptions = {}): Promise<TeamResult> {
    const { trace, budget } = this.startRun(options);
    return resumeToolRun(this.id, this.agents.get(run.agent), this.importance, this.deps.memory, run, decision, trace, budget, options);
  }

  /**
   * Answers `message`: stores it, reads the conversation's context, runs the coordinator, stores
   * the reply. Throws what memory throws for an invalid message (`MemoryValidationError`) or a
   * lost write of it (`MemoryWriteError`), and what the coordinator throws when it has no answer
   * at all (`LlmRouterError` from its own model…). A member's failure is the coordinator's to
   * work around (`TeamView.tryDelegate`); a reply that could not be stored is still returned.
   * Either way the result's notes say so.
   */
  async processMessage(message: AgentMessage, options: RunOptions = {}): Promise<TeamResult> {
    const { trace, budget } = this.startRun(options);
    const run = this.answer(message, trace, budget, options.signal, options.events);
    return options.signal ? abortable(run, options.signal, trace) : run;
  }

  private async answer(message: AgentMessage, trace: TraceRecorder, budget: RunBudget, signal: AbortSignal | undefined, events: RunEvents | undefined): Promise<TeamResult> {
    const { memory } = this.deps;
    const { conversationId, tenantId } = message;
    // Memory is searched with the message and refuses a blank query: refused before anything is stored.
    if (typeof message.content === 'string' && message.content.trim() === '') throw MemoryValidationError.of('content', 'a message that is not only whitespace');
    // Writes made later in the run (the reply, extracted facts) are stale once the conversation is
    // erased after this instant: memory refuses them. The message itself is written now, when an
    // erasure since `asOf` cannot have happened: its check would be a mid-term read for nothing.
    const asOf = new Date();
    // Turn ids are the tenant's like every id it names, so erasing an item reaches only its own.
    const incoming = await memory.store(
      { id: message.id ?? newTurnId(tenantId), content: message.content, conversationId, tenantId, role: 'user', metadata: { ...message.metadata, teamId: this.id } },
      this.importance,
      { signal },
    );
    const context = await memory.retrieveContext(message.content, conversationId, { tenantId, signal });
    const notes = [...incoming.degraded.map((n) => `write: ${n}`), ...context.degraded.map((n) => `read: ${n}`)];

    let streamed = false;
    const onText = events?.onText;
    const runEvents: RunEvents | undefined = onText
      ? {
          ...events,
          onText: (text) => {
            streamed = true;
            onText(text);
          },
        }
      : events;
    const agentContext: AgentContext = { memory: withoutItem(context, incoming.id), trace, depth: 0, degraded: [], failures: [], signal, events: runEvents, budget };
    const reply = await invokeAgentSpan(this.coordinator, () => this.coordinatorAgent.processMessage(message, this.view([this.coordinator]), agentContext), conversationId, () => budget.usage()).catch(
      (error: unknown): AgentReply => {
        // The coordinator had nothing to answer with when the budget refused its call: the run
        // stops with a notice, a 200 whose `budget` says why, as the limit is the client's to set.
        if (!(error instanceof BudgetExceededError) || signal?.aborted) throw error;
        const note = `stopped: ${error.message}`;
        trace.record(this.coordinator, 'answer', { detail: note });
        agentContext.degraded.push(`agent ${this.coordinator}: ${note}`);
        return { content: 'This team stopped before answering: its budget for this message could not cover the next model call.', agent: this.coordinator };
      },
    );
    // A reply nobody receives must not be the next turn's context: the user never saw it.
    signal?.throwIfAborted();
    if (!streamed && reply.content !== '') onText?.(reply.content);

    const { id: replyId, notes: replyNotes } = await storeReply(memory, this.id, this.importance, reply, { messageId: message.id, conversationId, tenantId }, { signal, asOf });
    notes.push(...replyNotes);
    if (this.extractor) {
      // Within the request's deadline: the reply waits for its facts, so the next turn finds them.
      // The stored turn, as read back with the context: its date is the facts'. Short-term may
      // have failed to give it back; the run's start is within a moment of it.
      const stored = context.recent.find((i) => i.id === incoming.id) ?? { id: incoming.id, content: message.content, createdAt: asOf.toISOString() };
      const sourceTurns = replyId === undefined ? [incoming.id] : [incoming.id, replyId];
      const turn = { conversationId, tenantId, message: stored, reply: reply.content === '' ? undefined : reply.content, sourceTurns };
      const extracted = await this.extractor.extract(turn, { trace, signal, asOf });
      notes.push(...extracted.degraded);
    }
    return {
      reply,
      trace: trace.steps,
      memory: { degraded: [...new Set(notes)] },
      agents: { degraded: [...new Set(agentContext.degraded)], failures: agentContext.failures },
      usage: budget.usage(),
      budget: budget.report(),
    };
  }

  /** The team as the last agent of `path` (the chain of delegations so far) sees it. */
  private view(path: readonly string[]): TeamView {
    return {
      members: this.members.filter((m) => !path.includes(m.name)),
      delegate: (to, message, context, reason) => this.delegate(path, to, message, context, reason),
      tryDelegate: async (to, message, context, reason) => {
        try {
          return { reply: await this.delegate(path, to, message, context, reason) };
        } catch (error) {
          // An aborted run is not a member's failure to work around: the request is over.
          if (context.signal?.aborted) throw error;
          // A tool call waiting for approval stops the whole run; it is not a failure.
          if (error instanceof ToolApprovalRequired) throw error;
          // The failed `delegate` step is already in the trace, with the same safe message.
          const failure = describeFailure(error);
          context.degraded.push(`agent ${to}: failed (${failure.kind}): ${failure.message}`);
          context.failures.push({ agent: to, ...failure, error });
          return { failure };
        }
      },
    };
  }

  private async delegate(path: readonly string[], to: string, message: AgentMessage, context: AgentContext, reason?: string): Promise<AgentReply> {
    const from = path[path.length - 1];
    context.signal?.throwIfAborted();
    const member = this.agents.get(to);
    if (!member) throw new DelegationError('unknown-member', from, to, path);
    // Nobody delegates to an agent already up the chain: that is how a loop would start.
    if (path.includes(to)) throw new DelegationError('cycle', from, to, path);
    const task = message.content.length > TASK_IN_TRACE ? `${message.content.slice(0, TASK_IN_TRACE)}…` : message.content;
    return context.trace.step(
      from,
      'delegate',
      () => member.processMessage(message, this.view([...path, to]), { ...context, depth: context.depth + 1 }),
      { detail: `to ${to}${reason ? ` (${reason})` : ''}: ${task}`, subject: to },
    );
  }
}

/**
 * `run`, or `RunAbortedError` with the trace so far as soon as `signal` aborts: an agent that
 * ignores the signal cannot hold the request past its deadline. Work that heeds it ends within
 * the event loop's turn, so one turn is waited for: its aborted steps are then in the trace.
 */
async function abortable(run: Promise<TeamResult>, signal: AbortSignal, trace: TraceRecorder): Promise<TeamResult> {
  let onAbort = () => undefined as void;
  const aborted = new Promise<undefined>((resolve) => {
    onAbort = () => resolve(undefined);
  });
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  let answered: { result: TeamResult } | undefined;
  try {
    answered = await Promise.race([run.then((result) => ({ result })), aborted]);
  } catch (error) {
    if (!signal.aborted) throw error;
    throw new RunAbortedError(signal.reason, trace.steps, { cause: error });
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  if (answered) return answered.result;
  run.catch(() => undefined);
  await nextTurn();
  throw new RunAbortedError(signal.reason, trace.steps);
}

/** The context without the message being answered (the agent gets that as the message itself), facts as background. */
function withoutItem(context: MemoryContext, id: string): MemoryContext {
  // Extracted facts are stored with the conversation (so they go with it) and so come back among
  // its recent items; they are notes about it, not turns: shown as background, newest first.
  const recentFacts = context.recent.filter((i) => i.role === FACT_ROLE).reverse();
  return {
    ...context,
    recent: context.recent.filter((i) => i.id !== id && i.role !== FACT_ROLE),
    related: [...recentFacts, ...context.related.filter((i) => i.id !== id)],
    semantic: context.semantic.filter((m) => m.item.id !== id),
  };
}
