/**
 * `zeronas bench costmodel`: fit a cost model on k random architectures of a ground-truth table, predict the rest,
 * and print RMSE, MAPE, share within ±10%, Spearman and Kendall (mean ± std over repeats) beside the noise ceiling
 * (CIFAR-10 vs CIFAR-100 agreement of the same device column). A `CommandModule` meant to be nested under a
 * `bench` parent command. Heavy modules load inside the handler.
 */
import type { CommandModule } from 'yargs';
import { info, printJson, table, type OutputOptions } from '../output.js';

type Args = OutputOptions & {
  truth: string;
  column: string;
  train: number;
  repeats: number;
  model: string;
  seed: number;
  execution: string;
  lut?: string;
};

export const benchCostmodelCommand: CommandModule<object, Args> = {
  command: 'costmodel',
  describe: 'Fit a latency/energy cost model on k measured architectures and score it on the rest',
  builder: (y) =>
    y
      .option('truth', { type: 'string', demandOption: true, describe: "Ground-truth CSV keyed by 'arch_str' (e.g. HW-NAS-Bench)" })
      .option('column', { type: 'string', demandOption: true, describe: 'Column to predict, e.g. cifar10_raspi4_latency' })
      .option('train', { type: 'number', demandOption: true, describe: 'Architectures to fit on (k), drawn at random per repeat' })
      .option('repeats', { type: 'number', default: 5, describe: 'Independent random draws; results are mean ± std' })
      .option('model', { type: 'string', default: 'auto', choices: ['auto', 'linear', 'forest', 'lut'], describe: 'Cost model; auto picks by cross-validation on the training set' })
      .option('execution', {
        type: 'string',
        default: 'auto',
        choices: ['auto', 'all', 'live', 'folded'],
        describe: 'Which ops the device runs (auto: cross-validated on the training set)',
      })
      .option('lut', { type: 'string', describe: 'Lookup-table JSON for the lut model (and as a forest feature)' })
      .option('seed', { type: 'number', default: 0, describe: 'Seed of the random training draws' })
      .example(
        '$0 bench costmodel --truth ../shared/data/hw/hwnasbench_nb201.csv --column cifar10_raspi4_latency --train 25 --repeats 10',
        'Few-shot latency model for the Raspberry Pi 4 of HW-NAS-Bench',
      ) as never,
  handler: async (args) => {
    const { benchCostModel, loadTruthCsv } = await import('../../cost/benchCostModel.js');
    const truth = await loadTruthCsv(args.truth);
    const result = await benchCostModel({
      truth,
      column: args.column,
      train: args.train,
      repeats: args.repeats,
      model: args.model as never,
      seed: args.seed,
      execution: args.execution as never,
      ...(args.lut ? { lutPath: args.lut } : {}),
      onRepeat: (r, m, selected) =>
        info(args, `repeat ${r + 1}/${args.repeats}: within ±10% ${(100 * m.within10).toFixed(1)}%, spearman ${m.spearman.toFixed(3)} (${selected})`),
    });
    if (args.json) {
      // Headline metrics (means over repeats) at the top level, then the full result (mean, std, per repeat).
      return printJson({ ...result.mean, ...result });
    }
    const f = (m: number, s: number, digits = 3): string => `${m.toFixed(digits)} ± ${s.toFixed(digits)}`;
    const { mean, std } = result;
    const rows: (string | number)[][] = [
      ['column', result.column],
      ['model', `${result.model} (execution ${result.execution}); selected: ${[...new Set(result.perRepeat.map((p) => p.selected))].join(', ')}`],
      ['train / test / repeats', `${result.train} / ${result.test} / ${result.repeats}`],
      ['rmse (column units)', f(mean.rmse, std.rmse)],
      // Percent, as orchestrate and the report print it (the --json result keeps the fraction).
      ['mape', `${f(100 * mean.mape, 100 * std.mape, 1)} %`],
      ['within ±10%', `${f(100 * mean.within10, 100 * std.within10, 1)} %`],
      ['spearman', f(mean.spearman, std.spearman)],
      ['kendall', f(mean.kendall, std.kendall)],
    ];
    const c = result.noiseCeiling;
    if (c) {
      rows.push([
        'noise ceiling',
        `${c.other} vs ${c.reference}: within ±10% ${(100 * c.within10).toFixed(1)}% (connected cells ${(100 * c.within10Connected).toFixed(1)}%), spearman ${c.spearman.toFixed(3)}, kendall ${c.kendall.toFixed(3)}`,
      ]);
    }
    process.stdout.write(`${table(rows)}\n`);
  },
};
