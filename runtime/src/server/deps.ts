import type { RunEvents } from '../agents/run-events';
import type { BudgetLimits, BudgetReport, RunUsage } from '../agents/budget';
import type { TraceStep } from '../agents/trace';
import type { ApprovalDecision, PendingRun } from '../agents/tools/approvals';
import type { RuntimeConfig } from '../contract';
import type { LayeredMemoryManager } from '../memory/manager';
import type { IdempotencyRecords } from './idempotency/records';

/** A message to a team, as the HTTP layer hands it over (ids already tenant-scoped). */
export interface TeamMessage {
  /** The id the message is stored under (tenant-scoped), its reply under `<id>:reply`. @default - random */
  readonly id?: string;
  readonly conversationId: string;
  readonly content: string;
  readonly tenantId?: string;
  readonly metadata?: Readonly<Record<string, unknown>>;
}

export interface TeamResponse {
  readonly reply: { readonly content: string; readonly agent: string; readonly model?: string; readonly provider?: string };
  readonly trace: readonly TraceStep[];
  readonly memory: { readonly degraded: readonly string[] };
  /** Notes safe to return; failures, whose errors go to the logs only. */
  readonly agents: {
    readonly degraded: readonly string[];
    readonly failures: readonly { readonly agent: string; readonly kind: string; readonly error: unknown }[];
  };
  /** What the run's model calls used. @default - not reported */
  readonly usage?: RunUsage;
  /** The run's limits, use, and why it stopped, if its budget did. @default - not reported */
  readonly budget?: BudgetReport;
}

/** What the routes need of the agent layer: structural, so the server does not depend on its classes. */
export interface TeamDirectory {
  get(teamId: string):
    | {
        processMessage(message: TeamMessage, options?: { readonly signal?: AbortSignal; readonly events?: RunEvents; readonly budget?: BudgetLimits }): Promise<TeamResponse>;
        /** Goes on with a run stopped for a tool call's approval (teams without tools need not have it). */
        resumeApproval?(run: PendingRun, decision: ApprovalDecision, options?: { readonly signal?: AbortSignal; readonly events?: RunEvents }): Promise<TeamResponse>;
      }
    | undefined;
  /** Team ids with their coordinator and members. */
  describe(): readonly { readonly id: string; readonly description?: string; readonly coordinator: string; readonly agents: readonly string[] }[];
}

export interface AgentDirectory {
  list(): readonly { readonly name: string; readonly description: string; readonly capabilities: readonly string[] }[];
}

export interface ServiceDeps {
  readonly config: RuntimeConfig;
  readonly memory: LayeredMemoryManager;
  readonly teams: TeamDirectory;
  readonly agents: AgentDirectory;
  /** Where answers to requests with an Idempotency-Key are kept. @default - in Redis when short-term memory is, else in process */
  readonly idempotency?: IdempotencyRecords;
}
