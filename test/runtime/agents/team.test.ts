import { join } from 'node:path';
import { AgentTeam, TeamConfigError, createDefaultRegistry, loadTeams, type TeamConfigInput } from '../../../runtime/src/agents';
import { LayeredMemoryManager } from '../../../runtime/src/memory/manager';
import { LlmRouterError } from '../../../runtime/src/llm/router';
import { type LlmClient, LlmError } from '../../../runtime/src/llm/types';
import { FakeLlm, embeddedMemory, lastUser, offlineLlm, systemPrompt } from './helpers';

/** How a remembered turn's date is shown to the model (UTC, to the minute). */
const DATE = '\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2} UTC';

const NOW = new Date('2026-03-01T12:00:00.000Z');

const TEAM: TeamConfigInput = {
  id: 'helpdesk',
  coordinator: 'coordinator',
  agents: [
    { name: 'coordinator', type: 'coordinator' },
    { name: 'researcher', type: 'llm', capabilities: ['research', 'explain'], config: { systemPrompt: 'You are the researcher.' } },
  ],
};

/** The researcher answers "answer <n>: <question>", n counting its calls. */
const numbered = (delayMs = 0) => new FakeLlm((request, i) => ({ text: `answer ${i + 1}: ${lastUser(request)}` }), ['primary'], delayMs);

function setup(options: { llm?: LlmClient; config?: TeamConfigInput; memory?: LayeredMemoryManager } = {}) {
  const stores = embeddedMemory();
  const memory = options.memory ?? stores.memory;
  const registry = createDefaultRegistry({ baseDir: join(__dirname, 'fixtures') });
  const team = AgentTeam.create(options.config ?? TEAM, { registry, memory, llm: options.llm ?? numbered() }, { clock: () => NOW });
  return { team, ...stores };
}

/** Replaces one method of a store with `impl`, keeping the rest real. */
function override<T extends object, K extends keyof T>(store: T, method: K, impl: T[K]): T {
  return Object.assign(Object.create(Object.getPrototypeOf(store)), store, { [method]: impl });
}

describe('AgentTeam memory', () => {
  it('stores the message and the reply, with who answered', async () => {
    const { team: pending, shortTerm, midTerm, longTerm } = setup();
    const team = await pending;
    const { reply, memory, agents } = await team.processMessage({ conversationId: 'c1', tenantId: 'acme', content: 'Explain tides', metadata: { channel: 'web' } });

    const stored = await shortTerm.recent('c1', 10);
    expect(stored.map(({ id: _id, ...rest }) => rest)).toEqual([
      { content: 'Explain tides', conversationId: 'c1', tenantId: 'acme', role: 'user', metadata: { channel: 'web', teamId: 'helpdesk' }, createdAt: expect.any(String), occurredAt: expect.any(String) },
      {
        content: reply.content,
        conversationId: 'c1',
        tenantId: 'acme',
        role: 'assistant',
        metadata: { teamId: 'helpdesk', agent: 'researcher', model: 'fake-primary', provider: 'fake' },
        createdAt: expect.any(String),
        occurredAt: expect.any(String),
      },
    ]);
    // A turn occurs when it is stored.
    for (const item of stored) expect(item.occurredAt).toBe(item.createdAt);
    // MEDIUM by default: mid-term keeps both, long-term neither.
    expect(await midTerm.idsOfConversation('c1')).toHaveLength(2);
    expect(longTerm.size).toBe(0);
    expect(memory).toEqual({ degraded: [] });
    expect(agents).toEqual({ degraded: [], failures: [] });
  });

  // Found by schemathesis: the message was stored, then the memory search refused it as blank.
  it('refuses a blank message and stores nothing of it', async () => {
    const { team: pending, shortTerm, midTerm } = setup();
    const team = await pending;
    await expect(team.processMessage({ conversationId: 'c1', content: '\u00a0\n\ufeff' })).rejects.toMatchObject({
      name: 'MemoryValidationError',
      problems: [{ path: 'content', message: expect.stringMatching(/not only whitespace/) }],
    });
    expect(await shortTerm.recent('c1', 10)).toEqual([]);
    expect(await midTerm.byConversation('c1', 10)).toEqual([]);
  });

  it('stores at the importance the config names', async () => {
    const { team, longTerm } = setup({ config: { ...TEAM, importance: 'high' } });
    await (await team).processMessage({ conversationId: 'c1', content: 'Explain tides' });
    expect(longTerm.size).toBe(2);
  });

  it('shows a later turn the earlier ones, without repeating the message being answered', async () => {
    const llm = numbered();
    const team = await setup({ llm }).team;
    const first = await team.processMessage({ conversationId: 'c1', content: 'Explain tides' });
    await team.processMessage({ conversationId: 'c2', content: 'Explain volcanoes' });
    await team.processMessage({ conversationId: 'c1', content: 'Explain spring tides too' });

    expect(first.reply.content).toBe('answer 1: Explain tides');
    expect(llm.calls[2].request.messages).toEqual([
      { role: 'system', content: 'You are the researcher.' },
      // A remembered turn carries the date it was said; the message being answered does not.
      { role: 'user', content: expect.stringMatching(new RegExp(`^\\[${DATE}\\] Explain tides$`)) },
      { role: 'assistant', content: 'answer 1: Explain tides' },
      { role: 'user', content: 'Explain spring tides too' },
    ]);
  });

  it('gives older turns beyond the recent window as background', async () => {
    const stores = embeddedMemory();
    // A clock a second further on at each write, so the turns' order is their createdAt order.
    let tick = Date.now();
    const memory = new LayeredMemoryManager(stores.memory.layers, { recentMessages: 2, clock: () => new Date((tick += 1000)) });
    const llm = numbered();
    const team = await setup({ llm, memory }).team;
    await team.processMessage({ conversationId: 'c1', content: 'Explain tides' });
    await team.processMessage({ conversationId: 'c1', content: 'Explain neap tides' });
    await team.processMessage({ conversationId: 'c1', content: 'Explain spring tides' });

    const messages = llm.calls[2].request.messages;
    expect(messages[0]).toEqual({
      role: 'system',
      content: expect.stringMatching(
        new RegExp(
          `^You are the researcher.\n\nEarlier in this conversation \\(oldest first\\):\n- \\[${DATE}\\] user: Explain tides\n- \\[${DATE}\\] assistant: answer 1: Explain tides\n- \\[${DATE}\\] user: Explain neap tides$`,
        ),
      ),
    });
    // The recent window of 2 holds the message being answered (given last, as the message) and the answer before it.
    expect(messages.slice(1)).toEqual([
      { role: 'assistant', content: 'answer 2: Explain neap tides' },
      { role: 'user', content: 'Explain spring tides' },
    ]);
  });

  it('answers despite a degraded memory read, and says so', async () => {
    const stores = embeddedMemory();
    const shortTerm = override(stores.shortTerm, 'recent', async () => {
      throw new Error('redis unreachable');
    });
    const memory = new LayeredMemoryManager({ ...stores.memory.layers, shortTerm });
    const { reply, memory: notes } = await (await setup({ memory }).team).processMessage({ conversationId: 'c1', content: 'Explain tides' });
    expect(reply.agent).toBe('researcher');
    expect(notes.degraded).toEqual(['read: short-term: redis unreachable']);
  });

  it('returns a reply it could not store, with a note', async () => {
    const stores = embeddedMemory();
    const midTerm = override(stores.midTerm, 'upsert', async (item, expiresAt) => {
      if (item.role === 'assistant') throw new Error('quota exceeded');
      return stores.midTerm.upsert(item, expiresAt);
    });
    const memory = new LayeredMemoryManager({ ...stores.memory.layers, midTerm });
    const { reply, memory: notes } = await (await setup({ memory }).team).processMessage({ conversationId: 'c1', content: 'Explain tides' });
    expect(reply.content).toBe('answer 1: Explain tides');
    expect(notes.degraded).toEqual(['reply not stored: mid-term: quota exceeded']);
  });

  it('does not store an empty reply', async () => {
    const { team, shortTerm } = setup({ llm: FakeLlm.script({ text: '' }) });
    const { reply } = await (await team).processMessage({ conversationId: 'c1', content: 'Explain tides' });
    expect(reply.content).toBe('');
    expect((await shortTerm.recent('c1', 10)).map((i) => i.role)).toEqual(['user']);
  });
});

describe('AgentTeam trace', () => {
  it('records who did what, which model answered, when and for how long', async () => {
    const team = await setup({ llm: numbered(25) }).team;
    const { trace } = await team.processMessage({ conversationId: 'c1', content: 'Explain tides' });
    expect(trace).toEqual([
      { agent: 'coordinator', action: 'delegate', detail: 'to researcher (matched explain): Explain tides', startedAt: NOW.toISOString(), durationMs: expect.any(Number) },
      {
        agent: 'researcher',
        action: 'llm-call',
        detail: 'finish: stop',
        deployment: 'primary',
        provider: 'fake',
        model: 'fake-primary',
        attempts: [{ deployment: 'primary', provider: 'fake', model: 'fake-primary', outcome: 'ok', durationMs: 25 }],
        // The fake reports no usage: the budget's estimate stands in, and says so.
        usage: { inputTokens: expect.any(Number), outputTokens: expect.any(Number), estimated: true },
        startedAt: NOW.toISOString(),
        durationMs: expect.any(Number),
      },
    ]);
    // The delegation contains the model call it waited for.
    expect(trace[1].durationMs).toBeGreaterThanOrEqual(20);
    expect(trace[0].durationMs).toBeGreaterThanOrEqual(trace[1].durationMs);
  });
});

describe('a custom agent', () => {
  it('takes a few lines, is loaded by the registry and validated like a built-in', async () => {
    const registry = createDefaultRegistry({ baseDir: join(__dirname, 'fixtures') });
    registry.register({ name: 'shout', description: 'Shouts the message back', capabilities: ['shout'], module: './shout-agent', exportName: 'ShoutAgent' });
    const config = (suffix: unknown): TeamConfigInput => ({
      id: 'loud',
      coordinator: 'coordinator',
      agents: [
        { name: 'coordinator', type: 'coordinator' },
        { name: 'loud', type: 'shout', config: { suffix } },
      ],
    });
    const deps = { registry, memory: embeddedMemory().memory, llm: FakeLlm.script({ text: 'unused' }) };

    const team = await AgentTeam.create(config('!!'), deps);
    expect(team.members[1]).toEqual({ name: 'loud', description: 'Shouts the message back', capabilities: ['shout'] });
    expect((await team.processMessage({ conversationId: 'c1', content: 'shout hello' })).reply).toEqual({ content: 'SHOUT HELLO!!', agent: 'loud' });

    const error = await AgentTeam.create(config(3), deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TeamConfigError);
    expect(error).toMatchObject({ problems: [{ path: 'agents[1].config.suffix' }] });
  });
});

describe('the default team (runtime/teams)', () => {
  async function defaultTeam(llm: LlmClient = offlineLlm(), memory = embeddedMemory().memory) {
    const registry = createDefaultRegistry();
    const catalog = await loadTeams(join(__dirname, '../../../runtime/teams'), { registry, memory, llm });
    const team = catalog.get('default');
    if (!team) throw new Error('no default team');
    return team;
  }

  it('answers with the offline model, through the member whose capabilities fit', async () => {
    const team = await defaultTeam();
    expect(team.members.map((m) => m.name)).toEqual(['coordinator', 'researcher', 'planner', 'assistant']);

    const research = await team.processMessage({ conversationId: 'c1', content: 'Explain how tides work' });
    expect(research.reply).toMatchObject({ agent: 'researcher', provider: 'offline', model: 'offline' });
    expect(research.reply.content).toMatch(/^\[offline model\] You said: "Explain how tides work"/);

    const plan = await team.processMessage({ conversationId: 'c1', content: 'Plan the steps to move house' });
    expect(plan.reply).toMatchObject({ agent: 'planner', provider: 'offline' });
    // The second turn reached the model with the first one as context.
    expect(plan.reply.content).toMatch(/and 2 earlier messages\.$/);

    // What no specialist matches goes to the assistant (the coordinator's fallbackMember).
    const chat = await team.processMessage({ conversationId: 'c1', content: 'Hello!' });
    expect(chat.reply).toMatchObject({ agent: 'assistant', provider: 'offline' });
    expect(chat.trace.map((s) => [s.agent, s.action, s.detail])).toEqual([
      ['coordinator', 'delegate', 'to assistant (no member matches; the fallback member): Hello!'],
      ['assistant', 'llm-call', 'finish: stop'],
    ]);
  });

  it('routes by offline tool calls when its coordinator names a deployment', async () => {
    const registry = createDefaultRegistry();
    const llm = offlineLlm();
    const config: TeamConfigInput = {
      id: 'tools',
      coordinator: 'coordinator',
      agents: [
        { name: 'coordinator', type: 'coordinator', config: { deployment: 'offline' } },
        { name: 'researcher', type: 'llm', description: 'Finds facts', capabilities: ['facts'], config: { systemPrompt: 'You are the researcher.' } },
      ],
    };
    const team = await AgentTeam.create(config, { registry, memory: embeddedMemory().memory, llm });
    const { reply, trace } = await team.processMessage({ conversationId: 'c1', content: 'Ask the researcher for facts about tides' });
    expect(trace.map((s) => [s.agent, s.action])).toEqual([
      ['coordinator', 'llm-call'],
      ['coordinator', 'delegate'],
      ['researcher', 'llm-call'],
      ['coordinator', 'llm-call'],
    ]);
    expect(reply).toMatchObject({ agent: 'coordinator', provider: 'offline' });
    expect(reply.content).toMatch(/^\[offline model\] Tool delegate_to_researcher returned: \[offline model\] You said: "Ask the researcher/);
  });

  it('answers that a member could not when its model is down, and remembers saying so', async () => {
    const down: LlmClient = {
      deployments: ['offline'],
      chat: async () => {
        throw new LlmRouterError([{ deployment: 'offline', provider: 'offline', model: 'offline', outcome: 'error', errorKind: 'timeout', durationMs: 1 }], new LlmError('timeout', 'took too long'));
      },
    };
    const stores = embeddedMemory();
    const team = await defaultTeam(down, stores.memory);
    const { reply, agents } = await team.processMessage({ conversationId: 'c1', content: 'Plan the steps to move house' });
    expect(reply).toEqual({ agent: 'coordinator', content: 'Member "planner" could not answer this request: no model answered (offline timeout).' });
    expect(agents.degraded).toEqual(['agent planner: failed (llm-unavailable): no model answered (offline timeout)']);
    // The next turn sees what the user was told.
    expect((await stores.shortTerm.recent('c1', 10)).map((i) => [i.role, i.metadata?.agent])).toEqual([['user', undefined], ['assistant', 'coordinator']]);
  });

  it('gives each member its own system prompt', async () => {
    // Guards the shipped YAML: a member without its prompt would answer as a generic model.
    const llm = new FakeLlm(() => ({ text: 'ok' }), ['primary']);
    const team = await defaultTeam(llm);
    await team.processMessage({ conversationId: 'c1', content: 'Explain tides' });
    await team.processMessage({ conversationId: 'c1', content: 'Plan a trip' });
    expect(llm.calls.map((c) => systemPrompt(c.request).split('\n')[0])).toEqual([
      expect.stringMatching(/^You are the team's researcher/),
      expect.stringMatching(/^You are the team's planner/),
    ]);
  });
});
