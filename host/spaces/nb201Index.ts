/**
 * NAS-Bench-201's own index order (0..15624), read from the table shipped in data/nb201 (see its README), and
 * seeded samples drawn over it exactly as `np.random.default_rng(seed).choice(15625, n, replace=False)` draws them.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { numpyChoiceWithoutReplacement } from '../../shared/numpyRandom.js';
import { cellFromCode, formatNb201, NB201_SPACE_SIZE } from './nb201.js';

const INDEX_TABLE_PATH = fileURLToPath(new URL('../../data/nb201/index-codes.txt', import.meta.url));

let indexCodes: Int32Array | undefined;

/** Cell codes in benchmark index order (read once). */
export function nb201IndexCodes(): Int32Array {
  if (indexCodes) return indexCodes;
  const numbers = readFileSync(INDEX_TABLE_PATH, 'utf8')
    .split('\n')
    .filter((line) => !line.startsWith('#'))
    .join(' ')
    .split(/\s+/)
    .filter(Boolean)
    .map(Number);
  if (numbers.length !== NB201_SPACE_SIZE || new Set(numbers).size !== NB201_SPACE_SIZE) {
    throw new Error(`${INDEX_TABLE_PATH} must list ${NB201_SPACE_SIZE} distinct cell codes, found ${numbers.length}`);
  }
  indexCodes = Int32Array.from(numbers);
  return indexCodes;
}

/** The benchmark string of NAS-Bench-201 index `index`. */
export function nb201ArchAtIndex(index: number): string {
  const code = nb201IndexCodes()[index];
  if (code === undefined) throw new RangeError(`NAS-Bench-201 index must be in 0..${NB201_SPACE_SIZE - 1}, got ${index}`);
  return formatNb201(cellFromCode(code));
}

/** n distinct benchmark indices, the ones np.random.default_rng(seed).choice(15625, n, replace=False) returns. */
export function sampleNb201Indices(n: number, seed: number): number[] {
  return numpyChoiceWithoutReplacement(seed, NB201_SPACE_SIZE, n);
}
