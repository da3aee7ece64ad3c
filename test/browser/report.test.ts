/**
 * The run report end to end: the README's main job (`orchestrate --targets local` with a latency budget, small)
 * writes runs/<id>/report.html; `zeronas report` regenerates it; headless Chromium opens it from disk with every
 * non-file request aborted, and the charts and tables show the run's own numbers (summary.json and the store).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from '../helpers/runCli.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../helpers/chromium.js';

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');
// Ground truth of every NB201 cell (the shared benchmark data beside the checkout): the loop decides which cells it scores.
const TRUTH = join(REPO_ROOT, '../shared/data/nb201/nb201_accuracy.csv');

let browser: Browser | undefined;
afterAll(async () => {
  await browser?.close();
});

interface Summary {
  runId: string;
  targets: {
    target: string;
    measured: number;
    budget: { max: number };
    costModel: { mapePercent: number };
    points: { arch: string; score: number; predictedMs: number | null; measuredMs: number | null }[];
    paretoFront: unknown[];
    best: { arch: string; proxyScore: number; measuredLatencyMs: number; onnx: string; verifiedMedian: number };
    learningCurve: unknown[];
  }[];
}

describe('run report (report.html) in headless Chromium', () => {
  it('orchestrate writes a report that opens offline and shows the run\'s numbers; zeronas report regenerates it', { timeout: 150_000 }, async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} missing`).toBe(true);
    const root = mkdtempSync(join(tmpdir(), 'zeronas-report-'));
    const runDir = join(root, 'run');
    const env = { ZERONAS_CONFIG_DIR: join(root, 'config') };
    const run = await runCli(
      ['orchestrate', '--targets', 'local', '--budget', 'local:latency<=1000ms', '--port', '0', '--listen', '127.0.0.1', '--algo', 'sample', '--proxy', 'params', '--max-scored', '16', '--measure', '5', '--rounds', '1', '--min-runs', '5', '--min-time-ms', '30', '--truth', TRUTH, '--out', runDir],
      { env, timeoutMs: 120_000 },
    );
    expect(run.code, run.stderr.slice(-3000)).toBe(0);
    const reportPath = join(runDir, 'report.html');
    expect(run.stdout).toContain(`report:  ${reportPath}`);
    expect(existsSync(reportPath)).toBe(true);

    // Regenerate with the command (same truth file, JSON output).
    const regen = await runCli(['report', runDir, '--truth', TRUTH, '--json'], { env });
    expect(regen.code, regen.stderr).toBe(0);
    const regenOut = JSON.parse(regen.stdout) as { path: string; targets: { measured: number; candidates: number }[]; truth: { n: number; kendall: number } };
    expect(regenOut.path).toBe(reportPath);
    expect(regenOut.targets[0]).toMatchObject({ measured: 5, candidates: 16 });
    expect(regenOut.truth.n).toBe(16);

    const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')) as Summary;
    const t = summary.targets[0]!;
    expect(t.points).toHaveLength(16);
    const measured = t.points.filter((p) => p.measuredMs !== null);
    const predictedOnly = t.points.filter((p) => p.measuredMs === null && p.predictedMs !== null);
    expect(measured).toHaveLength(5);
    // The report's error panel is in sample: the final model on every measured candidate.
    const inSample = measured.map((p) => Math.abs(p.predictedMs! - p.measuredMs!) / p.measuredMs!);
    const inSampleMape = `${((100 * inSample.reduce((a, b) => a + b, 0)) / inSample.length).toFixed(1)}%`;

    // launch() starts from a fresh temporary profile of its own (a --user-data-dir argument is refused).
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    const blocked: string[] = [];
    await page.route('**', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:')) return route.continue();
      blocked.push(url);
      return route.abort();
    });
    await page.goto(pathToFileURL(reportPath).href);

    expect(await page.locator('#run-id').innerText()).toBe(summary.runId);
    // Overview table: measured count, MAPE and best latency as the summary has them.
    const overview = page.locator('#overview tr[data-target="local"]');
    expect(await overview.locator('[data-field="measured"]').innerText()).toBe('5');
    // The overview gives the last round's out-of-sample error, as the terminal does; the error section below is in sample.
    expect(await overview.locator('[data-field="mape"]').innerText()).toBe(`${t.costModel.mapePercent.toFixed(1)}%`);
    expect(await overview.locator('[data-field="verified"]').innerText()).toBe(`${t.best.verifiedMedian.toFixed(3)} ms`);
    expect(await overview.locator('[data-field="latency"]').innerText()).toBe(`${t.best.measuredLatencyMs.toFixed(3)} ms`);

    // Pareto chart: one mark per candidate at its (latency, score), the budget line, the chosen one highlighted.
    const pareto = page.locator('svg#pareto-local');
    expect(await pareto.locator('.point.measured').count()).toBe(5);
    expect(await pareto.locator('.point.predicted').count()).toBe(predictedOnly.length);
    const plotted = await pareto.locator('.point.measured').evaluateAll((els) => els.map((e) => [Number(e.getAttribute('data-x')), Number(e.getAttribute('data-y'))]));
    expect(plotted.sort((a, b) => a[0]! - b[0]!)).toEqual(measured.map((p) => [p.measuredMs, p.score]).sort((a, b) => a[0]! - b[0]!));
    expect(await pareto.locator('.ref-line').getAttribute('data-value')).toBe(String(t.budget.max));
    const highlighted = pareto.locator('.point.highlight');
    expect(await highlighted.count()).toBe(1);
    expect(Number(await highlighted.getAttribute('data-x'))).toBe(t.best.measuredLatencyMs);
    expect(await pareto.locator('path.front').count()).toBe(1);
    const box = (await pareto.boundingBox())!;
    expect(box.width).toBeGreaterThan(300);

    // Predicted vs measured: five points, the ±10% band, error figures matching the summary's MAPE.
    const latency = page.locator('svg#latency-local');
    expect(await latency.locator('.point.measured').count()).toBe(5);
    expect(await latency.locator('polygon.band').count()).toBe(1);
    expect(await page.locator('#errors-local [data-field="n"]').innerText()).toBe('5');
    expect(await page.locator('#errors-local [data-field="mape"]').innerText()).toBe(inSampleMape);
    // The loop's record: a learning-curve row per round and the verification of the returned architecture.
    expect(await page.locator('#learning-local tbody tr').count()).toBe(t.learningCurve.length);
    expect(await page.locator('#verification-local [data-field="meets"]').last().innerText()).toBe('met');

    // Chosen architecture: its cell drawn with six labelled edges, metrics, and a link to an ONNX file that exists.
    const cell = page.locator('#cell-local svg.cell');
    expect(await cell.locator('path.edge').count()).toBe(6);
    const ops = await cell.locator('path.edge').evaluateAll((els) => els.map((e) => e.getAttribute('data-op')));
    expect(`|${ops[0]}~0|+|${ops[1]}~0|${ops[2]}~1|+|${ops[3]}~0|${ops[4]}~1|${ops[5]}~2|`).toBe(t.best.arch);
    expect(await page.locator('#best-local code.arch').innerText()).toBe(t.best.arch);
    const href = await page.locator('#best-local a.onnx').getAttribute('href');
    expect(href).toBe(t.best.onnx);
    expect(existsSync(join(runDir, href!))).toBe(true);

    // Proxy vs truth, search progress, devices.
    expect(await page.locator('svg#truth-chart .point.truth').count()).toBe(16);
    expect(Number(await page.locator('#truth-stats [data-field="kendall"]').innerText())).toBeCloseTo(regenOut.truth.kendall, 3);
    expect(await page.locator('svg#progress-work .point.measured-local').count()).toBe(6); // start + 5 measurements
    expect(await page.locator('svg#progress-best .point').count()).toBeGreaterThan(0);
    const device = page.locator('#devices tr[data-agent^="local@"]');
    expect(await device.count()).toBe(1);
    expect(await device.locator('[data-field="measurements"]').innerText()).toBe('5');
    expect(await device.locator('[data-field="ep"]').innerText()).toBe('cpu');

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'report.png'), fullPage: true });
    expect(blocked).toEqual([]); // nothing but the file itself was requested
    await context.close();
  });
});
