/**
 * One number per candidate for a proxy combination, for the searches that compare candidates one at a time
 * (evolution, NSGA-II, FLASH): a seeded reference sample of the space is scored first, and a candidate's score is
 * the aggregate of where each of its proxy values falls among the reference's (`referenceRankScorer`). `search
 * --algo sample` does not need this: it ranks over everything it scored. Used by `zeronas search` and by the
 * closed loop, so both draw the same kind of reference.
 */
import { ZeronasError } from '../../shared/errors.js';
import type { SearchSpace } from '../spaces/searchSpace.js';
import { referenceRankScorer, type RankAggregation } from '../proxies/ensemble.js';
import { SeededRng } from './rng.js';

export interface ReferenceScorerOptions<A> {
  space: SearchSpace<A>;
  seed: number;
  /** Architectures in the reference. */
  size: number;
  /** Every proxy's value for one architecture, in a fixed order (NaN for a failure). */
  scoreAll: (arch: A) => Promise<number[]>;
  how: RankAggregation;
  /** Architectures the reference should not hold (degenerate, over a structural budget, already scored…). */
  skip?: (arch: A) => boolean;
  /** After each reference architecture is scored. */
  onProgress?: (done: number, total: number) => void;
}

export interface ReferenceScorer {
  /** The combined score of one architecture's proxy values. */
  combined: (values: readonly number[]) => number;
  /** The reference architectures, formatted, with their values (they count as scored). */
  reference: { arch: string; values: number[] }[];
}

/**
 * How large a reference a search scoring at most `maxScored` architectures spends on it: 1/8, within 8..64, and never
 * more than half of the budget (at least 2: a rank needs two values).
 */
export function referenceSize(maxScored: number): number {
  return Math.max(2, Math.min(Math.floor(maxScored / 2), Math.max(8, Math.min(64, Math.floor(maxScored / 8)))));
}

export async function referenceSampleScorer<A>(o: ReferenceScorerOptions<A>): Promise<ReferenceScorer> {
  // Its own stream (seed ^ 0x2ef), so the reference does not move the search's own draws.
  const rng = new SeededRng(o.seed ^ 0x2ef);
  const reference: ReferenceScorer['reference'] = [];
  const seen = new Set<string>();
  for (let draws = 0; reference.length < o.size && draws < o.size * 50; draws++) {
    const a = o.space.sample(rng);
    const text = o.space.format(a);
    if (seen.has(text) || o.space.isDegenerate?.(a) || o.skip?.(a)) continue;
    seen.add(text);
    reference.push({ arch: text, values: await o.scoreAll(a) });
    o.onProgress?.(reference.length, o.size);
  }
  if (reference.length < 2) {
    throw new ZeronasError(
      'ZN_BAD_ARGUMENT',
      `a proxy combination needs a reference sample to rank against, but only ${reference.length} architecture(s) of ${o.space.name} could be drawn (degenerate or over budget)`,
    );
  }
  const columns = reference[0]!.values.map((_, p) => reference.map((r) => r.values[p]!));
  return { combined: referenceRankScorer(columns, o.how), reference };
}
