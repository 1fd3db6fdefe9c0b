import { z } from 'zod';

/** Per-call bound on a tool's run, unless the agent's `tools.timeoutMs` says otherwise. */
export const DEFAULT_TOOL_TIMEOUT_MS = 30_000;
/** Arguments longer than this (as JSON) are refused before the call. */
export const DEFAULT_MAX_ARGUMENT_CHARS = 16_000;
/** A result longer than this is cut, with a note saying so: a tool must not flood the prompt. */
export const DEFAULT_MAX_RESULT_CHARS = 16_000;
/** Model turns that may call tools before the agent must answer without them. */
export const DEFAULT_MAX_TOOL_ROUNDS = 5;


/** A value taken from the environment at connection time, never written in the config. */
const EnvRef = z.strictObject({
  env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name'),
  /** Put before the value (`Bearer `). */
  prefix: z.string().optional(),
}, 'a reference {env: NAME, prefix?}');
export type EnvRefConfig = z.infer<typeof EnvRef>;

const FunctionToolsSchema = z.strictObject({
  /**
   * A package name or a path (relative to the team config's directory, else the working
   * directory), or `builtin:<name>` for a tool shipped with the runtime (`builtin:current-time`).
   */
  module: z.string().trim().min(1, 'a module specifier (a package, a path, or builtin:<name>)'),
  /** The export holding a tool or a list of tools. @default "tools" */
  export: z.string().regex(/^[A-Za-z_$][A-Za-z0-9_$]*$/, 'a JavaScript identifier').default('tools'),
});

// 24 characters: an MCP tool is seen as `<server>__<tool>`, and providers cap names at 64.
const serverName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,23}$/, 'a name of 1-24 letters, digits or -, starting with a letter or digit');

const McpServerSchema = z
  .strictObject({
    /** Prefixes the server's tools as the model sees them: `<name>__<tool>`, so two servers' tools never clash. */
    name: serverName,
    /** Spawned as a child process speaking MCP on stdin/stdout. */
    stdio: z
      .strictObject({
        command: z.string().min(1, 'a command'),
        args: z.array(z.string()).default([]),
        /** Added to the SDK's safe default environment (PATH, HOME…): literals or `{env: NAME}`. */
        env: z.record(z.string(), z.union([z.string(), EnvRef])).default({}),
        cwd: z.string().optional(),
      })
      .optional(),
    /** Streamable HTTP. Headers come from the environment only: a secret never sits in a team file. */
    http: z
      .strictObject({
        url: z.url('an http(s) URL'),
        headers: z.record(z.string(), EnvRef).default({}),
      })
      .optional(),
    /** Tool names (the server's own) that stop the run for approval before they run. */
    requireApproval: z.array(z.string()).default([]),
  })
  .refine((s) => (s.stdio === undefined) !== (s.http === undefined), { message: 'exactly one of stdio or http', path: ['stdio'] });
export type McpServerConfig = z.infer<typeof McpServerSchema>;

export const ToolsConfigSchema = z.strictObject({
  functions: z.array(FunctionToolsSchema).default([]),
  mcp: z.array(McpServerSchema).default([]),
  timeoutMs: z.number().int().min(1, 'at least 1 ms').max(600_000, 'at most 10 minutes').default(DEFAULT_TOOL_TIMEOUT_MS),
  maxArgumentChars: z.number().int().min(2).max(1_000_000).default(DEFAULT_MAX_ARGUMENT_CHARS),
  maxResultChars: z.number().int().min(100, 'at least 100').max(1_000_000).default(DEFAULT_MAX_RESULT_CHARS),
  maxRounds: z.number().int().min(1, 'at least 1').max(50, 'at most 50').default(DEFAULT_MAX_TOOL_ROUNDS),
  /** Leave tool arguments and results out of the trace (names, outcomes and timings stay). */
  redactToolContent: z.boolean().default(false),
});
export type ToolsConfig = z.infer<typeof ToolsConfigSchema>;
