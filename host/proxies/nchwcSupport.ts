/**
 * The CPU's NCHWc block size as onnxruntime sees it (16 with AVX-512, 8 with AVX2), found once per process by asking
 * ORT to reorder a four-channel tensor (its minimum): the blocked result is padded to exactly one block. 0 when this onnxruntime
 * has no blocked kernels for the CPU (the graphs are then emitted plain and ORT's optimiser runs as usual), or when
 * ZERONAS_NCHWC=0 turns the blocked emission off.
 */
import * as ort from 'onnxruntime-node';
import { NCHWC_DOMAIN } from '../onnx/nchwc.js';
import { DataType, OnnxGraph } from '../onnx/onnxGraph.js';

let detected: Promise<number> | undefined;

export function nchwcBlockSize(): Promise<number> {
  if (process.env.ZERONAS_NCHWC === '0') return Promise.resolve(0);
  detected ??= probeBlockSize();
  return detected;
}

async function probeBlockSize(): Promise<number> {
  const g = new OnnxGraph('nchwc block size probe');
  const x = g.addInput('x', DataType.FLOAT, [1, 4, 1, 1]);
  g.contribOp('ReorderInput', [x], {}, NCHWC_DOMAIN, 'y');
  g.addOutput('y', DataType.FLOAT, [1, 'blocked', 1, 1]);
  try {
    const session = await ort.InferenceSession.create(g.toBytes(), { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1 });
    try {
      const { y } = await session.run({ x: new ort.Tensor('float32', new Float32Array(4), [1, 4, 1, 1]) });
      const block = y?.dims[1] ?? 0;
      // Only the block sizes MLAS uses; anything else means the probe did not measure what it assumes.
      return [4, 8, 16, 32].includes(block) ? block : 0;
    } finally {
      await session.release();
    }
  } catch {
    return 0;
  }
}
