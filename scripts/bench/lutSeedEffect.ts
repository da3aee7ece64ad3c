/**
 * Does a target's lookup table make the closed loop's first model better? Compares, per pair of orchestrate runs on
 * the same target and seed (one with its table, one with `--lut <t>=none`), the model each run fitted after round 0
 * (the same spread of measured cells) on every other cell either run measured: MAPE, share within ±10% and Spearman.
 * The round's own learning-curve rows in summary.json score only the 2-3 cells that round measured; this pools them.
 *
 *   for s in 0 1 2; do
 *     npx zeronas orchestrate --targets local --algo sample --proxy params --budget 'local:latency<=1.5ms' --seed $s --out runs/lut-with-$s
 *     npx zeronas orchestrate --targets local --algo sample --proxy params --budget 'local:latency<=1.5ms' --seed $s --lut local=none --out runs/lut-without-$s
 *   done
 *   npx tsx scripts/bench/lutSeedEffect.ts runs/lut-with-0:runs/lut-without-0 runs/lut-with-1:runs/lut-without-1 ...
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTargetModel } from '../../host/cost/targetModelFile.js';
import { predictionErrors } from '../../host/cost/targetCostModel.js';
import { parseRunSummary } from '../../host/run/summary.js';

const pairs = process.argv.slice(2).map((p) => p.split(':') as [string, string]);
if (pairs.length === 0) {
  console.error('usage: lutSeedEffect.ts <run with table>:<run without> ...');
  process.exit(2);
}
const fmt = (v: number | null, d = 1): string => (v === null ? '-' : v.toFixed(d));
for (const [withDir, withoutDir] of pairs) {
  const runs = [withDir, withoutDir].map((dir) => ({ dir, summary: parseRunSummary(JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')), dir) }));
  const target = runs[0]!.summary.targets[0]!;
  const measured = new Map<string, number>();
  for (const r of runs) for (const p of r.summary.targets[0]!.points) if (p.measuredMs !== null) measured.set(p.arch, p.measuredMs);
  const line: string[] = [];
  for (const r of runs) {
    const file = r.summary.targets[0]!.learningCurve.find((l) => l.round === 0)?.modelFile;
    if (!file) throw new Error(`${r.dir}: no round-0 model file`);
    const { snapshot, model } = await loadTargetModel(join(r.dir, file));
    const train = new Set(snapshot.samples.map((s) => s.arch));
    const e = predictionErrors([...measured].filter(([a]) => !train.has(a)).map(([a, v]) => ({ predicted: model.predict(a)?.value ?? Number.NaN, measured: v })));
    line.push(`${r.dir === withDir ? 'with table' : 'without'}: ${model.name}: MAPE ${fmt(e.mapePercent)}%, within ±10% ${fmt(e.within10 === null ? null : 100 * e.within10, 0)}%, Spearman ${fmt(e.spearman, 3)} (n ${e.n})`);
  }
  console.log(`${target.target}, ${withDir} vs ${withoutDir}:\n  ${line.join('\n  ')}`);
}
process.exit(0);
