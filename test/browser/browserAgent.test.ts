/**
 * The browser agent end to end: a real `orchestrate --targets browser` host, the page opened in headless Chromium
 * (Debian's `chromium`, driven by playwright-core), real NB201 models measured with onnxruntime-web in the page.
 * Covers pairing (bad, malformed, reused codes; the form and the URL code), the headers that make the page
 * cross-origin isolated, the recorded execution provider and isolation state, the visible state in a screenshot,
 * and a page closed mid-job whose job is requeued and measured once by another page.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { PNG } from 'pngjs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { startProcess, type Proc } from '../helpers/processes.js';
import { REPO_ROOT } from '../helpers/runCli.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../helpers/chromium.js';

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');
const CODE = '[0-9A-Z]{4}-[0-9A-Z]{4}';

let host: Proc | undefined;
let browser: Browser | undefined;
afterAll(async () => {
  await browser?.close();
  host?.kill('SIGKILL');
});

async function postPair(base: string, code: unknown): Promise<{ status: number; body: { token?: string; code?: string; message?: string } }> {
  const r = await fetch(`${base}/agent/pair`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }) });
  return { status: r.status, body: (await r.json()) as { token?: string; code?: string; message?: string } };
}

/** GET with the path sent exactly as written (fetch would normalise `..` away). */
function rawGetStatus(base: string, path: string): Promise<number> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method: 'GET' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

const textOf = (page: Page, id: string): Promise<string> => page.locator(`#${id}`).innerText();

describe('browser agent in headless Chromium', () => {
  it('pairs, measures NB201 models with onnxruntime-web, records EP and isolation, requeues the job of a closed page', { timeout: 150_000 }, async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} missing: .ci/run installs Debian's chromium`).toBe(true);
    const root = mkdtempSync(join(tmpdir(), 'zeronas-browser-'));
    const runDir = join(root, 'run');
    host = startProcess(
      'zeronas.js',
      ['orchestrate', '--targets', 'browser', '--port', '0', '--listen', '127.0.0.1', '--proxy', 'params', '--max-scored', '8', '--measure', '3', '--rounds', '1', '--out', runDir, '--min-runs', '5', '--min-time-ms', '30', '--wait-agents', '90'],
      { ZERONAS_CONFIG_DIR: join(root, 'config') },
    );
    const first = await host.waitFor(new RegExp(`browser: (http://127\\.0\\.0\\.1:\\d+)/agent\\?code=(${CODE})`));
    const base = first[1]!;
    const code1 = first[2]!;

    // The page and its assets: cross-origin isolation headers, exact types, nothing outside the whitelist.
    const html = await fetch(`${base}/agent`);
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(html.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(html.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    const wasm = await fetch(`${base}/agent/ort/ort-wasm-simd-threaded.jsep.wasm`, { method: 'HEAD' });
    expect(wasm.headers.get('content-type')).toBe('application/wasm');
    expect(wasm.headers.get('cross-origin-resource-policy')).toBe('same-origin');
    expect((await fetch(`${base}/agent/ort/ort.min.js`)).status).toBe(404);
    expect(await rawGetStatus(base, '/agent/ort/../../package.json')).toBe(404);
    expect(await rawGetStatus(base, '/agent/ort/..%2f..%2fpackage.json')).toBe(404);

    // Bad and malformed codes are refused (ZN_AUTH), and do not spend the live code.
    const bad = await postPair(base, 'ZZZZ-ZZZZ');
    expect(bad.status).toBe(401);
    expect(bad.body.code).toBe('ZN_AUTH');
    expect(bad.body.message).toMatch(/unknown, expired or already used/);
    const malformed = await postPair(base, 'hello');
    expect(malformed.status).toBe(401);
    expect(malformed.body.message).toMatch(/8 characters/);

    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });

    // A WebGPU page on a machine without an adapter says so and stops: no silent fallback to wasm.
    const gpuContext = await browser.newContext();
    const gpuPage = await gpuContext.newPage();
    await gpuPage.goto(`${base}/agent?target=browser-webgpu`);
    await gpuPage.waitForFunction(() => document.getElementById('state')!.dataset.state === 'error', null, { timeout: 60_000 });
    expect(await textOf(gpuPage, 'error')).toMatch(/webgpu does not run in this browser/);
    await gpuContext.close();

    // Page A pairs through the form (a wrong code first, then the real one typed in lower case), starts a job,
    // and is closed in the middle of it.
    const contextA = await browser.newContext();
    const pageA = await contextA.newPage();
    await pageA.goto(`${base}/agent?name=page-a`);
    await pageA.locator('#pair-form').waitFor({ state: 'visible', timeout: 60_000 });
    await pageA.fill('#code', 'ABCD-EFGH');
    await pageA.click('#pair-form button');
    await pageA.waitForFunction(() => document.getElementById('error')!.textContent!.includes('ZN_AUTH'));
    await pageA.fill('#code', code1.toLowerCase());
    await pageA.click('#pair-form button');
    await pageA.waitForFunction(() => document.getElementById('state')!.dataset.state === 'measuring', null, { timeout: 60_000 });
    const agentA = await textOf(pageA, 'agent');
    expect(agentA).toMatch(/^page-a@[0-9a-f]{12}$/);
    await contextA.close();

    // A used code is refused; the host has printed a fresh one for the next device.
    const reused = await postPair(base, code1);
    expect(reused.status).toBe(401);
    expect(reused.body.code).toBe('ZN_AUTH');
    const second = await host.waitFor(new RegExp(`browser: http://127\\.0\\.0\\.1:\\d+/agent\\?code=(?!${code1})(${CODE})`));
    const code2 = second[1]!;

    // Page B pairs with the code in its URL and measures the rest, including page A's requeued job.
    const contextB = await browser.newContext({ viewport: { width: 800, height: 900 }, deviceScaleFactor: 1 });
    const pageB = await contextB.newPage();
    await pageB.goto(`${base}/agent?code=${code2}&name=page-b`);
    await pageB.waitForFunction(() => Number(document.getElementById('results')!.textContent) >= 1, null, { timeout: 90_000 });
    expect(pageB.url()).not.toContain('code='); // a spent code is dropped from the address bar
    mkdirSync(ARTIFACTS, { recursive: true });
    const shotPath = join(ARTIFACTS, 'browser-agent.png');
    await pageB.screenshot({ path: shotPath, fullPage: true });
    const state = await textOf(pageB, 'state');
    expect(['connected', 'measuring']).toContain(state);
    expect(Number(await textOf(pageB, 'results'))).toBeGreaterThanOrEqual(1);
    expect(await textOf(pageB, 'isolation')).toBe('yes');
    expect(await textOf(pageB, 'ep')).toMatch(/^wasm \(ran; \d+ threads?\)$/);
    expect(await textOf(pageB, 'agent')).toMatch(/^page-b@/);
    // The screenshot shows that state: a real PNG whose state badge has the "connected/measuring" green.
    const png = PNG.sync.read(readFileSync(shotPath));
    expect(png.width).toBeGreaterThan(300);
    const box = (await pageB.locator('#state').boundingBox())!;
    const at = (x: number, y: number): number[] => {
      const i = (Math.round(y) * png.width + Math.round(x)) * 4;
      return [png.data[i]!, png.data[i + 1]!, png.data[i + 2]!];
    };
    expect(at(box.x + 3, box.y + 3)).toEqual([0xbf, 0xe8, 0xc4]);

    const code = await host.exited;
    const output = host.output();
    writeFileSync(join(ARTIFACTS, 'browser-agent-host.log'), output);
    expect(code, output.slice(-3000)).toBe(0);
    // Page A's job went back to the queue: the host either got its ZN_PAGE_HIDDEN rejection or saw it vanish.
    const escaped = agentA.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    expect(output).toMatch(new RegExp(`job \\d+ \\(browser\\) from ${escaped}: rejected \\(ZN_PAGE_HIDDEN\\)|agent ${escaped} disconnected; 1 job\\(s\\) requeued`));

    // Pairing codes go to the terminal only: the run's log (0600) records that one was issued, never the code.
    const runLog = readFileSync(join(runDir, 'orchestrate.log'), 'utf8');
    for (const c of [code1, code2]) expect(runLog).not.toContain(c);
    expect(runLog).toContain('pairing code issued');
    expect(statSync(join(runDir, 'orchestrate.log')).mode & 0o777).toBe(0o600);

    const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8'));
    expect(summary.targets[0].target).toBe('browser');
    expect(summary.targets[0].measured).toBe(3);

    const db = new Database(join(runDir, 'store.sqlite'), { readonly: true });
    const jobs = db.prepare('SELECT id, state FROM jobs').all() as { id: number; state: string }[];
    const rows = db.prepare('SELECT job_id, agent_id, result_json FROM measurements ORDER BY id').all() as { job_id: number; agent_id: string; result_json: string }[];
    const agents = db.prepare('SELECT id, descriptor_json FROM agents').all() as { id: string; descriptor_json: string }[];
    db.close();
    // 3 measurements in the loop, then the returned architecture re-measured in 3 verification rounds.
    expect(jobs.length).toBe(3 + 3);
    expect(summary.targets[0].verification.at(-1).roundValues).toHaveLength(3);
    expect(jobs.every((j) => j.state === 'done')).toBe(true);
    expect(rows.map((r) => r.job_id).sort()).toEqual(jobs.map((j) => j.id).sort()); // each job measured exactly once
    expect(rows.every((r) => r.agent_id.startsWith('page-b@'))).toBe(true);
    for (const row of rows) {
      const m = JSON.parse(row.result_json);
      expect(m.runtime).toMatchObject({ runtime: 'ort-web', executionProvider: 'wasm', requestedExecutionProvider: 'wasm' });
      expect(m.browser.isCrossOriginIsolated).toBe(true);
      expect(m.browser.timerResolutionMs).toBeGreaterThan(0);
      expect(m.browser.timerResolutionMs).toBeLessThan(1);
      expect(m.latency.n).toBeGreaterThanOrEqual(5);
      expect(m.energy.status).toBe('unavailable');
      expect(m.device.profile).toBe('browser-wasm');
    }
    const descriptorB = JSON.parse(agents.find((a) => a.id.startsWith('page-b@'))!.descriptor_json);
    expect(descriptorB.environment).toBe('browser');
    expect(descriptorB.browser.isCrossOriginIsolated).toBe(true);
    expect(descriptorB.browser.executionProviderProbes).toContainEqual({ executionProvider: 'wasm', didRun: true, reason: null });
    expect(descriptorB.runtimes[0]).toMatchObject({ runtime: 'ort-web', isAvailable: true, executionProviders: ['wasm'] });
  });
});
