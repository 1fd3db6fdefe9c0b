import { type ChatResult, type LanguageModel, LlmError } from '../../runtime/src/llm/types';

/**
 * A model that never answers: its call ends only when its AbortSignal fires, which it records.
 * `called` settles on the first call, `aborted` once that call's signal has fired.
 */
export function hangingModel(): { model: LanguageModel; signals: AbortSignal[]; called: Promise<void>; aborted: Promise<void> } {
  const signals: AbortSignal[] = [];
  let onCall = () => undefined as void;
  const called = new Promise<void>((resolve) => {
    onCall = resolve;
  });
  const model: LanguageModel = {
    provider: 'scripted',
    modelId: 'never-answers',
    doChat(request) {
      const signal = request.abortSignal;
      if (!signal) throw new Error('the router passes every call an AbortSignal');
      signals.push(signal);
      onCall();
      return new Promise<ChatResult>((_resolve, reject) => {
        signal.addEventListener('abort', () => reject(new LlmError('timeout', 'scripted model: aborted')), { once: true });
      });
    },
  };
  const aborted = called.then(() => new Promise<void>((resolve) => (signals[0].aborted ? resolve() : signals[0].addEventListener('abort', () => resolve(), { once: true }))));
  return { model, signals, called, aborted };
}
