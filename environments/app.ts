import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'cdktf';
import { EnvironmentConfigError, loadEnvironment } from './load';
import type { EnvironmentConfig, EnvironmentInput } from './schema';
import { OrchestraStack } from './stack';
import { stackName } from './stack-name';

export interface SynthOptions {
  /** @default - `CDKTF_OUTDIR` (set by the cdktf CLI), else "cdktf.out" */
  readonly outdir?: string;
  /** Shell variables for the overrides. @default process.env */
  readonly shell?: NodeJS.ProcessEnv;
}

/** Every environment that failed validation, each with its own message. */
export class InvalidEnvironmentsError extends Error {
  readonly code = 'ENVIRONMENTS_INVALID';
  constructor(readonly errors: readonly EnvironmentConfigError[]) {
    super(errors.map((e) => e.message).join('\n'));
    this.name = 'InvalidEnvironmentsError';
  }
}

/**
 * Validates every environment first, then builds and synthesizes one stack each. If any config
 * is invalid nothing is synthesized, and an earlier output of that environment is removed so a
 * stale stack cannot be deployed by mistake.
 */
export function synthesizeEnvironments(inputs: readonly EnvironmentInput[], options: SynthOptions = {}): App {
  const outdir = options.outdir ?? process.env.CDKTF_OUTDIR ?? 'cdktf.out';
  const configs: EnvironmentConfig[] = [];
  const errors: EnvironmentConfigError[] = [];
  for (const input of inputs) {
    try {
      configs.push(loadEnvironment(input, options.shell ?? process.env));
    } catch (error) {
      if (!(error instanceof EnvironmentConfigError)) throw error;
      errors.push(error);
    }
  }
  if (errors.length > 0) {
    for (const e of errors) fs.rmSync(path.join(outdir, 'stacks', stackName(e.environment)), { recursive: true, force: true });
    throw new InvalidEnvironmentsError(errors);
  }

  const app = new App({ outdir });
  for (const config of configs) new OrchestraStack(app, config);
  app.synth();
  return app;
}
