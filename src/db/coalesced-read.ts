/**
 * Wraps a read so concurrent callers share it, without anyone getting an answer older than their
 * call: a caller who arrives while a read is in flight waits for the next one (which starts when that
 * one ends, shared by everyone who arrived meanwhile), since the read in flight may predate a change
 * the caller must see. Fifty callers at once cost two or three reads instead of fifty.
 */
export function coalescedRead<T>(read: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | null = null;
  let queued: Promise<T> | null = null;
  const settle = () => undefined;

  function next(): Promise<T> {
    if (!running) {
      const current = read();
      running = current;
      const done = () => {
        if (running === current) running = null;
      };
      current.then(done, done);
      return current;
    }
    if (!queued) {
      queued = running.then(settle, settle).then(() => {
        queued = null;
        return next();
      });
    }
    return queued;
  }
  return next;
}
