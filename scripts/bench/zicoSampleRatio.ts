/**
 * ZiCo time per architecture over a random sample of NAS-Bench-201 cells (issue 3), ours against the PyTorch
 * reference procedure, interleaved in blocks so that the machine's drift over minutes hits both alike:
 *   npx tsx scripts/bench/zicoSampleRatio.ts [--cells 100] [--block 20] [--seed 0] [--out runs/bench/zico-sample-ratio]
 * Cells: the first --cells of `zeronas score --sample 1000 --seed <seed>` (the acceptance sample for seed 0).
 * Per block: `zeronas score --proxies zico` (our CLI, which relaunches itself with host/util/mallocTuning.ts's
 * allocator settings), then scripts/bench/zico_reference_sample.py as PyTorch runs by default, then with the same
 * allocator settings. Each tool records seconds per cell (without process start-up); the script prints mean times
 * and their ratios, plus the median per-cell ratio, over all cells and over the warm ones (see below). The PyTorch cell times include building the nn.Module network with
 * default init; ours include graph, weights, export, session, runs and statistics.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCsv } from '../../host/util/csv.js';
import { MALLOC_TUNABLES, withoutMallocTuning } from '../../host/util/mallocTuning.js';
import { option } from '../scriptArgs.js';

const cells = Number(option('cells', '100'));
const block = Number(option('block', '20'));
const seed = option('seed', '0');
const out = option('out', 'runs/bench/zico-sample-ratio');
// A measurement is one run: earlier files would be resumed by `score` (old cells, old timings), so start clean.
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const bin = fileURLToPath(new URL('../../bin/zeronas.js', import.meta.url));
const reference = fileURLToPath(new URL('./zico_reference_sample.py', import.meta.url));

const run = (cmd: string, args: string[], env: NodeJS.ProcessEnv): void => {
  const res = spawnSync(cmd, args, { encoding: 'utf8', env });
  if (res.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${res.stderr || res.error?.message}`);
};
const seconds = (file: string, column: string): Map<string, number> =>
  new Map(readCsv(readFileSync(file, 'utf8')).map((r) => [r.arch!, Number(r[column])]));

// The sample: our own sampler, params only (instant), so the cells are exactly `bench proxies --sample`'s.
const sampleFile = join(out, 'sample.csv');
run(process.execPath, [bin, 'score', '--space', 'nb201', '--sample', '1000', '--seed', seed, '--proxies', 'params', '--out', sampleFile, '--quiet'], process.env);
const archs = readCsv(readFileSync(sampleFile, 'utf8')).map((r) => r.arch!).slice(0, cells);

const plain = withoutMallocTuning(process.env);
const variants = {
  ours: { file: join(out, 'ours.csv'), column: 'zico_seconds' },
  torchDefault: { file: join(out, 'torch-default.csv'), column: 'seconds' },
  torchTuned: { file: join(out, 'torch-tuned.csv'), column: 'seconds' },
};
for (let b = 0; b < archs.length; b += block) {
  const part = archs.slice(b, b + block);
  const list = join(out, `block-${b}.txt`);
  writeFileSync(list, `arch_str\n${part.join('\n')}\n`);
  run(process.execPath, [bin, 'score', '--space', 'nb201', '--archs', list, '--proxies', 'zico', '--seed', seed, '--out', variants.ours.file, '--quiet'], plain);
  run('/usr/bin/python3', [reference, list, variants.torchDefault.file], plain);
  run('/usr/bin/python3', [reference, list, variants.torchTuned.file], { ...plain, GLIBC_TUNABLES: MALLOC_TUNABLES });
  console.error(`${Math.min(b + block, archs.length)}/${archs.length} cells`);
}

const ours = seconds(variants.ours.file, variants.ours.column);
// Each block starts three fresh processes, whose first cell pays one-off costs (V8 compiling our exporter, oneDNN and
// allocator set-up in PyTorch; measured up to 2x a warm cell on both sides). Figures are given over all cells and
// over the warm ones (every block's first cell left out of both sides).
const warm = archs.filter((_, i) => i % block !== 0);
const mean = (m: Map<string, number>, cellsIn: string[]): number => cellsIn.reduce((acc, a) => acc + m.get(a)!, 0) / cellsIn.length;
console.log(`ZiCo over the first ${archs.length} cells of the seed-${seed} sample, batch 64, 2 batches, 2 threads, interleaved in blocks of ${block}`);
const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
for (const [what, cellsIn] of [[`all ${archs.length} cells`, archs], [`${warm.length} warm cells (each block's first left out)`, warm]] as const) {
  console.log(`  ${what}:`);
  console.log(`    ours                                   ${mean(ours, cellsIn).toFixed(3)} s per cell`);
  for (const [label, key] of [
    ['PyTorch reference, default allocator', 'torchDefault'],
    ['PyTorch reference, same allocator settings', 'torchTuned'],
  ] as const) {
    const t = seconds(variants[key].file, variants[key].column);
    const ratios = cellsIn.map((a) => ours.get(a)! / t.get(a)!).sort((x, y) => x - y);
    console.log(
      `    ${label.padEnd(42)} ${mean(t, cellsIn).toFixed(3)} s per cell; ratio ours/PyTorch ${(mean(ours, cellsIn) / mean(t, cellsIn)).toFixed(2)} (per-cell median ${ratios[Math.floor(ratios.length / 2)]!.toFixed(2)})`,
    );
  }
}

// The ratio depends on what a cell holds: PyTorch's avg_pool2d backward (count_include_pad=False) is slow on CPU,
// while our fixed cost per architecture (export, session) weighs most on cells with few convs.
const tuned = seconds(variants.torchTuned.file, variants.torchTuned.column);
console.log('  per-cell ratio ours/PyTorch (same allocator settings) by the number of avg_pool_3x3 edges in the cell:');
for (let k = 0; k <= 6; k++) {
  const group = archs.filter((a) => (a.match(/avg_pool_3x3/g) ?? []).length === k);
  if (group.length) console.log(`    ${k}: ${String(group.length).padStart(3)} cells, median ${median(group.map((a) => ours.get(a)! / tuned.get(a)!)).toFixed(2)}`);
}
