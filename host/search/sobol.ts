/**
 * Unscrambled Sobol sequence (Bratley & Fox gray-code construction) with Joe & Kuo's direction numbers
 * (new-joe-kuo-6.21201, dimensions 2..16), 32-bit. The first point is the origin, as in
 * `scipy.stats.qmc.Sobol(d, scramble=False)`, whose first points the tests compare against.
 */

/** Joe–Kuo rows for dimensions 2..16: [s (degree), a (coefficients), m_1..m_s (initial direction numbers)]. */
const JOE_KUO: readonly (readonly [number, number, readonly number[]])[] = [
  [1, 0, [1]],
  [2, 1, [1, 3]],
  [3, 1, [1, 3, 1]],
  [3, 2, [1, 1, 1]],
  [4, 1, [1, 1, 3, 3]],
  [4, 4, [1, 3, 5, 13]],
  [5, 2, [1, 1, 5, 5, 17]],
  [5, 4, [1, 1, 5, 5, 5]],
  [5, 7, [1, 1, 7, 11, 19]],
  [5, 11, [1, 1, 5, 1, 1]],
  [5, 13, [1, 1, 1, 3, 11]],
  [5, 14, [1, 3, 5, 5, 31]],
  [6, 1, [1, 3, 3, 9, 7, 49]],
  [6, 13, [1, 1, 1, 15, 21, 21]],
  [6, 16, [1, 3, 1, 13, 27, 49]],
];

export const SOBOL_MAX_DIMS = JOE_KUO.length + 1;
const BITS = 32;

function directionNumbers(dim: number): Uint32Array {
  const v = new Uint32Array(BITS + 1); // 1-based
  if (dim === 0) {
    for (let i = 1; i <= BITS; i++) v[i] = (1 << (BITS - i)) >>> 0;
    return v;
  }
  const [s, a, m] = JOE_KUO[dim - 1]!;
  for (let i = 1; i <= Math.min(s, BITS); i++) v[i] = (m[i - 1]! << (BITS - i)) >>> 0;
  for (let i = s + 1; i <= BITS; i++) {
    let x = (v[i - s]! ^ (v[i - s]! >>> s)) >>> 0;
    for (let k = 1; k < s; k++) if ((a >>> (s - 1 - k)) & 1) x = (x ^ v[i - k]!) >>> 0;
    v[i] = x;
  }
  return v;
}

/** A resumable Sobol generator in [0, 1)^dims. */
export class SobolSequence {
  private readonly v: Uint32Array[];
  private readonly x: Uint32Array;
  private index = 0;

  constructor(readonly dims: number) {
    if (!Number.isInteger(dims) || dims < 1 || dims > SOBOL_MAX_DIMS) {
      throw new RangeError(`Sobol dimension ${dims} is outside 1..${SOBOL_MAX_DIMS}`);
    }
    this.v = Array.from({ length: dims }, (_, d) => directionNumbers(d));
    this.x = new Uint32Array(dims);
  }

  /** The next point; the first call returns the origin. */
  next(): number[] {
    if (this.index > 0) {
      // c = 1-based position of the lowest zero bit of (index - 1)
      let n = this.index - 1;
      let c = 1;
      while (n & 1) {
        n >>>= 1;
        c++;
      }
      for (let d = 0; d < this.dims; d++) this.x[d] = (this.x[d]! ^ this.v[d]![c]!) >>> 0;
    }
    this.index++;
    return Array.from(this.x, (xi) => xi / 2 ** BITS);
  }

  take(n: number): number[][] {
    return Array.from({ length: n }, () => this.next());
  }
}
