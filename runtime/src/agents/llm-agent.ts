import { z } from 'zod';
import { type AgentInit, BaseAgent } from './base-agent';
import { checkDeployment, contextMessages, tracedChat } from './llm-call';
import type { AgentContext, AgentMessage, AgentReply, TeamView } from './types';

export const LlmAgentConfigSchema = z.strictObject({
  /** Who the agent is and how it answers. */
  systemPrompt: z.string().trim().min(1, 'a non-empty system prompt'),
  /** A deployment of the LLM router. @default the router's default deployment */
  deployment: z.string().min(1, 'a deployment name').optional(),
  temperature: z.number().min(0, 'a number from 0 to 2').max(2, 'a number from 0 to 2').optional(),
});

export type LlmAgentConfig = z.infer<typeof LlmAgentConfigSchema>;

/** Answers with one model call: its system prompt, the conversation's memory, the message. */
export class LlmAgent extends BaseAgent<LlmAgentConfig> {
  constructor(init: AgentInit) {
    super(init, LlmAgentConfigSchema);
    checkDeployment(this.name, this.config.deployment, this.deps.llm);
  }

  async processMessage(message: AgentMessage, _team: TeamView, context: AgentContext): Promise<AgentReply> {
    const messages = contextMessages(this.config.systemPrompt, context.memory, message);
    const result = await tracedChat(this.deps.llm, context.trace, this.name, { messages, temperature: this.config.temperature, abortSignal: context.signal }, this.config.deployment, context.events);
    return { content: result.text, agent: this.name, model: result.model, provider: result.provider };
  }
}
