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

  it('an unknown proxy is refused and named', async () => {
    const r = await runCli(['score', '--arch', TYPICAL, '--proxies', 'zicco']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("unknown proxy 'zicco'");
  });
});
