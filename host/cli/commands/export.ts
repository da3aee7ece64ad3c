import { writeFile, mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { ZeronasError } from '../../../shared/errors.js';
import { selectArch, withArchOptions, type ArchArgs } from '../archOptions.js';
import { inputNode } from '../../ir/graph.js';
import { printJson, type OutputOptions } from '../output.js';

type Args = ArchArgs & OutputOptions & { out: string; batch?: number; foldBn: boolean; seed: number };

export const exportCommand: CommandModule<object, Args> = {
  command: 'export',
  describe: 'Write the ONNX inference model (opset 17) of one architecture',
  builder: (y) =>
    withArchOptions(y)
      .option('out', { type: 'string', demandOption: true, describe: 'Output .onnx file' })
      .option('batch', { type: 'number', describe: 'Fixed batch size (default: dynamic "batch" dimension)' })
      .option('fold-bn', { type: 'boolean', default: false, describe: 'Fold eval-mode batch-norm into the preceding conv' })
      .option('seed', { type: 'number', default: 0, describe: 'Seed of the PyTorch-default weight initialisation' })
      .example(
        "$0 export --space nb201 --arch '|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|' --out model.onnx --batch 1 --fold-bn",
        'Export a NAS-Bench-201 cell for batch-1 latency measurement',
      )
      .example("$0 export --space flash --arch 'FLASH(d=8,9,11;w=80,16,64;t=8,88,88)' --out flash.onnx --batch 1", 'Export a FLASH network found by `zeronas search --space flash`')
      .example(
        "$0 export --space idw --resolution 224 --arch 'SuperConvK3BNRELU(3,16,2,1)SuperResIDWE1K3(16,32,2,16,1)SuperConvK1BNRELU(32,64,1,1)' --out idw.onnx --batch 1",
        'Export a network of ZiCo\'s ImageNet space (with its residual links, as devices run it) at 224x224',
      ) as never,
  handler: async (args) => {
    if (args.batch !== undefined && (!Number.isInteger(args.batch) || args.batch < 1)) {
      throw new ZeronasError('ZN_BAD_ARGUMENT', `--batch must be a positive integer, got ${args.batch}`);
    }
    const { entry, text, graph } = selectArch(args);
    const { initWeights } = await import('../../ir/init.js');
    const { exportInference } = await import('../../onnx/exportInference.js');
    const { createHash } = await import('node:crypto');
    const bytes = exportInference(graph, initWeights(graph, args.seed), {
      ...(args.batch !== undefined ? { batch: args.batch } : {}),
      foldBatchNorm: args.foldBn,
    });
    const out = resolve(args.out);
    await mkdir(dirname(out), { recursive: true });
    try {
      await writeFile(out, bytes);
    } catch (err) {
      throw new ZeronasError('ZN_IO', `cannot write '${out}': ${(err as Error).message}`, { path: out }, err);
    }
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const result = { arch: text, space: entry.name, input: inputNode(graph).attrs.shape, out, bytes: bytes.length, sha256, batch: args.batch ?? 'dynamic', foldBn: args.foldBn };
    if (args.json) printJson(result);
    else if (!args.quiet) process.stdout.write(`wrote ${out} (${bytes.length.toLocaleString('en-US')} bytes, sha256 ${sha256.slice(0, 16)}...)\n`);
  },
};
