import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AgentRegistry,
  AgentRegistryError,
  AgentTeam,
  TeamCatalog,
  TeamConfigError,
  createDefaultRegistry,
  loadTeamConfig,
  loadTeams,
  parseTeamConfig,
  type TeamDeps,
} from '../../../runtime/src/agents';
import { FakeLlm, embeddedMemory } from './helpers';

const valid = () => ({
  id: 'support',
  coordinator: 'lead',
  agents: [
    { name: 'lead', type: 'coordinator', config: {} },
    { name: 'writer', type: 'llm', capabilities: ['write'], config: { systemPrompt: 'You write.' } },
  ],
});

function deps(registry: AgentRegistry = createDefaultRegistry()): TeamDeps {
  return { registry, memory: embeddedMemory().memory, llm: FakeLlm.script({ text: 'ok' }) };
}

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'teams-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('parseTeamConfig', () => {
  it('applies the defaults: importance medium, an empty config', () => {
    const config = parseTeamConfig({ ...valid(), agents: [{ name: 'lead', type: 'coordinator', config: null }] });
    expect(config.importance).toBe('medium');
    expect(config.agents[0].config).toEqual({});
  });

  it.each<[string, (c: ReturnType<typeof valid>) => unknown, string, RegExp]>([
    ['a missing id', ({ id: _id, ...rest }) => rest, 'id', /required \(expected string\)/],
    ['an id with a slash', (c) => ({ ...c, id: 'a/b' }), 'id', /letters, digits/],
    ['a missing coordinator', ({ coordinator: _c, ...rest }) => rest, 'coordinator', /required/],
    ['a coordinator that is not one of the agents', (c) => ({ ...c, coordinator: 'boss' }), 'coordinator', /one of the team's agents \(lead, writer\)/],
    ['two agents of the same name', (c) => ({ ...c, agents: [...c.agents, { ...c.agents[1] }] }), 'agents[2].name', /"writer" is agents\[1\]'s/],
    ['no agents', (c) => ({ ...c, agents: [] }), 'agents', /at least one agent/],
    ['agents that are not a list', (c) => ({ ...c, agents: { lead: {} } }), 'agents', /a list of agents/],
    ['an agent name too long for a tool name', (c) => ({ ...c, agents: [...c.agents, { name: 'x'.repeat(53), type: 'llm' }] }), 'agents[2].name', /1-52 letters/],
    ['an agent without a type', (c) => ({ ...c, agents: [c.agents[0], { name: 'w' }] }), 'agents[1].type', /required/],
    ['a config that is not a mapping', (c) => ({ ...c, agents: [{ ...c.agents[0], config: 'fast' }] }), 'agents[0].config', /mapping of settings/],
    ['capabilities that are not strings', (c) => ({ ...c, agents: [{ ...c.agents[0], capabilities: [1] }] }), 'agents[0].capabilities[0]', /string/],
    ['an unknown importance', (c) => ({ ...c, importance: 'urgent' }), 'importance', /"low"\|"medium"\|"high"/],
    ['an unknown team field', (c) => ({ ...c, team_id: 'x' }), 'team_id', /unknown field/],
    ['an unknown agent field', (c) => ({ ...c, agents: [{ ...c.agents[0], agent_type: 'x' }] }), 'agents[0].agent_type', /unknown field/],
    ['a config that is not an object', () => 'support', '(root)', /object/],
  ])('rejects %s, naming the field', (_case, change, field, expected) => {
    const error = thrown(() => parseTeamConfig(change(valid()), 'teams/support.yaml'));
    expect(error).toBeInstanceOf(TeamConfigError);
    expect(error).toMatchObject({ code: 'TEAM_INVALID_CONFIG', source: 'teams/support.yaml' });
    expect((error as TeamConfigError).problems).toContainEqual({ path: field, message: expect.stringMatching(expected) });
    expect((error as TeamConfigError).message).toContain(`(teams/support.yaml):\n`);
    expect((error as TeamConfigError).message).toContain(`  - ${field}: `);
  });
});

describe('AgentTeam.create', () => {
  it.each<[string, (c: ReturnType<typeof valid>) => unknown, string, RegExp]>([
    ['a type the registry lacks', (c) => ({ ...c, agents: [c.agents[0], { ...c.agents[1], type: 'gpt' }] }), 'agents[1].type', /registered agent type \(llm, coordinator\)/],
    ['an LLM agent without a system prompt', (c) => ({ ...c, agents: [c.agents[0], { ...c.agents[1], config: {} }] }), 'agents[1].config.systemPrompt', /required/],
    ['a temperature out of range', (c) => ({ ...c, agents: [c.agents[0], { ...c.agents[1], config: { systemPrompt: 'x', temperature: 3 } }] }), 'agents[1].config.temperature', /0 to 2/],
    ['a deployment the router lacks', (c) => ({ ...c, agents: [c.agents[0], { ...c.agents[1], config: { systemPrompt: 'x', deployment: 'gpt-5' } }] }), 'agents[1].config.deployment', /\(primary, backup\)/],
    ['a coordinator prompt without a deployment', (c) => ({ ...c, agents: [{ ...c.agents[0], config: { systemPrompt: 'Route well.' } }, c.agents[1]] }), 'agents[0].config.systemPrompt', /without a deployment/],
    ['a maxSteps of 0', (c) => ({ ...c, agents: [{ ...c.agents[0], config: { maxSteps: 0 } }, c.agents[1]] }), 'agents[0].config.maxSteps', /1 to 50/],
    ['an unknown coordinator setting', (c) => ({ ...c, agents: [{ ...c.agents[0], config: { max_steps: 2 } }, c.agents[1]] }), 'agents[0].config.max_steps', /unknown field/],
  ])('rejects %s, naming the field', async (_case, change, field, expected) => {
    const error = await rejection(AgentTeam.create(change(valid()) as never, deps(), { source: 'support.yaml' }));
    expect(error).toBeInstanceOf(TeamConfigError);
    expect(error).toMatchObject({ source: 'support.yaml' });
    expect((error as TeamConfigError).problems).toContainEqual({ path: field, message: expect.stringMatching(expected) });
  });

  it('passes on a registered type whose module cannot be loaded', async () => {
    const registry = new AgentRegistry({ baseDir: dir });
    registry.register({ name: 'coordinator', description: 'gone', capabilities: [], module: './gone', exportName: 'Gone' });
    const error = await rejection(AgentTeam.create({ id: 't', coordinator: 'c', agents: [{ name: 'c', type: 'coordinator' }] }, deps(registry)));
    expect(error).toBeInstanceOf(AgentRegistryError);
    expect((error as AgentRegistryError).reason).toBe('module-not-found');
  });

  it("gives members their type's description and capabilities unless the config names their own", async () => {
    const team = await AgentTeam.create(valid(), deps());
    expect(team.members).toEqual([
      { name: 'lead', description: createDefaultRegistry().get('coordinator')?.description, capabilities: ['coordinate', 'delegate'] },
      { name: 'writer', description: createDefaultRegistry().get('llm')?.description, capabilities: ['write'] },
    ]);
  });
});

describe('loadTeamConfig', () => {
  it('reads YAML and JSON alike', async () => {
    const yaml = [
      'id: support',
      'coordinator: lead',
      'agents:',
      '  - name: lead',
      '    type: coordinator',
      '    config:',
      '  - name: writer',
      '    type: llm',
      '    capabilities: [write]',
      '    config:',
      '      systemPrompt: You write.',
    ].join('\n');
    await writeFile(join(dir, 'support.yaml'), yaml);
    await writeFile(join(dir, 'support.json'), JSON.stringify(valid()));
    const fromYaml = await loadTeamConfig(join(dir, 'support.yaml'));
    expect(fromYaml).toEqual(await loadTeamConfig(join(dir, 'support.json')));
    expect(fromYaml.agents[1].config).toEqual({ systemPrompt: 'You write.' });
  });

  it.each([
    ['broken YAML', 'team.yml', 'id: [support\n', /valid YAML/],
    ['broken JSON', 'team.json', '{"id": "support",', /valid JSON/],
    ['a file of another kind', 'team.toml', 'id = "support"', /a \.yaml, \.yml or \.json file/],
  ])('rejects %s, naming the file', async (_case, name, text, expected) => {
    await writeFile(join(dir, name), text);
    const error = await rejection(loadTeamConfig(join(dir, name)));
    expect(error).toBeInstanceOf(TeamConfigError);
    expect(error).toMatchObject({ source: join(dir, name) });
    expect((error as TeamConfigError).problems).toEqual([{ path: '(root)', message: expect.stringMatching(expected) }]);
  });

  it('names the file and the field of an invalid config', async () => {
    await writeFile(join(dir, 'support.yaml'), 'id: support\ncoordinator: boss\nagents:\n  - { name: lead, type: coordinator }\n');
    const error = await rejection(loadTeamConfig(join(dir, 'support.yaml')));
    expect(error).toMatchObject({ problems: [{ path: 'coordinator', message: expect.any(String) }], source: join(dir, 'support.yaml') });
  });
});

describe('loadTeams and TeamCatalog', () => {
  const team = (id: string) => JSON.stringify({ ...valid(), id });

  it('builds a team from every YAML and JSON file of a directory, by id', async () => {
    await writeFile(join(dir, 'a.json'), team('alpha'));
    await writeFile(join(dir, 'b.yaml'), team('beta'));
    await writeFile(join(dir, 'c.yml'), team('gamma'));
    await writeFile(join(dir, 'notes.md'), '# not a team');
    const catalog = await loadTeams(dir, deps());
    expect(catalog.list().map((t) => [t.id, t.source])).toEqual([
      ['alpha', join(dir, 'a.json')],
      ['beta', join(dir, 'b.yaml')],
      ['gamma', join(dir, 'c.yml')],
    ]);
    expect(catalog.get('beta')?.coordinator).toBe('lead');
    expect(catalog.get('delta')).toBeUndefined();
  });

  it('refuses two teams with one id, naming both files', async () => {
    await writeFile(join(dir, 'a.json'), team('alpha'));
    await writeFile(join(dir, 'b.json'), team('alpha'));
    const error = await rejection(loadTeams(dir, deps()));
    expect(error).toBeInstanceOf(TeamConfigError);
    expect(error).toMatchObject({ problems: [{ path: 'id' }], source: join(dir, 'b.json') });
    expect((error as TeamConfigError).message).toContain(join(dir, 'a.json'));
  });

  it('fails the whole load on one bad file', async () => {
    await writeFile(join(dir, 'a.json'), team('alpha'));
    await writeFile(join(dir, 'b.json'), JSON.stringify({ ...valid(), coordinator: 'nobody' }));
    await expect(loadTeams(dir, deps())).rejects.toMatchObject({ problems: [{ path: 'coordinator' }], source: join(dir, 'b.json') });
  });

  it('is empty for an empty directory, and builds from teams given directly', async () => {
    expect((await loadTeams(dir, deps())).list()).toEqual([]);
    const alpha = await AgentTeam.create({ ...valid(), id: 'alpha' }, deps());
    expect(new TeamCatalog([alpha]).get('alpha')).toBe(alpha);
  });
});
