import type { z } from 'zod';
import type { LlmClient } from '../llm/types';
import type { LayeredMemoryManager } from '../memory/manager';
import { type Problem, problemsFromZod } from '../contract';
import { AgentConfigError } from './errors';
import type { AgentContext, AgentMessage, AgentReply, TeamMember, TeamView } from './types';

/** What every agent may use: the team's memory and the LLM router. */
export interface AgentDeps {
  readonly memory: LayeredMemoryManager;
  readonly llm: LlmClient;
}

/** What a team tells an agent when it opens it. */
export interface AgentOpenOptions {
  /** Where the agent's relative module paths resolve from: the team config's directory. @default process.cwd() */
  readonly baseDir?: string;
}

/** What a team passes to an agent's constructor. */
export interface AgentInit {
  /** The agent's name in its team. */
  readonly name: string;
  /** What it does and what it is good at: the team config's, else its registered type's. */
  readonly description: string;
  readonly capabilities: readonly string[];
  /** As written in the team config; the agent validates it against its schema. */
  readonly config: unknown;
  readonly deps: AgentDeps;
}

/**
 * An agent: validates its config once, at construction, then answers messages.
 *
 * A team's own agent is a class, registered under a type name, that passes its config schema to
 * `super` and implements `processMessage`:
 *
 * ```ts
 * import { z } from 'zod';
 * import { BaseAgent, type AgentInit, type AgentMessage, type AgentReply } from '@orchestra/runtime/agents';
 *
 * const ShoutConfig = z.strictObject({ suffix: z.string().default('!') });
 *
 * export class ShoutAgent extends BaseAgent<z.infer<typeof ShoutConfig>> {
 *   constructor(init: AgentInit) {
 *     super(init, ShoutConfig);
 *   }
 *   async processMessage(message: AgentMessage): Promise<AgentReply> {
 *     return { content: message.content.toUpperCase() + this.config.suffix, agent: this.name };
 *   }
 * }
 *
 * // at startup; `module` resolves from the registry's base directory
 * registry.register({ name: 'shout', description: 'Shouts the message back', capabilities: ['shout'],
 *   module: './agents/shout-agent', exportName: 'ShoutAgent' });
 * ```
 *
 * and a team config then lists `{ name: loud, type: shout, config: { suffix: '!!' } }`. An agent
 * that calls a model builds its prompt with `contextMessages(prompt, context.memory, message)` and
 * calls `tracedChat(this.deps.llm, context.trace, this.name, request, deployment, context.events)`,
 * which records the call in the trace and, when its text is the reply, streams it to a client that
 * asked for events (pass `withoutText(context.events)` instead when the text is reworked first);
 * one that needs a team mate calls `team.delegate`.
 */
export abstract class BaseAgent<TConfig = unknown> {
  readonly name: string;
  readonly description: string;
  readonly capabilities: readonly string[];
  readonly config: TConfig;
  protected readonly deps: AgentDeps;

  /** Throws `AgentConfigError` naming every bad field when `init.config` does not fit `configSchema`. */
  constructor(init: AgentInit, configSchema: z.ZodType<TConfig>) {
    const parsed = configSchema.safeParse(init.config);
    if (!parsed.success) {
      throw new AgentConfigError(init.name, problemsFromZod(parsed.error));
    }
    this.name = init.name;
    this.description = init.description;
    this.capabilities = init.capabilities;
    this.config = parsed.data;
    this.deps = init.deps;
  }

  /**
   * What in this agent's config does not fit the team it is in (a member it names that the team
   * lacks), with paths inside the config: the team refuses to build then. Called once every agent
   * of the team is built; `agents` is all of them, this one included. @default none
   */
  teamProblems(_agents: readonly TeamMember[]): Problem[] {
    return [];
  }

  /**
   * Opens what the agent holds for its lifetime (tool modules, MCP connections), once, when its
   * team is built; throws `AgentConfigError` (paths inside the config) when that fails. @default nothing
   */
  async open(_options: AgentOpenOptions = {}): Promise<void> {}

  /** Releases what `open` opened; called when the team is closed (with the app). @default nothing */
  async close(): Promise<void> {}

  /**
   * Answers `message`. `team` lists the members this agent may delegate to; `context` carries
   * the conversation's memory and the run's trace.
   */
  abstract processMessage(message: AgentMessage, team: TeamView, context: AgentContext): Promise<AgentReply>;
}

/** A concrete agent class, as the registry returns it. */
export type AgentClass = new (init: AgentInit) => BaseAgent;
