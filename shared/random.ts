/** Seeded randomness shared by the host and the agents (no Node APIs): the same seed gives the same draws everywhere. */

/** mulberry32's state increment: the state advances by this (mod 2³²) before each draw. */
export const MULBERRY32_STEP = 0x6d2b79f5;

/** mulberry32's output for a state already advanced by MULBERRY32_STEP: a float in [0, 1). */
export function mulberry32Output(state: number): number {
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** mulberry32: small, fast, well-distributed 32-bit PRNG returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + MULBERRY32_STEP) >>> 0;
    return mulberry32Output(a);
  };
}

/**
 * out[i] = (2u − 1)·bound for the first out.length draws u of mulberry32(seed), without a closure call per value
 * (weight init fills ~10⁶ values per NAS-Bench-201 network).
 */
export function fillUniformSymmetric(out: Float32Array, seed: number, bound: number): void {
  let a = seed >>> 0;
  for (let i = 0; i < out.length; i++) {
    a = (a + MULBERRY32_STEP) >>> 0;
    out[i] = (mulberry32Output(a) * 2 - 1) * bound;
  }
}

/** FNV-1a 32-bit hash: derives independent streams from (seed, name). */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
