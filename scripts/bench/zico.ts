/**
 * ZiCo speed per architecture (issue 3): our whole procedure (IR -> training graph -> onnxruntime session -> two
 * batches -> statistics) against PyTorch on the same machine in the same run, as a ratio (< 1: we are faster).
 *   npm run bench:zico -- [--reps 7] [--cells heaviest,typical,median[,convless]] [--threads 2] [--batch 64] [--no-torch]
 *                         [--breakdown] [--times] [--no-malloc-tuning]
 * Cells: the heaviest (all nor_conv_3x3, 220 M MACs), ENGINES.md's "typical" W2mix-like cell (82.5 M MACs, heavier
 * than most: about the 80th percentile of the space), and the median-MACs cell of the seed-0 acceptance sample
 * (52.5 M MACs; `zeronas bench proxies --sample 1000 --seed 0 --proxies flops`, sorted, position 500); on request
 * also a cell without convs (skip and none only), where the fixed cost per architecture is most of the time.
 * Two PyTorch procedures, each timed as it runs by default and with our allocator settings (they help PyTorch too):
 *  - "reference": the reference code's way, nn.Module TinyNetwork (scripts/golden/nb201_golden.py) built with default
 *    init, two batches with zero_grad and gradient copies, float32 NumPy statistics (zico_reference_sample.py);
 *  - "functional": the same procedure over our IR with torch.nn.functional (torch_reference.py).
 * Timing: this VM's speed drifts by 20-30 % over minutes, so the sides are not timed in blocks. Four persistent
 * PyTorch processes (scripts/bench/torch_zico_server.py, one per variant) and ours take turns, one call
 * each per round, for --reps rounds after two untimed warm-up calls per side (V8 compiles the exporter's hot code
 * over the first calls, as it has when `zeronas score` is a few cells in). Printed: each side's median, and the
 * median over rounds of the per-round ratio (the drift-free figure).
 * --times prints every timed call (ms, in round order).
 * Ours runs the two batches side by side in two worker processes, one thread each (host/proxies/trainingPool.ts);
 * ZERONAS_BATCH_WORKERS=0 times the one-process path (2-thread ops, batches one after the other) instead.
 * --breakdown also prints where the one-process path's time goes (median per phase): graph + weights,
 * training-graph export, ORT session creation, the two fwd+bwd runs, session release, ZiCo statistics.
 * Achieved GFLOP/s = 3 x 2 x MACs x batch x 2 batches / time (forward, input-gradient and weight-gradient passes).
 * Like `zeronas score`, the script relaunches itself with the glibc allocator settings of host/util/mallocTuning.ts.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { openDataset, selectBatches } from '../../host/data/index.js';
import { validateGraph } from '../../host/ir/graph.js';
import { analyticMetrics } from '../../host/metrics/analytic.js';
import { zicoProxy } from '../../host/proxies/zicoProxy.js';
import { initWeights } from '../../host/ir/init.js';
import { exportTraining } from '../../host/onnx/exportTraining.js';
import { layerWeights } from '../../host/proxies/proxyRun.js';
import { sharedTrainingPool } from '../../host/proxies/trainingPool.js';
import { TrainingSession } from '../../host/proxies/trainingSession.js';
import { nchwcBlockSize } from '../../host/proxies/nchwcSupport.js';
import { zico } from '../../host/proxies/math/zico.js';
import { buildNb201Network } from '../../host/spaces/nb201.js';
import { MALLOC_TUNABLES, relaunchWithMallocTuning, wantsMallocTuning, withoutMallocTuning } from '../../host/util/mallocTuning.js';
import { flag, option } from '../scriptArgs.js';

if (!flag('no-malloc-tuning') && wantsMallocTuning()) process.exit(await relaunchWithMallocTuning());
const tuned = process.env.GLIBC_TUNABLES === MALLOC_TUNABLES;
const reps = Number(option('reps', '7'));
const threads = option('threads', '2');
const batch = Number(option('batch', '64'));
process.env.ZERONAS_THREADS = threads;
const ALL_CELLS = {
  heaviest: '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|',
  typical: '|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|',
  median: '|nor_conv_1x1~0|+|none~0|nor_conv_3x3~1|+|none~0|nor_conv_1x1~1|skip_connect~2|',
  // The cheapest kind (no conv in any cell): what remains is the stem, the two residual blocks and the head.
  convless: '|skip_connect~0|+|none~0|skip_connect~1|+|none~0|none~1|skip_connect~2|',
};
const cellNames = option('cells', 'heaviest,typical,median').split(',');
for (const c of cellNames) if (!(c in ALL_CELLS)) throw new Error(`--cells: unknown cell '${c}' (known: ${Object.keys(ALL_CELLS).join(', ')})`);
const ARCHS = Object.fromEntries(cellNames.map((c) => [c, ALL_CELLS[c as keyof typeof ALL_CELLS]]));
const WARMUP = 2;
const batches = selectBatches(openDataset(), { batchSize: batch, batches: 2, seed: 'first' });
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const dir = mkdtempSync(join(tmpdir(), 'zeronas-bench-zico-'));

/** A torch_zico_server.py process: one request line in, one JSON line out. */
class TorchTimer {
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterator<string>;
  private stderr = '';
  constructor(env: NodeJS.ProcessEnv) {
    const script = fileURLToPath(new URL('./torch_zico_server.py', import.meta.url));
    this.proc = spawn('/usr/bin/python3', [script, '--batch', String(batch), '--threads', threads], { env });
    this.proc.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.lines = createInterface({ input: this.proc.stdout })[Symbol.asyncIterator]();
  }
  /** Milliseconds of one call, or why there is none. */
  async time(request: object): Promise<number | string> {
    if (this.proc.exitCode !== null || !this.proc.stdin.writable) return this.failure();
    this.proc.stdin.write(`${JSON.stringify(request)}\n`);
    const line = await this.lines.next();
    if (line.done) return this.failure();
    const reply = JSON.parse(line.value) as { ms?: number; error?: string };
    return reply.ms ?? reply.error ?? 'no answer';
  }
  private failure(): string {
    return this.stderr.split('\n').filter(Boolean).at(-1) ?? 'python3 with torch did not start';
  }
  close(): void {
    this.proc.stdin.end();
  }
}

/** Our procedure once on fresh weights, in ms. */
async function oursOnce(arch: string, seed: number): Promise<number> {
  const t0 = performance.now();
  const res = await zicoProxy.score({ graph: buildNb201Network(arch), batches, seed });
  if (!res.ok) throw new Error(res.reason);
  return performance.now() - t0;
}

console.log(
  `ZiCo per architecture: batch ${batch}, 2 batches, ${threads} threads; ${flag('no-torch') ? `median of ${reps}` : `${reps} rounds, ours and each PyTorch variant once per round`}, after ${WARMUP} warm-up calls each; our allocator settings ${tuned ? 'on' : 'off'}`,
);
const variants = [
  { what: 'reference', allocator: 'default' },
  { what: 'reference', allocator: 'same settings' },
  { what: 'functional', allocator: 'default' },
  { what: 'functional', allocator: 'same settings' },
] as const;
// One process per variant: a process that alternates both procedures under the default allocator ran the
// functional one 2x slower than a process of its own did (heap state), which is not what either costs.
const timers = flag('no-torch')
  ? []
  : variants.map((v) => new TorchTimer(v.allocator === 'default' ? withoutMallocTuning(process.env) : { ...withoutMallocTuning(process.env), GLIBC_TUNABLES: MALLOC_TUNABLES }));
for (const [label, arch] of Object.entries(ARCHS)) {
  const graph = buildNb201Network(arch);
  const macs = analyticMetrics(graph).macsTextbook;
  const model = join(dir, `${label}.json`);
  writeFileSync(model, JSON.stringify({ graph, shapes: Object.fromEntries(validateGraph(graph).shapes) }));
  const request = (what: 'reference' | 'functional'): object => (what === 'reference' ? { procedure: what, arch } : { procedure: what, model });
  const torchCalls = timers.map((timer, i) => () => timer.time(request(variants[i]!.what)));
  const ours: number[] = [];
  const torch: (number | string)[][] = variants.map(() => []);
  for (let r = -WARMUP; r < reps; r++) {
    const t = await oursOnce(arch, r + WARMUP);
    if (r >= 0) ours.push(t);
    for (const [i, call] of torchCalls.entries()) {
      const ms = await call();
      if (r >= 0) torch[i]!.push(ms);
    }
  }
  const ms = median(ours);
  const gflops = (3 * 2 * macs * batch * 2) / (ms / 1000) / 1e9;
  const lines = [`${label.padEnd(9)} ${arch}`, `          ours ${ms.toFixed(0)} ms (${gflops.toFixed(1)} GFLOP/s)`];
  if (!timers.length) lines.push('          PyTorch: skipped');
  variants.forEach((v, i) => {
    if (!timers.length) return;
    const times = torch[i]!;
    const failed = times.find((t) => typeof t === 'string');
    const text =
      failed !== undefined
        ? `unavailable (${failed})`
        : `${median(times as number[]).toFixed(0)} ms; ratio ${(ms / median(times as number[])).toFixed(2)}, per round ${median(ours.map((o, k) => o / (times[k] as number))).toFixed(2)}`;
    lines.push(`          PyTorch ${v.what.padEnd(10)} ${(v.allocator + ' allocator').padEnd(24)} ${text}`);
  });
  if (flag('times')) {
    const fmt = (xs: (number | string)[]): string => xs.map((x) => (typeof x === 'number' ? x.toFixed(0) : '?')).join(' ');
    lines.push(`          times: ours ${fmt(ours)}`, ...variants.map((v, i) => (timers.length ? `                 ${v.what} ${v.allocator}: ${fmt(torch[i]!)}` : '')).filter(Boolean));
  }
  console.log(lines.join('\n'));
}
timers.forEach((t) => t.close());

/**
 * The zicoProxy path split into phases, timed separately (same calls, same order). With batch workers (the
 * default): graph + weights, export, then per worker (the slower of the two) model read + session creation, its
 * run, output write + session release, and in this process the messaging and output-reading overhead, statistics.
 * With ZERONAS_BATCH_WORKERS=0, the one-process path: session creation, run 1, run 2, release.
 */
async function breakdown(arch: string): Promise<string> {
  const pooled = process.env.ZERONAS_BATCH_WORKERS !== '0';
  const phases = pooled
    ? ['graph+init', 'export', 'open (max)', 'run (max)', 'write+release (max)', 'messaging+read', 'statistics']
    : ['graph+init', 'export', 'session', 'run 1', 'run 2', 'release', 'statistics'];
  const times: number[][] = phases.map(() => []);
  const feeds = batches.map((b) => ({ input: b.images, labels: b.labels }));
  for (let r = 0; r < reps; r++) {
    const t = [performance.now()];
    const graph = buildNb201Network(arch);
    const weights = initWeights(graph, r, 'pytorch-default');
    t.push(performance.now());
    const model = exportTraining(graph, weights, { batch, objective: 'crossEntropy', paramGrads: 'weights', bnStats: false, nchwcBlock: await nchwcBlockSize() });
    t.push(performance.now());
    const layers = layerWeights(graph);
    let steps;
    if (pooled) {
      const pool = sharedTrainingPool();
      steps = await pool.runBatches(model, feeds, 2, Math.max(1, Math.floor(Number(threads) / 2)));
      const w = pool.lastTimings;
      const max = (f: (x: (typeof w)[number]) => number): number => Math.max(...w.map(f));
      const parts = [max((x) => x.open), max((x) => x.runs.reduce((a, b) => a + b, 0)), max((x) => x.write + x.release)];
      const inPool = performance.now() - t.at(-1)!;
      for (const p of parts) t.push(t.at(-1)! + p);
      t.push(t[2]! + inPool);
    } else {
      const session = await TrainingSession.create(model, { intraOpNumThreads: Number(threads) });
      t.push(performance.now());
      steps = [];
      for (const f of feeds) {
        steps.push(await session.run(f));
        t.push(performance.now());
      }
      await session.dispose();
      t.push(performance.now());
    }
    zico(layers.map((l) => ({ name: l.name, batches: steps.map((s) => s.grads.get(l.name)!) })));
    t.push(performance.now());
    phases.forEach((_, i) => times[i]!.push(t[i + 1]! - t[i]!));
  }
  return phases.map((p, i) => `${p} ${median(times[i]!).toFixed(0)}`).join(', ');
}
if (flag('breakdown')) {
  for (const [label, arch] of Object.entries(ARCHS)) console.log(`${label.padEnd(9)} breakdown (ms, median of ${reps}): ${await breakdown(arch)}`);
}
