import type { Logger } from 'pino';

/**
 * Runs `work` every `intervalMs`, never two at once; `kick()` asks for a run as soon as possible
 * (coalesced). `idle()` resolves when no run is under way or pending: tests and shutdown wait on it.
 */
export function startLoop(name: string, work: () => Promise<unknown>, intervalMs: number, logger: Logger) {
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;

  const run = (): Promise<void> => {
    if (stopped) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await work();
        } catch (error) {
          logger.error({ err: error, job: name }, 'background job failed; it will run again');
        }
      } while (again && !stopped);
    })().finally(() => {
      running = null;
    });
    return running;
  };

  const timer = setInterval(() => void run(), intervalMs);
  timer.unref();
  return {
    kick: () => void run(),
    runNow: run,
    idle: async () => {
      while (running) await running;
    },
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      while (running) await running;
    },
  };
}

export type Loop = ReturnType<typeof startLoop>;
