import { z } from 'zod';
import type { ChatMessage, ToolCall } from '../llm/types';
import { type AgentInit, type AgentOpenOptions, BaseAgent } from './base-agent';
import { checkDeployment, contextMessages, tracedChat } from './llm-call';
import { type ApprovalDecision, type PausedRun, ToolApprovalRequired } from './tools/approvals';
import { ToolsConfigSchema } from './tools/config';
import { errorResult, runToolCall } from './tools/run-tool';
import { type ToolSet, openToolSet } from './tools/toolset';
import type { AgentContext, AgentMessage, AgentReply, TeamView } from './types';

export const LlmAgentConfigSchema = z.strictObject({
  /** Who the agent is and how it answers. */
  systemPrompt: z.string().trim().min(1, 'a non-empty system prompt'),
  /** A deployment of the LLM router. @default the router's default deployment */
  deployment: z.string().min(1, 'a deployment name').optional(),
  temperature: z.number().min(0, 'a number from 0 to 2').max(2, 'a number from 0 to 2').optional(),
  /** Function tools and MCP servers the model may call (README, "Tools"). @default none */
  tools: ToolsConfigSchema.optional(),
});

export type LlmAgentConfig = z.infer<typeof LlmAgentConfigSchema>;

/**
 * Answers with a model call: its system prompt, the conversation's memory, the message. With
 * tools, the model's tool calls are run and their results given back until it answers in text
 * (or `tools.maxRounds` is reached, when it must answer without tools).
 */
export class LlmAgent extends BaseAgent<LlmAgentConfig> {
  private toolSet?: ToolSet;

  constructor(init: AgentInit) {
    super(init, LlmAgentConfigSchema);
    checkDeployment(this.name, this.config.deployment, this.deps.llm);
  }

  override async open(options: AgentOpenOptions = {}): Promise<void> {
    if (this.config.tools && !this.toolSet) this.toolSet = await openToolSet(this.name, this.config.tools, options);
  }

  override async close(): Promise<void> {
    const toolSet = this.toolSet;
    this.toolSet = undefined;
    await toolSet?.close();
  }

  async processMessage(message: AgentMessage, _team: TeamView, context: AgentContext): Promise<AgentReply> {
    const messages = contextMessages(this.config.systemPrompt, context.memory, message);
    return this.converse(messages, [], 0, message, context);
  }

  /**
   * Goes on with a run stopped for `run.pendingCall`: runs it when approved, else tells the model
   * it was refused (and why), then continues as `processMessage` would.
   */
  async resumePaused(run: PausedRun, decision: ApprovalDecision, context: AgentContext): Promise<AgentReply> {
    const messages = [...run.messages];
    const call = run.pendingCall;
    if (decision.approve) {
      messages.push(await this.runTool(call, context));
    } else {
      context.trace.record(this.name, 'tool-call', { tool: call.name, detail: `${call.name}: refused${decision.reason ? ` (${decision.reason})` : ''}` });
      messages.push({ role: 'tool', toolCallId: call.id, content: errorResult(`the call was refused by the person asked to approve it${decision.reason ? `: ${decision.reason}` : ''}`) });
    }
    return this.converse(messages, [...run.queue], run.rounds, run.message, context);
  }

  private async converse(messages: ChatMessage[], queue: ToolCall[], rounds: number, message: Pick<AgentMessage, 'id' | 'conversationId' | 'tenantId'>, context: AgentContext): Promise<AgentReply> {
    const tools = this.config.tools;
    for (;;) {
      while (queue.length > 0) {
        const call = queue.shift() as ToolCall;
        if (this.toolSet?.tools.get(call.name)?.requiresApproval) {
          const { id, conversationId, tenantId } = message;
          throw new ToolApprovalRequired({ agent: this.name, messages, pendingCall: call, queue, rounds, message: { id, conversationId, tenantId } });
        }
        messages.push(await this.runTool(call, context));
      }
      const offerTools = this.toolSet !== undefined && this.toolSet.definitions.length > 0 && tools !== undefined;
      // At the bound the tools stay listed (the conversation names them) but may not be called.
      const lastRound = offerTools && rounds >= tools.maxRounds;
      const request = {
        messages,
        temperature: this.config.temperature,
        abortSignal: context.signal,
        ...(offerTools ? { tools: this.toolSet?.definitions, toolChoice: lastRound ? ('none' as const) : ('auto' as const) } : {}),
      };
      const result = await tracedChat(this.deps.llm, context.trace, this.name, request, this.config.deployment, context.events);
      if (!offerTools || lastRound || result.toolCalls.length === 0) {
        return { content: result.text, agent: this.name, model: result.model, provider: result.provider };
      }
      rounds += 1;
      messages.push({ role: 'assistant', content: result.text, toolCalls: result.toolCalls });
      queue = [...result.toolCalls];
    }
  }

  private runTool(call: ToolCall, context: AgentContext): Promise<ChatMessage> {
    return runToolCall(this.name, call, this.toolSet as ToolSet, this.config.tools as NonNullable<LlmAgentConfig['tools']>, context.trace, context.signal);
  }
}
