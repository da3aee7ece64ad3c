import { buildNb201Network } from '../host/spaces/nb201.js';
import { featureChain, rademacher } from '../host/proxies/azNasProxy.js';
import { featureExpressivity, blockTrainability } from '../host/proxies/math/azNas.js';
import { freshWeights, withTrainingSession } from '../host/proxies/proxyRun.js';
import { inferShapes } from '../host/ir/shapeInference.js';
import { gaussianTensor } from '../host/data/gaussianInputs.js';
const a = process.argv[2] ?? "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_1x1~1|+|skip_connect~0|nor_conv_3x3~1|avg_pool_3x3~2|";
const graph = buildNb201Network(a);
const chain = featureChain(graph)!;
const shapes = inferShapes(graph.nodes);
const blocks = chain.slice(1).map((output, l) => ({ input: chain[l]!, output }));
const full = (t: string) => [64, ...shapes.get(t)!] as [number, number, number, number];
const seeds = new Map(blocks.map((b, l) => [b.output, rademacher(full(b.output).reduce((x, y) => x * y, 1), 0, l + 1)]));
for (let rep = 0; rep < 3; rep++) {
  let t0 = performance.now();
  const step = await withTrainingSession(graph, freshWeights(graph, 0, 'kaiming-fanin'),
    { batch: 64, objective: 'seed', paramGrads: 'none', activations: chain, blockVjps: blocks, bnStats: false },
    async (s) => { const t1 = performance.now(); const r = await s.run({ input: gaussianTensor([64,3,32,32], 1004), dlogits: new Float32Array(640), vjpSeeds: seeds }); console.log('  run only', ((performance.now()-t1)/1000).toFixed(2)); return r; });
  const ort = performance.now() - t0; t0 = performance.now();
  chain.forEach((t) => featureExpressivity({ data: step.activations.get(t)!, shape: full(t) }));
  const expr = performance.now() - t0; t0 = performance.now();
  blocks.forEach((b) => blockTrainability({ data: step.vjps.get(b.output)!, shape: full(b.input) }, { data: seeds.get(b.output)!, shape: full(b.output) }));
  console.log('ort+export', (ort/1000).toFixed(2), 'expr', (expr/1000).toFixed(2), 'train', ((performance.now()-t0)/1000).toFixed(2));
}
