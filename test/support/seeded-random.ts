/**
 * Seedable randomness for the fault tests: FAULT_SEED replays a run (each test prints its seed), a
 * fresh seed each run otherwise.
 */
export const faultSeed = () => Number(process.env.FAULT_SEED ?? Date.now() % 100_000);

/** A small linear congruential generator in [0, 1): the same seed, the same sequence. */
export function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => (s = (s * 1_103_515_245 + 12_345) >>> 0) / 2 ** 32;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
