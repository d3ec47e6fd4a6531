/**
 * Polls an async condition (the driver's `until` takes a synchronous probe: a promise is always
 * truthy there, so it must not be given one).
 */
export async function waitFor(probe: () => Promise<unknown> | unknown, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
