/**
 * Benchmarks the closed loop (host/workflows/closedLoop.ts) against published truth: NAS-Bench-201 on REPLAYED
 * devices (HW-NAS-Bench latency columns, answered exactly as `zeronas-agent --replay` answers: agent/replay/), for
 * several seeds and algorithms, and compares each run with the same search given perfect cost knowledge (the table
 * itself as the cost function; the loop's `oracle`). Everything printed is labelled REPLAY: no device was timed.
 *
 * Per seed and algorithm it prints the returned cell, its latency in the table (truth) against the budget, its
 * CIFAR-10 test accuracy, and the perfect-knowledge pick's; then the means, the feasibility count and the learning
 * curve (per round: MAPE, share within ±10% and Spearman against truth over every cell the search scored, of the
 * model the round used).
 *
 *   npx tsx scripts/bench/closedLoopReplay.ts --seeds 0-9 --algos sample,evolution --proxy zico+params \
 *     --targets raspi4 --max-scored 500 --measure 40 [--noise] [--json out.json]
 *   npx tsx scripts/bench/closedLoopReplay.ts --seeds 0-9 --algos sample --targets raspi4,pixel3
 *
 * With --prior <file|hwnasbench>, round 0 measures the architectures the fleet prior chooses (host/cost/prior/), with
 * every replayed device left out of the prior, instead of a FLOPs spread.
 *
 * Proxy scores are cached in --score-cache (SQLite, default runs/bench/replay-score-cache.sqlite) with proxy seed 0
 * for every search seed, so reruns and the perfect-knowledge baseline score nothing twice.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { loadReplayTable, replayAnswer, type ReplayTable } from '../../agent/replay/index.js';
import type { Budget } from '../../host/budgets/budget.js';
import { median } from '../../host/cost/regression.js';
import { predictionErrors, TargetCostModel, type TargetModelSnapshot } from '../../host/cost/targetCostModel.js';
import { cachedProxyScorer } from '../../host/orchestrator/proxyScoring.js';
import { Store } from '../../host/orchestrator/store.js';
import { aggregationFor, parseProxyList } from '../../host/proxies/ensemble.js';
import { createProxyComputer } from '../../host/proxies/scoreArchitecture.js';
import type { SearchAlgo } from '../../host/search/index.js';
import { openSpace } from '../../host/spaces/index.js';
import { HWNASBENCH_PRIOR_PATH, loadFleetPrior } from '../../host/cost/prior/priorFile.js';
import { selectMeasurements } from '../../host/cost/prior/selectMeasurements.js';
import { readCsv } from '../../host/util/csv.js';
import { runClosedLoop, type ClosedLoopResult, type LoopTarget, type MeasuredCost } from '../../host/workflows/closedLoop.js';

const HW = resolve('../shared/data/hw/hwnasbench_nb201.csv');
const ACC = resolve('../shared/data/nb201/nb201_accuracy.csv');

function arg(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const flag = (name: string): boolean => process.argv.includes(`--${name}`);
function seedList(text: string): number[] {
  return text.split(',').flatMap((part) => {
    const m = /^(\d+)-(\d+)$/.exec(part);
    if (!m) return [Number(part)];
    return Array.from({ length: Number(m[2]) - Number(m[1]) + 1 }, (_, i) => Number(m[1]) + i);
  });
}

if (flag('help') || flag('h')) {
  // The usage is this file's header comment.
  const header = /\/\*\*([\s\S]*?)\*\//.exec(readFileSync(new URL(import.meta.url), 'utf8'))![1]!;
  process.stdout.write(`${header.replace(/^ \* ?/gm, '').trim()}\n`);
  process.exit(0);
}

const seeds = seedList(arg('seeds', '0-9')!);
const algos = arg('algos', 'sample,evolution')!.split(',') as SearchAlgo[];
const proxy = arg('proxy', 'zico+params')!;
const devices = arg('targets', 'raspi4')!.split(',');
const maxScored = Number(arg('max-scored', '500'));
const measure = Number(arg('measure', '40'));
const rounds = Number(arg('rounds', '4'));
const isNoisy = flag('noise');
const cachePath = resolve(arg('score-cache', 'runs/bench/replay-score-cache.sqlite')!);
const jsonOut = arg('json');
const priorArg = arg('prior');

const accuracy = new Map(readCsv(readFileSync(ACC, 'utf8')).map((r) => [r.arch_str!, Number(r.cifar10_test_acc)]));
const tables = new Map<string, ReplayTable>();
const budgets = new Map<string, Budget>();
for (const d of devices) {
  const column = `cifar10_${d}_latency`;
  const table = loadReplayTable(HW, { column, ...(isNoisy ? { noiseColumn: `cifar100_${d}_latency` } : {}) });
  tables.set(d, table);
  const max = median([...table.latency.values.values()]);
  budgets.set(d, { target: d, metric: 'latency', max, text: `${d}:latency<=${max.toFixed(2)}ms` });
}

mkdirSync(dirname(cachePath), { recursive: true });
const store = new Store(cachePath);
const proxies = parseProxyList(proxy);
const scorers = new Map<string, ReturnType<typeof cachedProxyScorer>>();
for (const p of proxies) {
  const c = await createProxyComputer(p, { batchSize: 64, batches: 2, seed: 0 });
  scorers.set(p, cachedProxyScorer(store, 'nb201', p, c.settingsKey, c.compute));
}
const entry = openSpace('nb201');
const fleetPrior = priorArg ? await loadFleetPrior(priorArg === 'hwnasbench' ? HWNASBENCH_PRIOR_PATH : resolve(priorArg)) : undefined;
/** Round 0 chosen by the prior, every replayed device excluded from it (they are the devices being learned). */
const firstRound = fleetPrior
  ? (candidates: readonly string[], count: number): string[] =>
      selectMeasurements(fleetPrior, candidates.map((a) => entry.deviceGraph(entry.space.parse(a))), count, { excludeDevices: devices }).map((i) => candidates[i]!)
  : undefined;

interface RunRow {
  seed: number;
  algo: SearchAlgo;
  kind: 'loop' | 'perfect';
  picks: Record<string, { arch: string | null; truthMs: number | null; meets: boolean; acc: number | null }>;
  common: { arch: string; acc: number | null; meetsAll: boolean } | null;
  scored: number;
  measured: Record<string, number>;
  rounds: number;
  learning: Record<string, { round: number; samples: number; mape: number | null; within10: number | null; spearman: number | null }[]>;
  seconds: number;
}

async function runOne(seed: number, algo: SearchAlgo, isPerfect: boolean): Promise<RunRow> {
  const t0 = performance.now();
  let job = 0;
  const targets: LoopTarget[] = devices.map((d) => ({
    id: d,
    budget: budgets.get(d)!,
    ...(isPerfect ? { oracle: (a: string) => tables.get(d)!.latency.values.get(a) } : {}),
  }));
  const snapshots = new Map<string, TargetModelSnapshot[]>();
  const result: ClosedLoopResult = await runClosedLoop({
    ...(firstRound ? { firstRound } : {}),
    space: entry,
    algo,
    proxies,
    aggregate: aggregationFor(proxy),
    score: (p, arch, graph) => scorers.get(p)!.score(entry.space.format(arch), graph()),
    targets,
    maxScored,
    measurePerTarget: measure,
    maxRounds: rounds,
    verifyRounds: 3,
    seed,
    measure: async (target, archs, kind) => {
      const out = new Map<string, MeasuredCost>();
      for (const a of archs) {
        // The same answer a `zeronas-agent --replay` process gives for this job (agent/replay/replayMeasurement.ts).
        const ans = replayAnswer(tables.get(target)!, a, `${seed}.${algo}.${kind}.${job++}`, seed);
        out.set(a, { latencyMs: ans.latencyMs, energyJ: null });
      }
      return out;
    },
    saveModel: (target, snap) => {
      (snapshots.get(target) ?? snapshots.set(target, []).get(target)!).push(snap);
      return '';
    },
  });
  const picks: RunRow['picks'] = {};
  for (const t of result.targets) {
    const arch = t.best?.arch ?? null;
    const truthMs = arch ? (tables.get(t.target)!.latency.values.get(arch) ?? null) : null;
    picks[t.target] = { arch, truthMs, meets: truthMs !== null && truthMs <= budgets.get(t.target)!.max, acc: arch ? (accuracy.get(arch) ?? null) : null };
  }
  const scoredArchs = result.candidates.map((c) => c.arch);
  const learning: RunRow['learning'] = {};
  for (const d of devices) {
    // Each round's model (refitted from its snapshot) against truth over every cell the search scored.
    learning[d] = (snapshots.get(d) ?? []).map((snap) => {
      const m = TargetCostModel.fromSnapshot(snap, (a) => entry.deviceGraph(entry.space.parse(a)));
      const e = predictionErrors(scoredArchs.map((a) => ({ predicted: m.predict(a)?.value ?? Number.NaN, measured: tables.get(d)!.latency.values.get(a) ?? Number.NaN })));
      return { round: snap.round, samples: snap.samples.length, mape: e.mapePercent, within10: e.within10, spearman: e.spearman };
    });
  }
  const c = result.commonFeasible[0];
  const common = c
    ? { arch: c.arch, acc: accuracy.get(c.arch) ?? null, meetsAll: devices.every((d) => (tables.get(d)!.latency.values.get(c.arch) ?? Infinity) <= budgets.get(d)!.max) }
    : null;
  return {
    seed,
    algo,
    kind: isPerfect ? 'perfect' : 'loop',
    picks,
    common,
    scored: result.scored,
    measured: Object.fromEntries(result.targets.map((t) => [t.target, t.measured.size])),
    rounds: result.rounds,
    learning,
    seconds: (performance.now() - t0) / 1000,
  };
}

const rows: RunRow[] = [];
console.log(`REPLAY benchmark: nb201, devices ${devices.join(', ')} replayed from ${HW}${isNoisy ? ' with CIFAR-100 vs CIFAR-10 noise' : ' (no noise)'}`);
console.log(`budgets ${[...budgets.values()].map((b) => b.text).join(', ')}; proxy ${proxy}; <= ${maxScored} scored, <= ${measure} measurements per target, <= ${rounds} rounds`);
const writeRows = (): void => {
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ isReplay: true, devices, budgets: [...budgets.values()], proxy, maxScored, measure, rounds, isNoisy, rows }, null, 2));
};
for (const seed of seeds) {
  for (const algo of algos) {
    const loop = await runOne(seed, algo, false);
    const perfect = await runOne(seed, algo, true);
    rows.push(loop, perfect);
    for (const d of devices) {
      const l = loop.picks[d]!;
      const p = perfect.picks[d]!;
      console.log(
        `${algo} seed ${seed} ${d}: loop ${l.arch ?? '-'} truth ${l.truthMs?.toFixed(2) ?? '-'} ms ${l.meets ? 'meets' : 'MISSES'} acc ${l.acc ?? '-'} | perfect acc ${p.acc ?? '-'} | ` +
          `scored ${loop.scored}, measured ${loop.measured[d]}, rounds ${loop.rounds}, ${loop.seconds.toFixed(0)} s`,
      );
    }
    if (devices.length > 1) console.log(`  common pick: ${loop.common ? `${loop.common.arch} acc ${loop.common.acc} ${loop.common.meetsAll ? 'meets every budget' : 'MISSES a budget'}` : 'none'}`);
    writeRows(); // partial results survive an interrupted run
  }
}

console.log('\nsummary (REPLAY)');
for (const algo of algos) {
  for (const d of devices) {
    const loops = rows.filter((r) => r.algo === algo && r.kind === 'loop');
    const perf = rows.filter((r) => r.algo === algo && r.kind === 'perfect');
    const meets = loops.filter((r) => r.picks[d]!.meets).length;
    const mean = (xs: (number | null)[]): number => {
      const v = xs.filter((x): x is number => x !== null);
      return v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);
    };
    const lAcc = mean(loops.map((r) => r.picks[d]!.acc));
    const pAcc = mean(perf.map((r) => r.picks[d]!.acc));
    const diffs = loops.map((r, i) => (r.picks[d]!.acc ?? NaN) - (perf[i]!.picks[d]!.acc ?? NaN)).filter(Number.isFinite);
    const sd = Math.sqrt(diffs.reduce((a, x) => a + (x - mean(diffs)) ** 2, 0) / Math.max(1, diffs.length - 1));
    console.log(`${algo} ${d}: budget met on truth ${meets}/${loops.length}; mean CIFAR-10 acc loop ${lAcc.toFixed(3)} vs perfect ${pAcc.toFixed(3)} (diff ${(lAcc - pAcc).toFixed(3)}, sd of per-seed diffs ${sd.toFixed(3)}); mean measurements ${mean(loops.map((r) => r.measured[d]!)).toFixed(1)}, mean scored ${mean(loops.map((r) => r.scored)).toFixed(0)}`);
    const byRound = new Map<number, { mape: number[]; w: number[]; rho: number[] }>();
    for (const r of loops) {
      for (const l of r.learning[d] ?? []) {
        const b = byRound.get(l.round) ?? byRound.set(l.round, { mape: [], w: [], rho: [] }).get(l.round)!;
        if (l.mape !== null) b.mape.push(l.mape);
        if (l.within10 !== null) b.w.push(l.within10);
        if (l.spearman !== null) b.rho.push(l.spearman);
      }
    }
    for (const [round, b] of [...byRound].sort((x, y) => x[0] - y[0])) {
      console.log(`  learning curve, model after round ${round}: MAPE ${mean(b.mape).toFixed(1)}%, within ±10% ${(100 * mean(b.w)).toFixed(0)}%, Spearman ${mean(b.rho).toFixed(3)} (vs truth over all scored cells, ${b.mape.length} runs)`);
    }
  }
}
if (jsonOut) {
  writeRows();
  console.log(`rows: ${jsonOut}`);
}
store.close();
process.exit(0);
