/**
 * `zeronas bench costmodel`: fit a cost model on k random architectures of a ground-truth table, predict the rest,
 * and print RMSE, MAPE, share within ±10%, Spearman and Kendall (mean ± std over repeats) beside the noise ceiling
 * (CIFAR-10 vs CIFAR-100 agreement of the same device column). With `--prior`, the fleet prior model
 * (host/cost/prior/) is scored leave-one-device-out on every cost column of a dataset (or `--column`), at each k of
 * `--train 10,25,100`, beside today's per-device model, with the ±1σ coverage of each model's uncertainty.
 * A `CommandModule` meant to be nested under a `bench` parent command. Heavy modules load inside the handler.
 */
import type { CommandModule } from 'yargs';
import { basename } from 'node:path';
import { ZeronasError } from '../../../shared/errors.js';
import type { BasisKind } from '../../cost/prior/priorFile.js';
import { info, printJson, table, type OutputOptions } from '../output.js';

type Args = OutputOptions & {
  truth: string;
  column?: string;
  train: string;
  prior?: string;
  select: string;
  dataset: string;
  baseline: string;
  priorBasis?: string;
  autoPrior: boolean;
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
      .option('column', { type: 'string', describe: 'Column to predict, e.g. cifar10_raspi4_latency (required without --prior; with it, default every cost column of --dataset)' })
      .option('train', { type: 'string', demandOption: true, describe: 'Architectures to fit on (k), drawn at random per repeat; with --prior a list, e.g. 10,25,100' })
      .option('prior', { type: 'string', describe: "Fleet prior file, or 'hwnasbench' for the shipped one: score the prior model leave-one-device-out beside --baseline" })
      .option('select', {
        type: 'string',
        default: 'random',
        choices: ['random', 'prior', 'prior+position'],
        describe: "With --prior: how the k architectures are chosen (prior: the fleet's D-optimal selection from a random pool of 3000; prior+position: the same design on the positional basis, an experiment)",
      })
      .option('dataset', { type: 'string', default: 'cifar10', choices: ['cifar10', 'cifar100', 'imagenet16'], describe: 'With --prior and no --column: the dataset whose cost columns are held out in turn' })
      .option('baseline', { type: 'string', default: 'auto', choices: ['auto', 'linear', 'forest', 'none'], describe: "With --prior: the per-device model printed beside it (plus 'auto+prior': auto with the prior among its candidates)" })
      .option('prior-basis', {
        type: 'string',
        describe:
          "With --prior: the prior model's feature basis, a comma list scored side by side on the same cells: kernels (row 'prior'), kernels+position (row 'prior+position': averages over kernel-count and nb201 positional components; needs a prior with a positional section). Default kernels+position when the prior has that section, else kernels",
      })
      .option('auto-prior', { type: 'boolean', default: true, describe: "With --prior: also score 'auto+prior' (auto with the first --prior-basis model among its candidates); --no-auto-prior skips it" })
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
      )
      .example(
        '$0 bench costmodel --truth ../shared/data/hw/hwnasbench_nb201.csv --prior hwnasbench --train 10,25,100 --repeats 3',
        'Fleet prior vs per-device model on every CIFAR-10 cost column, each device held out of its own prior',
      )
      .example(
        '$0 bench costmodel --truth ../shared/data/hw/hwnasbench_nb201.csv --prior hwnasbench --prior-basis kernels,kernels+position --train 10 --repeats 3',
        'The prior on kernel counts beside the prior that may also use where an op sits in the cell',
      ) as never,
  handler: async (args) => {
    if (args.prior !== undefined) return runFleetBench(args);
    if (args.column === undefined) throw new ZeronasError('ZN_BAD_ARGUMENT', '--column is required (or give --prior to hold out every cost column in turn)');
    const train = parseTrain(args.train);
    if (train.length !== 1) throw new ZeronasError('ZN_BAD_ARGUMENT', `--train takes one k without --prior, got '${args.train}'`);
    const { benchCostModel, loadTruthCsv } = await import('../../cost/benchCostModel.js');
    const truth = await loadTruthCsv(args.truth);
    const result = await benchCostModel({
      truth,
      column: args.column,
      train: train[0]!,
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

/** What the ground-truth table's values are, for the summary line: the shipped HW-NAS-Bench table is replayed published measurements; a user's table is theirs. */
export function truthSourceLabel(truthPath: string): string {
  return /hwnasbench/i.test(basename(truthPath)) ? 'replayed HW-NAS-Bench measurements' : `ground truth from ${basename(truthPath)}`;
}

/** `--prior-basis kernels,kernels+position` → the list; names a bad entry. */
export function parsePriorBasis(text: string): BasisKind[] {
  const kinds = String(text).split(',').map((t) => t.trim());
  for (const k of kinds) {
    if (k !== 'kernels' && k !== 'kernels+position') throw new ZeronasError('ZN_BAD_ARGUMENT', `--prior-basis: '${k}' is not 'kernels' or 'kernels+position' (in '${text}')`);
  }
  return [...new Set(kinds)] as BasisKind[];
}

/** `--train 10,25,100` → [10, 25, 100]; names the bad entry. */
export function parseTrain(text: string): number[] {
  const ks = String(text).split(',').map((t) => t.trim());
  return ks.map((t) => {
    const k = Number(t);
    if (t === '' || !Number.isInteger(k) || k < 3) throw new ZeronasError('ZN_BAD_ARGUMENT', `--train: '${t}' is not an integer ≥ 3 (in '${text}')`);
    return k;
  });
}

async function runFleetBench(args: Args): Promise<void> {
  const { loadTruthCsv } = await import('../../cost/benchCostModel.js');
  const { loadFleetPrior } = await import('../../cost/prior/priorFile.js');
  const { benchFleetPrior, priorRowName } = await import('../../cost/prior/benchPrior.js');
  const prior = await loadFleetPrior(args.prior!);
  const trains = parseTrain(args.train);
  const priorBases = args.priorBasis !== undefined ? parsePriorBasis(args.priorBasis) : [prior.positional ? 'kernels+position' : ('kernels' as BasisKind)];
  const truth = await loadTruthCsv(args.truth);
  const rows = await benchFleetPrior({
    truth,
    prior,
    ...(args.column ? { columns: args.column.split(',') } : { dataset: args.dataset }),
    trains,
    repeats: args.repeats,
    seed: args.seed,
    baseline: args.baseline as never,
    select: args.select as never,
    priorBases,
    autoWithPrior: args.autoPrior,
    onProgress: (message) => info(args, message),
  });
  if (args.json) return printJson({ prior: args.prior, description: prior.description, select: args.select, seed: args.seed, rows });
  const pct = (v: number): string => `${(100 * v).toFixed(1)}`;
  const body: (string | number)[][] = [['column', 'k', 'model', 'spearman', 'within ±10% (%)', 'mape (%)', '±1σ coverage (%) (uncalibrated)', 'prior families (weight) / auto selection']];
  for (const r of rows) {
    body.push([
      r.column,
      r.train,
      r.model,
      `${r.mean.spearman.toFixed(3)} ± ${r.std.spearman.toFixed(3)}`,
      `${pct(r.mean.within10)} ± ${pct(r.std.within10)}`,
      pct(r.mean.mape),
      r.coverage1SigmaUncalibrated === undefined ? pct(r.mean.coverage1Sigma) : `${pct(r.mean.coverage1Sigma)} (${pct(r.coverage1SigmaUncalibrated)})`,
      r.familyWeights
        ? (r.basisWeights ? `positional ${(r.basisWeights['kernels+position'] ?? 0).toFixed(2)}; ` : '') + Object.entries(r.familyWeights).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')
        : r.selected
          ? `selected: ${Object.entries(r.selected).map(([k, v]) => `${k}×${v}`).join(' ')}`
          : '',
    ]);
  }
  process.stdout.write(`${table(body)}\n`);
  for (const model of priorBases.map(priorRowName)) {
    const priorRows = rows.filter((r) => r.model === model && /_latency$/.test(r.column));
    for (const k of [...new Set(priorRows.map((r) => r.train))]) {
      const at = priorRows.filter((r) => r.train === k);
      const mean = at.reduce((a, r) => a + r.mean.spearman, 0) / at.length;
      process.stdout.write(`${model}, k=${k}: mean Spearman over ${at.length} held-out latency columns ${mean.toFixed(3)}, lowest ${Math.min(...at.map((r) => r.mean.spearman)).toFixed(3)} (${args.repeats} repeats, measurements chosen ${args.select === 'random' ? 'at random' : `by the prior (D-optimal${args.select === 'prior+position' ? ', positional basis' : ''})`}; ${truthSourceLabel(args.truth)})\n`);
    }
  }
}
