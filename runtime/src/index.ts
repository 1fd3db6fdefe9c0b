// @orchestra/runtime: layered memory and agent teams served over HTTP. Each area is also its own
// entry (`@orchestra/runtime/contract`, `/memory`, `/agents`, `/llm`, `/server`); the contract
// entry is the one the infrastructure imports, without loading the rest.
export * from './contract';
export * from './memory';
export * from './llm';
export * from './agents';
export * from './server';
