import { z } from 'zod';
import type { ChatMessage, ToolCall, ToolDefinition } from '../llm/types';
import { type AgentInit, BaseAgent } from './base-agent';
import { matchByCapability } from './capability-match';
import { DelegationLimitError } from './errors';
import { checkDeployment, contextMessages, tracedChat } from './llm-call';
import type { AgentContext, AgentMessage, AgentReply, TeamView } from './types';

const DEFAULT_PROMPT = [
  'You coordinate a team. For each request, call the delegate_to_<member> tool of the member whose capabilities fit,',
  'with a self-contained task; you may delegate more than once. Then answer the user from what the members returned.',
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
    /** Delegations one message may take; the next ends the run with `DelegationLimitError`. @default 4 */
    maxSteps: z.number().int('a whole number from 1 to 50').min(1, 'a whole number from 1 to 50').max(50, 'a whole number from 1 to 50').default(4),
  })
  .superRefine((config, ctx) => {
    // Silently ignoring a prompt would leave its author wondering why the model never sees it.
    for (const field of ['systemPrompt', 'temperature'] as const) {
      if (config[field] !== undefined && config.deployment === undefined) {
        ctx.addIssue({ code: 'custom', path: [field], message: 'no value without a deployment (keyword routing calls no model)' });
      }
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

/**
 * Hands each message to the members whose capabilities fit it. With a `deployment`, the model
 * chooses: one `delegate_to_<member>` tool per member, each result goes back to the model, which
 * delegates again or answers. Without one, the member sharing the most keywords with the message
 * answers it, and when none does the coordinator says so itself.
 */
export class CoordinatorAgent extends BaseAgent<CoordinatorConfig> {
  constructor(init: AgentInit) {
    super(init, CoordinatorConfigSchema);
    checkDeployment(this.name, this.config.deployment, this.deps.llm);
  }

  processMessage(message: AgentMessage, team: TeamView, context: AgentContext): Promise<AgentReply> {
    const { deployment } = this.config;
    return deployment === undefined ? this.routeByCapability(message, team, context) : this.routeByTools(message, team, context, deployment);
  }

  private async routeByCapability(message: AgentMessage, team: TeamView, context: AgentContext): Promise<AgentReply> {
    const match = matchByCapability(message.content, team.members);
    if (match) return team.delegate(match.member.name, message, context, `matched ${match.matched.join(', ')}`);
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
    const path: string[] = [];
    // Ends: every round with tool calls adds to `path`, which throws at maxSteps.
    for (;;) {
      // A copy: the conversation grows below, and a request already sent must not change.
      const request = { messages: [...messages], tools: tools.length > 0 ? tools : undefined, temperature: this.config.temperature, abortSignal: context.signal };
      const result = await tracedChat(this.deps.llm, context.trace, this.name, request, deployment);
      if (result.toolCalls.length === 0) return { content: result.text, agent: this.name, model: result.model, provider: result.provider };

      messages.push({ role: 'assistant', content: result.text, toolCalls: result.toolCalls });
      // One at a time, in the model's order: each is a counted step, and the trace stays in order.
      for (const call of result.toolCalls) {
        const target = call.name.startsWith(TOOL_PREFIX) ? call.name.slice(TOOL_PREFIX.length) : call.name;
        if (path.length === this.config.maxSteps) throw new DelegationLimitError(this.name, 'maxSteps', this.config.maxSteps, [...path, target]);
        path.push(target);
        messages.push({ role: 'tool', toolCallId: call.id, content: await this.runTool(call, target, message, team, context) });
      }
    }
  }

  /** A delegation's reply, or an error for the model to correct (an unknown tool, a missing task). */
  private async runTool(call: ToolCall, target: string, message: AgentMessage, team: TeamView, context: AgentContext): Promise<string> {
    const refuse = (problem: string) => {
      context.trace.record(this.name, 'tool-call', { detail: `${call.name}: ${problem}` });
      return `error: ${problem}`;
    };
    if (!call.name.startsWith(TOOL_PREFIX) || !team.members.some((m) => m.name === target)) {
      return refuse(`no tool named "${call.name}"; the tools are ${team.members.map((m) => TOOL_PREFIX + m.name).join(', ') || 'none'}`);
    }
    const task = call.arguments.task;
    if (typeof task !== 'string' || task.trim() === '') return refuse('the "task" argument must be a non-empty string');
    const reply = await team.delegate(target, { ...message, content: task }, context, `tool call ${call.name}`);
    return reply.content;
  }
}
