import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/runCli.js';

describe('zeronas search', () => {
  it('evolution that can reach nothing within the budget from its start says so, naming the start and the way out', async () => {
    const r = await runCli(['search', '--space', 'flash', '--algo', 'evolution', '--proxy', 'params', '--budget', 'params<=1.5M', '--max-scored', '10', '--iterations', '50', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).scored).toBe(0);
    expect(r.stderr).toMatch(/warning: nothing was scored.*start architecture \(FLASH\(d=8,8,8;w=32,64,128;t=8,16,40\)\).*--algo sample or --algo nsga2/);
  });

  it('--report writes a self-contained HTML page: the best, a chart per target (predicted costs, labelled so) and by size', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zeronas-search-report-'));
    const report = join(dir, 'search.html');
    const hw = join(import.meta.dirname, '../../../shared/data/hw/hwnasbench_nb201.csv');
    const r = await runCli(['search', '--space', 'nb201', '--algo', 'sample', '--proxy', 'params', '--max-scored', '60', '--seed', '2', '--cost', `raspi4=table:${hw}:cifar10_raspi4_latency`, '--budget', 'raspi4:latency<=25ms', '--report', report, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { best: { arch: string }; reportPath: string };
    expect(out.reportPath).toBe(report);
    const html = readFileSync(report, 'utf8');
    expect(html).toContain(`<code class="arch" id="best-arch">${out.best.arch}</code>`);
    expect(html).toMatch(/<svg[^>]*id="search-raspi4"/);
    expect(html).toMatch(/<svg[^>]*id="search-params"/);
    expect(html.match(/class="point feasible"/g)!.length).toBeGreaterThanOrEqual(60); // every scored cell, on both charts
    expect(html).toContain('Costs are <b>predictions</b>');
    expect(html).not.toMatch(/<script/); // nothing to run: a page to read offline
  });

  it('--algo sample --proxy params+nn_degree: scores exactly --max-scored cells within budget, combined by rank', async () => {
    const r = await runCli(['search', '--space', 'nb201', '--algo', 'sample', '--proxy', 'params+nn_degree', '--budget', 'params<=600k', '--max-scored', '30', '--seed', '2', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.algo).toBe('sample');
    expect(out.scored).toBe(30);
    expect(out.skipped.budget).toBeGreaterThan(0);
    expect(out.best.metrics.params).toBeLessThanOrEqual(600_000);
    const top = out.topScored as { score: number; metrics: { params: number }; proxyScores: Record<string, number> }[];
    expect(top.length).toBe(10);
    expect(Object.keys(top[0]!.proxyScores).sort()).toEqual(['nn_degree', 'params']);
    // rank-sum of 2 proxies over 30 candidates lies in [2, 60]; best first
    expect(top[0]!.score).toBeLessThanOrEqual(60);
    expect(top.map((t) => t.score)).toEqual([...top.map((t) => t.score)].sort((a, b) => b - a));
    expect(top[0]!.proxyScores.params).toBe(top[0]!.metrics.params);
  });

  it('--algo evolution with a combination: candidates ranked against a reference sample scored first', async () => {
    const r = await runCli(['search', '--space', 'nb201', '--algo', 'evolution', '--proxy', 'params+nn_degree', '--population', '8', '--iterations', '30', '--max-scored', '40', '--seed', '2', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('params+nn_degree: scoring a reference sample of 8 architectures');
    const out = JSON.parse(r.stdout) as { proxy: string; scored: number; best: { score: number } };
    expect(out.proxy).toBe('params+nn_degree');
    // The reference counts as scored; rank-sum of two continuous ranks among 8 lies near [2, 16], beyond it when
    // a candidate is better than every reference cell in both.
    expect(out.scored).toBeGreaterThan(8);
    expect(out.scored).toBeLessThanOrEqual(40);
    expect(out.best.score).toBeGreaterThan(2);
  });

  it('--state keeps the reference sample: a resumed search with a combination does not score it again', async () => {
    const state = join(mkdtempSync(join(tmpdir(), 'zeronas-search-state-')), 'state.json');
    const args = ['search', '--space', 'nb201', '--algo', 'evolution', '--proxy', 'params+nn_degree', '--population', '8', '--max-scored', '20', '--seed', '3', '--state', state, '--json'];
    const first = await runCli([...args, '--iterations', '10']);
    expect(first.code, first.stderr).toBe(0);
    const saved = JSON.parse(readFileSync(state, 'utf8')) as { reference: { proxy: string; entries: unknown[] } };
    expect(saved.reference.proxy).toBe('params+nn_degree');
    expect(saved.reference.entries).toHaveLength(8);
    const resumed = await runCli([...args, '--iterations', '14']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain('the reference sample of 8 architectures kept in --state');
    // Only the 4 more iterations' new candidates are scored, none of the 8 reference cells.
    expect((JSON.parse(resumed.stdout) as { scored: number }).scored).toBeLessThanOrEqual(4);
  });

  it('--max-scored holds for NSGA-II (its first population included) and must be a positive integer', async () => {
    const r = await runCli(['search', '--space', 'nb201', '--algo', 'nsga2', '--proxy', 'params', '--population', '16', '--iterations', '10', '--max-scored', '12', '--seed', '1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { scored: number }).scored).toBe(12);
    for (const bad of ['0', '-5', '2.5']) {
      const b = await runCli(['search', '--space', 'nb201', '--algo', 'evolution', '--proxy', 'params', '--max-scored', bad]);
      expect(b.code).toBe(1);
      expect(b.stderr).toContain(`--max-scored must be a positive integer, got ${bad}`);
    }
  });

  it('--algo flash: --max-scored caps the predictor sample, SHGO reports progress, the best is labelled predicted, no budget count without a budget', async () => {
    const args = ['search', '--space', 'flash', '--algo', 'flash', '--proxy', 'params', '--max-scored', '6', '--iterations', '2'];
    const text = await runCli(args);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/score\s+predicted [\d.]+ \(params predictor fitted on 6 scored\)/);
    expect(text.stdout).toMatch(/scored\s+6 architectures/);
    expect(text.stdout).toMatch(/front\s+\d+ non-dominated\n/); // no "within budget" count: no --budget was given
    expect(text.stderr).toContain('flash (params), scoring predictor samples: 6/6');
    expect(text.stderr).toContain('flash (params), SHGO on the fitted predictor: 2/2');
    const json = await runCli([...args, '--json']);
    expect(json.code, json.stderr).toBe(0);
    const out = JSON.parse(json.stdout) as { scored: number; best: { score: number }; flash: { scores: { predicted: boolean; fittedOn: number } } };
    expect(out.scored).toBe(6);
    expect(out.flash.scores).toMatchObject({ predicted: true, fittedOn: 6 });
  });

  it('refuses a table cost that names no column, saying what it expects', async () => {
    const r = await runCli(['search', '--space', 'nb201', '--algo', 'sample', '--proxy', 'params', '--cost', 'pi=table:../shared/data/hw/hwnasbench_nb201.csv', '--max-scored', '5']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("--cost 'pi=table:../shared/data/hw/hwnasbench_nb201.csv' names no column; expected pi=table:<csv>:<column>");
  });

  it('refuses a target budget without a cost source, saying how to give one (it used to report "none met" and exit 0)', async () => {
    const r = await runCli(['search', '--space', 'nb201', '--algo', 'sample', '--proxy', 'params', '--budget', 'local:latency<=2ms', '--max-scored', '5']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ZN_BAD_ARGUMENT: a budget names target 'local' but no --cost gives its cost; add --cost local=model:runs\/<id>\/local\/cost-model\.round<r>\.json/);
  });

  it('refuses an uncalibrated lookup table as a cost, naming the calibration step', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zeronas-search-lut-'));
    const lut = join(dir, 'pi.json');
    writeFileSync(lut, JSON.stringify({
      format: 'zeronas-lut', version: 1, device: { fingerprint: 'e'.repeat(64) }, runtime: { name: 'ort-node', version: '1.30.0' }, executionProvider: 'cpu', threads: 4,
      measurement: { warmupRuns: 1, repeats: 5, batch: 1, foldBatchNorm: true }, execution: 'all', createdAt: '2026-12-06T00:00:00Z', entries: {},
    }));
    const r = await runCli(['search', '--space', 'nb201', '--algo', 'sample', '--proxy', 'params', '--cost', `pi=lut:${lut}`, '--budget', 'pi:latency<=20ms', '--max-scored', '5']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`--cost pi=lut:${lut}: a lookup table has no calibration to end-to-end latency`);
    expect(r.stderr).toContain(`zeronas orchestrate --targets pi --lut pi=${lut}, then pass --cost pi=model:runs/<id>/pi/cost-model.round<r>.json`);
  });
});
