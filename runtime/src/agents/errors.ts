import type { z } from 'zod';

export type AgentRegistryErrorReason =
  | 'invalid-entry' // an AgentInfo that does not validate; `field` names the problem
  | 'duplicate' // a name registered twice
  | 'unknown-agent' // resolve() of a name never registered
  | 'module-not-found' // the module specifier does not resolve from the registry's base directory
  | 'load-failed' // the module resolved but threw while loading
  | 'export-not-found' // the module has no export of that name
  | 'not-an-agent'; // the export is not a class extending BaseAgent

/** Registering or loading an agent type went wrong; `reason` says how, `agent` which type. */
export class AgentRegistryError extends Error {
  readonly code = 'AGENT_REGISTRY';
  constructor(
    readonly reason: AgentRegistryErrorReason,
    /** The agent type's name (`(entry)` when the entry has no usable name). */
    readonly agent: string,
    message: string,
    readonly details: { readonly field?: string; readonly cause?: unknown } = {},
  ) {
    super(`agent type "${agent}": ${message}`, { cause: details.cause });
    this.name = 'AgentRegistryError';
  }
}

/** An agent's `config` does not fit its type's schema. */
export class AgentConfigError extends Error {
  readonly code = 'AGENT_INVALID_CONFIG';
  constructor(
    readonly agent: string,
    /** Dotted path inside the agent's config (`temperature`, `maxSteps`); empty for the config itself. */
    readonly field: string,
    readonly expected: string,
  ) {
    super(`agent "${agent}": config${field ? `.${field}` : ''}: expected ${expected}`);
    this.name = 'AgentConfigError';
  }
}

/** A team configuration that cannot make a team; nothing was built. */
export class TeamConfigError extends Error {
  readonly code = 'TEAM_INVALID_CONFIG';
  constructor(
    /** Dotted path in the team config (`coordinator`, `agents.1.config.temperature`). */
    readonly field: string,
    readonly expected: string,
    /** The file it came from, when it came from one. */
    readonly source?: string,
    options?: { readonly cause?: unknown },
  ) {
    super(`invalid team config${source ? ` (${source})` : ''}: ${field}: expected ${expected}`, options);
    this.name = 'TeamConfigError';
  }
}

/** An agent reached its bound on delegation steps: the run ends here instead of looping. */
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

/**
 * The first problem of a failed zod parse as a dotted field (empty for the value itself) and what
 * it should have been.
 */
export function firstIssue(error: z.ZodError): { field: string; expected: string } {
  const issue = error.issues[0];
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    return { field: [...path, issue.keys[0]].join('.'), expected: `no field named ${issue.keys.map((k) => `"${k}"`).join(', ')}` };
  }
  const field = path.join('.');
  // zod's own messages read "Invalid input: expected string, received number"; the callers'
  // errors already say "expected", so only the part after it is kept.
  const expected = issue.message.replace(/^[A-Za-z ]+: expected /, '');
  if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined')) return { field, expected: `${issue.expected} (required)` };
  return { field, expected };
}
