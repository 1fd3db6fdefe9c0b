import { EmbeddedLongTermStore } from '../../runtime/src/memory/long-term/embedded-long-term';
import { LayeredMemoryManager } from '../../runtime/src/memory/manager';
import { EmbeddedMidTermStore } from '../../runtime/src/memory/mid-term/embedded-mid-term';
import { EmbeddedShortTermStore } from '../../runtime/src/memory/short-term/embedded-short-term';

// The request's signal reaches memory: once it has aborted no layer is called, and a layer call
// in flight stops holding the request (it is not cancelled, its result is ignored).

function counted() {
  const calls: string[] = [];
  const spy = <T extends object>(name: string, store: T): T =>
    new Proxy(store, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (typeof value !== 'function' || ['init', 'status', 'close', 'warmUp'].includes(String(key))) return value;
        return (...args: unknown[]) => {
          calls.push(`${name}.${String(key)}`);
          return value.apply(target, args);
        };
      },
    });
  const layers = { shortTerm: spy('short', new EmbeddedShortTermStore()), midTerm: spy('mid', new EmbeddedMidTermStore()), longTerm: spy('long', new EmbeddedLongTermStore()) };
  return { memory: new LayeredMemoryManager(layers), calls };
}

const gone = () => {
  const controller = new AbortController();
  controller.abort(new Error('deadline passed'));
  return controller.signal;
};

describe('memory calls of an aborted request', () => {
  it('store writes no layer once the signal has aborted', async () => {
    const { memory, calls } = counted();
    await expect(memory.store({ id: 'm1', content: 'hi', conversationId: 'c1' }, 'high', { signal: gone() })).rejects.toThrow('deadline passed');
    expect(calls).toEqual([]);
  });

  it('retrieveContext reads no layer once the signal has aborted, and rejects instead of degrading', async () => {
    const { memory, calls } = counted();
    await expect(memory.retrieveContext('hi', 'c1', { signal: gone() })).rejects.toThrow('deadline passed');
    expect(calls).toEqual([]);
  });

  it('stops waiting for a layer that hangs when the signal aborts', async () => {
    const { memory } = counted();
    const hanging = Object.assign(Object.create(EmbeddedMidTermStore.prototype), new EmbeddedMidTermStore(), { upsert: () => new Promise<void>(() => undefined) });
    const stuck = new LayeredMemoryManager({ ...memory.layers, midTerm: hanging }, { writeTimeoutMs: 3_600_000 });
    const controller = new AbortController();
    const write = stuck.store({ id: 'm1', content: 'hi', conversationId: 'c1' }, 'medium', { signal: controller.signal });
    controller.abort(new Error('client disconnected'));
    await expect(write).rejects.toThrow('client disconnected');
  });

  it('reads and writes as before with a signal that has not aborted', async () => {
    const { memory } = counted();
    const signal = new AbortController().signal;
    await memory.store({ id: 'm1', content: 'hello tides', conversationId: 'c1' }, 'medium', { signal });
    const context = await memory.retrieveContext('hello tides', 'c1', { signal });
    expect(context.recent.map((i) => i.id)).toEqual(['m1']);
    expect(context.degraded).toEqual([]);
  });
});
