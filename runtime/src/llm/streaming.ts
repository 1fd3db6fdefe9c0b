// What every provider's `doStream` shares: the contract's "settles once the first chunk is there".
import type { StreamPart } from './types';

/**
 * Runs `parts` up to its first part, so that a failure before the stream starts rejects (the
 * router then fails over as for `doChat`, with nothing shown to the user), and hands back a
 * stream that replays that part and goes on. Leaving the returned stream early ends `parts`
 * (its `finally` stops the upstream request).
 */
export async function started(parts: AsyncGenerator<StreamPart, void, undefined>): Promise<{ readonly stream: AsyncIterable<StreamPart> }> {
  const first = await parts.next();
  async function* replay(): AsyncGenerator<StreamPart, void, undefined> {
    if (first.done) return;
    try {
      yield first.value;
      yield* parts;
    } finally {
      // Reached when the consumer leaves before the end: `yield*` forwards `return` only while it runs.
      await parts.return();
    }
  }
  return { stream: replay() };
}
