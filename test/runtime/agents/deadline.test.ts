import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { AgentTeam, RunAbortedError, createDefaultRegistry, type TeamConfigInput } from '../../../runtime/src/agents';
import { ModelRouter } from '../../../runtime/src/llm/router';
import type { ChatRequest, LlmClient, RoutedChatResult } from '../../../runtime/src/llm/types';
import { hangingModel } from '../hanging-model';
import { embeddedMemory } from './helpers';

// A run ends when its signal aborts (the request's deadline, or its client leaving): the model
// call is aborted, nothing starts after, no reply is stored, and the error carries the trace.

const TEAM: TeamConfigInput = {
  id: 'helpdesk',
  coordinator: 'coordinator',
  agents: [
    { name: 'coordinator', type: 'coordinator' },
    { name: 'researcher', type: 'llm', capabilities: ['explain'], config: { systemPrompt: 'You are the researcher.' } },
  ],
};

async function teamWith(llm: LlmClient) {
  const stores = embeddedMemory();
  const team = await AgentTeam.create(TEAM, { registry: createDefaultRegistry({ baseDir: join(__dirname, 'fixtures') }), memory: stores.memory, llm });
  return { team, ...stores };
}

async function rejection(promise: Promise<unknown>): Promise<RunAbortedError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  if (!(error instanceof RunAbortedError)) throw new Error(`expected a RunAbortedError, got ${String(error)}`);
  return error;
}

describe('a team run with a deadline', () => {
  it('ends at the deadline, aborting the model call, with the trace of what was attempted and no reply stored', async () => {
    const hanging = hangingModel();
    const { team, shortTerm } = await teamWith(new ModelRouter({ deployments: [{ name: 'primary', model: hanging.model }], retries: 0 }));

    const error = await rejection(team.processMessage({ conversationId: 'c1', content: 'Explain tides' }, { signal: AbortSignal.timeout(50) }));

    expect(error.reason).toMatchObject({ name: 'TimeoutError' });
    expect(hanging.signals).toHaveLength(1);
    expect(hanging.signals[0].aborted).toBe(true);
    expect(error.trace.map((s) => [s.agent, s.action])).toEqual([
      ['coordinator', 'delegate'],
      ['researcher', 'llm-call'],
    ]);
    expect(error.trace[1].detail).toMatch(/failed: no model answered \(primary timeout\)/);
    // The failed call keeps its attempts: the one to primary, ended by the abort.
    expect(error.trace[1].attempts?.map((a: { deployment: string }) => a.deployment)).toEqual(['primary']);
    // The message was stored before the model was asked; the (absent) reply was not.
    expect((await shortTerm.recent('c1', 10)).map((i) => i.role)).toEqual(['user']);
  });

  it('does not wait for an LLM client that ignores the signal, and does not store the reply it gives after the abort', async () => {
    const client = new AbortController();
    const requests: ChatRequest[] = [];
    let onCall = () => undefined as void;
    const called = new Promise<void>((resolve) => {
      onCall = resolve;
    });
    // Answers only once the client has gone: too late for anyone to read it.
    const late: LlmClient = {
      deployments: ['primary'],
      chat: async (request) => {
        requests.push(request);
        onCall();
        await new Promise((resolve) => client.signal.addEventListener('abort', resolve, { once: true }));
        const reply: RoutedChatResult = { text: 'too late', toolCalls: [], finishReason: 'stop', provider: 'fake', model: 'fake', warnings: [], deployment: 'primary', attempts: [] };
        return reply;
      },
    };
    const { team, shortTerm, midTerm } = await teamWith(late);

    const run = team.processMessage({ conversationId: 'c1', content: 'Explain tides' }, { signal: client.signal });
    await called;
    client.abort(new Error('client disconnected'));
    const error = await rejection(run);

    expect(error.reason).toEqual(new Error('client disconnected'));
    expect(requests[0].abortSignal?.aborted).toBe(true);
    await nextTurn();
    expect((await shortTerm.recent('c1', 10)).map((i) => i.role)).toEqual(['user']);
    expect(await midTerm.idsOfConversation('c1')).toHaveLength(1);
  });

  it('starts nothing once its signal has aborted: no memory write, no model call', async () => {
    const hanging = hangingModel();
    const { team, shortTerm } = await teamWith(new ModelRouter({ deployments: [{ name: 'primary', model: hanging.model }] }));
    const gone = new AbortController();
    gone.abort(new Error('client disconnected'));

    const error = await rejection(team.processMessage({ conversationId: 'c1', content: 'Explain tides' }, { signal: gone.signal }));

    expect(error.trace).toEqual([]);
    await nextTurn();
    expect(hanging.signals).toEqual([]);
    expect(await shortTerm.recent('c1', 10)).toEqual([]);
  });
});
