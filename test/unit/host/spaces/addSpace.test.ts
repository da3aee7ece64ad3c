/**
 * docs/search-spaces.md, followed step by step: a tiny space (a chain of 1-3 convolutions of 8 or 16 channels) is
 * written with the SearchSpace verbs, registered, and then used the way every workflow uses a space: opened by name,
 * searched (sample and evolution under a params budget), exported to ONNX and run in onnxruntime.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { ZeronasError } from '../../../../shared/errors.js';
import { GraphBuilder } from '../../../../host/ir/builder.js';
import { validateGraph, type Graph } from '../../../../host/ir/graph.js';
import { initWeights } from '../../../../host/ir/init.js';
import { analyticMetrics } from '../../../../host/metrics/analytic.js';
import { exportInference } from '../../../../host/onnx/exportInference.js';
import { runSearch } from '../../../../host/search/index.js';
import { SeededRng } from '../../../../host/search/rng.js';
import { deviceInputs, openSpace, registerSpace, spaceEntry, spaceNames } from '../../../../host/spaces/index.js';
import { randomChoice, randomInt, type ArchMetrics, type SearchSpace } from '../../../../host/spaces/searchSpace.js';

/** Step 1: the genotype (channel widths, one per convolution) and its text ("8-16"). */
type Chain = number[];
const WIDTHS = [8, 16] as const;

function parseChain(text: string): Chain {
  const parts = text.split('-');
  if (parts.length < 1 || parts.length > 3) throw new ZeronasError('ZN_BAD_ARCH_STRING', `a chain has 1-3 layers, got '${text}'`);
  return parts.map((p) => {
    const w = Number(p);
    if (!(WIDTHS as readonly number[]).includes(w)) throw new ZeronasError('ZN_BAD_ARCH_STRING', `layer width '${p}' of '${text}' is not one of ${WIDTHS.join(', ')}`);
    return w;
  });
}

/** Step 3: the network (3x32x32 input, conv-BN-ReLU per layer, pooled to 10 classes). */
function chainGraph(arch: Chain): Graph {
  const b = new GraphBuilder(`chain-${arch.join('-')}`);
  let x = b.input([3, 32, 32]);
  arch.forEach((w, i) => {
    x = b.conv2d(`layers.${i}.conv`, x, { outChannels: w, kernel: 3, padding: 1, bias: false });
    x = b.batchNorm(`layers.${i}.bn`, x);
    x = b.relu(`layers.${i}.relu`, x);
  });
  x = b.flatten('flatten', b.globalAvgPool('pool', x));
  return b.build(b.linear('classifier', x, { outFeatures: 10 }));
}

function createChainSpace(): SearchSpace<Chain> {
  const format = (a: Chain): string => a.join('-');
  return {
    name: 'chain',
    // Step 2: the search verbs.
    initial: () => [8],
    sample: (rng) => Array.from({ length: 1 + randomInt(rng, 3) }, () => randomChoice(rng, WIDTHS)),
    mutate(arch, rng, count = 1) {
      let out = [...arch];
      for (let k = 0; k < count; k++) {
        const move = randomInt(rng, 3);
        if (move === 0 && out.length < 3) out = [...out, randomChoice(rng, WIDTHS)];
        else if (move === 1 && out.length > 1) out = out.slice(0, -1);
        else {
          const i = randomInt(rng, out.length);
          out[i] = out[i] === 8 ? 16 : 8;
        }
      }
      return out;
    },
    neighbourhood(arch) {
      const out: Chain[] = arch.map((w, i) => arch.map((v, j) => (i === j ? (w === 8 ? 16 : 8) : v)));
      if (arch.length < 3) out.push(...WIDTHS.map((w) => [...arch, w]));
      if (arch.length > 1) out.push(arch.slice(0, -1));
      return out;
    },
    key: format,
    format,
    parse: parseChain,
    toGraph: chainGraph,
    // Step 4: budget metrics (no closed form needed for a space this small).
    metrics(arch): ArchMetrics {
      const m = analyticMetrics(chainGraph(arch));
      return { params: m.params, flops: m.macs, layers: arch.length + 1 };
    },
    evolutionMutations: { bootstrap: 1, population: 1 },
  };
}

describe('adding a search space (docs/search-spaces.md)', () => {
  // Step 5: register it.
  registerSpace({
    name: 'chain',
    summary: 'a chain of 1-3 convolutions',
    open: () => {
      const space = createChainSpace();
      return spaceEntry('chain', space, 'chain (1-3 convolutions, input 3x32x32)', (a) => space.toGraph(a), (a) => space.toGraph(a));
    },
  });

  it('is listed and opened by name like the built-ins; a second registration or a bad name is refused', () => {
    expect(spaceNames()).toEqual(['nb201', 'idw', 'flash', 'chain']);
    expect(openSpace('chain').description).toMatch(/^chain/);
    expect(() => registerSpace({ name: 'chain', summary: '', open: () => openSpace('nb201') })).toThrow(/registered already/);
    expect(() => registerSpace({ name: 'Bad Name', summary: '', open: () => openSpace('nb201') })).toThrow(/lower-case/);
    expect(() => openSpace('chain', { resolution: 64 })).toThrow(/--resolution applies to the idw space only, not 'chain'/);
  });

  // Step 6: check it.
  it('its verbs round-trip and stay in the space', () => {
    const { space } = openSpace('chain') as unknown as { space: SearchSpace<Chain> };
    const rng = new SeededRng(3);
    for (let i = 0; i < 200; i++) {
      const a = space.sample(rng);
      expect(space.parse(space.format(a))).toEqual(a);
      const m = space.mutate(a, rng, 1);
      expect(() => space.parse(space.format(m))).not.toThrow();
      expect(a).toEqual(space.parse(space.format(a))); // mutate did not change its argument
    }
    expect(space.neighbourhood([8, 16]).map(space.format).sort()).toEqual(['16-16', '8', '8-16-16', '8-16-8', '8-8'].sort());
    expect(() => space.parse('8-32')).toThrow(/layer width '32' of '8-32'/);
  });

  it('exports to ONNX and runs in onnxruntime with the input the registry gives', async () => {
    const entry = openSpace('chain');
    const graph = entry.deviceGraph(entry.space.parse('16-8'));
    validateGraph(graph);
    const bytes = exportInference(graph, initWeights(graph, 0), { batch: 1 });
    const session = await ort.InferenceSession.create(bytes);
    const [input] = deviceInputs(graph);
    const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', new Float32Array(input!.dims.reduce((a, b) => a * b, 1)), input!.dims) };
    const out = await session.run(feeds);
    expect(out[session.outputNames[0]!]!.dims).toEqual([1, 10]);
  });

  it('is searched by sample and evolution under a params budget, every answer within it', async () => {
    const entry = openSpace('chain');
    const limit = entry.space.metrics([16, 16]).params - 1; // the widest two-layer chain is over
    for (const algo of ['sample', 'evolution'] as const) {
      const outcome = await runSearch({
        space: entry.space,
        algo,
        iterations: algo === 'sample' ? 40 : 60,
        seed: 1,
        budgets: { params: limit },
        score: async (a) => entry.space.metrics(a).params, // a proxy: bigger is "better", so the budget binds
      });
      expect(outcome.feasible.length).toBeGreaterThan(0);
      for (const r of outcome.feasible) expect(r.metrics.params).toBeLessThanOrEqual(limit);
      expect(outcome.best!.metrics.params).toBeLessThanOrEqual(limit);
    }
  });
});
