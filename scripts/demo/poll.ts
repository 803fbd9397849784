// Waiting for the kernel to show what the proxy did: every mode's demo polls
// its own view of the ruleset until a condition holds.

/** Polls `done` every 10 ms; resolves with Date.now() once it is true, rejects with `failure` after `timeoutMs`. */
export async function pollUntil(done: () => Promise<boolean>, timeoutMs: number, failure: string): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await done()) return Date.now();
    if (Date.now() - started > timeoutMs) throw new Error(`${failure} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
