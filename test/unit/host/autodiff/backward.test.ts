/**
 * Every backward rule against finite differences (STYLE.md §6.7): for each case of
 * test/fixtures/backward/cases.json, the ORT float32 gradients of the generated training graph (all trainable
 * parameters, the input) match central differences of the float64 reference loss (host/reference/forward.ts).
 * Central differences with h = 1e-6 in float64: truncation O(h²) and round-off ~1e-10 are far below the float32
 * noise of ORT (~1e-6 relative), and so small a step almost never crosses a ReLU/max-pool kink.
 */
import { describe, expect, it } from 'vitest';
import { emitBackward } from '../../../../host/autodiff/backward.js';
import { DataType, Emitter } from '../../../../host/autodiff/emitter.js';
import { emitTrainingForward } from '../../../../host/autodiff/forward.js';
import { backwardRules } from '../../../../host/autodiff/rules/index.js';
import { OP_TYPES } from '../../../../host/ir/ops.js';
import { initWeights, type WeightMap } from '../../../../host/ir/init.js';
import { listParams } from '../../../../host/ir/params.js';
import { exportTraining } from '../../../../host/onnx/exportTraining.js';
import { TrainingSession } from '../../../../host/proxies/trainingSession.js';
import { crossEntropyLoss, referenceForward, referenceLoss, type BnMode } from '../../../../host/reference/forward.js';
import { buildNb201Network } from '../../../../host/spaces/nb201.js';
import { ZeronasError } from '../../../../shared/errors.js';
import { OP_CASES, caseGraph, caseInput, caseWeights, relL2, toF64, type OpCase } from './opCases.js';

const H = 1e-6;
const TOL = 1e-3;

/** Central difference dL/dv[i] for every i of the float64 array v (mutated and restored). */
function fdGrad(v: Float64Array, loss: () => number, indices: number[] = [...v.keys()]): Float64Array {
  const out = new Float64Array(indices.length);
  indices.forEach((i, k) => {
    const old = v[i]!;
    v[i] = old + H;
    const lp = loss();
    v[i] = old - H;
    const lm = loss();
    v[i] = old;
    out[k] = (lp - lm) / (2 * H);
  });
  return out;
}

describe('backward rule registry', () => {
  it('has a rule and a finite-difference case for every op type', () => {
    const missingRule = OP_TYPES.filter((op) => !(op in backwardRules));
    const covered = new Set(OP_CASES.flatMap((c) => c.nodes.map((n) => n[0])));
    covered.add('input'); // every case starts from the input node and checks grad:input
    const missingCase = OP_TYPES.filter((op) => !covered.has(op));
    expect({ missingRule, missingCase }).toEqual({ missingRule: [], missingCase: [] });
  });
});

/** Every gradient of a case's training graph against float64 finite differences (and BN statistics in train mode). */
async function checkAgainstFiniteDifferences(c: OpCase, bnMode: BnMode, w: WeightMap): Promise<void> {
  const graph = caseGraph(c);
  const { x, labels } = caseInput(c);
  const model = exportTraining(graph, w, { batch: c.batch, paramGrads: 'trainable', inputGrad: true, bnMode });
  const session = await TrainingSession.create(model, { intraOpNumThreads: 1 });
  const step = await session.run({ input: x, labels });
  await session.dispose();

  const w64 = toF64(w);
  const x64 = Float64Array.from(x);
  const bnStats = new Map<string, { mean: Float64Array; variance: Float64Array }>();
  const values = referenceForward(graph, w64, x64, c.batch, { bnMode, bnStats });
  const loss = () => referenceLoss(graph, w64, x64, labels, c.batch, { bnMode });
  expect(step.loss!).toBeCloseTo(crossEntropyLoss(values.get(graph.output)!, labels, c.batch), 5);
  expect(relL2(step.logits, values.get(graph.output)!)).toBeLessThan(1e-5);

  const errors: Record<string, number> = {};
  for (const p of listParams(graph).filter((q) => q.trainable)) {
    errors[p.name] = relL2(step.grads.get(p.name)!, fdGrad(w64.get(p.name)!, loss));
  }
  errors['input'] = relL2(step.inputGrad!, fdGrad(x64, loss));
  for (const [name, e] of Object.entries(errors)) expect(e, `${name} rel L2 error`).toBeLessThan(TOL);

  if (bnMode === 'train') {
    for (const [node, ref] of bnStats) {
      const got = step.bnStats.get(node)!;
      expect(relL2(got.mean, ref.mean), `${node} batch mean`).toBeLessThan(1e-5);
      expect(relL2(got.variance, ref.variance), `${node} unbiased batch variance`).toBeLessThan(1e-5);
    }
  } else expect(step.bnStats.size).toBe(0);
}

describe.each(['train', 'eval'] as BnMode[])('ORT gradients vs finite differences (BN %s)', (bnMode) => {
  const cases = bnMode === 'train' ? OP_CASES : OP_CASES.filter((c) => c.op === 'batchNorm');
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    await checkAgainstFiniteDifferences(c, bnMode, caseWeights(caseGraph(c)));
  });
});

// At PyTorch's init (γ ≡ 1, β ≡ 0) the BN rule takes another path: no affine nodes, backward in terms of x̂.
describe('ORT gradients vs finite differences (BN train at PyTorch init, γ ≡ 1 and β ≡ 0)', () => {
  const cases = OP_CASES.filter((c) => c.nodes.some((n) => n[0] === 'batchNorm'));
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    await checkAgainstFiniteDifferences(c, 'train', initWeights(caseGraph(c), 1));
  });
});

describe('training graph outputs', () => {
  const c = OP_CASES.find((k) => k.name.startsWith('conv2d -> batchNorm -> relu'))!;
  const graph = caseGraph(c);
  const w = caseWeights(graph);
  const { x } = caseInput(c);

  it("seed objective: dlogits in, gradients of Σ dlogits·logits out, with act: and grad_act: outputs", async () => {
    const dlogits = new Float32Array(c.batch * 3).map((_, i) => (i % 3 === 1 ? 1 : 0.25 * (i % 2)));
    const model = exportTraining(graph, w, {
      batch: c.batch,
      objective: 'seed',
      inputGrad: true,
      activations: ['bn', 'r'],
      activationGrads: ['bn'],
    });
    expect(model.inputs.map((i) => i.name)).toEqual(['input', 'dlogits']);
    expect(model.outputs.map((o) => o.name)).toEqual([
      'logits', 'grad:c.weight', 'grad:head.fc.weight', 'grad:input', 'act:bn', 'act:r', 'grad_act:bn', 'bn_mean:bn', 'bn_var:bn',
    ]);
    const session = await TrainingSession.create(model, { intraOpNumThreads: 1 });
    const step = await session.run({ input: x, dlogits });
    const again = await session.run({ input: x.map((v) => -v), dlogits });
    await session.dispose();
    expect(step.loss).toBeUndefined();

    const w64 = toF64(w);
    const x64 = Float64Array.from(x);
    const seedLoss = (): number => {
      const z = referenceForward(graph, w64, x64, c.batch, { bnMode: 'train' }).get(graph.output)!;
      return z.reduce((acc, v, i) => acc + v * dlogits[i]!, 0);
    };
    expect(relL2(step.grads.get('c.weight')!, fdGrad(w64.get('c.weight')!, seedLoss))).toBeLessThan(TOL);
    expect(relL2(step.inputGrad!, fdGrad(x64, seedLoss))).toBeLessThan(TOL);
    const values = referenceForward(graph, w64, x64, c.batch, { bnMode: 'train' });
    expect(relL2(step.activations.get('r')!, values.get('r')!)).toBeLessThan(1e-5);
    // dL/d(bn) by differences on the BN output: perturb the pre-ReLU value through the ReLU + head only.
    const bn = values.get('bn')!;
    const headLoss = (): number => {
      const r = bn.map((v) => Math.max(v, 0));
      const sub = caseGraph({ ...c, input: [3, 5, 5], nodes: [['relu', 'r', ['input'], {}]] });
      const z = referenceForward(sub, w64, r.map((v, i) => bn[i]! > 0 ? v : 0), c.batch, { bnMode: 'train' }).get(sub.output)!;
      return z.reduce((acc, v, i) => acc + v * dlogits[i]!, 0);
    };
    expect(relL2(step.activationGrads.get('bn')!, fdGrad(bn, headLoss))).toBeLessThan(TOL);
    // Outputs are copies: the second run did not overwrite the first step's arrays.
    expect(relL2(again.grads.get('c.weight')!, step.grads.get('c.weight')!)).toBeGreaterThan(1e-3);
    expect(relL2(step.grads.get('c.weight')!, fdGrad(w64.get('c.weight')!, seedLoss))).toBeLessThan(TOL);
  });

  it('pools the gradients of nodes that recompute one value, except those whose own gradient is asked for', async () => {
    const dup = OP_CASES.find((k) => k.name.startsWith('two relus of one tensor'))!;
    const dupGraph = caseGraph(dup);
    const dupWeights = caseWeights(dupGraph);
    const { x: dupX, labels: dupLabels } = caseInput(dup);
    const run = async (activationGrads: string[]): Promise<{ nodes: number; grads: Map<string, Float32Array>; acts: Map<string, Float32Array> }> => {
      const model = exportTraining(dupGraph, dupWeights, { batch: dup.batch, paramGrads: 'trainable', activationGrads });
      const session = await TrainingSession.create(model, { intraOpNumThreads: 1 });
      const step = await session.run({ input: dupX, labels: dupLabels });
      await session.dispose();
      return { nodes: model.nodeCount, grads: step.grads, acts: step.activationGrads };
    };
    const pooled = await run([]);
    const separate = await run(['r1', 'r2']);
    // Pooled: one ReLU backward for r1, r2 and r3 together; asked-for r1 and r2 keep theirs (more nodes).
    expect(separate.nodes).toBeGreaterThan(pooled.nodes);
    for (const [name, g] of pooled.grads) expect(relL2(g, separate.grads.get(name)!), name).toBeLessThan(1e-6);
    // dL/dr2 is what c2 alone sends back: r2 feeds nothing else, so it differs from dL/dr1 (c1's).
    expect(relL2(separate.acts.get('r2')!, separate.acts.get('r1')!)).toBeGreaterThan(0.1);
  });

  it('rejects a seed whose shape differs from the graph output (ZN_GRAD_SHAPE)', () => {
    const g = new Emitter('bad seed');
    const fwd = emitTrainingForward(g, graph, w, { batch: c.batch, bnMode: 'train' });
    const seed = g.input('dlogits', DataType.FLOAT, [c.batch, 4]);
    let error: unknown;
    try {
      emitBackward(fwd, seed, { params: new Set(['c.weight']), tensors: new Set() });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ZeronasError);
    expect((error as ZeronasError).code).toBe('ZN_GRAD_SHAPE');
    expect((error as ZeronasError).message).toContain(`[${c.batch},4]`);
  });

  it("rejects an unknown parameter in paramGrads (ZN_BAD_ARGUMENT)", () => {
    expect(() => exportTraining(graph, w, { batch: c.batch, paramGrads: ['c.wieght'] })).toThrow(/unknown parameter 'c.wieght'/);
  });
});

describe('NAS-Bench-201 network, C=4, N=1 (conv, avg pool, none, skip, ResNet blocks)', () => {
  const arch = '|nor_conv_3x3~0|+|avg_pool_3x3~0|none~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|';
  it('ORT gradients of sampled weights match finite differences', async () => {
    const graph = buildNb201Network(arch, { channels: 4, cellsPerStage: 1 });
    const w = initWeights(graph, 3);
    const batch = 4;
    const c = { name: arch, op: 'conv2d' as const, batch, input: [3, 32, 32], nodes: [] };
    const { x } = caseInput(c, 5);
    const labels = [1, 7, 3, 9];
    const model = exportTraining(graph, w, { batch, paramGrads: 'trainable', inputGrad: true });
    const session = await TrainingSession.create(model);
    const step = await session.run({ input: x, labels });
    await session.dispose();

    const w64 = toF64(w);
    const x64 = Float64Array.from(x);
    const loss = () => referenceLoss(graph, w64, x64, labels, batch, { bnMode: 'train' });
    expect(step.loss!).toBeCloseTo(loss(), 5);
    const sampled = [
      'stem.0.weight', 'stem.1.weight', 'cells.0.layers.0.op.1.weight', 'cells.0.layers.4.op.1.weight',
      'cells.0.layers.5.op.2.bias', 'cells.1.conv_a.op.1.weight', 'cells.1.downsample.1.weight',
      'cells.4.layers.5.op.1.weight', 'lastact.0.weight', 'classifier.weight', 'classifier.bias',
    ];
    for (const name of sampled) {
      const v = w64.get(name)!;
      const idx = [0, Math.floor(v.length / 3), Math.floor((2 * v.length) / 3), v.length - 1];
      const got = idx.map((i) => step.grads.get(name)![i]!);
      expect(relL2(got, fdGrad(v, loss, idx)), name).toBeLessThan(TOL);
    }
    const xi = [0, 1000, 3071, 6000, 12287];
    expect(relL2(xi.map((i) => step.inputGrad![i]!), fdGrad(x64, loss, xi)), 'input').toBeLessThan(TOL);
    // The conv feeding only the `none` edge (edge 2<-1 reads node 1) still gets a real gradient via edge 3<-1,
    // while every weight gradient stays finite.
    for (const [, g] of step.grads) expect(g.every(Number.isFinite)).toBe(true);
  });
});
