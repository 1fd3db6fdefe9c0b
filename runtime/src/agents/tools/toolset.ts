/**
 * The tools one agent may call: functions from modules and the tools of MCP servers, each with
 * its JSON Schema, validated before the call. Loaded once when the team is built (`openToolSet`),
 * closed with the team.
 */
import { dirname, isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Problem } from '../../contract';
import type { JsonSchema, ToolDefinition } from '../../llm/types';
import { AgentConfigError } from '../errors';
import type { EnvRefConfig, McpServerConfig, ToolsConfig } from './config';

/** What a function tool's handler is given besides its arguments. */
export interface ToolCallContext {
  /** Aborts at the tool's timeout, the request's deadline or the client's disconnect. */
  readonly signal: AbortSignal;
}

/**
 * A function tool, as a module exports it (one, or a list, under the export the config names):
 * `{ name, description, parameters, handler }`. The handler's value is the result (a string as
 * is, anything else as JSON); what it throws goes back to the model as an error result.
 */
export interface FunctionTool {
  readonly name: string;
  readonly description: string;
  /** JSON Schema of the arguments object; the arguments are checked against it before the call. */
  readonly parameters: JsonSchema;
  /** The run stops before this tool runs, until someone approves or refuses the call. */
  readonly requiresApproval?: boolean;
  handler(args: Record<string, unknown>, context: ToolCallContext): unknown;
}

/** Why a tool could not be loaded. */
export type ToolLoadErrorReason = 'module-not-found' | 'load-failed' | 'export-not-found' | 'invalid-tool' | 'invalid-schema' | 'duplicate-name' | 'mcp-connect-failed';

/** A tool of an agent's config that cannot be loaded; its problems' paths are inside the agent's config (`tools.functions[0].export`). */
export class ToolLoadError extends AgentConfigError {
  constructor(
    readonly reason: ToolLoadErrorReason,
    agent: string,
    problems: readonly Problem[],
    options?: { readonly cause?: unknown },
  ) {
    super(agent, problems);
    if (options?.cause !== undefined) Object.defineProperty(this, 'cause', { value: options.cause });
  }
}

/** A tool as the agent runs it: its definition for the model, and how to call it. */
export interface LoadedTool {
  readonly definition: ToolDefinition;
  readonly requiresApproval: boolean;
  /** Null when the arguments fit the schema, else what is wrong, naming the field. */
  readonly check: (args: unknown) => string | null;
  readonly call: (args: Record<string, unknown>, context: ToolCallContext) => Promise<ToolOutput>;
}

/** A tool's result: text for the model, and whether it is an error. */
export interface ToolOutput {
  readonly text: string;
  readonly isError: boolean;
}

export interface ToolSet {
  readonly tools: ReadonlyMap<string, LoadedTool>;
  readonly definitions: readonly ToolDefinition[];
  close(): Promise<void>;
}

// The schemas are the tool authors' (MCP servers add their own keywords): unknown keywords are
// tolerated, not fatal; `strict` would refuse a server's harmless `$schema` or `title`.
const ajv = new Ajv({ allErrors: true, strict: false });

function compile(schema: unknown): ValidateFunction | string {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return 'a JSON Schema object';
  if ((schema as JsonSchema)['type'] !== undefined && (schema as JsonSchema)['type'] !== 'object') return 'a JSON Schema of type "object" (tool arguments are an object)';
  try {
    return ajv.compile(schema);
  } catch (error) {
    return `a valid JSON Schema (${error instanceof Error ? error.message : String(error)})`;
  }
}

function checker(validate: ValidateFunction): (args: unknown) => string | null {
  return (args) => {
    if (validate(args)) return null;
    return (validate.errors ?? [])
      .map((e) => {
        const missing = e.keyword === 'required' ? `/${String((e.params as { missingProperty?: string }).missingProperty)}` : '';
        const extra = e.keyword === 'additionalProperties' ? `/${String((e.params as { additionalProperty?: string }).additionalProperty)}` : '';
        return `${e.instancePath + missing + extra || '(arguments)'}: ${e.message ?? 'invalid'}`;
      })
      .join('; ');
  };
}

/** Where `builtin:<name>` modules live. */
const BUILTIN_PREFIX = 'builtin:';

function resolveModule(specifier: string, baseDir: string): string {
  if (specifier.startsWith(BUILTIN_PREFIX)) return require.resolve(`./builtin/${specifier.slice(BUILTIN_PREFIX.length)}`);
  return require.resolve(specifier, { paths: [isAbsolute(specifier) ? dirname(specifier) : baseDir] });
}

function toText(value: unknown): string {
  if (typeof value === 'string') return value;
  return JSON.stringify(value) ?? 'null';
}

function envValue(ref: EnvRefConfig, env: Readonly<Record<string, string | undefined>>, path: string): string {
  const value = env[ref.env];
  if (value === undefined) throw new Error(`${path}: environment variable ${ref.env} is not set`);
  return `${ref.prefix ?? ''}${value}`;
}

export interface ToolSetOptions {
  /** Relative module paths resolve from here. @default process.cwd() */
  readonly baseDir?: string;
  /** Where `{env: NAME}` references are read. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Loads the function tools and connects to the MCP servers of `config`. Throws `ToolLoadError`
 * naming the field for a module that is missing or fails, an export that is missing or not a
 * tool, a schema that does not compile, a name used twice, a server that cannot be reached; what
 * was opened is then closed.
 */
export async function openToolSet(agent: string, config: ToolsConfig, options: ToolSetOptions = {}): Promise<ToolSet> {
  const baseDir = options.baseDir ?? process.cwd();
  const env = options.env ?? process.env;
  const tools = new Map<string, LoadedTool>();
  const clients: Client[] = [];
  const close = async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
  };
  const add = (tool: LoadedTool, path: string) => {
    if (tools.has(tool.definition.name)) throw new ToolLoadError('duplicate-name', agent, [{ path, message: `a tool name no other tool of the agent has ("${tool.definition.name}" is taken)` }]);
    tools.set(tool.definition.name, tool);
  };
  try {
    for (const [i, entry] of config.functions.entries()) {
      const at = `tools.functions[${i}]`;
      let file: string;
      try {
        file = resolveModule(entry.module, baseDir);
      } catch (error) {
        throw new ToolLoadError('module-not-found', agent, [{ path: `${at}.module`, message: `"${entry.module}" not found from ${baseDir}` }], { cause: error });
      }
      let exports: Record<string, unknown>;
      try {
        exports = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
      } catch (error) {
        throw new ToolLoadError('load-failed', agent, [{ path: `${at}.module`, message: `"${entry.module}" failed to load: ${error instanceof Error ? error.message : String(error)}` }], { cause: error });
      }
      const exported = exports[entry.export];
      if (exported === undefined) {
        const available = Object.keys(exports).filter((k) => k !== 'default' && k !== '__esModule');
        throw new ToolLoadError('export-not-found', agent, [{ path: `${at}.export`, message: `module "${entry.module}" has no export "${entry.export}" (exports: ${available.join(', ') || 'none'})` }]);
      }
      const list = Array.isArray(exported) ? (exported as unknown[]) : [exported];
      for (const [j, candidate] of list.entries()) add(functionTool(agent, candidate, `${at}.export`, Array.isArray(exported) ? j : undefined), `${at}.export`);
    }
    for (const [i, server] of config.mcp.entries()) {
      const at = `tools.mcp[${i}]`;
      let client: Client;
      try {
        client = await connect(server, env, at);
      } catch (error) {
        throw new ToolLoadError('mcp-connect-failed', agent, [{ path: `${at}.${server.stdio ? 'stdio' : 'http'}`, message: `MCP server "${server.name}" did not connect: ${error instanceof Error ? error.message : String(error)}` }], { cause: error });
      }
      clients.push(client);
      const listed = await client.listTools();
      for (const tool of listed.tools) {
        const validate = compile(tool.inputSchema);
        const name = `${server.name}__${tool.name}`;
        if (typeof validate === 'string') throw new ToolLoadError('invalid-schema', agent, [{ path: at, message: `tool "${tool.name}" of MCP server "${server.name}": expected ${validate}` }]);
        add(
          {
            definition: { name, description: tool.description ?? tool.title ?? tool.name, parameters: tool.inputSchema as JsonSchema },
            requiresApproval: server.requireApproval.includes(tool.name),
            check: checker(validate),
            call: async (args, { signal }) => {
              const result = await client.callTool({ name: tool.name, arguments: args }, undefined, { signal });
              const parts = Array.isArray(result.content) ? (result.content as { type: string; text?: string }[]) : [];
              const text = parts.map((p) => (p.type === 'text' && typeof p.text === 'string' ? p.text : JSON.stringify(p))).join('\n');
              const structured = text === '' && result.structuredContent !== undefined ? JSON.stringify(result.structuredContent) : text;
              return { text: structured, isError: result.isError === true };
            },
          },
          at,
        );
      }
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { tools, definitions: [...tools.values()].map((t) => t.definition), close };
}

function functionTool(agent: string, candidate: unknown, path: string, index: number | undefined): LoadedTool {
  const where = index === undefined ? path : `${path}[${index}]`;
  const bad = (message: string, reason: ToolLoadErrorReason = 'invalid-tool') => new ToolLoadError(reason, agent, [{ path: where, message }]);
  if (typeof candidate !== 'object' || candidate === null) throw bad('a tool {name, description, parameters, handler}');
  const tool = candidate as Partial<FunctionTool>;
  if (typeof tool.name !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(tool.name)) throw bad('a tool whose name is 1-64 letters, digits, _ or -');
  if (typeof tool.description !== 'string' || tool.description.trim() === '') throw bad(`tool "${tool.name}": a non-empty description`);
  if (typeof tool.handler !== 'function') throw bad(`tool "${tool.name}": a handler function`);
  const validate = compile(tool.parameters);
  if (typeof validate === 'string') throw bad(`tool "${tool.name}": parameters must be ${validate}`, 'invalid-schema');
  const handler = tool.handler.bind(tool);
  return {
    definition: { name: tool.name, description: tool.description, parameters: tool.parameters as JsonSchema },
    requiresApproval: tool.requiresApproval === true,
    check: checker(validate),
    call: async (args, context) => ({ text: toText(await handler(args, context)), isError: false }),
  };
}

async function connect(server: McpServerConfig, env: Readonly<Record<string, string | undefined>>, at: string): Promise<Client> {
  const client = new Client({ name: 'orchestra-runtime', version: '0.1.0' });
  if (server.stdio) {
    const { command, args, cwd } = server.stdio;
    const childEnv = Object.fromEntries(Object.entries(server.stdio.env).map(([k, v]) => [k, typeof v === 'string' ? v : envValue(v, env, `${at}.stdio.env.${k}`)]));
    await client.connect(new StdioClientTransport({ command, args, cwd, env: { ...getDefaultEnvironment(), ...childEnv }, stderr: 'ignore' }));
  } else if (server.http) {
    const headers = Object.fromEntries(Object.entries(server.http.headers).map(([k, v]) => [k, envValue(v, env, `${at}.http.headers.${k}`)]));
    await client.connect(new StreamableHTTPClientTransport(new URL(server.http.url), { requestInit: { headers } }));
  }
  return client;
}
