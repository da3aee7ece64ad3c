/**
 * NumPy's default generator, `np.random.default_rng(seed)`, far enough to draw `choice(population, n,
 * replace=False)` exactly as NumPy does. Seeded samples of a benchmark are then the same cells a Python user (or the
 * project's reference run, ALGORITHMS.md §A.1) draws with the same seed.
 *
 * Three pieces, each as NumPy >= 1.17 defines it:
 *  - SeedSequence: hashes the seed's 32-bit words into a 4-word pool, then expands the pool into the PCG64 state;
 *  - PCG64: a 128-bit LCG with the XSL-RR output; a 32-bit draw is the low, then the high half of a 64-bit one;
 *  - bounded integers by Lemire's multiply-and-reject method; `choice` by Floyd's algorithm or a tail shuffle.
 * Proven against NumPy itself: test/fixtures/numpyChoice.json, written by scripts/golden/numpy_choice.py.
 */

const MASK64 = (1n << 64n) - 1n;
const MASK128 = (1n << 128n) - 1n;

// SeedSequence constants (numpy/random/bit_generator.pyx).
const INIT_A = 0x43b0d7e5;
const MULT_A = 0x931e8875;
const INIT_B = 0x8b51f9dd;
const MULT_B = 0x58f38ded;
const MIX_MULT_L = 0xca01f9dd;
const MIX_MULT_R = 0x4973f715;
const POOL_SIZE = 4;

const PCG64_MULTIPLIER = (0x2360ed051fc65da4n << 64n) | 0x4385df649fccf645n;

const mul32 = (a: number, b: number): number => Math.imul(a, b) >>> 0;

/** The seed as little-endian 32-bit words, as NumPy's `_int_to_uint32_array` splits it (0 is one zero word). */
function seedWords(seed: number | bigint): number[] {
  let s = BigInt(seed);
  if (s < 0n) throw new RangeError(`seed must be a non-negative integer, got ${seed}`);
  const words: number[] = [];
  do {
    words.push(Number(s & 0xffffffffn));
    s >>= 32n;
  } while (s > 0n);
  return words;
}

/** SeedSequence(seed).generate_state(4, np.uint64) as four 64-bit words. */
export function seedSequenceState(seed: number | bigint): bigint[] {
  const entropy = seedWords(seed);
  let hashConst = INIT_A;
  const hashmix = (value: number): number => {
    let v = (value ^ hashConst) >>> 0;
    hashConst = mul32(hashConst, MULT_A);
    v = mul32(v, hashConst);
    return (v ^ (v >>> 16)) >>> 0;
  };
  const mix = (x: number, y: number): number => {
    const r = (mul32(MIX_MULT_L, x) - mul32(MIX_MULT_R, y)) >>> 0;
    return (r ^ (r >>> 16)) >>> 0;
  };
  const pool = Array.from({ length: POOL_SIZE }, (_, i) => hashmix(i < entropy.length ? entropy[i]! : 0));
  for (let src = 0; src < POOL_SIZE; src++) {
    for (let dst = 0; dst < POOL_SIZE; dst++) if (src !== dst) pool[dst] = mix(pool[dst]!, hashmix(pool[src]!));
  }
  for (let src = POOL_SIZE; src < entropy.length; src++) {
    for (let dst = 0; dst < POOL_SIZE; dst++) pool[dst] = mix(pool[dst]!, hashmix(entropy[src]!));
  }
  // generate_state: 8 words of 32 bits, cycling through the pool, then viewed as little-endian 64-bit words.
  let hashB = INIT_B;
  const words32: number[] = [];
  for (let i = 0; i < 2 * POOL_SIZE; i++) {
    let v = (pool[i % POOL_SIZE]! ^ hashB) >>> 0;
    hashB = mul32(hashB, MULT_B);
    v = mul32(v, hashB);
    words32.push((v ^ (v >>> 16)) >>> 0);
  }
  return [0, 1, 2, 3].map((k) => (BigInt(words32[2 * k + 1]!) << 32n) | BigInt(words32[2 * k]!));
}

/** The bit generator behind `np.random.default_rng(seed)` (PCG64 seeded through SeedSequence). */
export class Pcg64 {
  private state = 0n;
  private readonly increment: bigint;
  private spare32: number | undefined;

  constructor(seed: number | bigint) {
    const [s0, s1, i0, i1] = seedSequenceState(seed) as [bigint, bigint, bigint, bigint];
    const initState = (s0 << 64n) | s1;
    this.increment = ((((i0 << 64n) | i1) << 1n) | 1n) & MASK128;
    this.step();
    this.state = (this.state + initState) & MASK128;
    this.step();
  }

  private step(): void {
    this.state = (this.state * PCG64_MULTIPLIER + this.increment) & MASK128;
  }

  /** One 64-bit output (numpy's `random_raw`): step, then XSL-RR of the new state. */
  next64(): bigint {
    this.step();
    const hi = this.state >> 64n;
    const xored = (hi ^ this.state) & MASK64;
    const rot = hi >> 58n;
    return ((xored >> rot) | (xored << ((64n - rot) & 63n))) & MASK64;
  }

  next32(): number {
    if (this.spare32 !== undefined) {
      const v = this.spare32;
      this.spare32 = undefined;
      return v;
    }
    const v = this.next64();
    this.spare32 = Number(v >> 32n);
    return Number(v & 0xffffffffn);
  }

  /** A uniform integer in [0, max], max < 2^32 - 1 (numpy's random_bounded_uint64 without mask: Lemire's method). */
  boundedInclusive(max: number): number {
    if (max === 0) return 0;
    const range = BigInt(max) + 1n;
    let m = BigInt(this.next32()) * range;
    let leftover = m & 0xffffffffn;
    if (leftover < range) {
      const threshold = (0xffffffffn - BigInt(max)) % range;
      while (leftover < threshold) {
        m = BigInt(this.next32()) * range;
        leftover = m & 0xffffffffn;
      }
    }
    return Number(m >> 32n);
  }

  /** Fisher-Yates over data[first..n) from the top, as numpy's `_shuffle_int`. */
  private shuffleTail(data: number[], first: number): void {
    for (let i = data.length - 1; i >= first; i--) {
      const j = this.boundedInclusive(i);
      [data[i], data[j]] = [data[j]!, data[i]!];
    }
  }

  /** `Generator.choice(population, n, replace=False)` with NumPy's default shuffle=True. */
  choiceWithoutReplacement(population: number, n: number): number[] {
    if (!Number.isInteger(population) || population < 1 || population >= 2 ** 32 - 1) {
      throw new RangeError(`population must be an integer in 1..2^32-2, got ${population}`);
    }
    if (!Number.isInteger(n) || n < 0 || n > population) {
      throw new RangeError(`n must be an integer in 0..${population}, got ${n}`);
    }
    // NumPy's switch: a tail shuffle of the whole range when it is large and the sample is not tiny.
    if (population > 10000 && n > Math.floor(population / 50)) {
      const idx = Array.from({ length: population }, (_, i) => i);
      this.shuffleTail(idx, Math.max(population - n, 1));
      return idx.slice(population - n);
    }
    // Floyd's algorithm: for j in [pop-n, pop), take a draw in [0, j], or j itself if the draw was taken.
    const taken = new Set<number>();
    const out: number[] = [];
    for (let j = population - n; j < population; j++) {
      const v = this.boundedInclusive(j);
      const pick = taken.has(v) ? j : v;
      taken.add(pick);
      out.push(pick);
    }
    this.shuffleTail(out, 1);
    return out;
  }
}

/** np.random.default_rng(seed).choice(population, n, replace=False). */
export function numpyChoiceWithoutReplacement(seed: number | bigint, population: number, n: number): number[] {
  return new Pcg64(seed).choiceWithoutReplacement(population, n);
}
