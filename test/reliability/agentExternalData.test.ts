/**
 * ONNX external data against a real agent process (SECURITY.md, "What an agent will run"; issue #19 item 8).
 * A hostile host (the protocol test host: it speaks v1 faithfully but offers whatever model the test gives it)
 * sends models whose tensors say their bytes live in `agent.env`, a canary in the directory the agent was started
 * from. onnxruntime-node would read that file (the first test shows it does, with the agent's session options), so
 * the agent must refuse such models with ZN_MODEL_EXTERNAL_DATA, whether they arrive over the wire or already sit in
 * its cache, and carry on. Clean jobs run in a fresh empty 0700 directory under the agent's temporary directory,
 * which is removed afterwards; that temporary directory also holds a planted tsconfig.json remapping `zod`, which
 * must not reach the measurement child.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION } from '../../shared/protocol/version.js';
import type { InputSpec } from '../../shared/protocol/messages.js';
import { addModel, constantModel, ifModel } from '../helpers/externalDataModels.js';
import { TestHost, type AgentConnection } from '../helpers/testHost.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const TOKEN = 'hostile-host-token';
const N = 16; // floats in W: at least 16, or onnxruntime's optimiser wants a model path before it reads the file
const CANARY = Buffer.from(`ZERONAS_TOKEN=${'s3cr3t'.repeat(7)}\n`.padEnd(4 * N, '#'));
const LEAK = { location: 'agent.env', length: 4 * N };
const INPUTS: InputSpec[] = [{ name: 'input', dims: [N], dtype: 'float32' }];
const FAST = { threads: 1, warmupRuns: 1, warmupMinMs: 0, minRuns: 5, minTotalMs: 10, maxTotalMs: 5_000, cooldownMs: 0, timeoutMs: 50_000 } as const;

let root: string;
let agentHome: string;
let agentTmp: string;
let cacheDir: string;
let marker: string;
let host: TestHost;
let agent: ChildProcess;
let conn: AgentConnection;
let agentLog = '';

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

async function until(predicate: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400 && !predicate(); i++) await new Promise((r) => setTimeout(r, 50));
  if (!predicate()) throw new Error(`timed out waiting for ${what}; agent log:\n${agentLog.slice(-3000)}`);
}

const workDirOf = (jobId: string): string | undefined => new RegExp(`\\[measure ${jobId.replace(/[.]/g, '\\.')}\\] working directory (\\S+)`).exec(agentLog)?.[1];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'zeronas-extdata-'));
  agentHome = join(root, 'home');
  agentTmp = join(root, 'tmp');
  cacheDir = join(root, 'cache');
  marker = join(root, 'tsconfig-was-used');
  for (const d of [agentHome, agentTmp, cacheDir]) mkdirSync(d);
  writeFileSync(join(agentHome, 'agent.env'), CANARY);
  // Above every measurement directory the agent makes: a tsconfig a local user could plant in a shared /tmp.
  writeFileSync(join(agentTmp, 'tsconfig.json'), JSON.stringify({ compilerOptions: { paths: { zod: ['./evil.ts'] } } }));
  writeFileSync(join(agentTmp, 'evil.ts'), `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'remapped');\nexport const z = {};\n`);

  host = await TestHost.start(TOKEN);
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ZERONAS_') && k !== 'TSX_TSCONFIG_PATH'));
  agent = spawn(
    process.execPath,
    [join(REPO, 'bin/zeronas-agent.js'), '--host', host.url, '--name', 'extdata-target', '--cache-dir', cacheDir, '--max-model-mb', '8', '--energy', 'none', '--reconnect-max-ms', '1000'],
    { cwd: agentHome, env: { ...env, ZERONAS_TOKEN: TOKEN, TMPDIR: agentTmp }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  agent.stderr!.on('data', (d: Buffer) => {
    agentLog += d.toString();
  });
  conn = await host.waitForAgent(0);
});

afterAll(async () => {
  if (agent && agent.exitCode === null && agent.signalCode === null) agent.kill('SIGKILL');
  await host?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('a Node agent offered ONNX models with external data by a hostile host', () => {
  it("is really attacked: onnxruntime-node, with the agent's session options and working directory, reads agent.env into W", () => {
    const modelPath = join(root, 'hostile.onnx');
    writeFileSync(modelPath, addModel(N, LEAK));
    const script = `
      import { createRequire } from 'node:module';
      import { readFileSync } from 'node:fs';
      const ort = createRequire(${JSON.stringify(join(REPO, 'package.json'))})('onnxruntime-node');
      const session = await ort.InferenceSession.create(readFileSync(process.argv[1]), { executionProviders: ['cpu'], intraOpNumThreads: 1, graphOptimizationLevel: 'all' });
      const out = await session.run({ input: new ort.Tensor('float32', new Float32Array(${N}), [${N}]) });
      process.stdout.write(Buffer.from(out.output.data.buffer).toString('base64'));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, modelPath], { cwd: agentHome, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(Buffer.from(r.stdout, 'base64')).toEqual(CANARY);
  });

  it('refuses it over the wire with ZN_MODEL_EXTERNAL_DATA (no measurement) and caches nothing', async () => {
    const model = addModel(N, LEAK);
    const sha = conn.offer('steal-initializer', model, { inputs: INPUTS, settings: FAST });
    expect(await conn.next((m) => m.type === 'job-accept' && m.jobId === 'steal-initializer')).toMatchObject({ needsModel: true });
    const r = await conn.result('steal-initializer');
    expect(r, agentLog.slice(-2000)).toMatchObject({
      status: 'failed',
      error: { code: 'ZN_MODEL_EXTERNAL_DATA', details: { path: 'graph.initializer[0]', tensor: 'W', location: 'agent.env' } },
    });
    expect(r).not.toHaveProperty('measurement');
    expect(existsSync(join(cacheDir, `${sha}.onnx`))).toBe(false);
    expect(workDirOf('steal-initializer')).toBeUndefined(); // refused before any measurement process started
  });

  it('refuses external data hidden in a Constant node attribute, in an If subgraph, or marked by data_location alone', async () => {
    const cases: [string, Uint8Array, string][] = [
      ['steal-constant', constantModel(N, LEAK), 'graph.node[0].attribute[0].t'],
      ['steal-subgraph', ifModel(LEAK), 'graph.node[0].attribute[1].g.node[0].attribute[0].t'],
      ['steal-flag-only', addModel(N, { ...LEAK, isFlagOnly: true }), 'graph.initializer[0]'],
    ];
    for (const [jobId, model, path] of cases) {
      conn.offer(jobId, model, { inputs: INPUTS, settings: FAST });
      expect(await conn.result(jobId), jobId).toMatchObject({ status: 'failed', error: { code: 'ZN_MODEL_EXTERNAL_DATA', details: { path } } });
    }
  });

  it('refuses a hostile model already in its cache (stored before the check existed): the measurement child checks too', async () => {
    const model = addModel(N, { location: './agent.env', length: 4 * N });
    const sha = sha256(model);
    writeFileSync(join(cacheDir, `${sha}.onnx`), model);
    conn.offer('steal-cached', model, { inputs: INPUTS, settings: FAST });
    expect(await conn.next((m) => m.type === 'job-accept' && m.jobId === 'steal-cached')).toMatchObject({ needsModel: false });
    expect(await conn.result('steal-cached')).toMatchObject({ status: 'failed', error: { code: 'ZN_MODEL_EXTERNAL_DATA', details: { location: './agent.env' } } });
  });

  it('stays connected and measures clean jobs, each in an empty 0700 directory that is not its own and is removed afterwards', async () => {
    conn.offer('clean-long', addModel(N), { inputs: INPUTS, settings: { ...FAST, minTotalMs: 600_000, maxTotalMs: 600_000, timeoutMs: 600_000 } });
    await until(() => workDirOf('clean-long') !== undefined, "the measurement child's working directory in the agent log");
    const workDir = workDirOf('clean-long')!;
    expect(workDir).not.toBe(agentHome);
    expect(workDir.startsWith(join(agentTmp, 'zeronas-measure-'))).toBe(true);
    expect(statSync(workDir).mode & 0o777).toBe(0o700);
    expect(readdirSync(workDir)).toEqual([]);
    conn.send({ v: PROTOCOL_VERSION, type: 'cancel', jobId: 'clean-long', reason: 'test' });
    expect(await conn.result('clean-long')).toMatchObject({ status: 'cancelled' });
    await until(() => !existsSync(workDir), `removal of ${workDir}`);

    conn.offer('clean', addModel(N), { inputs: INPUTS, settings: FAST });
    const r = await conn.result('clean');
    expect(r.status, agentLog.slice(-2000)).toBe('ok');
    if (r.status === 'ok') expect(r.measurement.latency.n).toBeGreaterThanOrEqual(5);
    await until(() => !existsSync(workDirOf('clean')!), 'removal of the clean job directory');
    expect(host.connections).toHaveLength(1); // never dropped or reconnected
    expect(existsSync(marker)).toBe(false); // the planted tsconfig.json above the directory was not used
    expect(readFileSync(join(agentHome, 'agent.env'))).toEqual(CANARY);
  });

  it('leaves no measurement directory behind when it is killed mid-job (SIGKILL: the orphaned child removes it)', async () => {
    conn.offer('killed-mid-job', addModel(N), { inputs: INPUTS, settings: { ...FAST, minTotalMs: 600_000, maxTotalMs: 600_000, timeoutMs: 600_000 } });
    await until(() => workDirOf('killed-mid-job') !== undefined, "the measurement child's working directory in the agent log");
    const exited = new Promise<NodeJS.Signals | null>((resolve) => agent.once('exit', (_code, signal) => resolve(signal)));
    agent.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    await until(() => readdirSync(agentTmp).filter((f) => f.startsWith('zeronas-measure-')).length === 0, 'removal of every measurement directory');
  });
});
