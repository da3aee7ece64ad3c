/**
 * The inference exporter against the float64 reference forward (BN in eval mode, running statistics): every op case
 * of test/fixtures/backward/cases.json, exported alone (its output is the op's tensor) and with the classifier head,
 * with and without foldBatchNorm, run in onnxruntime-node, matches referenceForward within 1e-4 relative
 * (max |ort − ref| / max |ref|).
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import type { Graph } from '../../../../host/ir/graph.js';
import { initWeights, type WeightMap } from '../../../../host/ir/init.js';
import { exportInference } from '../../../../host/onnx/exportInference.js';
import { referenceForward } from '../../../../host/reference/forward.js';
import { buildNb201Network } from '../../../../host/spaces/nb201.js';
import { OP_CASES, caseGraph, caseInput, caseWeights, toF64 } from '../autodiff/opCases.js';

async function runOrt(bytes: Uint8Array, x: Float32Array, dims: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, graphOptimizationLevel: 'all' });
  try {
    const out = await session.run({ input: new ort.Tensor('float32', x, dims) });
    return Float32Array.from(out.logits!.data as Float32Array);
  } finally {
    await session.release();
  }
}

function maxRelError(got: ArrayLike<number>, ref: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    diff = Math.max(diff, Math.abs(got[i]! - ref[i]!));
    scale = Math.max(scale, Math.abs(ref[i]!));
  }
  return scale === 0 ? diff : diff / scale;
}

async function check(graph: Graph, w: WeightMap, x: Float32Array, batch: number, foldBatchNorm: boolean): Promise<void> {
  const input = graph.nodes.find((n) => n.op === 'input')!;
  const dims = [batch, ...(input.op === 'input' ? input.attrs.shape : [])];
  const got = await runOrt(exportInference(graph, w, { batch, foldBatchNorm }), x, dims);
  const ref = referenceForward(graph, toF64(w), Float64Array.from(x), batch, { bnMode: 'eval' }).get(graph.output)!;
  expect(got.length).toBe(ref.length);
  expect(maxRelError(got, ref)).toBeLessThan(1e-4);
}

describe('exportInference vs the float64 reference (BN eval)', () => {
  it.each(OP_CASES.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const { x } = caseInput(c);
    for (const head of [false, true]) {
      const graph = caseGraph(c, head);
      const w = caseWeights(graph);
      await check(graph, w, x, c.batch, false);
      await check(graph, w, x, c.batch, true);
    }
  });

  it('NB201 network C=4 N=1 with conv, pooling, none and skip edges, folded and unfolded', async () => {
    const graph = buildNb201Network('|nor_conv_3x3~0|+|avg_pool_3x3~0|none~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|', {
      channels: 4,
      cellsPerStage: 1,
    });
    const w = caseWeights(graph, 4);
    const { x } = caseInput({ name: 'nb201', op: 'input', batch: 2, input: [3, 32, 32], nodes: [] }, 6);
    await check(graph, w, x, 2, false);
    await check(graph, w, x, 2, true);
    // Default init (running stats 0/1) too: what the CLI exports.
    await check(graph, initWeights(graph, 0), x, 2, true);
  });
});
