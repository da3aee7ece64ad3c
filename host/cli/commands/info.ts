import type { CommandModule } from 'yargs';
import { selectArch, withArchOptions, type ArchArgs } from '../archOptions.js';
import { inputNode } from '../../ir/graph.js';
import { analyticMetrics } from '../../metrics/analytic.js';
import { printJson, table, type OutputOptions } from '../output.js';

type Args = ArchArgs & OutputOptions;

export const infoCommand: CommandModule<object, Args> = {
  command: 'info',
  describe:
    "Analytic metrics of one architecture of any space (the network a device runs): params, MACs, activation memory, layers, NN-Degree, and the space's own params/flops/layers as search reports them",
  builder: (y) =>
    withArchOptions(y)
      .example(
        "$0 info --space nb201 --arch '|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|' --json",
        'Metrics of one NAS-Bench-201 cell as JSON',
      )
      .example("$0 info --space flash --arch 'FLASH(d=8,9,11;w=80,16,64;t=8,88,88)'", 'A FLASH network, as `zeronas search --space flash` prints it')
      .example(
        "$0 info --space idw --resolution 224 --arch 'SuperConvK3BNRELU(3,16,2,1)SuperResIDWE1K3(16,32,2,16,1)SuperConvK1BNRELU(32,64,1,1)'",
        "A network of ZiCo's ImageNet space at 224x224 (the IDW notation as `zeronas search --space idw` prints it)",
      ) as never,
  handler: (args) => {
    const { entry, text, graph, spaceMetrics } = selectArch(args);
    const m = analyticMetrics(graph);
    const input = inputNode(graph).attrs.shape;
    // `dataset` is nb201's option; it stays in the JSON for nb201 (default cifar10) as before.
    const dataset = args.dataset ?? (entry.name === 'nb201' ? 'cifar10' : undefined);
    const result = { arch: text, space: entry.name, dataset, input, ...m, spaceMetrics };
    if (args.json) return printJson(result);
    process.stdout.write(
      `${table([
        ['arch', text],
        ['space', entry.description],
        ['params', `${m.params.toLocaleString('en-US')} (${(m.params / 1e6).toFixed(6)} M)`],
        ['macs (NAS-Bench-201 convention)', `${m.macs.toLocaleString('en-US')} (${(m.macs / 1e6).toFixed(3)} M)`],
        ['macs (conv+linear only)', `${m.macsTextbook.toLocaleString('en-US')} (${(m.macsTextbook / 1e6).toFixed(3)} M)`],
        ['activation memory', `${(m.activationBytes / 2 ** 20).toFixed(2)} MiB (peak live ${(m.peakActivationBytes / 2 ** 20).toFixed(2)} MiB)`],
        ['weighted layers', m.weightedLayers],
        ['nn-degree', m.nnDegree.toFixed(3)],
        ['as search reports (space convention)', `params ${spaceMetrics.params.toLocaleString('en-US')}, flops ${(spaceMetrics.flops / 1e6).toFixed(3)} M, layers ${spaceMetrics.layers}`],
      ])}\n`,
    );
  },
};
