import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { openSpace } from '../../host/spaces/index.js';
import { runCli } from '../helpers/runCli.js';

const NB201 = '|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|';
const FLASH = 'FLASH(d=8,9,11;w=80,16,64;t=8,88,88)';
const IDW = 'SuperConvK3BNRELU(3,16,2,1)SuperResIDWE1K3(16,32,2,16,1)SuperConvK1BNRELU(32,64,1,1)';

describe('zeronas info / export on every registered space', () => {
  // What `search` reports for an architecture is its `metrics`: the space's own `metrics` (host/search/types.ts).
  for (const space of ['flash', 'idw'] as const) {
    it(`info --space ${space} --json gives the metrics search reports for the architecture it found`, async () => {
      const search = await runCli(['search', '--space', space, '--algo', 'sample', '--proxy', 'params', '--max-scored', '3', '--seed', '1', '--json']);
      expect(search.code, search.stderr).toBe(0);
      const found = JSON.parse(search.stdout) as { topScored: { arch: string; metrics: { params: number; flops: number; layers: number } }[] };
      expect(found.topScored.length).toBeGreaterThan(0);
      for (const { arch, metrics } of found.topScored) {
        const r = await runCli(['info', '--space', space, '--arch', arch, '--json']);
        expect(r.code, r.stderr).toBe(0);
        const out = JSON.parse(r.stdout);
        expect(out.arch).toBe(arch);
        expect(out.space).toBe(space);
        expect(out.spaceMetrics).toEqual(metrics);
        for (const key of ['params', 'macs', 'macsTextbook', 'activationBytes', 'weightedLayers', 'nnDegree']) {
          expect(Number.isFinite(out[key]) && out[key] > 0, `${key} = ${out[key]}`).toBe(true);
        }
        // FLASH counts parameters as the IR does; IDW follows ZenNAS's get_model_size, which differs (its own field).
        if (space === 'flash') expect(out.params).toBe(metrics.params);
      }
    });
  }

  it('info --space flash matches the registry in-process, and the text table says which space', async () => {
    const entry = openSpace('flash');
    const expected = entry.space.metrics(entry.space.parse(FLASH));
    const json = JSON.parse((await runCli(['info', '--space', 'flash', '--arch', FLASH, '--json'])).stdout);
    expect(json.spaceMetrics).toEqual(expected);
    expect(json.input).toEqual([3, 32, 32]);
    const text = await runCli(['info', '--space', 'flash', '--arch', FLASH]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain("flash (FLASH's DenseNet-type space");
    expect(text.stdout).toContain(`params ${expected.params.toLocaleString('en-US')}`);
  });

  it('info --space idw --resolution builds the device network at that input size', async () => {
    const r = await runCli(['info', '--space', 'idw', '--resolution', '64', '--arch', IDW, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.input).toEqual([3, 64, 64]);
    const entry = openSpace('idw', { resolution: 64 });
    expect(out.spaceMetrics).toEqual(entry.space.metrics(entry.space.parse(IDW)));
  });

  for (const [space, arch, extra, dims, classes] of [
    ['flash', FLASH, [], [1, 3, 32, 32], 10],
    ['idw', IDW, ['--resolution', '64'], [1, 3, 64, 64], 1000],
  ] as const) {
    it(`export --space ${space} writes an ONNX model onnxruntime-node runs on a ${dims.join('x')} input`, async () => {
      const dir = mkdtempSync(join(tmpdir(), `zeronas-export-${space}-`));
      const out = join(dir, 'm.onnx');
      const r = await runCli(['export', '--space', space, '--arch', arch, ...extra, '--out', out, '--batch', '1', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const meta = JSON.parse(r.stdout);
      expect(meta.arch).toBe(arch);
      expect(meta.space).toBe(space);
      expect(meta.input).toEqual(dims.slice(1));
      const session = await ort.InferenceSession.create(readFileSync(out));
      expect(session.inputNames).toEqual(['input']);
      const n = dims.reduce((a: number, b: number) => a * b, 1);
      const x = new ort.Tensor('float32', Float32Array.from({ length: n }, (_, i) => Math.sin(i)), [...dims]);
      const y = Object.values(await session.run({ input: x }))[0]!;
      expect(y.dims).toEqual([1, classes]);
      expect(Array.from(y.data as Float32Array).every(Number.isFinite)).toBe(true);
    });
  }

  it('a malformed arch names the string, the flag and the space, for each space', async () => {
    for (const [space, bad, named] of [
      ['nb201', '|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~3|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|', "'avg_pool_3x3~3'"],
      ['flash', 'FLASH(d=8,9;w=80,16,64;t=8,88,88)', "'FLASH(d=8,9;w=80,16,64;t=8,88,88)'"],
      ['idw', 'SuperConvK3BNRELU(3,16,2,1)Bogus(1)', "'SuperConvK3BNRELU(3,16,2,1)Bogus(1)'"],
    ] as const) {
      for (const command of [['info'], ['export', '--out', join(tmpdir(), 'never-written.onnx')]]) {
        const r = await runCli([...command, '--space', space, '--arch', bad]);
        expect(r.code, r.stderr).toBe(1);
        expect(r.stderr).toContain('ZN_BAD_ARCH_STRING');
        expect(r.stderr).toContain('--arch');
        expect(r.stderr).toContain(`${space} space`);
        expect(r.stderr).toContain(named);
      }
    }
  });

  it('nb201 network options name the flag: --cells 0 is refused as --cells, and options of another space are refused naming it and the space', async () => {
    const cells = await runCli(['info', '--arch', NB201, '--cells', '0']);
    expect(cells.code).toBe(1);
    expect(cells.stderr).toContain('ZN_BAD_ARGUMENT: --cells must be a positive integer, got 0');
    expect(cells.stderr).not.toContain('cellsPerStage');
    const flashCells = await runCli(['info', '--space', 'flash', '--arch', FLASH, '--cells', '3', '--json']);
    expect(flashCells.code).toBe(1);
    expect(JSON.parse(flashCells.stdout)).toMatchObject({ code: 'ZN_BAD_ARGUMENT', message: "--cells applies to the nb201 space only, not 'flash'" });
    const idwDataset = await runCli(['export', '--space', 'idw', '--arch', IDW, '--dataset', 'cifar100', '--out', join(tmpdir(), 'never-written.onnx')]);
    expect(idwDataset.code).toBe(1);
    expect(idwDataset.stderr).toContain("--dataset applies to the nb201 space only, not 'idw'");
    const nb201Resolution = await runCli(['info', '--arch', NB201, '--resolution', '64']);
    expect(nb201Resolution.code).toBe(1);
    expect(nb201Resolution.stderr).toContain("--resolution applies to the idw space only, not 'nb201'");
  });

  it('nb201 keeps its options and JSON shape: --dataset and --cells change the network, dataset is reported', async () => {
    const base = JSON.parse((await runCli(['info', '--arch', NB201, '--json'])).stdout);
    expect(base.dataset).toBe('cifar10');
    expect(base.space).toBe('nb201');
    const other = JSON.parse((await runCli(['info', '--arch', NB201, '--dataset', 'imagenet16', '--cells', '1', '--json'])).stdout);
    expect(other.dataset).toBe('imagenet16');
    expect(other.input).toEqual([3, 16, 16]);
    expect(other.params).toBeLessThan(base.params);
    const entry = openSpace('nb201', { dataset: 'imagenet16', cells: 1 });
    expect(other.spaceMetrics).toEqual(entry.space.metrics(entry.space.parse(NB201)));
  });
});
