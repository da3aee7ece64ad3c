/**
 * `zeronas bench proxies`: rank correlation of proxies (and a combination) with ground truth, seconds per architecture
 * and the ratio to ZiCo's, from a score cache that a rerun reuses.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/runCli.js';

const TRUTH = join(import.meta.dirname, '../../../shared/data/nb201/nb201_accuracy.csv');

interface ProxyRow {
  n: number;
  failed: number;
  spearman: number;
  spearmanCI: [number, number];
  secondsPerArch: number;
  secondsVsZico: number;
}

describe('zeronas bench proxies', () => {
  it('prints Spearman with its interval for each proxy and combination, seconds against ZiCo, and reuses its cache', async () => {
    const cache = join(mkdtempSync(join(tmpdir(), 'zeronas-bench-proxies-')), 'scores.csv');
    const args = [
      'bench',
      'proxies',
      '--sample',
      '5',
      '--seed',
      '4',
      '--truth',
      TRUTH,
      '--proxies',
      'params+flops,zico,params',
      '--cache',
      cache,
      '--resamples',
      '200',
      '--json',
    ];
    const first = await runCli(args, { timeoutMs: 240_000 });
    expect(first.code, first.stderr).toBe(0);
    const out = JSON.parse(first.stdout) as { n: number; proxies: Record<string, ProxyRow> };
    expect(out.n).toBe(5);
    expect(Object.keys(out.proxies)).toEqual(['params+flops', 'zico', 'params']);
    for (const row of Object.values(out.proxies)) {
      expect(row.n + row.failed).toBe(5);
      expect(row.spearmanCI[0]).toBeLessThanOrEqual(row.spearman);
      expect(row.spearmanCI[1]).toBeGreaterThanOrEqual(row.spearman);
    }
    const zico = out.proxies.zico!;
    expect(zico.secondsPerArch).toBeGreaterThan(0);
    expect(zico.secondsVsZico).toBe(1);
    // A combination's time is the sum of its parts'; every ratio is against ZiCo's time on the same rows.
    const csv = readFileSync(cache, 'utf8').trim().split('\n');
    expect(csv).toHaveLength(6);
    for (const p of ['params+flops', 'params'])
      expect(out.proxies[p]!.secondsVsZico).toBeCloseTo(out.proxies[p]!.secondsPerArch / zico.secondsPerArch, 12);

    const again = await runCli(args, { timeoutMs: 120_000 });
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual(out); // every score from the cache: nothing rescored, nothing changed
  });

  it('checks --truth and --column before scoring anything', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zeronas-bench-truth-'));
    const cache = join(dir, 'scores.csv');
    const missing = await runCli(['bench', 'proxies', '--sample', '3', '--truth', join(dir, 'nope.csv'), '--proxies', 'zico', '--cache', cache]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`ZN_IO: cannot read --truth '${join(dir, 'nope.csv')}'`);
    const column = await runCli(['bench', 'proxies', '--sample', '3', '--truth', TRUTH, '--column', 'cifar11_test_acc', '--proxies', 'zico', '--cache', cache]);
    expect(column.code).toBe(1);
    expect(column.stderr).toContain("--column 'cifar11_test_acc' is not in");
    expect(existsSync(cache)).toBe(false); // nothing was scored
  });
});
