import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ImportanceSchema } from '../memory/item-schema';
import { problemsFromZod } from '../contract';
import { TeamBudgetSchema } from './budget';
import { TeamConfigError } from './errors';
import { FACT_MERGE_SIMILARITY } from './fact-extractor';

// 52 characters at most: a coordinator's tool for a member is `delegate_to_<name>`, and OpenAI
// caps tool names at 64.
const agentName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,51}$/, 'a name of 1-52 letters, digits, _ or -, starting with a letter or digit');

const AgentEntrySchema = z.strictObject({
  name: agentName,
  /** An agent type of the registry (`llm`, `coordinator`, a team's own). */
  type: z.string().min(1, 'a registered agent type'),
  /** What this member does. @default its type's description */
  description: z.string().trim().min(1, 'a non-empty description').max(1000, 'at most 1000 characters').optional(),
  /** What the coordinator matches messages against. @default its type's capabilities */
  capabilities: z.array(z.string().trim().min(1, 'a non-empty capability').max(100, 'at most 100 characters')).max(50, 'at most 50 capabilities').optional(),
  /** Checked by the agent type's own schema. An empty `config:` in YAML is null: the same as none. */
  config: z
    .record(z.string(), z.unknown(), 'a mapping of settings')
    .nullish()
    .transform((config) => config ?? {}),
});

/**
 * Memory extraction: after each reply, the model distils the user's message into short facts,
 * stored as HIGH items linked to their turns (`FactExtractor`). Off by default: it costs a model
 * call per message and keeps what users say for good (until forgotten).
 */
const ExtractionSchema = z
  .strictObject({
    enabled: z.boolean('true or false').default(false),
    /** The router deployment asked for facts. @default the router's default */
    deployment: z.string().min(1, "a deployment name of the router's").optional(),
    /** Cosine similarity above which a new fact replaces a known one. @default FACT_MERGE_SIMILARITY (0.9) */
    mergeAbove: z.number('a number').min(0, 'a cosine similarity from 0 to 1').max(1, 'a cosine similarity from 0 to 1').default(FACT_MERGE_SIMILARITY),
  }, 'a mapping with enabled, deployment, mergeAbove')
  .default({ enabled: false, mergeAbove: FACT_MERGE_SIMILARITY });

export const TeamConfigSchema = z
  .strictObject({
    /** How clients name the team (`/v1/teams/<id>/…`). */
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'an id of 1-64 letters, digits, _ or -, starting with a letter or digit'),
    description: z.string().trim().min(1, 'a non-empty description').max(1000, 'at most 1000 characters').optional(),
    /** The agent that receives every message; one of `agents`. */
    coordinator: agentName,
    /** Importance of the messages and replies the team stores in memory. @default "medium" */
    importance: ImportanceSchema.default('medium'),
    agents: z.array(AgentEntrySchema, 'a list of agents').min(1, 'at least one agent'),
    /** @default { enabled: false } */
    extraction: ExtractionSchema,
    /**
     * Limits of each run (one message, the coordinator and every member it delegates to): tokens,
     * and cost when every deployment has prices. A request may lower them, never raise them.
     * @default unlimited (usage is still reported), maxOutputTokens DEFAULT_MAX_OUTPUT_TOKENS
     */
    budget: TeamBudgetSchema,
  })
  .superRefine((team, ctx) => {
    const firstIndex = new Map<string, number>();
    team.agents.forEach((agent, i) => {
      const first = firstIndex.get(agent.name);
      if (first === undefined) firstIndex.set(agent.name, i);
      else ctx.addIssue({ code: 'custom', path: ['agents', i, 'name'], message: `a name no other agent has ("${agent.name}" is agents[${first}]'s)` });
    });
    if (!firstIndex.has(team.coordinator)) {
      ctx.addIssue({ code: 'custom', path: ['coordinator'], message: `the name of one of the team's agents (${[...firstIndex.keys()].join(', ')})` });
    }
  });

export type TeamConfig = z.infer<typeof TeamConfigSchema>;
/** A team config as written: defaults not yet applied. */
export type TeamConfigInput = z.input<typeof TeamConfigSchema>;
export type TeamAgentConfig = TeamConfig['agents'][number];

/** Validates a team config; throws `TeamConfigError` naming every bad field. */
export function parseTeamConfig(input: unknown, source?: string): TeamConfig {
  const parsed = TeamConfigSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new TeamConfigError(problemsFromZod(parsed.error), source);
}

const FORMATS: Partial<Record<string, 'JSON' | 'YAML'>> = { '.json': 'JSON', '.yaml': 'YAML', '.yml': 'YAML' };

/** Reads and validates a `.yaml`, `.yml` or `.json` team config file. */
export async function loadTeamConfig(path: string): Promise<TeamConfig> {
  const format = FORMATS[extname(path).toLowerCase()];
  if (format === undefined) throw new TeamConfigError([{ path: '(root)', message: 'expected a .yaml, .yml or .json file' }], path);
  const text = await readFile(path, 'utf8');
  let data: unknown;
  try {
    data = format === 'JSON' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    const why = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new TeamConfigError([{ path: '(root)', message: `expected valid ${format} (${why})` }], path, { cause: error });
  }
  return parseTeamConfig(data, path);
}
