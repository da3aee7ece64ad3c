/**
 * The first hour of a new user (issue #20), replayed with real processes: every printed command works when pasted,
 * bad input is an error that names it (never a stack trace, never exit 0 with nothing), interruption says how to
 * continue. The README's main job runs here exactly as its set-up section writes it (read from README.md, so the two
 * cannot drift apart), and the commands it prints are pasted. The attach command is pasted in
 * test/reliability/hostAttacks.test.ts and tlsPinning.test.ts; `zeronas fleet --host` asks a live host here.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli, type CliResult } from '../helpers/runCli.js';
import { startProcess } from '../helpers/processes.js';
import { startLiveHost } from '../helpers/hostAttack.js';
import { parseRunSummary } from '../../host/run/summary.js';

const STACK = /\n\s+at .+\(.+:\d+:\d+\)/;
const ARCH = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_1x1~1|+|nor_conv_3x3~0|nor_conv_1x1~1|skip_connect~2|';
const SMALL_RUN = ['--proxy', 'params', '--max-scored', '8', '--measure', '3', '--rounds', '1', '--verify-rounds', '1', '--min-runs', '5', '--min-time-ms', '30'];

/** A failure a person can act on: non-zero exit, one `ZN_*: ...` line naming `mentions`, no stack trace. */
function expectClearError(r: CliResult, code: string, mentions: string | RegExp): void {
  expect(r.code, r.stderr).not.toBe(0);
  expect(r.stderr).not.toMatch(STACK);
  expect(r.stderr).toContain(`${code}: `);
  expect(r.stderr).toMatch(typeof mentions === 'string' ? new RegExp(mentions.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : mentions);
}

/** Runs a command line in bash from the project folder, as a person pastes it. */
function paste(line: string, env: NodeJS.ProcessEnv = {}, timeoutMs = 180_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', line], { cwd: REPO_ROOT, env: { ...process.env, NO_COLOR: '1', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The main job as the README's set-up section gives it: the command after `npm ci && ` in its first sh block. */
function readmeMainJob(): string {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const setUp = /^## Set-up[^\n]*\n+```sh\n([\s\S]*?)```/m.exec(readme);
  expect(setUp, 'README.md has a "## Set-up" section opening with an sh block').not.toBeNull();
  const line = setUp![1]!.split('\n').find((l) => l.startsWith('npm ci && '));
  expect(line, 'the set-up block starts the main job with `npm ci && npx zeronas ...`').toBeDefined();
  return line!.slice('npm ci && '.length).trim();
}

describe('the first hour', () => {
  it("the README's main job, run as written: exit 0, a summary that is a valid run folder, every command it prints works pasted", async () => {
    const command = readmeMainJob();
    expect(command).toMatch(/^npx zeronas orchestrate /);
    // Its own config directory (token, certificate), as on a fresh machine; the command itself is the README's.
    const env = { ZERONAS_CONFIG_DIR: mkdtempSync(join(tmpdir(), 'zeronas-readme-cfg-')) };
    const run = await paste(command, env, 900_000);
    const output = run.stdout + run.stderr;
    let runDir: string | undefined;
    try {
      expect(run.code, output.slice(-4000)).toBe(0);
      expect(output).not.toMatch(STACK);
      expect(output).not.toMatch(/internal error/);
      const summaryPath = /^summary: (\S+)/m.exec(run.stdout)?.[1];
      expect(summaryPath, run.stdout).toBeDefined();
      runDir = dirname(summaryPath!);
      const summary = parseRunSummary(JSON.parse(readFileSync(summaryPath!, 'utf8')), summaryPath!);
      expect(summary.targets.map((t) => t.target)).toEqual(['local']);
      expect(summary.targets[0]!.measured).toBeGreaterThan(0);
      // An answer within the budget, or (a machine too slow for the README's 2 ms) a summary that says none met it.
      if (!summary.targets[0]!.best) expect(run.stdout).toContain('(none met local:latency');
      // The folder docs/run-folder.md describes.
      for (const f of ['config.json', 'store.sqlite', 'summary.json', 'report.html', 'orchestrate.log', 'local/best.onnx']) expect(existsSync(join(runDir, f)), f).toBe(true);
      expect(readdirSync(join(runDir, 'local')).some((f) => /^cost-model\.round\d+\.json$/.test(f))).toBe(true);
      // Every command it printed, pasted as printed: exit 0, output, no stack trace.
      const printed = run.stdout.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('npx zeronas'));
      expect(printed.length).toBeGreaterThanOrEqual(3); // report, results, fleet (+ info per answer)
      for (const line of printed) {
        const r = await paste(line, env);
        expect(r.code, `${line}\n${r.stderr.slice(-2000)}`).toBe(0);
        expect(r.stdout.trim(), line).not.toBe('');
        expect(r.stdout + r.stderr, line).not.toMatch(STACK);
      }
    } finally {
      // The README's command writes under runs/ of the checkout; a test leaves nothing there.
      if (runDir && runDir.startsWith(join(REPO_ROOT, 'runs'))) rmSync(runDir, { recursive: true, force: true });
    }
  }, 900_000);

  it('--help wraps at word boundaries and --version answers, on both tools', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    // Phrases the old character wrap split across lines ("P\nareto", "reru\nn", "look\nup").
    for (const phrase of ['Pareto', 'rerun', 'lookup', 'directory']) expect(help.stdout.replace(/\n\s+/g, ' ')).toContain(phrase);
    for (const line of help.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(110);
    expect(help.stdout).not.toMatch(/[a-z]\n\s{20,}[a-z]{1,3}\b(?![ ,.])/); // no word cut at a line end
    const version = await runCli(['--version']);
    expect(version).toMatchObject({ code: 0, stdout: `${JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).version}\n` });
    const agent = startProcess('zeronas-agent.js', ['--version']);
    expect(await agent.exited).toBe(0);
    expect(agent.output().trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('npx zeronas prints only zeronas (no npm warning about the project config)', async () => {
    const out = await new Promise<{ code: number | null; stderr: string; stdout: string }>((resolve) => {
      const child = spawn('npx', ['zeronas', '--version'], { cwd: REPO_ROOT, env: { ...process.env, NO_COLOR: '1' } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    expect(out.code).toBe(0);
    expect(out.stderr).toBe('');
    expect(out.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it('every proxy score --help lists is accepted', async () => {
    const help = await runCli(['score', '--help']);
    const listed = /Comma-separated proxy ids \(([^)]+)\)/.exec(help.stdout.replace(/\n\s+/g, ' '))![1]!.split(',').map((s) => s.trim());
    expect(listed.length).toBeGreaterThan(10);
    const r = await runCli(['score', '--space', 'nb201', '--arch', ARCH, '--proxies', listed.join(','), '--batches', '1', '--batch-size', '8', '--json'], { timeoutMs: 240_000 });
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    expect(r.stderr).not.toMatch(/unknown proxy/);
  });

  it('bad input is an error naming it: a corrupt --state, a folder that is not a run, an unknown target', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zeronas-first-hour-'));
    const state = join(dir, 'state.json');
    writeFileSync(state, '{"population": [');
    expectClearError(await runCli(['search', '--space', 'nb201', '--algo', 'evolution', '--proxy', 'params', '--iterations', '5', '--state', state]), 'ZN_BAD_DATA', `--state '${state}' is not valid JSON`);
    expectClearError(await runCli(['report', 'README.md']), 'ZN_BAD_ARGUMENT', /is not a run folder/);
    expectClearError(await runCli(['orchestrate', '--targets', 'pi9', '--listen', '127.0.0.1', '--port', '0']), 'ZN_BAD_ARGUMENT', "unknown target 'pi9'");
  });

  it.runIf(process.arch === 'x64')('an agent told it is a Raspberry Pi on a PC refuses, naming both and the way out', async () => {
    const agent = startProcess('zeronas-agent.js', ['--host', 'ws://127.0.0.1:9/agent', '--token', 't', '--device', 'pi3b', '--cache-dir', mkdtempSync(join(tmpdir(), 'zeronas-fh-cache-'))]);
    expect(await agent.exited).toBe(1);
    expect(agent.output()).toMatch(/ZN_BAD_ARGUMENT: --device pi3b does not describe this machine: .*not a Raspberry Pi \(x64\).*--force-device/);
    expect(agent.output()).not.toMatch(STACK);
  });

  it('Ctrl-C prints the command that continues the run; pasted, it finishes; resuming the finished run changes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zeronas-first-hour-'));
    const env = { ZERONAS_CONFIG_DIR: join(dir, 'config') };
    const host = startProcess('zeronas.js', ['orchestrate', '--targets', 'local', '--listen', '127.0.0.1', '--port', '0', '--out', join(dir, 'run'), ...SMALL_RUN], env);
    await host.waitFor(/agent local@\w+ connected/, 120_000);
    host.kill('SIGINT');
    expect(await host.exited).toBe(130);
    const [, printed] = /continue with: (npx zeronas orchestrate --resume \S+)/.exec(host.output())!;
    expect(printed).toBe(`npx zeronas orchestrate --resume ${join(dir, 'run')}`);
    // Paste it (the same shell command, from the project folder), with the same config directory.
    const pasted = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn('bash', ['-c', printed!], { cwd: REPO_ROOT, env: { ...process.env, NO_COLOR: '1', ...env } });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      child.on('close', (code) => resolve({ code, out }));
    });
    expect(pasted.code, pasted.out.slice(-3000)).toBe(0);
    const summaryPath = join(dir, 'run', 'summary.json');
    const summary = readFileSync(summaryPath, 'utf8');
    const again = await runCli(['orchestrate', '--resume', join(dir, 'run')], { env });
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/already finished; nothing to resume/);
    expect(readFileSync(summaryPath, 'utf8')).toBe(summary); // wall time and all
  }, 300_000);

  it('zeronas fleet --host asks a running host over wss:// (pinned): refused without its token, answers with it', async () => {
    const host = await startLiveHost({ extraArgs: ['--tls'] });
    try {
      const [, pin] = /--pin (sha256:[0-9a-f]{64})/.exec(host.proc.output())!;
      const address = `wss://127.0.0.1:${host.port}/agent`; // as the printed attach command names it
      const elsewhere = { ZERONAS_CONFIG_DIR: mkdtempSync(join(tmpdir(), 'zeronas-fleet-cfg-')), ZERONAS_TOKEN: '' }; // no token of its own
      expectClearError(await runCli(['fleet', '--host', address, '--pin', pin!], { env: elsewhere }), 'ZN_AUTH', /set ZERONAS_TOKEN .* or give --token-file/);
      expectClearError(await runCli(['fleet', '--host', address, '--pin', pin!], { env: { ...elsewhere, ZERONAS_TOKEN: 'not-this-hosts-token' } }), 'ZN_AUTH', 'refused the token from ZERONAS_TOKEN');
      expectClearError(await runCli(['fleet', '--host', address], { env: { ...elsewhere, ZERONAS_TOKEN: host.token } }), 'ZN_AUTH', /does not trust .*--pin/);
      expectClearError(await runCli(['fleet', '--host', address, '--pin', `sha256:${'0'.repeat(64)}`], { env: { ...elsewhere, ZERONAS_TOKEN: host.token } }), 'ZN_AUTH', 'the token was not sent');

      const shown = await runCli(['fleet', '--host', address, '--pin', pin!], { env: { ...elsewhere, ZERONAS_TOKEN: host.token } });
      expect(shown.code, shown.stderr).toBe(0);
      expect(shown.stdout).toMatch(new RegExp(`^${host.localAgentId}\\s+idle\\s+\\d+ s ago \\(live\\)\\s`, 'm'));
      const tokenFile = join(elsewhere.ZERONAS_CONFIG_DIR, 'copied-token');
      writeFileSync(tokenFile, `${host.token}\n`, { mode: 0o600 });
      const json = await runCli(['fleet', '--host', `https://127.0.0.1:${host.port}/`, '--pin', pin!, '--token-file', tokenFile, '--json'], { env: elsewhere });
      expect(json.code, json.stderr).toBe(0);
      const fleet = JSON.parse(json.stdout) as { agents: { id: string; isLive: boolean; state: string; runtimes: string[]; lastResults: unknown[] }[] };
      expect(fleet.agents).toEqual([expect.objectContaining({ id: host.localAgentId, isLive: true, state: 'idle', runtimes: expect.arrayContaining([expect.stringMatching(/^ort-node /)]), lastResults: [] })]);
      for (const out of [shown.stdout, shown.stderr, json.stdout, readFileSync(host.logPath, 'utf8')]) expect(out).not.toContain(host.token);
    } finally {
      await host.close();
    }
  }, 300_000);
});
