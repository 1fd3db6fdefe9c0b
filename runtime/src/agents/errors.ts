import { type Problem, ValidationError } from '../contract';
import { LlmRouterError } from '../llm/router';
import { LlmError } from '../llm/types';
import type { BudgetStop } from './budget';
import type { TraceStep } from './trace';

export type AgentRegistryErrorReason =
  | 'invalid-entry' // an AgentInfo that does not validate; `field` names the problem
  | 'duplicate' // a name registered twice
  | 'unknown-agent' // resolve() of a name never registered
  | 'module-not-found' // the module specifier does not resolve from the registry's base directory
  | 'load-failed' // the module resolved but threw while loading
  | 'export-not-found' // the module has no export of that name
  | 'not-an-agent'; // the export is not a class extending BaseAgent

/**
 * Registering or loading an agent type went wrong; `reason` says how, `agent` which type, and the
 * problems where (an entry's field, or the module and export that did not load).
 */
export class AgentRegistryError extends ValidationError {
  static readonly CODE = 'AGENT_REGISTRY';
  constructor(
    readonly reason: AgentRegistryErrorReason,
    /** The agent type's name (`(entry)` when the entry has no usable name). */
    readonly agent: string,
    problems: readonly Problem[],
    options?: { readonly cause?: unknown },
  ) {
    super(AgentRegistryError.CODE, `agent type "${agent}"`, problems, options);
  }
}

/** An agent's `config` does not fit its type's schema; each problem's path is inside the config. */
export class AgentConfigError extends ValidationError {
  static readonly CODE = 'AGENT_INVALID_CONFIG';
  constructor(
    readonly agent: string,
    problems: readonly Problem[],
  ) {
    super(AgentConfigError.CODE, `agent "${agent}": invalid config`, problems);
  }
}

/** A team configuration that cannot make a team; nothing was built. Paths are in the team config (`agents[1].config.temperature`). */
export class TeamConfigError extends ValidationError {
  static readonly CODE = 'TEAM_INVALID_CONFIG';
  constructor(
    problems: readonly Problem[],
    /** The file it came from, when it came from one. */
    readonly source?: string,
    options?: { readonly cause?: unknown },
  ) {
    super(TeamConfigError.CODE, `invalid team config${source ? ` (${source})` : ''}`, problems, options);
  }
}

/**
 * An agent reached its bound on delegation steps and has nothing to answer with. The built-in
 * coordinator does not throw it (at its bound it answers with the work done); a custom agent may.
 */
export class DelegationLimitError extends Error {
  readonly code = 'AGENT_DELEGATION_LIMIT';
  constructor(
    /** The agent whose bound it was. */
    readonly agent: string,
    readonly limit: 'maxSteps',
    readonly max: number,
    /** The members it delegated to, in order, then the one it was refused. */
    readonly path: readonly string[],
  ) {
    super(`agent "${agent}" reached ${limit} (${max}) delegating: ${[agent, ...path].join(' → ')}`);
    this.name = 'DelegationLimitError';
  }
}

/**
 * A team's run on one message was aborted (its request's deadline passed, or its client went
 * away) before it answered. `trace` holds what was done until then, the aborted steps included.
 */
export class RunAbortedError extends Error {
  readonly code = 'AGENT_RUN_ABORTED';
  constructor(
    /** The abort signal's reason. */
    readonly reason: unknown,
    readonly trace: readonly TraceStep[],
    options?: { readonly cause?: unknown },
  ) {
    super(`run aborted: ${reason instanceof Error ? reason.message : String(reason)}`, options);
    this.name = 'RunAbortedError';
  }
}

/** A delegation the team refuses: to an agent that is not a member, or back up the chain. */
export class DelegationError extends Error {
  readonly code = 'AGENT_DELEGATION_REFUSED';
  constructor(
    readonly reason: 'unknown-member' | 'cycle',
    readonly from: string,
    readonly to: string,
    /** The chain of delegations that led to `from`, coordinator first. */
    readonly path: readonly string[],
  ) {
    super(
      reason === 'cycle'
        ? `agent "${from}" cannot delegate to "${to}": it is already in the chain ${path.join(' → ')}`
        : `agent "${from}" cannot delegate to "${to}": no such member`,
    );
    this.name = 'DelegationError';
  }
}

/** How a member failed, as its coordinator and a client may be told. */
export type AgentFailureKind =
  | 'llm-unavailable' // the router had no model that answered (or a model call failed outright)
  | 'delegation-refused' // the member delegated to an agent it may not reach (DelegationError)
  | 'delegation-limit' // the member hit its own bound on delegations (DelegationLimitError)
  | 'budget-exhausted' // the run's budget could not cover the member's next model call (BudgetExceededError)
  | 'agent-error'; // anything else the member threw: a bug, an unreachable service of its own…

export interface AgentFailure {
  readonly kind: AgentFailureKind;
  /**
   * Safe to put in a trace, a tool result or a response: built from what this code chose to say
   * (agent and deployment names, error kinds), never an upstream body, a stack or a key.
   */
  readonly message: string;
}

/** An error as a `kind` and a message safe to show; the error itself belongs in the logs. */
export function describeFailure(error: unknown): AgentFailure {
  if (error instanceof LlmRouterError) {
    // The attempts are what the 502 already shows a client; lastError.message may quote a provider.
    const tried = error.attempts.map((a) => `${a.deployment} ${a.outcome === 'error' ? (a.errorKind ?? 'error') : a.outcome}`);
    return { kind: 'llm-unavailable', message: `no model answered (${tried.join(', ') || error.lastError.kind})` };
  }
  if (error instanceof LlmError) return { kind: 'llm-unavailable', message: `the model call failed (${error.kind})` };
  // These two messages are written here, from agent names only.
  if (error instanceof DelegationError) return { kind: 'delegation-refused', message: error.message };
  if (error instanceof DelegationLimitError) return { kind: 'delegation-limit', message: error.message };
  if (error instanceof BudgetExceededError) return { kind: 'budget-exhausted', message: error.message };
  // An unknown error's message may carry anything (a connection string, a provider's body).
  return { kind: 'agent-error', message: `unexpected ${error instanceof Error ? error.name : 'error'}` };
}

/**
 * A model call the run's budget cannot cover: it was not started. The run stops with what it has
 * (the team answers with a notice, or the work done so far) and its answer's `budget` says why.
 */
export class BudgetExceededError extends Error {
  readonly code = 'AGENT_BUDGET_EXHAUSTED';
  constructor(readonly stop: BudgetStop) {
    super(stop.message);
    this.name = 'BudgetExceededError';
  }
}

/** A request's budget that the team does not allow (above its limit, or a cost limit without prices); nothing was run. */
export class BudgetRequestError extends ValidationError {
  static readonly CODE = 'AGENT_BUDGET_INVALID';
  constructor(problems: readonly Problem[]) {
    super(BudgetRequestError.CODE, 'invalid budget', problems);
  }
}
