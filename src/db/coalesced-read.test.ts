import { describe, expect, it } from 'vitest';
import { coalescedRead } from './coalesced-read.js';

/** A read whose answers the test hands out one by one, recording when each read started. */
function controlledRead() {
  const started: Array<(value: number) => void> = [];
  const failers: Array<(error: Error) => void> = [];
  const read = () =>
    new Promise<number>((resolve, reject) => {
      started.push(resolve);
      failers.push(reject);
    });
  return { read, started, failers };
}

describe('coalescedRead', () => {
  it('callers during a read share the next read, never the one that started before them', async () => {
    const c = controlledRead();
    const get = coalescedRead(c.read);
    const first = get();
    const later = [get(), get(), get()];
    expect(c.started).toHaveLength(1);
    // The first read answers with the old value: only the first caller may get it.
    c.started[0]!(1);
    expect(await first).toBe(1);
    await Promise.resolve();
    await new Promise((r) => setImmediate(r));
    expect(c.started).toHaveLength(2);
    c.started[1]!(2);
    expect(await Promise.all(later)).toEqual([2, 2, 2]);
  });

  it('a caller after everything settled starts a fresh read', async () => {
    const c = controlledRead();
    const get = coalescedRead(c.read);
    const a = get();
    c.started[0]!(1);
    await a;
    const b = get();
    expect(c.started).toHaveLength(2);
    c.started[1]!(5);
    expect(await b).toBe(5);
  });

  it('a failed read fails its own callers only; those queued behind it get a read of their own', async () => {
    const c = controlledRead();
    const get = coalescedRead(c.read);
    const first = get();
    const queued = get();
    c.failers[0]!(new Error('database down'));
    await expect(first).rejects.toThrow('database down');
    await new Promise((r) => setImmediate(r));
    c.started[1]!(7);
    expect(await queued).toBe(7);
  });
});
