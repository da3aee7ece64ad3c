import type { CommandModule } from 'yargs';
import { buildGraphFromArgs, withArchOptions, type ArchArgs } from '../archOptions.js';
import { analyticMetrics } from '../../metrics/analytic.js';
import { printJson, table, type OutputOptions } from '../output.js';

type Args = ArchArgs & OutputOptions;

export const infoCommand: CommandModule<object, Args> = {
  command: 'info',
  describe: 'Analytic metrics of one architecture: params, MACs, activation memory, layers, NN-Degree',
  builder: (y) =>
    withArchOptions(y).example(
      "$0 info --space nb201 --arch '|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|' --json",
      'Metrics of one NAS-Bench-201 cell as JSON',
    ) as never,
  handler: (args) => {
    const graph = buildGraphFromArgs(args);
    const m = analyticMetrics(graph);
    const result = { arch: graph.name, space: args.space, dataset: args.dataset, ...m };
    if (args.json) return printJson(result);
    process.stdout.write(
      `${table([
        ['arch', graph.name],
        ['params', `${m.params.toLocaleString('en-US')} (${(m.params / 1e6).toFixed(6)} M)`],
        ['macs (NAS-Bench-201 convention)', `${m.macs.toLocaleString('en-US')} (${(m.macs / 1e6).toFixed(3)} M)`],
        ['macs (conv+linear only)', `${m.macsTextbook.toLocaleString('en-US')} (${(m.macsTextbook / 1e6).toFixed(3)} M)`],
        ['activation memory', `${(m.activationBytes / 2 ** 20).toFixed(2)} MiB (peak live ${(m.peakActivationBytes / 2 ** 20).toFixed(2)} MiB)`],
        ['weighted layers', m.weightedLayers],
        ['nn-degree', m.nnDegree.toFixed(3)],
      ])}\n`,
    );
  },
};
