import { z } from 'zod';
import { EnvironmentConfig, EnvironmentInput, EnvironmentSchema } from './schema';

/** An environment config that failed validation; the message lists every problem. */
export class EnvironmentConfigError extends Error {
  constructor(
    readonly environment: string,
    readonly problems: readonly string[],
  ) {
    super(`orchestra-${environment}: invalid environment config\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'EnvironmentConfigError';
  }
}

/**
 * Shell variables that override an environment's config, so a user deploys to their own project
 * without editing code. `<NAME>` is the environment name upper-cased (`DEV`, `STAGING`, `PROD`).
 */
export const OVERRIDES = {
  projectId: (name: string) => `ORCHESTRA_${envKey(name)}_PROJECT_ID`,
  stateBucket: (name: string) => `ORCHESTRA_${envKey(name)}_STATE_BUCKET`,
  image: (name: string) => `ORCHESTRA_${envKey(name)}_IMAGE`,
  deployRuntime: (name: string) => `ORCHESTRA_${envKey(name)}_DEPLOY_RUNTIME`,
} as const;

function envKey(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[') || '(root)';
}

function formatIssue(issue: z.core.$ZodIssue): string {
  return `${formatPath(issue.path)}: ${issue.message}`;
}

/**
 * Applies the shell overrides to `input`, validates it, and fills in defaults. Throws an
 * `EnvironmentConfigError` naming the environment, each field and its rule; nothing is built
 * from a config that fails.
 */
export function loadEnvironment(input: EnvironmentInput, shell: NodeJS.ProcessEnv = process.env): EnvironmentConfig {
  const name = typeof input.name === 'string' ? input.name : '(unnamed)';
  const problems: string[] = [];
  const merged: EnvironmentInput = { ...input, state: { ...input.state }, runtime: { ...input.runtime } };

  const projectId = shell[OVERRIDES.projectId(name)];
  if (projectId !== undefined) merged.projectId = projectId;
  const bucket = shell[OVERRIDES.stateBucket(name)];
  if (bucket !== undefined) merged.state = { ...merged.state, bucket };
  const image = shell[OVERRIDES.image(name)];
  if (image !== undefined) merged.runtime.image = image;
  const deploy = shell[OVERRIDES.deployRuntime(name)];
  if (deploy !== undefined) {
    if (deploy === 'true' || deploy === 'false') merged.runtime.deploy = deploy === 'true';
    else problems.push(`${OVERRIDES.deployRuntime(name)}: must be "true" or "false", got "${deploy}"`);
  }

  const result = EnvironmentSchema.safeParse(merged);
  if (!result.success) problems.push(...result.error.issues.map(formatIssue));
  if (problems.length > 0 || !result.success) throw new EnvironmentConfigError(name, problems);
  return result.data;
}
