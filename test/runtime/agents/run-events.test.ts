// What a run tells as it happens (RunOptions.events): steps from the trace recorder, the reply's
// text from the one model call that writes it, and the chat fallback for a router that cannot stream.
import { join } from 'node:path';
import { AgentTeam, createDefaultRegistry } from '../../../runtime/src/agents';
import { routedStream } from '../../../runtime/src/agents/routed-stream';
import type { RunEvents, StepEvent } from '../../../runtime/src/agents/run-events';
import { TraceRecorder } from '../../../runtime/src/agents/trace';
import { parseRuntimeConfig } from '../../../runtime/src/contract';
import { createLlmClient } from '../../../runtime/src/llm';
import { type LlmClient, LlmError } from '../../../runtime/src/llm/types';
import { FakeLlm, embeddedMemory, lastUser, systemPrompt } from './helpers';

/** Events as `kind agent detail` lines, for comparing orders. */
function recorder() {
  const seen: string[] = [];
  const text: string[] = [];
  const events: RunEvents = {
    onStep: (e: StepEvent) => seen.push(`${e.phase} ${e.id} ${e.agent} ${e.action}${e.phase === 'end' ? ` ${e.outcome}` : ''}`),
    onText: (t) => {
      seen.push('text');
      text.push(t);
    },
    onFailover: (e) => seen.push(`failover ${e.from}->${e.to}`),
  };
  return { seen, text, events };
}

describe('TraceRecorder told of each step', () => {
  it('tells a start and an end per step, nested steps inside their parent, failures as errors', async () => {
    const { seen, events } = recorder();
    const trace = new TraceRecorder(undefined, events.onStep);
    await trace.step('a', 'delegate', async () => {
      await trace.step('b', 'llm-call', async () => 'ok', { deployment: 'primary' });
      trace.record('b', 'answer', { detail: 'done' });
      await trace.step('b', 'llm-call', () => Promise.reject(new LlmError('server', 'down'))).catch(() => undefined);
    });
    expect(seen).toEqual([
      'start 0 a delegate',
      'start 1 b llm-call',
      'end 1 b llm-call ok',
      'start 2 b answer',
      'end 2 b answer ok',
      'start 3 b llm-call',
      'end 3 b llm-call error',
      'end 0 a delegate ok',
    ]);
  });
});

const MEMBERS = [
  { name: 'planner', type: 'llm', description: 'Plans.', capabilities: ['plan', 'steps'], config: { systemPrompt: 'You are the planner.' } },
  { name: 'researcher', type: 'llm', description: 'Researches.', capabilities: ['research'], config: { systemPrompt: 'You are the researcher.' } },
];
const team = (coordinatorConfig: Record<string, unknown>, llm: LlmClient) =>
  AgentTeam.create(
    { id: 't', coordinator: 'coordinator', agents: [{ name: 'coordinator', type: 'coordinator', config: coordinatorConfig }, ...MEMBERS] },
    { registry: createDefaultRegistry({ baseDir: join(__dirname, 'fixtures') }), memory: embeddedMemory().memory, llm },
  );

describe('the reply streamed by a team', () => {
  it("streams the member's call whose text is the reply; a router without stream answers it as one delta", async () => {
    const llm = new FakeLlm((request) => ({ text: `planner on: ${lastUser(request)}` }));
    const { seen, text, events } = recorder();
    const result = await (await team({}, llm)).processMessage({ conversationId: 'c', content: 'Plan the steps' }, { events });
    expect(text).toEqual(['planner on: Plan the steps']);
    expect(text.join('')).toBe(result.reply.content);
    expect(seen).toEqual(['start 0 coordinator delegate', 'start 1 planner llm-call', 'text', 'end 1 planner llm-call ok', 'end 0 coordinator delegate ok']);
  });

  it("with tool routing, streams no member's answer nor routing call: the coordinator's final answer comes as one delta", async () => {
    let round = 0;
    const llm = new FakeLlm((request) => {
      if (systemPrompt(request).startsWith('You are the planner')) return { text: 'member text, for the model only' };
      return round++ === 0 ? { text: 'Let me ask.', toolCalls: [{ name: 'delegate_to_planner', arguments: { task: 'Draft steps' } }] } : { text: 'Final answer.' };
    });
    const { seen, text, events } = recorder();
    const result = await (await team({ deployment: 'primary' }, llm)).processMessage({ conversationId: 'c', content: 'What should happen?' }, { events });
    expect(result.reply.content).toBe('Final answer.');
    expect(text).toEqual(['Final answer.']);
    expect(seen.at(-1)).toBe('text');
    expect(seen.filter((s) => s.startsWith('start')).length).toBe(4);
  });

  it('tells a notice no model wrote as one delta too', async () => {
    const { text, events } = recorder();
    const result = await (await team({}, new FakeLlm(() => ({ text: 'unused' })))).processMessage({ conversationId: 'c', content: 'Sing me a song' }, { events });
    expect(result.reply.agent).toBe('coordinator');
    expect(text).toEqual([result.reply.content]);
  });
});

describe('routedStream', () => {
  it("reads the real router on the offline model: its text adds up to chat's, finish last", async () => {
    const llm = createLlmClient(parseRuntimeConfig({}).llm);
    const request = { messages: [{ role: 'user' as const, content: 'Plan the launch' }] };
    const parts = [];
    for await (const part of routedStream(llm, request, {})) parts.push(part);
    const finish = parts.at(-1);
    expect(finish?.type).toBe('finish');
    const text = parts.flatMap((p) => (p.type === 'text-delta' ? [p.text] : [])).join('');
    expect(text).toBe((await llm.chat(request)).text);
    expect(finish?.type === 'finish' && finish.result.text).toBe(text);
    expect(finish?.type === 'finish' && finish.result.deployment).toBe('offline');
  });
});
