import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCsv } from '../../host/util/csv.js';
import { runCli } from '../helpers/runCli.js';

const TYPICAL = '|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|';

describe('zeronas score', () => {
  it('--json prints [{arch, scores: {zico, params}}] for one architecture', async () => {
    const r = await runCli(['score', '--arch', TYPICAL, '--proxies', 'zico,params', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toHaveLength(1);
    expect(out[0].arch).toBe(TYPICAL);
    expect(out[0].scores.params).toBe(802426);
    expect(out[0].scores.zico).toBeGreaterThan(100);
  });

  it('--workers 2 writes every row once, and a rerun with the same --out scores nothing again', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'zeronas-score-')), 'scores.csv');
    const first = await runCli(['score', '--sample', '6', '--seed', '3', '--proxies', 'params,flops', '--out', out, '--workers', '2']);
    expect(first.code, first.stderr).toBe(0);
    const rows = readCsv(readFileSync(out, 'utf8'));
    expect(rows).toHaveLength(6);
    expect(new Set(rows.map((r) => r.arch)).size).toBe(6);
    const again = await runCli(['score', '--sample', '6', '--seed', '3', '--proxies', 'params,flops', '--out', out]);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('0 scored, 6 already in');
    expect(readCsv(readFileSync(out, 'utf8'))).toHaveLength(6);
  });

  it('--space flash and idw: the space’s own architectures, its scoring graph, and a proxy that needs NB201 says so', async () => {
    const { openSpace } = await import('../../host/spaces/index.js');
    const small = 'FLASH(d=2,3,2;w=8,16,16;t=0,8,0)';
    const one = await runCli(['score', '--space', 'flash', '--arch', small, '--proxies', 'az_expressivity,swap,params,meco', '--json']);
    expect(one.code, one.stderr).toBe(0);
    const [row] = JSON.parse(one.stdout) as { arch: string; scores: Record<string, number | null>; errors: Record<string, string> }[];
    expect(row!.arch).toBe(small);
    const flash = openSpace('flash');
    expect(row!.scores.params).toBe(flash.space.metrics(flash.space.parse(small)).params);
    expect(row!.scores.az_expressivity).toBeGreaterThan(0);
    expect(row!.scores.swap).toBeGreaterThan(0);
    expect(row!.scores.meco).toBeNull();
    expect(row!.errors.meco).toContain('only nb201 graphs record it');

    // --workers children score the same space; the sample is the space's own, seeded and distinct.
    const out = join(mkdtempSync(join(tmpdir(), 'zeronas-score-idw-')), 'idw.csv');
    const idw = await runCli(['score', '--space', 'idw', '--sample', '4', '--seed', '2', '--proxies', 'params,flops', '--out', out, '--workers', '2']);
    expect(idw.code, idw.stderr).toBe(0);
    const rows = readCsv(readFileSync(out, 'utf8'));
    expect(new Set(rows.map((r) => r.arch)).size).toBe(4);
    // Scored on the space's scoring graph (IDW: without residual links, as ZiCo scores), not the device graph.
    const { analyticMetrics } = await import('../../host/metrics/analytic.js');
    const idwSpace = openSpace('idw');
    for (const r of rows) expect(Number(r.params)).toBe(analyticMetrics(idwSpace.scoringGraph(idwSpace.space.parse(r.arch!))).params);
  });

  it('a combination or alias writes its members (az_nas: the three AZ-NAS scores and flops), saying so', async () => {
    const r = await runCli(['score', '--arch', TYPICAL, '--proxies', 'params+flops,az_nas', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const [row] = JSON.parse(r.stdout) as { scores: Record<string, number> }[];
    expect(Object.keys(row!.scores)).toEqual(['params', 'flops', 'az_expressivity', 'az_progressivity', 'az_trainability']);
    const text = await runCli(['score', '--arch', TYPICAL, '--proxies', 'params+flops']);
    expect(text.stderr).toContain('params+flops: a rank over a set of architectures; writing the members (params, flops)');
  });

  it('an unknown proxy is refused and named', async () => {
    const r = await runCli(['score', '--arch', TYPICAL, '--proxies', 'zicco']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("unknown proxy 'zicco'");
  });

  it('bad numbers and a missing --data file are refused by their flag, even when every proxy is data-free', async () => {
    for (const [flag, value] of [['--workers', '0'], ['--workers', '-1'], ['--batches', '0'], ['--batch-size', '0']]) {
      const r = await runCli(['score', '--arch', TYPICAL, '--proxies', 'params', flag!, value!]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`ZN_BAD_ARGUMENT: ${flag} must be a positive integer, got ${value}`);
    }
    const data = await runCli(['score', '--arch', TYPICAL, '--proxies', 'params', '--data', '/nonexistent-zeronas-data']);
    expect(data.stderr).toContain("ZN_IO: --data '/nonexistent-zeronas-data' does not exist");
  });
});
