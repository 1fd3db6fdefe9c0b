import * as path from 'node:path';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { createDefaultRegistry, loadTeams } from '../agents';
import { ConfigError, RuntimeConfig, parseRuntimeConfig } from '../config/runtime-config';
import { createLlmClient, parseLlmConfig } from '../llm/llm-config';
import type { LlmClient } from '../llm/types';
import { createMemory } from '../memory/create-memory';
import type { LayeredMemoryManager } from '../memory/manager';
import { buildApp } from './app';
import type { TeamDirectory } from './deps';

/** The teams shipped with the runtime (`runtime/teams`), from `src/server` or `dist/server` alike. */
export const BUNDLED_TEAMS_DIR = path.resolve(__dirname, '..', '..', 'teams');

export interface Service {
  readonly app: FastifyInstance;
  readonly config: RuntimeConfig;
  readonly memory: LayeredMemoryManager;
  readonly llm: LlmClient;
}

/**
 * Everything the runtime serves, from its settings: config (every bad variable reported at once,
 * as a `ConfigError`), memory (connected), the LLM router, the agent registry and the teams, and
 * the HTTP app (not listening). Nothing is half-built: on any error what was opened is closed.
 */
export async function createService(
  env: Readonly<Record<string, string | undefined>>,
  options: { logger?: FastifyServerOptions['logger']; onFirstReady?: () => void } = {},
): Promise<Service> {
  const problems: string[] = [];
  let config: RuntimeConfig | undefined;
  let llmConfig: ReturnType<typeof parseLlmConfig> | undefined;
  try {
    config = parseRuntimeConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  try {
    llmConfig = parseLlmConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  if (problems.length > 0 || !config || !llmConfig) throw new ConfigError(problems);

  const llm = createLlmClient(llmConfig);
  const memory = createMemory(config.memory);
  try {
    await memory.init();
    const registry = createDefaultRegistry();
    const catalog = await loadTeams(config.server.teamsDir ?? BUNDLED_TEAMS_DIR, { registry, memory, llm });
    const teams: TeamDirectory = {
      get: (id) => catalog.get(id),
      describe: () =>
        catalog.list().map((team) => ({
          id: team.id,
          ...(team.description === undefined ? {} : { description: team.description }),
          coordinator: team.coordinator,
          agents: team.members.map((m) => m.name),
        })),
    };
    const app = await buildApp({ config, memory, teams, agents: registry }, options);
    return { app, config, memory, llm };
  } catch (error) {
    await memory.close();
    throw error;
  }
}
