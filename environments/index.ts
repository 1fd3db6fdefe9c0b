import dev from './dev';
import prod from './prod';
import staging from './staging';
import type { EnvironmentInput } from './schema';

export { EnvironmentSchema, defineEnvironment } from './schema';
export type { EnvironmentConfig, EnvironmentInput } from './schema';
export { EnvironmentConfigError, OVERRIDES, loadEnvironment } from './load';

/** Every environment this repository deploys, in promotion order. */
export const ENVIRONMENTS: readonly EnvironmentInput[] = [dev, staging, prod];
export { OrchestraStack } from './stack';
export { stackName } from './stack-name';
export { InvalidEnvironmentsError, synthesizeEnvironments, type SynthOptions } from './app';
