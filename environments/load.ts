import { type Problem, ValidationError, problemsFromZod } from '@orchestra/runtime/contract';
import { EnvironmentConfig, EnvironmentInput, EnvironmentSchema } from './schema';
import { stackName } from './stack-name';

/** An environment config that failed validation; the message lists every problem. */
export class EnvironmentConfigError extends ValidationError {
  static readonly CODE = 'ENVIRONMENT_INVALID_CONFIG';
  constructor(
    readonly environment: string,
    problems: readonly Problem[],
  ) {
    super(EnvironmentConfigError.CODE, `${stackName(environment)}: invalid environment config`, problems);
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

/**
 * Applies the shell overrides to `input`, validates it, and fills in defaults. Throws an
 * `EnvironmentConfigError` naming the environment, each field and its rule; nothing is built
 * from a config that fails.
 */
export function loadEnvironment(input: EnvironmentInput, shell: NodeJS.ProcessEnv = process.env): EnvironmentConfig {
  const name = typeof input.name === 'string' ? input.name : '(unnamed)';
  const problems: Problem[] = [];
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
    else problems.push({ path: OVERRIDES.deployRuntime(name), message: `must be "true" or "false", got "${deploy}"` });
  }

  const result = EnvironmentSchema.safeParse(merged);
  if (!result.success) problems.push(...problemsFromZod(result.error));
  if (problems.length > 0 || !result.success) throw new EnvironmentConfigError(name, problems);
  return result.data;
}
