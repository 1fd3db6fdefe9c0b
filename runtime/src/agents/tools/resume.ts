import { randomUUID } from 'node:crypto';
import { MemoryErasedError, MemoryWriteError } from '../../memory/errors';
import type { LayeredMemoryManager } from '../../memory/manager';
import { scopedId } from '../../memory/tenancy';
import type { Importance, Json } from '../../memory/types';
import type { BaseAgent } from '../base-agent';
import { LlmAgent } from '../llm-agent';
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
  const notes: string[] = [];
  if (reply.content !== '') {
    const { id: messageId, conversationId, tenantId } = run.message;
    const metadata: Record<string, Json> = { teamId, agent: reply.agent };
    if (reply.model !== undefined) metadata.model = reply.model;
    if (reply.provider !== undefined) metadata.provider = reply.provider;
    const id = messageId !== undefined ? `${messageId}:reply` : tenantId === undefined ? randomUUID() : scopedId(tenantId, randomUUID());
    try {
      const stored = await memory.store({ id, content: reply.content, conversationId, tenantId, role: 'assistant', metadata }, importance, { signal: options.signal });
      notes.push(...stored.degraded.map((n) => `write: ${n}`));
    } catch (error) {
      if (error instanceof MemoryErasedError) notes.push(`reply not stored: ${error.message}`);
      else if (error instanceof MemoryWriteError) notes.push(`reply not stored: ${error.failures.map((f) => `${f.layer}: ${f.reason}`).join('; ')}`);
      else throw error;
    }
  }
  return {
    reply,
    trace: trace.steps,
    memory: { degraded: notes },
    agents: { degraded: [...new Set(context.degraded)], failures: context.failures },
    usage: budget.usage(),
    budget: budget.report(),
  };
}
