import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { Logger } from 'pino';

export interface FileWatchOptions {
  /** Events closer together than this are one change (an editor writes, renames and chmods in a burst). */
  debounceMs?: number;
  /** A safety net where the file system reports no events (some network and overlay mounts): look anyway. */
  pollMs?: number;
  logger: Logger;
}

/**
 * Calls `onChange` after `path` changed, however it changed. The watch is on the file's directory, not the
 * file: an editor that saves by writing a new file and renaming it over the old one, and Kubernetes, which
 * updates a mounted ConfigMap by swapping the `..data` symlink (the file itself is a symlink through it, and
 * its inode never changes), both leave a watch on the file itself looking at a file that is gone. Events
 * about other files of the directory (an editor's swap file) are ignored. `onChange` is told about a
 * change, not shown it: it reads the file itself, and the reader compares contents.
 */
export function watchFile(path: string, onChange: () => void, options: FileWatchOptions) {
  const dir = dirname(resolve(path));
  const name = basename(path);
  const debounceMs = options.debounceMs ?? 300;
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  let retry: NodeJS.Timeout | undefined;
  let closed = false;

  const changed = () => {
    clearTimeout(timer);
    timer = setTimeout(onChange, debounceMs);
    timer.unref();
  };
  const start = () => {
    if (closed) return;
    try {
      watcher = watch(dir, { persistent: false }, (_event, file) => {
        // No name (some platforms), the file, or Kubernetes' `..data` / `..2024_…` swap.
        if (!file || file === name || String(file).startsWith('..')) changed();
      });
      watcher.on('error', (error) => {
        options.logger.warn(
          { dir, err: error },
          'stopped watching the ACCESS_CONFIG directory; watching again shortly',
        );
        watcher?.close();
        retry = setTimeout(start, 5000);
        retry.unref();
      });
    } catch (error) {
      options.logger.warn({ dir, err: error }, 'cannot watch the ACCESS_CONFIG directory; trying again shortly');
      retry = setTimeout(start, 5000);
      retry.unref();
    }
  };
  start();
  const poll = setInterval(onChange, options.pollMs ?? 60_000);
  poll.unref();
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      clearTimeout(retry);
      clearInterval(poll);
      watcher?.close();
    },
  };
}
