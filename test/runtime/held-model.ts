import type { ChatResult, LanguageModel } from '../../runtime/src/llm/types';

/**
 * A model that answers `text`, but only once `release()` has been called: a test holds a request
 * inside its model call for as long as it needs, without sleeps. `called` settles on the first
 * call; `calls()` counts them.
 */
export function heldModel(text = 'the held answer'): { model: LanguageModel; called: Promise<void>; release: () => void; calls: () => number } {
  let release = () => undefined as void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let onCall = () => undefined as void;
  const called = new Promise<void>((resolve) => {
    onCall = resolve;
  });
  let calls = 0;
  const model: LanguageModel = {
    provider: 'scripted',
    modelId: 'held',
    async doChat(): Promise<ChatResult> {
      calls += 1;
      onCall();
      await released;
      return { text, toolCalls: [], finishReason: 'stop', provider: 'scripted', model: 'held', warnings: [] };
    },
  };
  return { model, called, release, calls: () => calls };
}
