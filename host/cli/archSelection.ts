/**
 * Which architectures a command works on: one (--arch), a file (--archs: one arch string per line, or a CSV
 * with an `arch_str`/`arch` column), or a seeded sample of the space (--sample n --seed s).
 */
import { readFileSync } from 'node:fs';
import { ZeronasError } from '../../shared/errors.js';
import { formatNb201, NB201_SPACE_SIZE, parseNb201 } from '../spaces/nb201.js';
import { nb201ArchAtIndex, sampleNb201Indices } from '../spaces/nb201Index.js';
import { readCsv } from '../util/csv.js';

export interface ArchSelectionArgs {
  arch?: string;
  archs?: string;
  sample?: number;
  seed: number;
}

export function selectArchs(args: ArchSelectionArgs): string[] {
  const given = [args.arch !== undefined, args.archs !== undefined, args.sample !== undefined].filter(Boolean).length;
  if (given !== 1) throw new ZeronasError('ZN_BAD_ARGUMENT', 'give exactly one of --arch, --archs <file> or --sample <n>');
  if (args.arch !== undefined) return [formatNb201(parseNb201(args.arch))];
  if (args.archs !== undefined) return readArchFile(args.archs);
  const n = args.sample!;
  if (!Number.isInteger(n) || n < 1 || n > NB201_SPACE_SIZE) {
    throw new ZeronasError('ZN_BAD_ARGUMENT', `--sample must be an integer in 1..${NB201_SPACE_SIZE}, got ${n}`);
  }
  return sampleNb201(n, args.seed);
}

/**
 * n distinct cells drawn uniformly without replacement: the NAS-Bench-201 indices that
 * `np.random.default_rng(seed).choice(15625, n, replace=False)` returns, in that order. A Python user with the same
 * seed gets the same cells, and seed 0 with n = 1000 is the sample of the reference ZiCo run (ALGORITHMS.md §A.1).
 */
export function sampleNb201(n: number, seed: number): string[] {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new ZeronasError('ZN_BAD_ARGUMENT', `--seed must be a non-negative integer to draw a sample, got ${seed}`);
  }
  return sampleNb201Indices(n, seed).map(nb201ArchAtIndex);
}

function readArchFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ZeronasError('ZN_IO', `cannot read --archs file '${path}': ${(err as Error).message}`, { path });
  }
  const firstLine = text.split(/\r?\n/, 1)[0] ?? '';
  // A CSV has commas, or is a single column under an `arch_str` / `arch` header.
  const lines = firstLine.includes(',') || ['arch_str', 'arch'].includes(firstLine.trim())
    ? readCsv(text).map((r, i) => {
        const a = r.arch_str ?? r.arch;
        if (a === undefined) throw new ZeronasError('ZN_BAD_DATA', `--archs CSV '${path}' needs an 'arch_str' or 'arch' column (row ${i + 2})`);
        return a;
      })
    : text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  return lines.map((l, i) => {
    try {
      return formatNb201(parseNb201(l));
    } catch (err) {
      throw new ZeronasError('ZN_BAD_ARCH_STRING', `--archs '${path}' line ${i + 1}: ${(err as Error).message}`, { path, line: i + 1 });
    }
  });
}
