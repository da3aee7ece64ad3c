import type { CommandModule } from 'yargs';
import type { OutputOptions } from '../output.js';
import { withQueueOptions, type QueueArgs } from '../queueOptions.js';

export interface BenchProxiesArgs extends OutputOptions, QueueArgs {
  space: string;
  sample: number;
  seed: number;
  truth: string;
  column: string;
  proxies: string;
  data?: string;
  batchSize: number;
  batches: number;
  cache?: string;
  naslib?: string;
  resamples: number;
}

export const benchProxiesCommand: CommandModule<object, BenchProxiesArgs> = {
  command: 'proxies',
  describe: 'Rank correlation of proxies with ground-truth accuracy (Kendall, Spearman, bootstrap 95% CI, seconds/arch)',
  builder: (y) =>
    withQueueOptions(y)
      .option('space', { type: 'string', default: 'nb201', choices: ['nb201'] })
      .option('sample', { type: 'number', default: 1000, describe: 'Cells sampled as np.random.default_rng(seed).choice(15625, n, replace=False) over NAS-Bench-201 indices' })
      .option('seed', { type: 'number', default: 0, describe: 'Sampling seed (also weight init; batches: images 0..B*N-1 when 0)' })
      .option('truth', { type: 'string', demandOption: true, describe: 'CSV with arch_str and the truth column' })
      .option('column', { type: 'string', default: 'cifar10_test_acc', describe: 'Truth column' })
      .option('proxies', { type: 'string', default: 'zico,params,flops', describe: 'Comma-separated proxy ids' })
      .option('data', { type: 'string', describe: 'Dataset for data-driven proxies (default: bundled CIFAR-10 sample)' })
      .option('batch-size', { type: 'number', default: 64 })
      .option('batches', { type: 'number', default: 2 })
      .option('cache', { type: 'string', describe: 'Scores CSV reused across runs (default runs/bench/proxies-<sample>-<seed>-b<batch>x<N>.csv)' })
      .option('naslib', { type: 'string', describe: "NASLib's precomputed proxy CSV: also print our proxies' rank agreement with its columns" })
      .option('resamples', { type: 'number', default: 1000, describe: 'Bootstrap resamples' })
      .example(
        '$0 bench proxies --sample 1000 --seed 0 --truth ../shared/data/nb201/nb201_accuracy.csv --column cifar10_test_acc --proxies zico,params',
        "ZiCo vs #Params on 1,000 NAS-Bench-201 cells",
      ) as never,
  handler: async (args) => {
    const { runBenchProxies } = await import('../runBenchProxies.js');
    await runBenchProxies(args);
  },
};
