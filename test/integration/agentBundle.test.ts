/**
 * `zeronas agent-bundle`: the tarball holds one bundled agent and only its runtime packages, and the unpacked agent
 * runs with plain `node` (no tsx, no npm) against a real host: the x64 bundle measures with onnxruntime-node, the
 * armhf bundle (no onnxruntime-node inside) falls to onnxruntime-web's wasm backend, as it must on a 32-bit Pi.
 * Both run natively on this machine; the emulated ARM runs are scripts/pi-emulation/ (npm run test:pi).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { buildAgentBundle, type AgentBundleReport } from '../../host/workflows/agentBundle/buildAgentBundle.js';
import type { BundleArch } from '../../host/workflows/agentBundle/bundleTargets.js';
import { buildNb201Network } from '../../host/spaces/nb201.js';
import { initWeights } from '../../host/ir/init.js';
import { exportInference } from '../../host/onnx/exportInference.js';
import { HOST_TOKEN, startInProcessHostFor, until, type InProcessHost } from '../helpers/inProcessHost.js';
import { agentEnv, startProcess, type Proc } from '../helpers/processes.js';
import { runCli } from '../helpers/runCli.js';
import { installableProfileIds } from '../../devices/index.js';

const ARCH = '|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_3x3~1|skip_connect~2|';
const model = exportInference(buildNb201Network(ARCH), initWeights(buildNb201Network(ARCH), 0), { batch: 1 });
const FAST = { threads: 1, warmupRuns: 1, minRuns: 3, minTotalMs: 10, maxTotalMs: 10_000, timeoutMs: 120_000 };

const dir = mkdtempSync(join(tmpdir(), 'zeronas-bundle-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function unpacked(arch: BundleArch): Promise<{ root: string; report: AgentBundleReport }> {
  const report = await buildAgentBundle({ arch, out: join(dir, `agent-${arch}.tgz`) });
  return { root: unpack(report.out, arch), report };
}

function unpack(tarball: string, arch: string): string {
  const into = join(dir, arch);
  execFileSync('mkdir', ['-p', into]);
  execFileSync('tar', ['-xzf', tarball, '-C', into]);
  return join(into, 'zeronas-agent');
}

/** The first stored measurement; on a timeout the error carries the agent's and the host's log tails. */
async function firstMeasurement(h: InProcessHost, agent: Proc): Promise<{ result_json: string }> {
  try {
    return await until(() => h.store.db.prepare('SELECT result_json FROM measurements').get() as { result_json: string } | undefined, 'a measurement', 150_000);
  } catch (err) {
    throw new Error(`${(err as Error).message}\nagent:\n${agent.output().slice(-3000)}\nhost:\n${h.logs.slice(-20).join('\n')}`, { cause: err });
  }
}

describe('zeronas agent-bundle', () => {
  it('x64 (--arch amd64, as dpkg names it): only the runtime packages, the binding of linux/x64 alone, and the agent measures a job with ort-node', async () => {
    // Made by the CLI as a user makes it, with Debian's name for the architecture.
    const made = await runCli(['agent-bundle', '--arch', 'amd64', '--out', join(dir, 'agent-amd64.tgz')], { timeoutMs: 240_000 });
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toMatch(/^wrote \S+agent-amd64\.tgz \([\d.]+ MB\) for x64 /m);
    // The install line in full, and where each value comes from.
    expect(made.stdout).toContain('sudo bash install-agent.sh --bundle agent-amd64.tgz --host wss://HOST:8765/agent --pin sha256:HEX --token TOKEN [--name NAME] [--device PROFILE]');
    expect(made.stdout).toContain("TOKEN: 'zeronas token' on the host; sha256:HEX: 'zeronas token --pin' on the host");
    expect(made.stdout).toContain(`--name: default the device's hostname; --device: default recognised from the hardware (one of ${installableProfileIds().join(', ')})`);
    const root = unpack(join(dir, 'agent-amd64.tgz'), 'x64');
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      zeronasBundle: { arch: string; inlinedPackages: Record<string, string>; nodeModulesBytes: number; deviceProfiles: string[] };
    };
    expect(Object.keys(manifest.dependencies).sort()).toEqual(['onnxruntime-node', 'onnxruntime-web', 'yargs']);
    expect(manifest.zeronasBundle.arch).toBe('x64');
    // What install-agent.sh checks --device against: the agent's own installable profiles.
    expect(manifest.zeronasBundle.deviceProfiles).toEqual(installableProfileIds());
    const report = manifest.zeronasBundle;
    expect(Object.keys(report.inlinedPackages).sort()).toEqual(['systeminformation', 'ws', 'zod']);
    const installed = readdirSync(join(root, 'node_modules'));
    for (const heavy of ['better-sqlite3', 'playwright-core', 'tsx', 'esbuild', 'typescript', '@types']) expect(installed).not.toContain(heavy);
    expect(readdirSync(join(root, 'node_modules/onnxruntime-node/bin/napi-v6'))).toEqual(['linux']);
    expect(readdirSync(join(root, 'node_modules/onnxruntime-node/bin/napi-v6/linux'))).toEqual(['x64']);
    expect(report.nodeModulesBytes).toBeLessThan(150 * 1024 * 1024);

    const h = await startInProcessHostFor(cleanups, { quiet: false });
    const agent = startProcess(join(root, 'bin/zeronas-agent.js'), ['--host', h.agentUrl, '--name', 'bundled-x64', '--device', 'x86-desktop', '--cache-dir', join(dir, 'cache-x64')], agentEnv(HOST_TOKEN));
    cleanups.push(() => agent.kill());
    await agent.waitFor(/measurement process: warm/);
    h.enqueue('x86-desktop', [model], FAST);
    h.server.setTargets(['x86-desktop']);
    const row = await firstMeasurement(h, agent);
    expect(JSON.parse(row.result_json)).toMatchObject({ runtime: { runtime: 'ort-node' } });
  });

  it('armhf: no onnxruntime-node inside; the agent reports ort-node unavailable and measures with ort-wasm', async () => {
    const { root, report } = await unpacked('armhf');
    expect(existsSync(join(root, 'node_modules/onnxruntime-node'))).toBe(false);
    expect(report.defaultRuntime).toBe('ort-wasm');
    const h = await startInProcessHostFor(cleanups, { quiet: false });
    const agent = startProcess(join(root, 'bin/zeronas-agent.js'), ['--host', h.agentUrl, '--name', 'bundled-armhf', '--device', 'x86-desktop', '--cache-dir', join(dir, 'cache-armhf')], agentEnv(HOST_TOKEN));
    cleanups.push(() => agent.kill());
    await agent.waitFor(/runtime ort-node: unavailable/);
    h.enqueue('x86-desktop', [model], FAST);
    h.server.setTargets(['x86-desktop']);
    const row = await firstMeasurement(h, agent);
    expect(JSON.parse(row.result_json)).toMatchObject({ runtime: { runtime: 'ort-wasm', executionProvider: 'wasm' } });
  });
});
