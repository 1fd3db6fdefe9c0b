import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ENVIRONMENTS, type EnvironmentInput, synthesizeEnvironments } from '../../environments';
import type { TerraformJson } from './synth';

/**
 * The environments' stacks as `cdktf synth` writes them (the real app, every aspect and
 * guardrail), by environment name; synthesized into a temporary directory that is removed.
 */
export function synthesizeStacks(environments: readonly EnvironmentInput[] = ENVIRONMENTS, shell: Record<string, string> = {}): Record<string, TerraformJson> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'orchestra-stacks-'));
  try {
    synthesizeEnvironments(environments, { outdir, shell });
    return Object.fromEntries(
      environments.map((e) => [e.name, JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', `orchestra-${e.name}`, 'cdk.tf.json'), 'utf8')) as TerraformJson]),
    );
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/** One environment's stack after `change` to its config as written. */
export function synthesizeChanged(name: string, change: (input: EnvironmentInput) => EnvironmentInput): TerraformJson {
  const input = ENVIRONMENTS.find((e) => e.name === name);
  if (!input) throw new Error(`no environment ${name}`);
  return synthesizeStacks([change(input)])[name];
}
