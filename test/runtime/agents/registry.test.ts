import { join } from 'node:path';
import {
  AgentRegistry,
  AgentRegistryError,
  CoordinatorAgent,
  LlmAgent,
  createDefaultRegistry,
  type AgentInfo,
  type AgentRegistryErrorReason,
} from '../../../runtime/src/agents';
import { ShoutAgent } from './fixtures/shout-agent';

const FIXTURES = join(__dirname, 'fixtures');

const entry = (overrides: Partial<AgentInfo> = {}): AgentInfo => ({
  name: 'shout',
  description: 'Shouts the message back',
  capabilities: ['shout'],
  module: './shout-agent',
  exportName: 'ShoutAgent',
  ...overrides,
});

async function registryError(action: () => unknown): Promise<AgentRegistryError> {
  const error = await Promise.resolve().then(action).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AgentRegistryError);
  return error as AgentRegistryError;
}

describe('createDefaultRegistry', () => {
  it('lists the built-in types and loads their classes', async () => {
    const registry = createDefaultRegistry();
    expect(registry.list().map((i) => i.name)).toEqual(['llm', 'coordinator']);
    expect(registry.get('coordinator')?.capabilities).toEqual(['coordinate', 'delegate']);
    await expect(registry.resolve('llm')).resolves.toBe(LlmAgent);
    await expect(registry.resolve('coordinator')).resolves.toBe(CoordinatorAgent);
  });
});

describe('AgentRegistry.resolve', () => {
  it('loads a class by a path relative to the base directory', async () => {
    const registry = new AgentRegistry({ baseDir: FIXTURES });
    registry.register(entry());
    await expect(registry.resolve('shout')).resolves.toBe(ShoutAgent);
  });

  it('loads a class by an absolute path, whatever the base directory', async () => {
    const registry = new AgentRegistry({ baseDir: '/' });
    registry.register(entry({ module: join(FIXTURES, 'shout-agent') }));
    await expect(registry.resolve('shout')).resolves.toBe(ShoutAgent);
  });

  it.each<[string, Partial<AgentInfo>, AgentRegistryErrorReason, RegExp]>([
    ['a module that does not exist', { module: './no-such-agent' }, 'module-not-found', /module: "\.\/no-such-agent" not found/],
    ['a package that is not installed', { module: '@acme/no-such-agents' }, 'module-not-found', /not found/],
    ['a module that throws while loading', { module: './throws-on-load' }, 'load-failed', /failed to load: ACME_AGENT_TOKEN is not set/],
    ['an export the module lacks', { exportName: 'ShoutingAgent' }, 'export-not-found', /no export "ShoutingAgent" \(exports: ShoutAgent\)/],
    ['a class that does not extend BaseAgent', { module: './not-agents', exportName: 'PlainClass' }, 'not-an-agent', /not a class extending BaseAgent/],
    ['a value that is not a class', { module: './not-agents', exportName: 'notAClass' }, 'not-an-agent', /not a class/],
    ['BaseAgent itself', { module: './not-agents', exportName: 'BaseAgent' }, 'not-an-agent', /not a class/],
    ['a package export that is not an agent', { module: 'zod', exportName: 'z' }, 'not-an-agent', /not a class/],
  ])('rejects %s', async (_case, overrides, reason, message) => {
    const registry = new AgentRegistry({ baseDir: FIXTURES });
    registry.register(entry(overrides));
    const error = await registryError(() => registry.resolve('shout'));
    expect(error.reason).toBe(reason);
    expect(error.agent).toBe('shout');
    expect(error.message).toMatch(message);
  });

  it('rejects a name never registered, listing those that are', async () => {
    const registry = createDefaultRegistry();
    const error = await registryError(() => registry.resolve('shout'));
    expect(error.reason).toBe('unknown-agent');
    expect(error.message).toMatch(/registered: llm, coordinator/);
  });
});

describe('AgentRegistry.register', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['a name with spaces', { name: 'my agent' }, 'name'],
    ['an empty description', { description: ' ' }, 'description'],
    ['capabilities that are not a list', { capabilities: 'shout' }, 'capabilities'],
    ['an empty capability', { capabilities: ['shout', ''] }, 'capabilities[1]'],
    ['an empty module', { module: '' }, 'module'],
    ['an export name that is not an identifier', { exportName: 'Shout-Agent' }, 'exportName'],
    ['a missing export name', { exportName: undefined }, 'exportName'],
    ['an unknown field', { agentClass: 'ShoutAgent' }, 'agentClass'],
  ])('rejects %s, naming the field, and registers nothing', (_case, overrides, field) => {
    const registry = new AgentRegistry({ baseDir: FIXTURES });
    let error: unknown;
    try {
      registry.register({ ...entry(), ...overrides } as AgentInfo);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AgentRegistryError);
    expect((error as AgentRegistryError).reason).toBe('invalid-entry');
    expect((error as AgentRegistryError).problems.map((p) => p.path)).toContain(field);
    expect((error as AgentRegistryError).message).toContain(field);
    expect(registry.list()).toEqual([]);
  });

  it('rejects a second type of the same name and keeps the first', async () => {
    const registry = new AgentRegistry({ baseDir: FIXTURES });
    registry.register(entry());
    let error: unknown;
    try {
      registry.register(entry({ module: './not-agents', exportName: 'PlainClass' }));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AgentRegistryError);
    expect((error as AgentRegistryError).reason).toBe('duplicate');
    expect(registry.list()).toEqual([entry()]);
    await expect(registry.resolve('shout')).resolves.toBe(ShoutAgent);
  });
});
