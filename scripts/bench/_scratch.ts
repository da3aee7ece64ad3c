import { buildNb201Network } from '../../host/spaces/nb201.js';
import { initWeights } from '../../host/ir/init.js';
import { exportTraining } from '../../host/onnx/exportTraining.js';
import { TrainingSession } from '../../host/proxies/trainingSession.js';
import { referenceLoss, referenceForward } from '../../host/reference/forward.js';

const arch = '|nor_conv_3x3~0|+|avg_pool_3x3~0|none~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|';
const graph = buildNb201Network(arch, { channels: 4, cellsPerStage: 1, inputSize: 8 });
const w = initWeights(graph, 1);
const N = 3;
const model = exportTraining(graph, w, { batch: N, paramGrads: 'trainable', inputGrad: true });
console.log('nodes', model.nodeCount, 'outputs', model.outputs.length);
const s = await TrainingSession.create(model);
const x = new Float32Array(N * 3 * 8 * 8).map(() => Math.random() * 2 - 1);
const labels = [1, 4, 7];
const step = await s.run({ input: x, labels });
const x64 = Float64Array.from(x);
const wd = new Map([...w].map(([k, v]) => [k, Float64Array.from(v)]));
const L = referenceLoss(graph, wd, x64, labels, N, { bnMode: 'train' });
console.log('loss ort', step.loss, 'ref', L);
for (const [name, g] of [...step.grads].slice(0, 40)) {
  const p = wd.get(name)!;
  let num = 0, den = 0;
  for (let i = 0; i < Math.min(p.length, 6); i++) {
    const old = p[i]!; const eps = 1e-6;
    p[i] = old + eps; const lp = referenceLoss(graph, wd, x64, labels, N, { bnMode: 'train' });
    p[i] = old - eps; const lm = referenceLoss(graph, wd, x64, labels, N, { bnMode: 'train' });
    p[i] = old;
    const fd = (lp - lm) / (2 * eps);
    num += (fd - g[i]!) ** 2; den += fd ** 2;
  }
  console.log(name.padEnd(40), Math.sqrt(num / Math.max(den, 1e-30)).toExponential(2), Math.sqrt(den).toExponential(2));
}
await s.dispose();
