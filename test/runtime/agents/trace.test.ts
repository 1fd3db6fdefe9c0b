import { TraceRecorder } from '../../../runtime/src/agents';
import { LlmRouterError } from '../../../runtime/src/llm/router';
import { LlmError } from '../../../runtime/src/llm/types';

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

  it('records a failed step with what went wrong, rethrows it, and leaves out a step still running', async () => {
    const trace = new TraceRecorder(() => NOW);
    const attempts = [{ deployment: 'primary', provider: 'p', model: 'm', outcome: 'error' as const, errorKind: 'server' as const, durationMs: 1 }];
    const error = new LlmRouterError(attempts, new LlmError('server', 'upstream body'));
    const failing = trace.step('member', 'llm-call', async () => {
      throw error;
    }, { deployment: 'primary', detail: 'asking' }, undefined, (e) => ({ attempts: (e as LlmRouterError).attempts }));
    await expect(failing).rejects.toBe(error);
    void trace.step('member', 'llm-call', () => new Promise(() => {}));
    expect(trace.steps).toEqual([
      { agent: 'member', action: 'llm-call', deployment: 'primary', detail: 'asking (failed: no model answered (primary server))', attempts, startedAt: NOW.toISOString(), durationMs: expect.any(Number) },
    ]);
  });

  it('names an unexpected error by its type, since the trace goes back to the client', async () => {
    const trace = new TraceRecorder(() => NOW);
    await expect(trace.step('member', 'delegate', async () => {
      throw new RangeError('token=abc123 rejected');
    })).rejects.toThrow('token=abc123');
    expect(trace.steps[0].detail).toBe('failed: unexpected RangeError');
  });
});
