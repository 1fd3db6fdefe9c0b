import { join } from 'node:path';
import {
  AgentTeam,
  DelegationError,
  DelegationLimitError,
  createDefaultRegistry,
  matchByCapability,
  type TeamConfigInput,
} from '../../../runtime/src/agents';
import type { ChatRequest } from '../../../runtime/src/llm/types';
import { FakeLlm, embeddedMemory, lastUser, systemPrompt, type Scripted } from './helpers';

const RESEARCHER = {
  name: 'researcher',
  type: 'llm',
  description: 'Researches a topic, finds the facts and explains them plainly.',
  capabilities: ['research', 'facts', 'explain'],
  config: { systemPrompt: 'You are the researcher.' },
};
const PLANNER = {
  name: 'planner',
  type: 'llm',
  description: 'Turns a goal into ordered steps.',
  capabilities: ['plan', 'steps', 'schedule'],
  config: { systemPrompt: 'You are the planner.' },
};

function registry() {
  const r = createDefaultRegistry({ baseDir: join(__dirname, 'fixtures') });
  r.register({ name: 'forward', description: 'Delegates to its target', capabilities: ['relay'], module: './test-agents', exportName: 'ForwardAgent' });
  r.register({ name: 'report', description: 'Reports what it was given', capabilities: ['report'], module: './test-agents', exportName: 'ReportAgent' });
  return r;
}

function build(coordinatorConfig: Record<string, unknown>, llm: FakeLlm, members: TeamConfigInput['agents'] = [RESEARCHER, PLANNER]) {
  const config = { id: 't', coordinator: 'coordinator', agents: [{ name: 'coordinator', type: 'coordinator', config: coordinatorConfig }, ...members] };
  return AgentTeam.create(config, { registry: registry(), memory: embeddedMemory().memory, llm });
}

const ask = (content: string) => ({ conversationId: 'conv-1', content });

/** Members answer as themselves; the coordinator follows `coordinator`. */
function teamLlm(coordinator: (request: ChatRequest, round: number) => Scripted) {
  let round = 0;
  return new FakeLlm((request) => {
    const prompt = systemPrompt(request);
    if (prompt.startsWith('You are the researcher')) return { text: `researcher on: ${lastUser(request)}` };
    if (prompt.startsWith('You are the planner')) return { text: `planner on: ${lastUser(request)}` };
    return coordinator(request, round++);
  });
}

/** Which agent made each model call, by its system prompt. */
const agentsCalled = (llm: FakeLlm) => llm.calls.map((c) => /^You are the (\w+)/.exec(systemPrompt(c.request))?.[1] ?? 'coordinator');

describe('coordinator without a deployment: capability matching', () => {
  it.each([
    ['Explain why the sky is blue', 'researcher', 'explain'],
    ['I need the facts about tides', 'researcher', 'facts'],
    ['Plan the steps of a product launch', 'planner', 'plan, steps'],
    ['Planning my week: what do I schedule first?', 'planner', 'plan, schedule'],
  ])('hands "%s" to the %s', async (content, member, matched) => {
    const llm = teamLlm(() => ({ text: 'the coordinator should not call a model' }));
    const team = await build({}, llm);
    const { reply, trace } = await team.processMessage(ask(content));
    expect(reply).toEqual({ content: `${member} on: ${content}`, agent: member, model: 'fake-primary', provider: 'fake' });
    expect(agentsCalled(llm)).toEqual([member]);
    expect(trace.map((s) => [s.agent, s.action, s.detail])).toEqual([
      ['coordinator', 'delegate', `to ${member} (matched ${matched}): ${content}`],
      [member, 'llm-call', 'finish: stop'],
    ]);
  });

  it('breaks a tie by member order', async () => {
    const content = 'Facts for a schedule';
    const first = await build({}, teamLlm(() => ({ text: '' })), [RESEARCHER, PLANNER]);
    expect((await first.processMessage(ask(content))).reply.agent).toBe('researcher');
    const reversed = await build({}, teamLlm(() => ({ text: '' })), [PLANNER, RESEARCHER]);
    expect((await reversed.processMessage(ask(content))).reply.agent).toBe('planner');
  });

  it('weighs a capability above a description word', async () => {
    // "topic" is in the researcher's description, "schedule" is a capability of the planner.
    const team = await build({}, teamLlm(() => ({ text: '' })));
    expect((await team.processMessage(ask('Which topic should I schedule?'))).reply.agent).toBe('planner');
  });

  it('answers itself, naming what the members do, when none matches', async () => {
    const llm = teamLlm(() => ({ text: '' }));
    const team = await build({}, llm);
    const { reply, trace } = await team.processMessage(ask('Hello there!'));
    expect(reply).toEqual({
      content: 'No member of this team matches the request. Ask for something within their capabilities: researcher (research, facts, explain); planner (plan, steps, schedule).',
      agent: 'coordinator',
    });
    expect(llm.calls).toEqual([]);
    expect(trace.map((s) => [s.agent, s.action, s.detail])).toEqual([['coordinator', 'answer', 'no member matches the message']]);
  });

  it('says so when it has no members at all', async () => {
    const team = await build({}, teamLlm(() => ({ text: '' })), []);
    expect((await team.processMessage(ask('Explain tides'))).reply.content).toBe('This team has no members to hand the request to.');
  });
});

describe('matchByCapability', () => {
  const member = (name: string, capabilities: string[], description = '') => ({ name, capabilities, description });

  it('matches stems of four letters or more, not shorter ones', () => {
    expect(matchByCapability('an article about art', [member('artist', ['art'])])).toMatchObject({ matched: ['art'] });
    expect(matchByCapability('an article', [member('artist', ['art'])])).toBeUndefined();
    expect(matchByCapability('schedules', [member('planner', ['schedule'])])).toMatchObject({ score: 2 });
  });

  it('does not count a description word again when it repeats a capability', () => {
    const match = matchByCapability('explain the weather', [member('researcher', ['explain'], 'Explains things about weather')]);
    expect(match).toMatchObject({ score: 3, matched: ['explain', 'weather'] });
  });

  it('ignores stopwords', () => {
    expect(matchByCapability('what should you do with this', [member('x', ['what', 'should'], 'this and that')])).toBeUndefined();
  });
});

describe('coordinator with a deployment: LLM tool calls', () => {
  it('offers one delegate tool per member, passes the result back, and answers with the model', async () => {
    const llm = teamLlm((request, round) =>
      round === 0 ? { toolCalls: [{ name: 'delegate_to_planner', arguments: { task: 'Draft the launch steps' } }] } : { text: `Summary: ${request.messages.at(-1)?.content}` },
    );
    const team = await build({ deployment: 'backup', systemPrompt: 'You route.', temperature: 0 }, llm);
    const { reply, trace } = await team.processMessage(ask('We launch in May; what should happen when?'));

    expect(reply).toEqual({ content: 'Summary: planner on: Draft the launch steps', agent: 'coordinator', model: 'fake-backup', provider: 'fake' });
    const [first, planner, second] = llm.calls;
    expect(first.deployment).toBe('backup');
    expect(first.request.temperature).toBe(0);
    expect(systemPrompt(first.request)).toBe('You route.');
    expect(first.request.tools?.map((t) => t.name)).toEqual(['delegate_to_researcher', 'delegate_to_planner']);
    expect(first.request.tools?.[1].description).toBe('Turns a goal into ordered steps. Capabilities: plan, steps, schedule.');
    expect(first.request.tools?.[1].parameters).toMatchObject({ type: 'object', required: ['task'], properties: { task: { type: 'string' } } });
    // The member is asked the task, on the router's default deployment.
    expect(lastUser(planner.request)).toBe('Draft the launch steps');
    expect(planner.deployment).toBeUndefined();
    expect(first.request.messages.map((m) => m.role)).toEqual(['system', 'user']);
    expect(second.request.messages.slice(-2)).toEqual([
      { role: 'assistant', content: '', toolCalls: [{ id: 'call-0-0', name: 'delegate_to_planner', arguments: { task: 'Draft the launch steps' } }] },
      { role: 'tool', toolCallId: 'call-0-0', content: 'planner on: Draft the launch steps' },
    ]);
    expect(trace.map((s) => [s.agent, s.action, s.deployment, s.detail])).toEqual([
      ['coordinator', 'llm-call', 'backup', 'finish: tool-calls'],
      ['coordinator', 'delegate', undefined, 'to planner (tool call delegate_to_planner): Draft the launch steps'],
      ['planner', 'llm-call', 'primary', 'finish: stop'],
      ['coordinator', 'llm-call', 'backup', 'finish: stop'],
    ]);
  });

  it('delegates again when the model asks, then answers', async () => {
    const script: Scripted[] = [
      { toolCalls: [{ name: 'delegate_to_researcher', arguments: { task: 'Facts on venues' } }] },
      { toolCalls: [{ name: 'delegate_to_planner', arguments: { task: 'Plan around the venue' } }] },
      { text: 'done' },
    ];
    const llm = teamLlm((_request, round) => script[round]);
    const team = await build({ deployment: 'primary' }, llm);
    const { reply, trace } = await team.processMessage(ask('Organise an offsite'));
    expect(reply.content).toBe('done');
    expect(agentsCalled(llm)).toEqual(['coordinator', 'researcher', 'coordinator', 'planner', 'coordinator']);
    expect(trace.filter((s) => s.action === 'delegate').map((s) => s.detail)).toEqual([
      'to researcher (tool call delegate_to_researcher): Facts on venues',
      'to planner (tool call delegate_to_planner): Plan around the venue',
    ]);
  });

  it.each([
    ['an unknown tool', { name: 'search_web', arguments: { task: 'x' } }, 'error: no tool named "search_web"; the tools are delegate_to_researcher, delegate_to_planner'],
    ['a delegation without a task', { name: 'delegate_to_planner', arguments: {} }, 'error: the "task" argument must be a non-empty string'],
  ])('tells the model about %s and lets it go on', async (_case, call, error) => {
    const llm = teamLlm((_request, round) => (round === 0 ? { toolCalls: [call] } : { text: 'recovered' }));
    const team = await build({ deployment: 'primary' }, llm);
    const { reply, trace } = await team.processMessage(ask('Organise an offsite'));
    expect(reply.content).toBe('recovered');
    expect(llm.calls[1].request.messages.at(-1)).toEqual({ role: 'tool', toolCallId: 'call-0-0', content: error });
    expect(trace.map((s) => s.action)).toEqual(['llm-call', 'tool-call', 'llm-call']);
    expect(trace[1].detail).toBe(`${call.name}: ${error.slice('error: '.length)}`);
  });

  it('ends a model that keeps delegating with DelegationLimitError at maxSteps', async () => {
    const llm = teamLlm(() => ({ toolCalls: [{ name: 'delegate_to_researcher', arguments: { task: 'more' } }] }));
    const team = await build({ deployment: 'primary', maxSteps: 2 }, llm);
    const error = await team.processMessage(ask('Find everything')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DelegationLimitError);
    expect(error).toMatchObject({ agent: 'coordinator', limit: 'maxSteps', max: 2, path: ['researcher', 'researcher', 'researcher'] });
    expect((error as Error).message).toBe('agent "coordinator" reached maxSteps (2) delegating: coordinator → researcher → researcher → researcher');
    expect(agentsCalled(llm)).toEqual(['coordinator', 'researcher', 'coordinator', 'researcher', 'coordinator']);
  });

  it('counts each tool call of a turn as a step, and defaults maxSteps to 4', async () => {
    const call = (name: string) => ({ name: `delegate_to_${name}`, arguments: { task: 't' } });
    const llm = teamLlm(() => ({ toolCalls: [call('researcher'), call('planner'), call('researcher')] }));
    const team = await build({ deployment: 'primary' }, llm);
    const error = await team.processMessage(ask('Find everything')).catch((e: unknown) => e);
    expect(error).toMatchObject({ max: 4, path: ['researcher', 'planner', 'researcher', 'researcher', 'planner'] });
    expect(agentsCalled(llm)).toEqual(['coordinator', 'researcher', 'planner', 'researcher', 'coordinator', 'researcher']);
  });

  it('calls the model without tools when the team has no members', async () => {
    const llm = teamLlm(() => ({ text: 'on my own' }));
    const team = await build({ deployment: 'primary' }, llm, []);
    expect((await team.processMessage(ask('Hi'))).reply.content).toBe('on my own');
    expect(llm.calls[0].request.tools).toBeUndefined();
  });
});

describe('delegation between members', () => {
  const relay = (target: string) => ({ name: 'relay', type: 'forward', capabilities: ['relay'], config: { target } });
  const reporter = { name: 'reporter', type: 'report', capabilities: ['report'] };

  it('runs each member one level deeper, showing it only the agents below it in the chain', async () => {
    const team = await build({}, teamLlm(() => ({ text: '' })), [relay('reporter'), reporter]);
    const { reply, trace } = await team.processMessage(ask('relay this'));
    expect(reply.content).toBe('relay saw [reporter] at depth 1; reporter depth=2 members=[] recent=[] task=relay this');
    expect(trace.map((s) => [s.agent, s.action, s.detail])).toEqual([
      ['coordinator', 'delegate', 'to relay (matched relay): relay this'],
      ['relay', 'delegate', 'to reporter: relay this'],
    ]);
  });

  it.each([
    ['back to the coordinator', 'coordinator', 'cycle', /already in the chain coordinator → relay/],
    ['to itself', 'relay', 'cycle', /already in the chain/],
    ['to an agent the team lacks', 'ghost', 'unknown-member', /no such member/],
  ])('refuses a delegation %s', async (_case, target, reason, message) => {
    const team = await build({}, teamLlm(() => ({ text: '' })), [relay(target), reporter]);
    const error = await team.processMessage(ask('relay this')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DelegationError);
    expect(error).toMatchObject({ reason, from: 'relay', to: target, path: ['coordinator', 'relay'] });
    expect((error as Error).message).toMatch(message);
  });
});
