import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { type AgentClass, BaseAgent } from './base-agent';
import { problemsFromZod } from '../contract';
import { AgentRegistryError } from './errors';

export const AgentInfoSchema = z.strictObject({
  /** The type name team configs use. */
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'a name of 1-64 letters, digits or _ . -, starting with a letter or digit'),
  description: z.string().trim().min(1, 'a non-empty description').max(1000, 'at most 1000 characters'),
  capabilities: z.array(z.string().trim().min(1, 'a non-empty capability').max(100, 'at most 100 characters')).max(50, 'at most 50 capabilities'),
  /** A package name (`@acme/agents`) or a path, relative to the registry's base directory or absolute. */
  module: z.string().trim().min(1, 'a module specifier (a package name or a path)'),
  exportName: z.string().regex(/^[A-Za-z_$][A-Za-z0-9_$]*$/, 'a JavaScript identifier'),
});

/** An agent type: what it is, for listings, and where its class lives. */
export type AgentInfo = z.infer<typeof AgentInfoSchema>;

export interface AgentRegistryOptions {
  /** Where relative module paths and package names are resolved from. @default process.cwd() */
  readonly baseDir?: string;
}

/**
 * Agent types by name. Registration only records where a class lives; `resolve` loads it, so a
 * registry can list types whose modules it has not loaded (and a broken module fails the team
 * that uses it, not the service).
 */
export class AgentRegistry {
  private readonly entries = new Map<string, AgentInfo>();
  private readonly baseDir: string;

  constructor(options: AgentRegistryOptions = {}) {
    this.baseDir = options.baseDir ?? process.cwd();
  }

  /**
   * Adds an agent type. Validated even though typed, since entries often come from configuration
   * files: throws `AgentRegistryError` ('invalid-entry' naming every bad field, or 'duplicate') and
   * registers nothing.
   */
  register(info: AgentInfo): void {
    const parsed = AgentInfoSchema.safeParse(info);
    const name = typeof info?.name === 'string' && info.name !== '' ? info.name : '(entry)';
    if (!parsed.success) {
      throw new AgentRegistryError('invalid-entry', name, problemsFromZod(parsed.error));
    }
    if (this.entries.has(parsed.data.name)) throw new AgentRegistryError('duplicate', name, [{ path: 'name', message: 'already registered' }]);
    this.entries.set(parsed.data.name, parsed.data);
  }

  get(name: string): AgentInfo | undefined {
    return this.entries.get(name);
  }

  /** Every registered type, in registration order (what `GET /v1/agents` lists). */
  list(): AgentInfo[] {
    return [...this.entries.values()];
  }

  /**
   * Loads the class of agent type `name` with a dynamic `import()`. Throws `AgentRegistryError`:
   * 'unknown-agent', 'module-not-found', 'load-failed', 'export-not-found' or 'not-an-agent'.
   */
  async resolve(name: string): Promise<AgentClass> {
    const info = this.entries.get(name);
    if (!info) {
      throw new AgentRegistryError('unknown-agent', name, [{ path: 'name', message: `not registered (registered: ${[...this.entries.keys()].join(', ') || 'none'})` }]);
    }
    let file: string;
    try {
      // require.resolve gives Node's CommonJS lookup (extensionless paths, directories, packages'
      // `main`) from the base directory; import() alone would resolve against this file and
      // demand full ESM specifiers.
      file = require.resolve(info.module, { paths: [this.baseDir] });
    } catch (error) {
      throw new AgentRegistryError('module-not-found', name, [{ path: 'module', message: `"${info.module}" not found from ${this.baseDir}` }], { cause: error });
    }
    let exports: Record<string, unknown>;
    try {
      // A file URL, not a path: import() takes URLs, and a Windows path is not one.
      exports = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new AgentRegistryError('load-failed', name, [{ path: 'module', message: `"${info.module}" failed to load: ${why}` }], { cause: error });
    }
    const exported = exports[info.exportName];
    if (exported === undefined) {
      const available = Object.keys(exports).filter((k) => k !== 'default' && k !== '__esModule');
      throw new AgentRegistryError('export-not-found', name, [{ path: 'exportName', message: `module "${info.module}" has no export "${info.exportName}" (exports: ${available.join(', ') || 'none'})` }]);
    }
    if (!isAgentClass(exported)) {
      throw new AgentRegistryError('not-an-agent', name, [{ path: 'exportName', message: `export "${info.exportName}" of "${info.module}" is not a class extending BaseAgent` }]);
    }
    return exported;
  }
}

function isAgentClass(value: unknown): value is AgentClass {
  // instanceof, not duck typing: an agent must validate its config through BaseAgent. A module
  // built against a second copy of this package fails here, which is the place to find that out.
  return typeof value === 'function' && value.prototype instanceof BaseAgent;
}

/** A registry with the built-in types: `llm` and `coordinator`. */
export function createDefaultRegistry(options: AgentRegistryOptions = {}): AgentRegistry {
  const registry = new AgentRegistry(options);
  // Absolute paths, resolved here, so the built-ins load the same way as any other type wherever
  // the registry's base directory is.
  registry.register({
    name: 'llm',
    description: 'Answers with a language model, following its system prompt and the conversation so far',
    capabilities: ['chat'],
    module: require.resolve('./llm-agent'),
    exportName: 'LlmAgent',
  });
  registry.register({
    name: 'coordinator',
    description: "Hands each message to the team member whose capabilities fit it: by LLM tool calls when it has a deployment, by keyword matching when not",
    capabilities: ['coordinate', 'delegate'],
    module: require.resolve('./coordinator-agent'),
    exportName: 'CoordinatorAgent',
  });
  return registry;
}
