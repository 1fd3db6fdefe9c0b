import { z } from 'zod';
import type { ChatMessage, RoutedChatResult, ToolCall, ToolDefinition } from '../llm/types';
import { type AgentInit, BaseAgent } from './base-agent';
import { matchByCapability } from './capability-match';
import { describeFailure } from './errors';
import { checkDeployment, contextMessages, tracedChat } from './llm-call';
import { withoutText } from './run-events';
import type { Problem } from '../contract';
import type { AgentContext, AgentMessage, AgentReply, TeamMember, TeamView } from './types';

const DEFAULT_PROMPT = [
  'You coordinate a team. For each request, call the delegate_to_<member> tool of the member whose capabilities fit,',
  'with a self-contained task; you may delegate more than once. Then answer the user from what the members returned.',
  'A tool result that starts with "error:" means the member could not answer: try another member that fits, or answer with what you have.',
  'When no member fits, answer yourself.',
].join(' ');

export const CoordinatorConfigSchema = z
  .strictObject({
    /**
     * A deployment of the LLM router: the coordinator then routes by LLM tool calls. Without one it
     * routes by matching the message's keywords to the members' capabilities.
     */
    deployment: z.string().min(1, 'a deployment name').optional(),
    /** With a deployment only. @default a prompt that tells the model to delegate, then answer */
    systemPrompt: z.string().trim().min(1, 'a non-empty system prompt').optional(),
    /** With a deployment only. */
    temperature: z.number().min(0, 'a number from 0 to 2').max(2, 'a number from 0 to 2').optional(),
    /**
     * Delegations one message may take. When the model asks for more, it is not called again: the
     * reply is the members' answers so far, and says so (as does `degraded`). @default 4
     */
    maxSteps: z.number().int('a whole number from 1 to 50').min(1, 'a whole number from 1 to 50').max(50, 'a whole number from 1 to 50').default(4),
    /**
     * Without a deployment only: the member that answers a message no member's capabilities match
     * (a general assistant beside the specialists), so the team answers every message. Another
     * agent of the team. @default none: the coordinator answers that no member matches
     */
    fallbackMember: z.string().min(1, "the name of one of the team's agents").optional(),
  })
  .superRefine((config, ctx) => {
    // Silently ignoring a prompt would leave its author wondering why the model never sees it.
    for (const field of ['systemPrompt', 'temperature'] as const) {
      if (config[field] !== undefined && config.deployment === undefined) {
        ctx.addIssue({ code: 'custom', path: [field], message: 'no value without a deployment (keyword routing calls no model)' });
      }
    }
    // With a model, the coordinator answers what no member fits itself (its prompt says so).
    if (config.fallbackMember !== undefined && config.deployment !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['fallbackMember'], message: 'no value with a deployment (the model chooses, and answers what no member fits)' });
    }
  });

export type CoordinatorConfig = z.infer<typeof CoordinatorConfigSchema>;

const TOOL_PREFIX = 'delegate_to_';

const TASK_PARAMETERS = {
  type: 'object',
  properties: { task: { type: 'string', description: 'What the member should do, self-contained: it does not see this chat.' } },
  required: ['task'],
  additionalProperties: false,
} as const;

/** What one step of this run came to: a member's answer, its failure, or a call refused before reaching anyone. */
type Outcome = { readonly member: string } & ({ readonly answer: string } | { readonly failed: string } | { readonly refused: true });

/**
 * Hands each message to the members whose capabilities fit it. With a `deployment`, the model
 * chooses: one `delegate_to_<member>` tool per member, each result goes back to the model, which
 * delegates again or answers. Without one, the member sharing the most keywords with the message
 * answers it, and when none does the `fallbackMember`, or without one the coordinator saying so.
 *
 * A member that fails does not fail the run. The model gets the failure as the tool's result
 * (`error: …`, kind and a safe message) and may try another member or answer; keyword routing
 * has no one else to ask, so the coordinator answers that the member could not, and the reply's
 * `degraded` says why. The request fails only when the coordinator has nothing to answer with:
 * its own model failing before any member answered.
 */
export class CoordinatorAgent extends BaseAgent<CoordinatorConfig> {
  constructor(init: AgentInit) {
    super(init, CoordinatorConfigSchema);
    checkDeployment(this.name, this.config.deployment, this.deps.llm);
  }

  override teamProblems(agents: readonly TeamMember[]): Problem[] {
    const { fallbackMember } = this.config;
    if (fallbackMember === undefined || (fallbackMember !== this.name && agents.some((a) => a.name === fallbackMember))) return [];
    const others = agents.filter((a) => a.name !== this.name).map((a) => a.name);
    return [{ path: 'fallbackMember', message: `the name of another agent of the team (${others.join(', ') || 'none'}), not "${fallbackMember}"` }];
  }

  processMessage(message: AgentMessage, team: TeamView, context: AgentContext): Promise<AgentReply> {
    const { deployment } = this.config;
    return deployment === undefined ? this.routeByCapability(message, team, context) : this.routeByTools(message, team, context, deployment);
  }

  private async routeByCapability(message: AgentMessage, team: TeamView, context: AgentContext): Promise<AgentReply> {
    const match = matchByCapability(message.content, team.members);
    const { fallbackMember } = this.config;
    const chosen = match
      ? { name: match.member.name, reason: `matched ${match.matched.join(', ')}` }
      : fallbackMember !== undefined
        ? { name: fallbackMember, reason: 'no member matches; the fallback member' }
        : undefined;
    if (chosen) {
      const { name } = chosen;
      const outcome = await team.tryDelegate(name, message, context, chosen.reason);
      if ('reply' in outcome) return outcome.reply;
      // A 200 that says what happened, not a 502: the same as a coordinator with a model would
      // tell the user, and `degraded` (set by tryDelegate) lets a client tell it from an answer.
      context.trace.record(this.name, 'answer', { detail: `${name} failed; said so` });
      return { content: `Member "${name}" could not answer this request: ${outcome.failure.message}.`, agent: this.name };
    }
    context.trace.record(this.name, 'answer', { detail: 'no member matches the message' });
    const offer = team.members.map((m) => `${m.name} (${m.capabilities.join(', ')})`).join('; ');
    const content =
      team.members.length === 0
        ? 'This team has no members to hand the request to.'
        : `No member of this team matches the request. Ask for something within their capabilities: ${offer}.`;
    return { content, agent: this.name };
  }

  private async routeByTools(message: AgentMessage, team: TeamView, context: AgentContext, deployment: string): Promise<AgentReply> {
    const tools: ToolDefinition[] = team.members.map((m) => ({
      name: `${TOOL_PREFIX}${m.name}`,
      description: `${m.description} Capabilities: ${m.capabilities.join(', ') || 'none declared'}.`,
      parameters: TASK_PARAMETERS,
    }));
    const messages: ChatMessage[] = contextMessages(this.config.systemPrompt ?? DEFAULT_PROMPT, context.memory, message);
    const done: Outcome[] = [];
    // Ends: every round with tool calls adds to `done`, and the round that would exceed maxSteps returns.
    for (;;) {
      // A copy: the conversation grows below, and a request already sent must not change.
      const request = { messages: [...messages], tools: tools.length > 0 ? tools : undefined, temperature: this.config.temperature, abortSignal: context.signal };
      let result: RoutedChatResult;
      try {
        result = await tracedChat(this.deps.llm, context.trace, this.name, request, deployment);
      } catch (error) {
        // Members' answers are paid for and may well answer the user; with none, there is nothing
        // to say but the error (the router's 502). An aborted run ends as the request's deadline says.
        if (context.signal?.aborted || answersOf(done).length === 0) throw error;
        const note = `its model failed (${describeFailure(error).message}); replied with its members' answers so far`;
        return this.answerWithWorkDone(done, context, "This team's coordinator could not finish: its model did not answer", note);
      }
      if (result.toolCalls.length === 0) return { content: result.text, agent: this.name, model: result.model, provider: result.provider };

      messages.push({ role: 'assistant', content: result.text, toolCalls: result.toolCalls });
      // One at a time, in the model's order: each is a counted step, and the trace stays in order.
      for (const [i, call] of result.toolCalls.entries()) {
        if (done.length === this.config.maxSteps) {
          const refused = result.toolCalls.slice(i).map((c) => c.name).join(', ');
          const { maxSteps } = this.config;
          const note = `reached maxSteps (${maxSteps}); refused ${refused}; replied with its members' answers so far`;
          return this.answerWithWorkDone(done, context, `This team stopped at its limit of ${maxSteps} delegation${maxSteps === 1 ? '' : 's'} before finishing`, note);
        }
        messages.push({ role: 'tool', toolCallId: call.id, content: await this.runTool(call, message, team, context, done) });
      }
    }
  }

  /**
   * A delegation's reply, or an error for the model to correct or work around: an unknown tool, a
   * missing task, a member that failed. Each delegation attempted, failed or not, joins `done`.
   */
  private async runTool(call: ToolCall, message: AgentMessage, team: TeamView, context: AgentContext, done: Outcome[]): Promise<string> {
    const target = call.name.startsWith(TOOL_PREFIX) ? call.name.slice(TOOL_PREFIX.length) : call.name;
    const refuse = (problem: string) => {
      context.trace.record(this.name, 'tool-call', { detail: `${call.name}: ${problem}` });
      return `error: ${problem}`;
    };
    // A refused call counts as a step too: a model repeating a bad call must still reach the limit.
    if (!call.name.startsWith(TOOL_PREFIX) || !team.members.some((m) => m.name === target)) {
      done.push({ member: target, refused: true });
      return refuse(`no tool named "${call.name}"; the tools are ${team.members.map((m) => TOOL_PREFIX + m.name).join(', ') || 'none'}`);
    }
    const task = call.arguments.task;
    if (typeof task !== 'string' || task.trim() === '') {
      done.push({ member: target, refused: true });
      return refuse('the "task" argument must be a non-empty string');
    }
    // The member's answer goes back to the model, not to the user: its text is not the reply's.
    const outcome = await team.tryDelegate(target, { ...message, content: task }, { ...context, events: withoutText(context.events) }, `tool call ${call.name}`);
    if ('reply' in outcome) {
      done.push({ member: target, answer: outcome.reply.content });
      return outcome.reply.content;
    }
    const { kind, message: why } = outcome.failure;
    done.push({ member: target, failed: why });
    return `error: ${target} failed (${kind}): ${why}. Try another member, or answer without it.`;
  }

  /**
   * The reply when the model will not be asked again: what the members answered, under a line
   * saying why the coordinator stopped, so the user knows it is not a finished answer.
   */
  private answerWithWorkDone(done: readonly Outcome[], context: AgentContext, stopped: string, note: string): AgentReply {
    context.trace.record(this.name, 'answer', { detail: note });
    context.degraded.push(`agent ${this.name}: ${note}`);
    const answers = answersOf(done).map((o) => `${o.member}: ${o.answer}`);
    const failures = done.flatMap((o) => ('failed' in o ? [`${o.member} (${o.failed})`] : []));
    const content =
      answers.length > 0
        ? `${stopped}. What its members answered so far:\n\n${answers.join('\n\n')}`
        : `${stopped}, without an answer from its members${failures.length > 0 ? `: ${[...new Set(failures)].join('; ')} failed` : ''}.`;
    return { content, agent: this.name };
  }
}

/** The steps that got an answer worth passing on (an empty one says nothing). */
function answersOf(done: readonly Outcome[]): { readonly member: string; readonly answer: string }[] {
  return done.flatMap((o) => ('answer' in o && o.answer.trim() !== '' ? [o] : []));
}
