/**
 * Loads test/fixtures/backward/cases.json and turns each case into an IR graph (the case's nodes plus a
 * flatten + linear(3) head, so every case ends in logits for a cross-entropy loss), with weights, input and labels.
 * Shared by the backward finite-difference test and the inference-export test.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { GraphBuilder } from '../../../../host/ir/builder.js';
import type { Graph } from '../../../../host/ir/graph.js';
import { inferShapes } from '../../../../host/ir/shapeInference.js';
import { initWeights, mulberry32, type WeightMap } from '../../../../host/ir/init.js';
import type { OpType } from '../../../../host/ir/ops.js';

export interface OpCase {
  name: string;
  op: OpType;
  batch: number;
  input: number[];
  /** Input values are uniform in [-scale, scale]. */
  scale?: number;
  nodes: [OpType, string, string[], Record<string, unknown>][];
}

const here = fileURLToPath(new URL('.', import.meta.url));
export const OP_CASES: OpCase[] = (
  JSON.parse(readFileSync(`${here}../../../fixtures/backward/cases.json`, 'utf8')) as { cases: OpCase[] }
).cases;

export const HEAD_CLASSES = 3;

/** The case's nodes on `input`; with `head`, a flatten (for maps) and a linear layer to 3 logits. */
export function caseGraph(c: OpCase, head = true): Graph {
  const b = new GraphBuilder(c.name);
  b.input(c.input);
  let last = 'input';
  for (const [op, name, inputs, attrs] of c.nodes) {
    const a = attrs as never;
    const x = inputs[0]!;
    switch (op) {
      case 'conv2d': last = b.conv2d(name, x, a); break;
      case 'batchNorm': last = b.batchNorm(name, x, a); break;
      case 'relu': last = b.relu(name, x); break;
      case 'relu6': last = b.relu6(name, x); break;
      case 'hardSwish': last = b.hardSwish(name, x); break;
      case 'add': last = b.add(name, inputs); break;
      case 'concat': last = b.concat(name, inputs); break;
      case 'avgPool': last = b.avgPool(name, x, a); break;
      case 'maxPool': last = b.maxPool(name, x, a); break;
      case 'globalAvgPool': last = b.globalAvgPool(name, x); break;
      case 'flatten': last = b.flatten(name, x); break;
      case 'linear': last = b.linear(name, x, a); break;
      case 'identity': last = b.identity(name, x); break;
      case 'zero': last = b.zero(name, x, (attrs as { stride?: number }).stride ?? 1); break;
      case 'input': throw new Error('cases start from the implicit input node');
    }
  }
  if (head) {
    const shape = inferShapes(b.build(last).nodes).get(last)!;
    if (shape.length !== 1) last = b.flatten('head.flatten', last);
    last = b.linear('head.fc', last, { outFeatures: HEAD_CLASSES });
  }
  return b.build(last);
}

/** PyTorch-default weights, with BN γ, β and running statistics moved off their defaults so they matter. */
export function caseWeights(graph: Graph, seed = 1): WeightMap {
  const w = initWeights(graph, seed);
  const rand = mulberry32(seed * 7919 + 17);
  for (const [name, v] of w) {
    if (name.endsWith('.running_var')) v.forEach((_, i) => (v[i] = 0.5 + rand()));
    else if (name.endsWith('.running_mean')) v.forEach((_, i) => (v[i] = rand() - 0.5));
    else if (/\.(weight|bias)$/.test(name) && graph.nodes.find((n) => `${n.name}.weight` === name || `${n.name}.bias` === name)?.op === 'batchNorm') {
      const isGamma = name.endsWith('.weight');
      v.forEach((_, i) => (v[i] = isGamma ? 0.5 + rand() : rand() - 0.5));
    }
  }
  return w;
}

export function caseInput(c: OpCase, seed = 2): { x: Float32Array; labels: number[] } {
  const rand = mulberry32(seed);
  const n = c.batch * c.input.reduce((a, b) => a * b, 1);
  const scale = c.scale ?? 1;
  const x = new Float32Array(n).map(() => (rand() * 2 - 1) * scale);
  const labels = Array.from({ length: c.batch }, () => Math.floor(rand() * HEAD_CLASSES));
  return { x, labels };
}

export const toF64 = (w: WeightMap): Map<string, Float64Array> => new Map([...w].map(([k, v]) => [k, Float64Array.from(v)]));

/** ‖a − b‖₂ / ‖b‖₂ (b the oracle); absolute when the oracle is ~0. */
export function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return den < 1e-20 ? Math.sqrt(num) : Math.sqrt(num / den);
}
