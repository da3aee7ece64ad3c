/**
 * The closed loop on two kinds of device at once: `orchestrate --targets local,browser` with the embedded Node agent
 * and a page in headless Chromium (onnxruntime-web), a budget on each; the run returns a verified pick per target and
 * reports the architectures that meet both budgets.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { startProcess, type Proc } from '../helpers/processes.js';
import { parseRunSummary } from '../../host/run/summary.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../helpers/chromium.js';

const CODE = '[0-9A-Z]{4}-[0-9A-Z]{4}';

let host: Proc | undefined;
let browser: Browser | undefined;
afterAll(async () => {
  await browser?.close();
  host?.kill('SIGKILL');
});

describe('closed loop on a Node agent and a browser page at once', () => {
  it('--targets local,browser: a verified pick per target and the common-feasible list', { timeout: 400_000 }, async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} missing: .ci/run installs Debian's chromium`).toBe(true);
    const root = mkdtempSync(join(tmpdir(), 'zeronas-loop-browser-'));
    const runDir = join(root, 'run');
    host = startProcess(
      'zeronas.js',
      ['orchestrate', '--targets', 'local,browser', '--budget', 'local:latency<=1000ms', '--budget', 'browser:latency<=1000ms', '--algo', 'sample', '--proxy', 'params',
        '--max-scored', '10', '--measure', '4', '--rounds', '1', '--verify-rounds', '2', '--port', '0', '--listen', '127.0.0.1', '--out', runDir, '--min-runs', '5', '--min-time-ms', '30', '--wait-agents', '120'],
      { ZERONAS_CONFIG_DIR: join(root, 'config') },
    );
    const [, base, code] = (await host.waitFor(new RegExp(`browser: (http://127\\.0\\.0\\.1:\\d+)/agent\\?code=(${CODE})`))) as unknown as [string, string, string];
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${base}/agent?code=${code}&name=loop-page`);
    const exit = await host.exited;
    expect(exit, host.output().slice(-3000)).toBe(0);
    const summary = parseRunSummary(JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')), 'summary.json');
    expect(summary.targets.map((t) => t.target)).toEqual(['local', 'browser']);
    for (const t of summary.targets) {
      expect(t.best, t.target).not.toBeNull();
      expect(t.best!.verifiedMedian!).toBeLessThanOrEqual(1000);
      expect(t.verification.at(-1)!.roundValues).toHaveLength(2);
    }
    expect(summary.targets[1]!.agents[0]!.name).toBe('loop-page');
    // Each target's pick was also measured on the other target; every cell measured within both budgets is listed.
    expect(summary.commonFeasible.length).toBeGreaterThan(0);
    for (const c of summary.commonFeasible) for (const m of Object.values(c.measured)) expect(m.latencyMs).toBeLessThanOrEqual(1000);
  });
});
