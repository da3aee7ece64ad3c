/**
 * Step 1 of the NB201 golden values: writes what the PyTorch reference (nb201_golden.py) needs, so both sides see
 * identical weights and tensors.
 *
 *   npx tsx scripts/golden/exportGoldenModels.ts [outDir] && /usr/bin/python3 scripts/golden/nb201_golden.py [outDir]
 *
 * outDir defaults to $ZERONAS_GOLDEN_DIR or <os tmpdir>/zeronas-golden. Written there:
 *  - <model>.onnx: exportInference(graph, initWeights(graph, 0)) (PyTorch-default init, seed 0); initializer
 *    names are the PyTorch state-dict keys, which is how the reference loads them;
 *  - <model>.gaussian.onnx: the same with initWeights(graph, 0, 'gaussian') (Zen-score's init, §A.11);
 *  - <model>.kaiming.onnx: initWeights(graph, 0, 'kaiming-fanin') (AZ-NAS's init);
 *  - az_x.f32, az_gout_<config>.f32: AZ-NAS's Gaussian input and Rademacher vectors (PROXIES_SOTA.md §1);
 *  - batches.f32 / labels.i32: the real batches, selectBatches(shipped sample, {64, 2, 'first'}) = images 0..63 and
 *    64..127 of data/cifar10-sample/cifar10_train_512.bin, CIFAR-10 normalisation (§0.5), float32 NCHW;
 *  - zen_x.f32, zen_eps.f32, zen_x_perturbed.f32 (= x + 0.01·eps in float32), lr_x.f32: Gaussian inputs from
 *    gaussianTensor(shape, seed), so TypeScript tests can rebuild them without Python;
 *  - manifest.json: the recipe (models, seeds, selection), copied into the fixture by the Python step.
 * Nothing here goes into the repository; the fixture test/fixtures/golden/nb201_golden.json does.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_DATASET_PATH, gaussianTensor, openDataset, selectBatches } from '../../host/data/index.js';
import { initWeights } from '../../host/ir/init.js';
import { exportInference } from '../../host/onnx/exportInference.js';
import { buildNb201Network, type Nb201NetworkConfig } from '../../host/spaces/nb201.js';
import { inferShapes } from '../../host/ir/shapeInference.js';
import { AZ_NAS_BATCH, AZ_NAS_INPUT_SEED, featureChain, rademacher } from '../../host/proxies/azNasProxy.js';

export const GOLDEN_ARCHS = {
  allConv3x3: '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|',
  withNone: '|nor_conv_3x3~0|+|none~0|nor_conv_1x1~1|+|skip_connect~0|none~1|nor_conv_3x3~2|',
  withPooling: '|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|avg_pool_3x3~2|',
  mixed: '|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|',
  /** Node 2 is zero (both inputs `none`), so the conv on edge 3<-2 sees only zeros: its gradient is exactly 0 (ZiCo skips it). */
  deadConv: '|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|',
  /** Output cut off by `none` edges: every cell outputs zeros, so ZiCo is exactly 0 and several proxies reject. */
  disconnected: '|nor_conv_3x3~0|+|nor_conv_1x1~0|none~1|+|none~0|none~1|none~2|',
} as const;

/** Full NB201 skeleton (C=16, N=5) and a small one (C=8, N=1) for cheap TypeScript-side checks. */
export const GOLDEN_CONFIGS = {
  c16n5: { channels: 16, cellsPerStage: 5, numClasses: 10, inputSize: 32 },
  c8n1: { channels: 8, cellsPerStage: 1, numClasses: 10, inputSize: 32 },
} as const satisfies Record<string, Nb201NetworkConfig>;

/** Which arch runs on which skeleton (the disconnected cell only on the small one: it tests edge cases). */
export const GOLDEN_MODELS: readonly { config: keyof typeof GOLDEN_CONFIGS; arch: keyof typeof GOLDEN_ARCHS }[] = [
  ...(['c16n5', 'c8n1'] as const).flatMap((config) =>
    (['allConv3x3', 'withNone', 'withPooling', 'mixed', 'deadConv'] as const).map((arch) => ({ config, arch })),
  ),
  { config: 'c8n1', arch: 'disconnected' },
];

export const GOLDEN_WEIGHT_SEED = 0;
export const GOLDEN_SELECTION = { batchSize: 64, batches: 2, seed: 'first' } as const;
export const GOLDEN_GAUSSIAN = { zenX: 1001, zenEps: 1002, linearRegionsX: 1003, zenGamma: 0.01 } as const;

function main(): void {
  const outDir = resolve(process.argv[2] ?? process.env.ZERONAS_GOLDEN_DIR ?? join(tmpdir(), 'zeronas-golden'));
  mkdirSync(outDir, { recursive: true });
  const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
  const files: Record<string, string> = {};
  const write = (name: string, bytes: Uint8Array | ArrayBufferView): void => {
    const buf = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    writeFileSync(join(outDir, name), buf);
    files[name] = createHash('sha256').update(buf).digest('hex');
  };

  const models = [];
  for (const m of GOLDEN_MODELS) {
    const id = `${m.config}-${m.arch}`;
    const arch = GOLDEN_ARCHS[m.arch];
    const config = GOLDEN_CONFIGS[m.config];
    const graph = buildNb201Network(arch, config);
    write(`${id}.onnx`, exportInference(graph, initWeights(graph, GOLDEN_WEIGHT_SEED)));
    write(`${id}.gaussian.onnx`, exportInference(graph, initWeights(graph, GOLDEN_WEIGHT_SEED, 'gaussian')));
    write(`${id}.kaiming.onnx`, exportInference(graph, initWeights(graph, GOLDEN_WEIGHT_SEED, 'kaiming-fanin')));
    models.push({ id, arch, config, onnx: `${id}.onnx`, gaussianOnnx: `${id}.gaussian.onnx`, kaimingOnnx: `${id}.kaiming.onnx` });
  }

  const dataset = openDataset();
  const batches = selectBatches(dataset, { ...GOLDEN_SELECTION });
  const images = new Float32Array(batches.reduce((n, b) => n + b.images.length, 0));
  const labels = new Int32Array(batches.reduce((n, b) => n + b.labels.length, 0));
  batches.forEach((b, i) => {
    images.set(b.images, i * b.images.length);
    labels.set(b.labels, i * b.labels.length);
  });
  write('batches.f32', images);
  write('labels.i32', labels);

  const shape = [GOLDEN_SELECTION.batchSize, 3, 32, 32];
  const zenX = gaussianTensor(shape, GOLDEN_GAUSSIAN.zenX);
  const zenEps = gaussianTensor(shape, GOLDEN_GAUSSIAN.zenEps);
  const gamma = Math.fround(GOLDEN_GAUSSIAN.zenGamma);
  const perturbed = zenX.map((x, i) => x + Math.fround(gamma * zenEps[i]!)); // float32 ops, as torch does
  write('zen_x.f32', zenX);
  write('zen_eps.f32', zenEps);
  write('zen_x_perturbed.f32', perturbed);
  write('lr_x.f32', gaussianTensor(shape, GOLDEN_GAUSSIAN.linearRegionsX));
  // AZ-NAS: its Gaussian input and, per skeleton, the Rademacher g_out of blocks 1..L back to back (the same draws
  // azNasScores makes at seed 0; they depend only on the block shapes, not the cell).
  write('az_x.f32', gaussianTensor(shape, AZ_NAS_INPUT_SEED + GOLDEN_WEIGHT_SEED));
  const gOutShapes: Record<string, number[][]> = {};
  const gOutFiles: Record<string, string> = {};
  for (const [configId, config] of Object.entries(GOLDEN_CONFIGS)) {
    const graph = buildNb201Network(GOLDEN_ARCHS.allConv3x3, config);
    const shapes = inferShapes(graph.nodes);
    const chain = featureChain(graph)!;
    gOutShapes[configId] = chain.slice(1).map((t) => [AZ_NAS_BATCH, ...shapes.get(t)!]);
    const parts = gOutShapes[configId]!.map((s, l) => rademacher(s.reduce((a, b) => a * b, 1), GOLDEN_WEIGHT_SEED, l + 1));
    const all = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const p of parts) {
      all.set(p, offset);
      offset += p.length;
    }
    gOutFiles[configId] = `az_gout_${configId}.f32`;
    write(gOutFiles[configId]!, all);
  }

  const samplePath = relative(repoRoot, DEFAULT_DATASET_PATH);
  const manifest = {
    generatedBy: 'npx tsx scripts/golden/exportGoldenModels.ts',
    models,
    weightSeed: GOLDEN_WEIGHT_SEED,
    weightInit: {
      onnx: "initWeights(graph, 0) = 'pytorch-default'",
      gaussianOnnx: "initWeights(graph, 0, 'gaussian')",
      kaimingOnnx: "initWeights(graph, 0, 'kaiming-fanin')",
    },
    data: {
      file: samplePath,
      sha256: createHash('sha256').update(readFileSync(DEFAULT_DATASET_PATH)).digest('hex'),
      selection: GOLDEN_SELECTION,
      normalization: dataset.normalization,
      shape: [GOLDEN_SELECTION.batches * GOLDEN_SELECTION.batchSize, 3, 32, 32],
      indices: batches.map((b) => [b.indices[0], b.indices[b.indices.length - 1]]),
      images: 'batches.f32',
      labels: 'labels.i32',
    },
    gaussianInputs: {
      generator: 'gaussianTensor(shape, seed) from host/data/gaussianInputs.ts (mulberry32 + Box-Muller, float32)',
      shape,
      zenX: { seed: GOLDEN_GAUSSIAN.zenX, file: 'zen_x.f32' },
      zenEps: { seed: GOLDEN_GAUSSIAN.zenEps, file: 'zen_eps.f32' },
      zenPerturbed: { formula: 'x + fround(fround(0.01) * eps), float32', file: 'zen_x_perturbed.f32' },
      zenGamma: GOLDEN_GAUSSIAN.zenGamma,
      linearRegionsX: { seed: GOLDEN_GAUSSIAN.linearRegionsX, file: 'lr_x.f32' },
    },
    azNas: { input: 'az_x.f32', inputSeed: AZ_NAS_INPUT_SEED + GOLDEN_WEIGHT_SEED, gOutShapes, gOutFiles },
    files,
  };
  writeFileSync(join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  process.stdout.write(`wrote ${models.length} models (x2 inits) and inputs to ${outDir}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
