/**
 * NAS-Bench-201 behind the common search-space verbs (ALGORITHMS.md §B.1; interface in searchSpace.ts).
 * Genotype: the six-op cell of nb201.ts. Mutation follows NASLib's NB201 `mutate`: pick an edge uniformly and give
 * it a different op, uniformly among the other four; the evolution counts are 1 and 1 ("change one edge op").
 * Budget metrics come from the IR: params = trainable elements (xautodl's count, §A.2), flops = conv/linear MACs
 * with biases (xautodl's flop_benchmark, §A.3), layers = conv + linear layers (§0.1).
 */
import { analyticMetrics } from '../metrics/analytic.js';
import type { Graph } from '../ir/graph.js';
import {
  buildNb201Network,
  cellFromCode,
  cellToCode,
  formatNb201,
  NB201_DEFAULT_CONFIG,
  NB201_OPS,
  NB201_SPACE_SIZE,
  parseNb201,
  isNb201Disconnected,
  type Nb201Cell,
  type Nb201NetworkConfig,
  type Nb201Op,
} from './nb201.js';
import { randomInt, type ArchMetrics, type Rng, type SearchSpace } from './searchSpace.js';

/** Parameter-free cells: the cheapest connected network, our analogue of ZiCo's small initial structure. */
export const NB201_INITIAL_ARCH = '|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|skip_connect~2|';

export function createNb201Space(config: Partial<Nb201NetworkConfig> = {}): SearchSpace<Nb201Cell> {
  const cfg = { ...NB201_DEFAULT_CONFIG, ...config };
  const metricsCache = new Map<number, ArchMetrics>();
  return {
    name: 'nb201',
    evolutionMutations: { bootstrap: 1, population: 1 },
    initial: () => parseNb201(NB201_INITIAL_ARCH),
    sample: (rng: Rng) => cellFromCode(randomInt(rng, NB201_SPACE_SIZE)),
    mutate(arch, rng, count = 1) {
      const ops: Nb201Op[] = [...arch];
      const touched = new Set<number>();
      for (let i = 0; i < count; i++) {
        const edge = randomInt(rng, 6);
        if (touched.has(edge)) continue; // as ZiCo's mutate: a repeated draw is skipped
        touched.add(edge);
        const others = NB201_OPS.filter((op) => op !== ops[edge]);
        ops[edge] = others[randomInt(rng, others.length)]!;
      }
      return ops as unknown as Nb201Cell;
    },
    neighbourhood(arch) {
      const out: Nb201Cell[] = [];
      for (let edge = 0; edge < 6; edge++) {
        for (const op of NB201_OPS) {
          if (op === arch[edge]) continue;
          const ops: Nb201Op[] = [...arch];
          ops[edge] = op;
          out.push(ops as unknown as Nb201Cell);
        }
      }
      return out;
    },
    key: (arch) => String(cellToCode(arch)),
    format: formatNb201,
    parse: parseNb201,
    toGraph: (arch): Graph => buildNb201Network(arch, cfg),
    isDegenerate: isNb201Disconnected,
    metrics(arch) {
      const code = cellToCode(arch);
      let m = metricsCache.get(code);
      if (!m) {
        const a = analyticMetrics(buildNb201Network(arch, cfg));
        m = { params: a.params, flops: a.macsTextbook, layers: a.weightedLayers };
        metricsCache.set(code, m);
      }
      return m;
    },
  };
}

