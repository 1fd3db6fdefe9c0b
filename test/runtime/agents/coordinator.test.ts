import { join } from 'node:path';
import {
  AgentTeam,
  DelegationError,
  createDefaultRegistry,
  matchByCapability,
  type TeamConfigInput,
} from '../../../runtime/src/agents';
import { LlmRouterError } from '../../../runtime/src/llm/router';
import { type Attempt, type ChatRequest, LlmError } from '../../../runtime/src/llm/types';
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
  r.register({ name: 'throw', description: 'Throws', capabilities: ['break'], module: './test-agents', exportName: 'ThrowAgent' });
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

describe('coordinator without a deployment: the fallback member', () => {
  const ASSISTANT = { name: 'assistant', type: 'llm', description: 'Answers anything else.', capabilities: ['chat'], config: { systemPrompt: 'You are the assistant.' } };
  const withAssistant = (llm: FakeLlm, config: Record<string, unknown> = { fallbackMember: 'assistant' }) => build(config, llm, [RESEARCHER, PLANNER, ASSISTANT]);
  const assistantLlm = () =>
    new FakeLlm((request) => {
      const prompt = systemPrompt(request);
      return { text: `${/^You are the (\w+)/.exec(prompt)?.[1] ?? 'nobody'} on: ${lastUser(request)}` };
    });

  it('hands a message no member matches to the fallback member', async () => {
    const llm = assistantLlm();
    const { reply, trace } = await (await withAssistant(llm)).processMessage(ask('My name is Dana and I run a bakery in Lyon.'));
    expect(reply).toMatchObject({ agent: 'assistant', content: 'assistant on: My name is Dana and I run a bakery in Lyon.' });
    expect(trace.map((s) => [s.agent, s.action, s.detail])).toEqual([
      ['coordinator', 'delegate', 'to assistant (no member matches; the fallback member): My name is Dana and I run a bakery in Lyon.'],
      ['assistant', 'llm-call', 'finish: stop'],
    ]);
  });

  it('still gives a matching message to the specialist, not the fallback', async () => {
    const { reply } = await (await withAssistant(assistantLlm())).processMessage(ask('Explain why the sky is blue'));
    expect(reply.agent).toBe('researcher');
  });

  it('says the fallback member could not answer when it fails, with a degraded note', async () => {
    const llm = new FakeLlm(() => {
      throw new LlmError('server', 'upstream 500', { provider: 'fake', model: 'm' });
    });
    const result = await (await withAssistant(llm)).processMessage(ask('Hello there!'));
    expect(result.reply).toMatchObject({ agent: 'coordinator', content: expect.stringMatching(/^Member "assistant" could not answer this request/) });
    expect(result.agents.degraded).toEqual([expect.stringMatching(/^agent assistant: failed/)]);
  });

  it.each([
    ['an agent the team lacks', 'helper', /the name of another agent of the team \(researcher, planner, assistant\), not "helper"/],
    ['the coordinator itself', 'coordinator', /the name of another agent of the team \(researcher, planner, assistant\), not "coordinator"/],
  ])('refuses a fallbackMember naming %s, naming the field', async (_case, fallbackMember, message) => {
    const error = await withAssistant(assistantLlm(), { fallbackMember }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'TEAM_INVALID_CONFIG', problems: [{ path: 'agents[0].config.fallbackMember', message: expect.stringMatching(message) }] });
  });

  it('refuses a fallbackMember beside a deployment (the model answers what no member fits) or an empty one', async () => {
    const llm = assistantLlm();
    await expect(withAssistant(llm, { deployment: 'primary', fallbackMember: 'assistant' })).rejects.toMatchObject({
      problems: [{ path: 'agents[0].config.fallbackMember', message: expect.stringMatching(/no value with a deployment/) }],
    });
    await expect(withAssistant(llm, { fallbackMember: '' })).rejects.toMatchObject({ problems: [{ path: 'agents[0].config.fallbackMember' }] });
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

  it('answers with the members\' answers so far, and says so, when the model wants more than maxSteps', async () => {
    let n = 0;
    const llm = teamLlm(() => ({ toolCalls: [{ name: 'delegate_to_researcher', arguments: { task: `part ${++n}` } }] }));
    const team = await build({ deployment: 'primary', maxSteps: 2 }, llm);
    const { reply, trace, agents } = await team.processMessage(ask('Find everything'));

    expect(reply).toEqual({
      content: 'This team stopped at its limit of 2 delegations before finishing. What its members answered so far:\n\nresearcher: researcher on: part 1\n\nresearcher: researcher on: part 2',
      agent: 'coordinator',
    });
    // The third request for a delegation is refused without asking the model again.
    expect(agentsCalled(llm)).toEqual(['coordinator', 'researcher', 'coordinator', 'researcher', 'coordinator']);
    const note = "reached maxSteps (2); refused delegate_to_researcher; replied with its members' answers so far";
    expect(trace.at(-1)).toMatchObject({ agent: 'coordinator', action: 'answer', detail: note });
    expect(agents).toEqual({ degraded: [`agent coordinator: ${note}`], failures: [] });
  });

  it('counts each tool call of a turn as a step, and defaults maxSteps to 4', async () => {
    const call = (name: string) => ({ name: `delegate_to_${name}`, arguments: { task: 't' } });
    const llm = teamLlm(() => ({ toolCalls: [call('researcher'), call('planner'), call('researcher')] }));
    const team = await build({ deployment: 'primary' }, llm);
    const { reply, agents } = await team.processMessage(ask('Find everything'));
    expect(agentsCalled(llm)).toEqual(['coordinator', 'researcher', 'planner', 'researcher', 'coordinator', 'researcher']);
    expect(reply.content.split('\n\n').slice(1)).toEqual(['researcher: researcher on: t', 'planner: planner on: t', 'researcher: researcher on: t', 'researcher: researcher on: t']);
    expect(agents.degraded).toEqual(["agent coordinator: reached maxSteps (4); refused delegate_to_planner, delegate_to_researcher; replied with its members' answers so far"]);
  });

  it('counts refused tool calls too, so a model repeating a bad call still stops', async () => {
    const llm = teamLlm(() => ({ toolCalls: [{ name: 'search_web', arguments: { task: 'x' } }] }));
    const team = await build({ deployment: 'primary', maxSteps: 3 }, llm);
    const { reply } = await team.processMessage(ask('Find everything'));
    expect(reply.content).toBe('This team stopped at its limit of 3 delegations before finishing, without an answer from its members.');
    expect(agentsCalled(llm)).toEqual(['coordinator', 'coordinator', 'coordinator', 'coordinator']);
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
  ])('refuses a delegation %s, which fails that member, not the team', async (_case, target, reason, message) => {
    const team = await build({}, teamLlm(() => ({ text: '' })), [relay(target), reporter]);
    const { reply, agents } = await team.processMessage(ask('relay this'));
    expect(reply.agent).toBe('coordinator');
    expect(reply.content).toMatch(/^Member "relay" could not answer this request: agent "relay" cannot delegate to/);
    const [failure] = agents.failures;
    expect(failure).toMatchObject({ agent: 'relay', kind: 'delegation-refused' });
    expect(failure.error).toBeInstanceOf(DelegationError);
    expect(failure.error).toMatchObject({ reason, from: 'relay', to: target, path: ['coordinator', 'relay'] });
    expect(failure.message).toMatch(message);
  });
});

/** What the router throws when every deployment failed; the provider's text must stay inside it. */
function outage(...kinds: ('rate-limit' | 'server')[]): LlmRouterError {
  const attempts: Attempt[] = kinds.map((errorKind, i) => ({ deployment: ['primary', 'backup'][i], provider: 'fake', model: 'm', outcome: 'error', errorKind, durationMs: 1 }));
  return new LlmRouterError(attempts, new LlmError(kinds.at(-1) ?? 'server', 'upstream said: invalid key sk-secret-123'));
}

/** The researcher's model is down; the planner and the coordinator answer as `teamLlm`'s do. */
function researcherDown(coordinator: (request: ChatRequest, round: number) => Scripted) {
  let round = 0;
  return new FakeLlm((request) => {
    const prompt = systemPrompt(request);
    if (prompt.startsWith('You are the researcher')) throw outage('rate-limit', 'server');
    if (prompt.startsWith('You are the planner')) return { text: `planner on: ${lastUser(request)}` };
    return coordinator(request, round++);
  });
}

const NO_MODEL = 'no model answered (primary rate-limit, backup server)';

describe('a member that fails', () => {
  it('is a tool result for the model, which may try another member and answer', async () => {
    const script: Scripted[] = [
      { toolCalls: [{ name: 'delegate_to_researcher', arguments: { task: 'Facts on venues' } }] },
      { toolCalls: [{ name: 'delegate_to_planner', arguments: { task: 'Plan without the facts' } }] },
      { text: 'Here is a plan; the facts could not be checked.' },
    ];
    const llm = researcherDown((_request, round) => script[round]);
    const team = await build({ deployment: 'primary' }, llm);
    const { reply, trace, agents } = await team.processMessage(ask('Organise an offsite'));

    expect(reply).toEqual({ content: 'Here is a plan; the facts could not be checked.', agent: 'coordinator', model: 'fake-primary', provider: 'fake' });
    expect(llm.calls[2].request.messages.at(-1)).toEqual({
      role: 'tool',
      toolCallId: 'call-0-0',
      content: `error: researcher failed (llm-unavailable): ${NO_MODEL}. Try another member, or answer without it.`,
    });
    expect(trace.map((s) => [s.agent, s.action, s.detail])).toEqual([
      ['coordinator', 'llm-call', 'finish: tool-calls'],
      ['coordinator', 'delegate', `to researcher (tool call delegate_to_researcher): Facts on venues (failed: ${NO_MODEL})`],
      ['researcher', 'llm-call', `failed: ${NO_MODEL}`],
      ['coordinator', 'llm-call', 'finish: tool-calls'],
      ['coordinator', 'delegate', 'to planner (tool call delegate_to_planner): Plan without the facts'],
      ['planner', 'llm-call', 'finish: stop'],
      ['coordinator', 'llm-call', 'finish: stop'],
    ]);
    // The failed call keeps its attempts: which deployments were tried and how each failed.
    expect(trace[2].attempts?.map((a) => [a.deployment, a.errorKind])).toEqual([['primary', 'rate-limit'], ['backup', 'server']]);
    expect(agents.degraded).toEqual([`agent researcher: failed (llm-unavailable): ${NO_MODEL}`]);
    expect(agents.failures).toEqual([{ agent: 'researcher', kind: 'llm-unavailable', message: NO_MODEL, error: expect.any(LlmRouterError) }]);
    // The provider's words reach neither the model, nor the trace, nor the notes.
    expect(JSON.stringify([llm.calls.map((c) => c.request), trace, agents.degraded])).not.toContain('sk-secret');
  });

  it('reports an unexpected error by its type only', async () => {
    const breaker = { name: 'breaker', type: 'throw', capabilities: ['break'], config: { message: 'db password=hunter2 at pool.ts:42' } };
    const llm = teamLlm((request, round) => (round === 0 ? { toolCalls: [{ name: 'delegate_to_breaker', arguments: { task: 'break it' } }] } : { text: `saw ${request.messages.at(-1)?.content}` }));
    const team = await build({ deployment: 'primary' }, llm, [breaker]);
    const { reply, trace, agents } = await team.processMessage(ask('break something'));
    expect(reply.content).toBe('saw error: breaker failed (agent-error): unexpected TypeError. Try another member, or answer without it.');
    expect(trace[1].detail).toBe('to breaker (tool call delegate_to_breaker): break it (failed: unexpected TypeError)');
    expect(agents.failures[0].error).toEqual(new TypeError('db password=hunter2 at pool.ts:42'));
    expect(JSON.stringify([reply, trace, agents.degraded])).not.toContain('hunter2');
  });

  it('says at the step limit which members failed when none answered', async () => {
    const llm = researcherDown(() => ({ toolCalls: [{ name: 'delegate_to_researcher', arguments: { task: 'facts' } }] }));
    const team = await build({ deployment: 'primary', maxSteps: 1 }, llm);
    const { reply, agents } = await team.processMessage(ask('Find everything'));
    expect(reply.content).toBe(`This team stopped at its limit of 1 delegation before finishing, without an answer from its members: researcher (${NO_MODEL}) failed.`);
    expect(agents.degraded).toEqual([
      `agent researcher: failed (llm-unavailable): ${NO_MODEL}`,
      "agent coordinator: reached maxSteps (1); refused delegate_to_researcher; replied with its members' answers so far",
    ]);
  });

  it('fails the request when the coordinator\'s own model fails before any member answered', async () => {
    const llm = teamLlm(() => {
      throw outage('server');
    });
    const team = await build({ deployment: 'primary' }, llm);
    await expect(team.processMessage(ask('Organise an offsite'))).rejects.toBeInstanceOf(LlmRouterError);
  });

  it('keeps the members\' answers when the coordinator\'s model fails after them', async () => {
    const llm = teamLlm((_request, round) => {
      if (round === 0) return { toolCalls: [{ name: 'delegate_to_planner', arguments: { task: 'Plan it' } }] };
      throw outage('server');
    });
    const team = await build({ deployment: 'primary' }, llm);
    const { reply, trace, agents } = await team.processMessage(ask('Organise an offsite'));
    expect(reply).toEqual({
      content: "This team's coordinator could not finish: its model did not answer. What its members answered so far:\n\nplanner: planner on: Plan it",
      agent: 'coordinator',
    });
    const note = "its model failed (no model answered (primary server)); replied with its members' answers so far";
    expect(trace.slice(-2).map((s) => [s.agent, s.action, s.detail])).toEqual([
      ['coordinator', 'llm-call', 'failed: no model answered (primary server)'],
      ['coordinator', 'answer', note],
    ]);
    expect(agents.degraded).toEqual([`agent coordinator: ${note}`]);
  });

  it('without a model, is answered by the coordinator naming the member, with a note', async () => {
    const llm = researcherDown(() => ({ text: 'the coordinator should not call a model' }));
    const team = await build({}, llm);
    const { reply, trace, agents } = await team.processMessage(ask('Explain the tides'));
    expect(reply).toEqual({ content: `Member "researcher" could not answer this request: ${NO_MODEL}.`, agent: 'coordinator' });
    expect(trace.map((s) => [s.agent, s.action, s.detail])).toEqual([
      ['coordinator', 'delegate', `to researcher (matched explain): Explain the tides (failed: ${NO_MODEL})`],
      ['researcher', 'llm-call', `failed: ${NO_MODEL}`],
      ['coordinator', 'answer', 'researcher failed; said so'],
    ]);
    expect(agents.degraded).toEqual([`agent researcher: failed (llm-unavailable): ${NO_MODEL}`]);
  });
});
