import type { LayeredMemoryManager } from '../../memory/manager';
import type { Importance } from '../../memory/types';
import type { BaseAgent } from '../base-agent';
import { LlmAgent } from '../llm-agent';
import { storeReply } from '../stored-reply';
import type { RunOptions, TeamResult } from '../team';
import type { RunBudget } from '../budget';
import type { TraceRecorder } from '../trace';
import type { AgentContext } from '../types';
import type { ApprovalDecision, PendingRun } from './approvals';

/**
 * Resumes `run` with `decision`: the paused agent goes on from its pending call and its answer is
 * the reply, stored as the turn's reply (the coordinator that delegated to it does not run again:
 * its routing was done). The memory context is not read again: the paused conversation holds it.
 */
export async function resumeToolRun(
  teamId: string,
  agent: BaseAgent | undefined,
  importance: Importance,
  memory: LayeredMemoryManager,
  run: PendingRun,
  decision: ApprovalDecision,
  trace: TraceRecorder,
  budget: RunBudget,
  options: RunOptions = {},
): Promise<TeamResult> {
  // A team whose config changed since the run stopped: the agent is gone or no longer calls tools.
  if (!(agent instanceof LlmAgent)) throw new Error(`agent "${run.agent}" of team "${teamId}" cannot resume a tool call`);
  const context: AgentContext = {
    memory: { recent: [], related: [], semantic: [], degraded: [] },
    trace,
    depth: 0,
    degraded: [],
    failures: [],
    signal: options.signal,
    events: options.events,
    budget,
  };
  const reply = await agent.resumePaused(run, decision, context);
  options.signal?.throwIfAborted();
  const { id: messageId, conversationId, tenantId } = run.message;
  const { notes } = await storeReply(memory, teamId, importance, reply, { messageId, conversationId, tenantId }, { signal: options.signal });
  return {
    reply,
    trace: trace.steps,
    memory: { degraded: notes },
    agents: { degraded: [...new Set(context.degraded)], failures: context.failures },
    usage: budget.usage(),
    budget: budget.report(),
  };
}
