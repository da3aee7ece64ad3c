/**
 * Prints the cost-model benchmark for the HW-NAS-Bench columns of issue 9 (k = 25 and k = 1000):
 *   npx tsx scripts/bench/costmodel.ts [--repeats 10] [--model auto] [--execution auto] [--columns a,b]
 * Same figures as `zeronas bench costmodel --truth ../shared/data/hw/hwnasbench_nb201.csv --column <c> --train <k>`.
 * With `--prior <file|hwnasbench>` (issue 23): the fleet prior model leave-one-device-out beside the per-device
 * model on every CIFAR-10 cost column (or --columns), k = --train (default 10,25,100), --select random|prior,
 * one line per (column, k, model) as it finishes; same figures as `zeronas bench costmodel --prior ...`
 * (`--prior-basis kernels,kernels+position` and `--no-auto-prior` as there).
 */
import { benchCostModel, loadTruthCsv } from '../../host/cost/benchCostModel.js';
import type { CostModelKind } from '../../host/cost/costModel.js';
import { CostFeatureExtractor } from '../../host/cost/costFeatures.js';
import type { ExecutionHypothesis } from '../../host/cost/execution.js';
import { benchFleetPrior, type MeasurementSelection } from '../../host/cost/prior/benchPrior.js';
import { loadFleetPrior, type BasisKind } from '../../host/cost/prior/priorFile.js';
import { flag, option } from '../scriptArgs.js';

const truthPath = option('truth', new URL('../../../shared/data/hw/hwnasbench_nb201.csv', import.meta.url).pathname);
const priorName = option('prior', '');
const truth = await loadTruthCsv(truthPath);
const extractor = new CostFeatureExtractor();
const f = (m: number, s: number): string => `${m.toFixed(3)}±${s.toFixed(3)}`;
if (priorName) {
  const prior = await loadFleetPrior(priorName);
  const columns = option('columns', '');
  const select = option('select', 'random') as MeasurementSelection;
  const t0 = Date.now();
  await benchFleetPrior({
    truth,
    prior,
    ...(columns ? { columns: columns.split(',') } : { dataset: option('dataset', 'cifar10') }),
    trains: option('train', '10,25,100').split(',').map(Number),
    repeats: Number(option('repeats', '3')),
    seed: Number(option('seed', '0')),
    baseline: option('baseline', 'auto') as CostModelKind,
    select,
    ...(option('prior-basis', '') ? { priorBases: option('prior-basis', '').split(',') as BasisKind[] } : {}),
    autoWithPrior: !flag('no-auto-prior'),
    extractor,
    onProgress: (m) => console.log(`${m} (${((Date.now() - t0) / 1000).toFixed(0)} s)`),
  });
} else {
  const columns = option('columns', 'cifar10_raspi4_latency,cifar10_pixel3_latency,cifar10_edgegpu_latency,cifar10_edgegpu_energy').split(',');
  const ks = option('train', '25,1000').split(',').map(Number);
  const repeats = Number(option('repeats', '10'));
  const model = option('model', 'auto') as CostModelKind;
  const execution = option('execution', 'auto') as ExecutionHypothesis | 'auto';
  for (const column of columns) {
    for (const train of ks) {
      const t0 = Date.now();
      const r = await benchCostModel({ truth, column, train, repeats, model, seed: 0, execution, extractor });
      const sel = new Map<string, number>();
      r.perRepeat.forEach((p) => sel.set(p.selected, (sel.get(p.selected) ?? 0) + 1));
      console.log(
        `${column} k=${train} r=${repeats} model=${model}/${execution}: within10 ${f(r.mean.within10, r.std.within10)} spearman ${f(r.mean.spearman, r.std.spearman)} kendall ${f(r.mean.kendall, r.std.kendall)} mape ${f(r.mean.mape, r.std.mape)} rmse ${f(r.mean.rmse, r.std.rmse)} | selected ${[...sel].map(([k, v]) => `${k}×${v}`).join(' ')} | ${((Date.now() - t0) / 1000).toFixed(0)} s`,
      );
      if (train === ks[0] && r.noiseCeiling) {
        const c = r.noiseCeiling;
        console.log(`  noise ceiling ${c.reference} vs ${c.other}: within10 ${c.within10.toFixed(3)} (connected cells ${c.within10Connected.toFixed(3)}) spearman ${c.spearman.toFixed(3)} kendall ${c.kendall.toFixed(3)}`);
      }
    }
  }
}
