import type { CommandModule } from 'yargs';
import type { OutputOptions } from '../output.js';
import { withQueueOptions, type QueueArgs } from '../queueOptions.js';
import { PROXY_IDS } from '../../proxies/zeroCostProxy.js';
import { spaceNames, spaceSummaries } from '../../spaces/index.js';

export interface ScoreArgs extends OutputOptions, QueueArgs {
  space: string;
  scoreResolution?: number;
  arch?: string;
  archs?: string;
  sample?: number;
  seed: number;
  proxies: string;
  data?: string;
  batchSize: number;
  batches: number;
  out?: string;
  workers: number;
}

export const scoreCommand: CommandModule<object, ScoreArgs> = {
  command: 'score',
  describe: 'Score architectures with zero-shot proxies (results written as they are computed; rerun to continue)',
  builder: (y) =>
    withQueueOptions(y)
      .option('space', { type: 'string', default: 'nb201', choices: spaceNames(), describe: `Search space: ${spaceSummaries()}` })
      .option('score-resolution', { type: 'number', describe: 'idw: input size of the graphs the proxies score (default 32, as ZiCo)' })
      .option('arch', { type: 'string', describe: 'One architecture string' })
      .option('archs', { type: 'string', describe: 'File with one architecture per line, or a CSV with an arch_str column' })
      .option('sample', { type: 'number', describe: "Score n distinct architectures: on nb201 the indices np.random.default_rng(seed).choice(15625, n, replace=False) draws; elsewhere the space's own seeded sampler" })
      .option('seed', { type: 'number', default: 0, describe: 'Seed for --sample, weight init and batch selection (0: images 0..B*N-1)' })
      .option('proxies', { type: 'string', default: 'zico', describe: `Comma-separated proxy ids (${PROXY_IDS.join(', ')}); a combination (p+q, or az_nas = the three AZ-NAS scores + flops) writes its members` })
      .option('data', { type: 'string', describe: 'CIFAR-10/100 binary file or image folder (default: the bundled CIFAR-10 sample)' })
      .option('batch-size', { type: 'number', default: 64, describe: 'Mini-batch size for data-driven proxies' })
      .option('batches', { type: 'number', default: 2, describe: 'Mini-batches (ZiCo: N)' })
      .option('out', { type: 'string', describe: 'CSV file; existing rows are kept and skipped (resume)' })
      .option('workers', { type: 'number', default: 1, describe: 'Worker processes sharing the cores (each gets cores/workers threads); needs --out' })
      .example("$0 score --arch '|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|' --proxies zico,params --json", 'Score one cell')
      .example('$0 score --sample 1000 --seed 0 --proxies zico,params --out scores.csv', 'Score 1,000 random cells, resumable')
      .example('$0 score --space flash --sample 20 --proxies az_expressivity,swap,params --out flash.csv', 'FLASH networks with the proxies whose definitions carry over') as never,
  handler: async (args) => {
    const { runScore } = await import('../runScore.js');
    await runScore(args);
  },
};
