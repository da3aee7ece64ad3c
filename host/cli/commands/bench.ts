import type { CommandModule } from 'yargs';
import { benchProxiesCommand } from './benchProxies.js';
import { benchCostmodelCommand } from './benchCostmodel.js';

/** `zeronas bench <what>`: benchmarks that print figures (never used as tests). */
export const benchCommand: CommandModule = {
  command: 'bench <what>',
  describe: 'Benchmarks: proxy quality against ground truth, cost-model accuracy',
  builder: (y) =>
    y
      .command(benchProxiesCommand as never)
      .command(benchCostmodelCommand as never)
      .demandCommand(1)
      .example('$0 bench proxies --sample 200 --truth ../shared/data/nb201/nb201_accuracy.csv --proxies zico,params', 'Rank correlation of ZiCo and #Params with accuracy'),
  handler: () => undefined,
};
