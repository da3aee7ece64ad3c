import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { runCli } from '../helpers/runCli.js';

const TYPICAL = '|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|';
const ALL_CONV = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|';

describe('zeronas CLI (info, export)', () => {
  it('--help lists the commands', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('zeronas info');
    expect(r.stdout).toContain('zeronas export');
  });

  it('info --json prints arch, params, macs (benchmark convention) and nnDegree', async () => {
    const r = await runCli(['info', '--space', 'nb201', '--arch', ALL_CONV, '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.arch).toBe(ALL_CONV);
    expect(out.params).toBe(1531546);
    expect(Math.abs(out.macs / 1e6 - 222.86)).toBeLessThan(0.01);
    expect(out.nnDegree).toBeGreaterThan(0);
    expect(out.weightedLayers).toBe(98);
  });

  it('info rejects an out-of-range node index, names the token and exits non-zero', async () => {
    const r = await runCli(['info', '--arch', '|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~3|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ZN_BAD_ARCH_STRING');
    expect(r.stderr).toContain("'avg_pool_3x3~3'");
  });

  it('info --json reports errors as {code, message, details}', async () => {
    const r = await runCli(['info', '--arch', '|bogus~0|+|none~0|none~1|+|none~0|none~1|none~2|', '--json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.code).toBe('ZN_BAD_ARCH_STRING');
    expect(out.details.token).toBe('bogus');
  });

  it('export writes an ONNX model that onnxruntime-node runs (fixed batch, folded BN)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zeronas-export-'));
    const out = join(dir, 'm.onnx');
    const r = await runCli(['export', '--arch', TYPICAL, '--out', out, '--batch', '2', '--fold-bn', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const meta = JSON.parse(r.stdout);
    expect(meta.sha256).toMatch(/^[0-9a-f]{64}$/);
    const session = await ort.InferenceSession.create(readFileSync(out));
    expect(session.inputNames).toEqual(['input']);
    const x = new ort.Tensor('float32', new Float32Array(2 * 3 * 32 * 32).fill(0.5), [2, 3, 32, 32]);
    const y = (await session.run({ input: x })).logits!;
    expect(y.dims).toEqual([2, 10]);
    expect(Array.from(y.data as Float32Array).every(Number.isFinite)).toBe(true);
  });

  it('unknown command is a usage error (exit 2), printed as CODE: message like every other error', async () => {
    const r = await runCli(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^ZN_USAGE: /m);
    const none = await runCli([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('ZN_USAGE: Name a command (zeronas --help lists them).');
  });

  it('a number option without a value or with a non-number is refused, not run with its default; help names the command', async () => {
    const bare = await runCli(['search', '--max-scored']);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('ZN_USAGE: --max-scored needs a value');
    expect(bare.stderr).toContain("Run 'zeronas search --help' for usage.");
    const word = await runCli(['score', '--sample', 'abc', '--json']);
    expect(word.code).toBe(2);
    expect(JSON.parse(word.stdout)).toEqual({ code: 'ZN_USAGE', message: "--sample needs a number, got 'abc'" });
    const nested = await runCli(['bench', 'costmodel', '--repeats=x', '--truth', 't.csv', '--train', '10']);
    expect(nested.stderr).toContain("--repeats needs a number, got 'x'");
    expect(nested.stderr).toContain("Run 'zeronas bench costmodel --help' for usage.");
    // a bare string or list option parsed as '' / [] (orchestrate ran without its prior)
    const prior = await runCli(['orchestrate', '--targets', 'local', '--prior', '--port', '0']);
    expect(prior.code).toBe(2);
    expect(prior.stderr).toContain('ZN_USAGE: --prior needs a value');
    const from = await runCli(['costmodel', 'prior', '--from', '--out', 'x.json']);
    expect(from.stderr).toContain('ZN_USAGE: --from needs a value');
  });

  it('a misspelt option is named even when a required one is missing too (yargs reports the missing one first)', async () => {
    const r = await runCli(['agent-bundle', '--ach', 'x64']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ZN_USAGE: Unknown argument: ach (and missing required argument: arch)');
  });

  it('costmodel prior names an --out it cannot write (no internal error)', async () => {
    const r = await runCli(['costmodel', 'prior', '--from', 'runs-that-do-not-exist', '--out', '/nonexistent-zeronas-dir/x.json']);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.stderr).toContain("ZN_IO: cannot write '/nonexistent-zeronas-dir/x.json': folder '/nonexistent-zeronas-dir' does not exist");
  });
});
