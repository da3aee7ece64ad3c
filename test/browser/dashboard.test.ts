/**
 * The live dashboard during a real run: `orchestrate --targets local` (measurements slowed so the run lasts a
 * while), the page opened in headless Chromium with the host token, and the agent, the job queue and the
 * measurement counts seen to appear and then change without a reload (Server-Sent Events). Also the token gate:
 * no page, no state, no events without the session cookie that only the right token gives.
 */
import { mkdirSync, mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { startProcess, type Proc } from '../helpers/processes.js';
import { REPO_ROOT } from '../helpers/runCli.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../helpers/chromium.js';

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');

let host: Proc | undefined;
let browser: Browser | undefined;
afterAll(async () => {
  await browser?.close();
  host?.kill('SIGKILL');
});

describe('live dashboard in headless Chromium', () => {
  it('shows agents, jobs and progress of a running orchestrate, updated by push, behind the host token', { timeout: 150_000 }, async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} missing`).toBe(true);
    const root = mkdtempSync(join(tmpdir(), 'zeronas-dash-'));
    const runDir = join(root, 'run');
    host = startProcess(
      'zeronas.js',
      ['orchestrate', '--targets', 'local', '--port', '0', '--listen', '127.0.0.1', '--algo', 'sample', '--proxy', 'params', '--max-scored', '12', '--measure', '5', '--rounds', '1', '--min-runs', '60', '--min-time-ms', '1200', '--out', runDir],
      { ZERONAS_CONFIG_DIR: join(root, 'config') },
    );
    const [, base, printedToken] = (await host.waitFor(/dashboard: (http:\/\/127\.0\.0\.1:\d+)\/\?token=(\S+)/)) as unknown as [string, string, string];
    const token = readFileSync(join(root, 'config', 'token'), 'utf8').trim();
    expect(decodeURIComponent(printedToken)).toBe(token);
    // The run's log file never holds the token.
    expect(readFileSync(join(runDir, 'orchestrate.log'), 'utf8')).not.toContain(token);

    // The gate: nothing without the session cookie, a wrong token is refused, the right one sets an HttpOnly cookie.
    expect((await fetch(`${base}/`)).status).toBe(401);
    const noState = await fetch(`${base}/dashboard/state`);
    expect(noState.status).toBe(401);
    expect(((await noState.json()) as { code: string }).code).toBe('ZN_AUTH');
    expect((await fetch(`${base}/dashboard/events`)).status).toBe(401);
    expect((await fetch(`${base}/?token=${'x'.repeat(43)}`, { redirect: 'manual' })).status).toBe(401);
    const login = await fetch(`${base}/?token=${encodeURIComponent(token)}`, { redirect: 'manual' });
    expect(login.status).toBe(303);
    expect(login.headers.get('location')).toBe('/');
    const cookie = login.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^zeronas_dashboard=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict$/);
    const state = await fetch(`${base}/dashboard/state`, { headers: { cookie: cookie.split(';')[0]! } });
    expect(state.status).toBe(200);
    expect(((await state.json()) as { targets: string[] }).targets).toEqual(['local']);

    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    const failedRequests: string[] = [];
    page.on('response', (r) => {
      if (r.status() >= 400) failedRequests.push(`${r.status()} ${r.url()}`);
    });
    await page.goto(`${base}/?token=${encodeURIComponent(token)}`);
    expect(new URL(page.url()).search).toBe(''); // the token left the address bar

    // The local agent appears with its device and runtime; the target row, the queue and the charts fill in.
    const agentRow = page.locator('#agents tr[data-agent^="local@"]');
    await agentRow.waitFor({ timeout: 60_000 });
    expect(await agentRow.innerText()).toMatch(/x86|node/);
    await page.waitForFunction(() => Number(document.querySelector('#targets tr[data-target="local"]')?.getAttribute('data-measured') ?? 0) >= 1, null, { timeout: 90_000 });
    const firstMeasured = Number(await page.locator('#targets tr[data-target="local"]').getAttribute('data-measured'));
    const firstUpdates = Number(await page.evaluate(() => document.body.dataset.updates));
    expect(await agentRow.innerText()).toMatch(/ort-node \S+ \/ cpu/);
    expect(await page.locator('#jobs tr[data-job]').count()).toBeGreaterThanOrEqual(2);
    expect(await page.locator('#jobs tr[data-state="done"]').count()).toBeGreaterThanOrEqual(1);
    expect(Number(await page.locator('#per-minute').innerText())).toBeGreaterThanOrEqual(1);
    expect(await page.locator('#scoring-queue-card').isHidden()).toBe(true); // scoring is local in this run (no --queue)
    // The loop measures a first spread before it searches: the scoring count fills in after the first measurements.
    await page.waitForFunction(() => document.querySelector('#scored')?.textContent === '12/12', null, { timeout: 120_000 });
    expect(await page.locator('svg#live-progress .point').count()).toBeGreaterThanOrEqual(2);
    expect(await page.locator('#conn').getAttribute('data-state')).toBe('live');

    // Without a reload, the count moves on as measurements arrive.
    await page.waitForFunction((n) => Number(document.querySelector('#targets tr[data-target="local"]')?.getAttribute('data-measured') ?? 0) > n, firstMeasured, { timeout: 90_000 });
    expect(Number(await page.evaluate(() => document.body.dataset.updates))).toBeGreaterThan(firstUpdates);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });

    // The run ends: the last snapshot says so, and it has every measurement.
    const code = await host.exited;
    expect(code, host.output().slice(-3000)).toBe(0);
    await page.waitForFunction(() => document.getElementById('conn')!.dataset.state === 'finished', null, { timeout: 10_000 });
    expect(await page.locator('#measured-total').innerText()).toBe('5');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-finished.png'), fullPage: true });
    expect(failedRequests).toEqual([]); // no 404 (the icon) or other failed request in the page's console
    expect(existsSync(join(runDir, 'report.html'))).toBe(true);
    await context.close();
  });
});
