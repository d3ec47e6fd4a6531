import type { Logger } from 'pino';
import { REQUEST_CHANGED_CHANNEL } from '../db/request-queries.js';

export type Listen = (channel: string, onMessage: (payload: string) => void) => Promise<() => Promise<void>>;

/** With LISTEN, a re-read this often covers a notification lost to a reconnect; without it, this is the poll. */
const SAFETY_READ_MS = 5_000;
const POLL_MS = 1_000;

export interface Watch {
  /** Resolves at the request's next change, after `maxMs` at most, or when `signal` aborts. */
  next(maxMs: number, signal?: AbortSignal): Promise<void>;
  cancel(): void;
}

/**
 * Wakes the request API's long polls when a request changes, on whichever replica it changed: the
 * database NOTIFYs `access_request_changed` with the request's id from a trigger (migration 0018) on every
 * status change of a request or of its grant's targets. One LISTEN connection per process, opened at the
 * first wait. Without LISTEN (or while it is not up) a wait re-reads every second instead.
 */
export function createRequestWatcher(listen: Listen | undefined, logger: Logger) {
  const waiters = new Map<string, Set<() => void>>();
  let listening: Promise<boolean> | null = null;
  let unlisten: (() => Promise<void>) | undefined;
  let stopped = false;

  const up = (): Promise<boolean> => {
    if (!listen) return Promise.resolve(false);
    listening ??= listen(REQUEST_CHANGED_CHANNEL, (id) => {
      for (const wake of waiters.get(id) ?? []) wake();
    }).then(
      (stop) => {
        unlisten = stop;
        return true;
      },
      (error: unknown) => {
        logger.warn({ err: error }, 'could not LISTEN for request changes; long polls re-read every second');
        listening = null;
        return false;
      },
    );
    return listening;
  };

  /** Registers interest in `id` now, so a change between this call and `next` is not missed. */
  function watch(id: string): Watch {
    let changed = false;
    let wake: () => void = () => {
      changed = true;
    };
    const waker = () => wake();
    const set = waiters.get(id) ?? new Set();
    set.add(waker);
    waiters.set(id, set);
    const cancel = () => {
      set.delete(waker);
      if (set.size === 0 && waiters.get(id) === set) waiters.delete(id);
    };
    return {
      cancel,
      async next(maxMs, signal) {
        const live = await up();
        if (changed || stopped || signal?.aborted) return cancel();
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', done);
            resolve();
          };
          const timer = setTimeout(done, Math.max(0, Math.min(maxMs, live ? SAFETY_READ_MS : POLL_MS)));
          wake = done;
          signal?.addEventListener('abort', done, { once: true });
        });
        cancel();
      },
    };
  }

  /** Wakes every wait (each answers with the request as it stands) and stops listening. */
  async function stop() {
    stopped = true;
    for (const set of waiters.values()) for (const wake of set) wake();
    await unlisten?.();
  }

  return { watch, stop };
}

export type RequestWatcher = ReturnType<typeof createRequestWatcher>;
