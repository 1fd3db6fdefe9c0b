// The runtime's contract with whatever deploys it (`@orchestra/runtime/contract`): the names of
// its settings, the defaults both sides share, the rules both sides check, the error model, and
// the configuration with its renderer and parser, inverse of each other. Depends on zod and yaml
// only: the infrastructure imports it without loading any of the runtime.
export * from './defaults';
export * from './errors';
export * from './google-api-calls';
export * from './llm-config';
export * from './mid-term-indexes';
export * from './rules';
export * from './runtime-config';
export * from './secrets';
export * from './settings';
export * from './telemetry';
