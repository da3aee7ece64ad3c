/**
 * Measurement-like noise for a replay agent, taken from the benchmark itself rather than invented: the discrepancy
 * between two columns of the same table that should agree, e.g. HW-NAS-Bench's `cifar10_raspi4_latency` and
 * `cifar100_raspi4_latency` (the same networks on the same device, differing only in the classifier's width).
 */
import { ZeronasError } from '../../shared/errors.js';
import { median } from '../../shared/measure/robustStats.js';
import { hash32, mulberry32 } from '../../shared/random.js';

export interface ReplayNoise {
  mainColumn: string;
  noiseColumn: string;
  /** Median of the raw log-ratios, removed from every one of them (the systematic part of the discrepancy). */
  medianLogRatio: number;
  /** d_i - median(d), in the table's row order. */
  centredLogRatios: number[];
}

/**
 * Replay noise (no paper: a benchmark-internal discrepancy used as a noise model). Over the rows i where both the
 * main and the noise column are finite and > 0:  d_i = ln(noise_i / main_i),  c_i = d_i - median_k(d_k).
 * Centring at the median keeps only the row-to-row scatter: a column that is systematically 2% slower adds no bias.
 */
export function buildReplayNoise(
  pairs: readonly { main: number; noise: number }[],
  source: { file: string; mainColumn: string; noiseColumn: string },
): ReplayNoise {
  if (pairs.length === 0) {
    throw new ZeronasError(
      'ZN_BAD_DATA',
      `replay table '${source.file}' has no row where both '${source.mainColumn}' and the noise column '${source.noiseColumn}' are finite and > 0`,
      { file: source.file, column: source.noiseColumn },
    );
  }
  const logRatios = pairs.map((p) => Math.log(p.noise / p.main));
  const medianLogRatio = median(logRatios);
  return {
    mainColumn: source.mainColumn,
    noiseColumn: source.noiseColumn,
    medianLogRatio,
    centredLogRatios: logRatios.map((d) => d - medianLogRatio),
  };
}

export interface NoiseDraw {
  /** exp(c_j), the factor the published value is multiplied by. */
  factor: number;
  /** j: the index of the drawn pair among the usable pairs. */
  index: number;
}

/**
 * One noise draw for one job: answer = published(arch) * exp(c_j), with j uniform over the usable pairs,
 * j = floor(u * n), u the first draw of mulberry32(hash32(`${seed}|${label}|${jobId}`)). The same seed, label and
 * job id give the same factor on every run; a retried job (new wire id) or a later round draws again.
 */
export function drawReplayNoise(noise: ReplayNoise, seed: number, label: string, jobId: string): NoiseDraw {
  const n = noise.centredLogRatios.length;
  const u = mulberry32(hash32(`${seed}|${label}|${jobId}`))();
  const index = Math.min(n - 1, Math.floor(u * n));
  return { factor: Math.exp(noise.centredLogRatios[index]!), index };
}
