import { Testing } from 'cdktf';
import type { Construct } from 'constructs';

/** A synthesized stack as Terraform JSON. */
export interface TerraformJson {
  resource?: Record<string, Record<string, Record<string, unknown>>>;
  output?: Record<string, { value: unknown }>;
  terraform?: Record<string, unknown>;
  provider?: Record<string, unknown[]>;
}

/** Synthesizes what `build` adds to a fresh stack and returns both the string and parsed JSON. */
export function synth(build: (scope: Construct) => void): { text: string; json: TerraformJson } {
  const text = Testing.synthScope(build);
  return { text, json: JSON.parse(text) as TerraformJson };
}

/** All resources of one Terraform type, in declaration order. */
export function resourcesOf(json: TerraformJson, type: string): Record<string, any>[] {
  return Object.values(json.resource?.[type] ?? {});
}

/** The only resource of `type`; fails when there is not exactly one. */
export function onlyResource(json: TerraformJson, type: string): Record<string, any> {
  const all = resourcesOf(json, type);
  if (all.length !== 1) throw new Error(`expected exactly one ${type}, found ${all.length}`);
  return all[0];
}

/** Every [type, resource] pair of the stack. */
export function allResources(json: TerraformJson): [string, Record<string, any>][] {
  return Object.entries(json.resource ?? {}).flatMap(([type, rs]) => Object.values(rs).map((r) => [type, r] as [string, Record<string, any>]));
}
