import { TraceRecorder } from '../../../runtime/src/agents';

const NOW = new Date('2026-03-01T12:00:00.000Z');

describe('TraceRecorder', () => {
  it('lists steps in the order they started, a containing step before those inside it', async () => {
    const trace = new TraceRecorder(() => NOW);
    await trace.step('lead', 'delegate', () => trace.step('member', 'llm-call', async () => 'text', {}, (r) => ({ detail: `got ${r}` })), { detail: 'to member' });
    trace.record('lead', 'answer', { detail: 'done' });
    expect(trace.steps.map((s) => [s.agent, s.action, s.detail])).toEqual([
      ['lead', 'delegate', 'to member'],
      ['member', 'llm-call', 'got text'],
      ['lead', 'answer', 'done'],
    ]);
    expect(trace.steps.every((s) => s.startedAt === NOW.toISOString())).toBe(true);
  });

  it('records a failed step with the error, rethrows it, and leaves out a step still running', async () => {
    const trace = new TraceRecorder(() => NOW);
    const failing = trace.step('member', 'llm-call', async () => {
      throw new Error('all deployments failed');
    }, { deployment: 'primary', detail: 'asking' });
    await expect(failing).rejects.toThrow('all deployments failed');
    void trace.step('member', 'llm-call', () => new Promise(() => {}));
    expect(trace.steps).toEqual([
      { agent: 'member', action: 'llm-call', deployment: 'primary', detail: 'asking (failed: all deployments failed)', startedAt: NOW.toISOString(), durationMs: expect.any(Number) },
    ]);
  });
});
