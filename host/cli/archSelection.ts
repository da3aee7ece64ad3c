/**
 * Which architectures a command works on: one (--arch), a file (--archs: one arch string per line, or a CSV
 * with an `arch_str`/`arch` column), or a seeded sample of the space (--sample n --seed s). NAS-Bench-201's sample
 * is numpy's (below); another space's is its own `sample` from the seed, non-degenerate and distinct.
 */
import { readFileSync } from 'node:fs';
import { ZeronasError } from '../../shared/errors.js';
import { NB201_SPACE_SIZE } from '../spaces/nb201.js';
import { nb201ArchAtIndex, sampleNb201Indices } from '../spaces/nb201Index.js';
import { readCsv } from '../util/csv.js';
import { SeededRng } from '../search/rng.js';
import type { SearchSpace } from '../spaces/searchSpace.js';
import { createNb201Space } from '../spaces/nb201Space.js';

export interface ArchSelectionArgs {
  arch?: string;
  archs?: string;
  sample?: number;
  seed: number;
}

export function selectArchs(args: ArchSelectionArgs, space: SearchSpace<unknown> = createNb201Space() as SearchSpace<unknown>): string[] {
  const given = [args.arch !== undefined, args.archs !== undefined, args.sample !== undefined].filter(Boolean).length;
  if (given !== 1) throw new ZeronasError('ZN_BAD_ARGUMENT', 'give exactly one of --arch, --archs <file> or --sample <n>');
  const canonical = (text: string): string => space.format(space.parse(text));
  if (args.arch !== undefined) return [canonical(args.arch)];
  if (args.archs !== undefined) return readArchFile(args.archs, canonical);
  const n = args.sample!;
  if (space.name !== 'nb201') return sampleSpace(space, n, args.seed);
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

/** n distinct, non-degenerate architectures of `space` from its own seeded sampler. */
function sampleSpace(space: SearchSpace<unknown>, n: number, seed: number): string[] {
  if (!Number.isInteger(n) || n < 1) throw new ZeronasError('ZN_BAD_ARGUMENT', `--sample must be a positive integer, got ${n}`);
  const rng = new SeededRng(seed);
  const out = new Set<string>();
  for (let draws = 0; out.size < n && draws < n * 100; draws++) {
    const a = space.sample(rng);
    if (!space.isDegenerate?.(a)) out.add(space.format(a));
  }
  if (out.size < n) throw new ZeronasError('ZN_BAD_ARGUMENT', `--sample ${n}: only ${out.size} distinct architectures of ${space.name} drawn in ${n * 100} tries`);
  return [...out];
}

function readArchFile(path: string, canonical: (text: string) => string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ZeronasError('ZN_IO', `cannot read --archs file '${path}': ${(err as Error).message}`, { path });
  }
  const firstLine = text.split(/\r?\n/, 1)[0] ?? '';
  // A CSV has an `arch_str` / `arch` column in its header line (IDW and FLASH strings hold commas themselves).
  const isCsv = firstLine.split(',').some((field) => ['arch_str', 'arch'].includes(field.trim().replace(/^"|"$/g, '')));
  const lines = isCsv
    ? readCsv(text).map((r, i) => {
        const a = r.arch_str ?? r.arch;
        if (a === undefined) throw new ZeronasError('ZN_BAD_DATA', `--archs CSV '${path}' has no value in its 'arch_str' or 'arch' column (row ${i + 2})`);
        return a;
      })
    : text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  return lines.map((l, i) => {
    try {
      return canonical(l);
    } catch (err) {
      throw new ZeronasError('ZN_BAD_ARCH_STRING', `--archs '${path}' line ${i + 1}: ${(err as Error).message}`, { path, line: i + 1 });
    }
  });
}
