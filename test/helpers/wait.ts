/**
 * Polls `condition` (a state a server reaches asynchronously, such as a dropped connection's close
 * event) until it holds or `ms` pass; the bound stays under the test timeout, so a busy machine
 * waits longer instead of failing.
 */
export async function waitFor(condition: () => boolean, ms = 25_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}
