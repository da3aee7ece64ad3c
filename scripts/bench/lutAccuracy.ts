/**
 * Issue 9 on this machine, through a real local agent: a lookup table for NAS-Bench-201 (zeronas lut), then N
 * random cells measured twice (two passes: the machine's own repeatability ceiling = share of cells whose two
 * medians agree within ±10%), then the table-based model with its fitted correction (LutCostModel) trained on K
 * cells of pass 1 and evaluated on the other N-K against pass 2 (and pass 1).
 *   npx tsx scripts/bench/lutAccuracy.ts [--lut devices/local/luts/nb201-cifar10.json] [--cells 200] [--train 25]
 *        [--min-time-ms 300] [--rounds 1] [--sentinel-every k] [--run-dir runs/bench/lut-accuracy] [--seed 0] [--splits 20]
 * With --rounds k, each pass is k shuffled rounds over all cells and a cell's value is the median of its round
 * medians (host/orchestrator/measureJobs.ts measureModelsInRounds), the same protocol `zeronas lut --rounds` uses.
 * With --sentinel-every k, a fixed cell is measured every k cells and each result is divided by the device speed
 * drift it traces (host/orchestrator/driftCorrection.ts), as `zeronas lut --sentinel-every` does for kernels.
 * Resumable: measurements live in the run folder's store.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { LutCostModel } from '../../host/cost/costModel.js';
import { loadLookupTable } from '../../host/cost/lookupTable.js';
import { spearman } from '../../host/stats/rank.js';
import { initWeights, mulberry32 } from '../../host/ir/init.js';
import { exportInference } from '../../host/onnx/exportInference.js';
import { waitForAgents } from '../../host/orchestrator/fleet.js';
import { startLocalAgent } from '../../host/orchestrator/localAgent.js';
import { measureModelsInRounds } from '../../host/orchestrator/measureJobs.js';
import { ensureRunDir } from '../../host/run/runFolder.js';
import { Scheduler } from '../../host/orchestrator/scheduler.js';
import { HostServer } from '../../host/orchestrator/server.js';
import { Store } from '../../host/orchestrator/store.js';
import { loadOrCreateToken } from '../../host/orchestrator/token.js';
import { sampleNb201 } from '../../host/cli/archSelection.js';
import { buildNb201Network, isNb201Disconnected, parseNb201 } from '../../host/spaces/nb201.js';
import { option } from '../scriptArgs.js';

const lutPath = option('lut', 'devices/local/luts/nb201-cifar10.json');
const cells = Number(option('cells', '200'));
const train = Number(option('train', '25'));
const minTimeMs = Number(option('min-time-ms', '300'));
const seed = Number(option('seed', '0'));
const rounds = Number(option('rounds', '1'));
const sentinelEvery = Number(option('sentinel-every', '0'));
const runDir = ensureRunDir(option('run-dir', 'runs/bench/lut-accuracy'));
if (!existsSync(lutPath)) throw new Error(`no lookup table at ${lutPath}: run 'zeronas lut --target local' first`);
const lut = await loadLookupTable(lutPath);

const archs = sampleNb201(cells * 2, seed).filter((a) => !isNb201Disconnected(parseNb201(a))).slice(0, cells);
const store = new Store(join(runDir, 'store.sqlite'));
const scheduler = new Scheduler(store, { leaseMs: 180_000, backoffBaseMs: 1_000, backoffMaxMs: 30_000 });
scheduler.resetAllLeases();
const { token } = loadOrCreateToken();
const server = new HostServer({ host: '127.0.0.1', port: 0, token, store, scheduler });
await server.start();
const agent = startLocalAgent(`${server.url}/agent`, token, () => undefined);
const passes: Map<string, number>[] = [];
try {
  await waitForAgents(server, ['local'], 60_000, console.error);
  server.setTargets(['local']);
  const models = archs.map((arch) => {
    const g = buildNb201Network(arch);
    return { label: arch, bytes: exportInference(g, initWeights(g, 0), { batch: 1, foldBatchNorm: true }), inputs: [{ name: 'input', dims: [1, 3, 32, 32], dtype: 'float32' as const }] };
  });
  const sentinelArch = '|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|';
  const sg = buildNb201Network(sentinelArch);
  const sentinel = { label: sentinelArch, bytes: exportInference(sg, initWeights(sg, 0), { batch: 1, foldBatchNorm: true }), inputs: models[0]!.inputs };
  for (const pass of [1, 2]) {
    const { medianMs } = await measureModelsInRounds(store, scheduler, models, {
      runId: `pass${pass}`,
      rounds,
      seed: pass,
      ...(sentinelEvery > 0 ? { sentinel: { model: sentinel, every: sentinelEvery } } : {}),
      target: 'local',
      kind: 'measure',
      // Short, cool-down-free settings: 400 measurements must fit in minutes; both passes use the same ones.
      settings: { minTotalMs: minTimeMs, minRuns: 30, warmupRuns: 5, warmupMinMs: 100, cooldownMs: 0, energy: 'off' },
      progress: (d, t) => process.stderr.write(`\rpass ${pass}: ${d}/${t}`),
    });
    process.stderr.write('\n');
    passes.push(medianMs);
  }
} finally {
  await agent.stop();
  await server.close();
  store.close();
}
const within = (a: number, b: number): boolean => Math.abs(a - b) / b <= 0.1;
const common = archs.filter((a) => passes[0]!.has(a) && passes[1]!.has(a));
const ceiling = common.filter((a) => within(passes[0]!.get(a)!, passes[1]!.get(a)!)).length / common.length;
/** One train/test split: fit the table model on `train` cells of pass 1, predict the rest. */
function evaluateSplit(splitSeed: number): { model: LutCostModel; test: number; vs: { within10: number; spearman: number }[] } {
  const order = [...common];
  const rand = mulberry32(splitSeed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const testSet = order.slice(train);
  const model = new LutCostModel(lut);
  model.fit(order.slice(0, train).map((a) => ({ graph: buildNb201Network(a), value: passes[0]!.get(a)! })));
  const preds = testSet.map((a) => model.predict(buildNb201Network(a)).value);
  const vs = [0, 1].map((p) => ({
    within10: testSet.filter((a, i) => within(preds[i]!, passes[p]!.get(a)!)).length / testSet.length,
    spearman: spearman(preds, testSet.map((a) => passes[p]!.get(a)!)),
  }));
  return { model, test: testSet.length, vs };
}
const splits = Number(option('splits', '20'));
const first = evaluateSplit(seed + 7);
const model = first.model;
const others = Array.from({ length: splits }, (_, k) => evaluateSplit(seed + 7 + k).vs[1]!.within10);
const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
console.log(`cells measured twice (${rounds} round(s) per pass${sentinelEvery > 0 ? `, drift sentinel every ${sentinelEvery}` : ''}): ${common.length}; repeatability ceiling (pass 1 vs pass 2 within ±10%): ${pct(ceiling)}, Spearman ${spearman(common.map((a) => passes[0]!.get(a)!), common.map((a) => passes[1]!.get(a)!)).toFixed(3)}`);
console.log(`table model with its cross-validated correction (LutCostModel), fitted on ${train} cells of pass 1, predicting the other ${first.test}:`);
console.log(`  vs pass 2: within ±10% ${pct(first.vs[1]!.within10)}, Spearman ${first.vs[1]!.spearman.toFixed(3)}   (${((ceiling - first.vs[1]!.within10) * 100).toFixed(1)} points under the ceiling)`);
console.log(`  vs pass 1: within ±10% ${pct(first.vs[0]!.within10)}, Spearman ${first.vs[0]!.spearman.toFixed(3)}`);
console.log(`  over ${splits} random splits, vs pass 2: within ±10% mean ${pct(others.reduce((x, y) => x + y, 0) / splits)}, min ${pct(Math.min(...others))}, max ${pct(Math.max(...others))}`);
console.log(`  model: ${JSON.stringify(model.describe())}`);
