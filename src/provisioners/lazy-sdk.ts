/**
 * A target's SDK, imported on first use instead of at start-up. The cloud SDKs are large (AWS, Azure
 * and Google together took about 39 MiB and a second of CPU to load) and most deployments use one of
 * them or none. Where a resource of that type exists, start-up warms the SDK (the provisioner's
 * `warm()`) in the background, so the first grant after an approval does not wait for the import.
 * One import per process (Node's module cache is global anyway), shared by every app instance.
 */
export interface LazySdk<T> {
  load(): Promise<T>;
  /** Starts the import without waiting for it; a failure shows at the first call, which imports again. */
  warm(): Promise<void>;
  /** Whether the SDK is imported, being imported, or untouched: what start-up did, for tests and diagnostics. */
  state(): 'not loaded' | 'loading' | 'loaded';
}

export function lazySdk<T>(importSdk: () => Promise<T>): LazySdk<T> {
  let pending: Promise<T> | undefined;
  let loaded = false;
  const load = () =>
    (pending ??= importSdk().then(
      (sdk) => {
        loaded = true;
        return sdk;
      },
      (error: unknown) => {
        // Not cached: the next call tries the import again instead of failing forever.
        pending = undefined;
        throw error;
      },
    ));
  return {
    load,
    warm: () =>
      load().then(
        () => undefined,
        () => undefined,
      ),
    state: () => (loaded ? 'loaded' : pending ? 'loading' : 'not loaded'),
  };
}
