/**
 * Runs one measurement in a child process (agent/measureChild.ts) with a hard timeout. A model that hangs, crashes
 * the runtime (native abort, out of memory) or overruns its time is killed and reported as a failed job with
 * ZN_JOB_TIMEOUT or ZN_JOB_CRASHED; the agent process itself never runs a model. A fresh process per job also
 * gives every measurement the same starting state (no arena or cache left by the previous model).
 *
 * The child runs in a fresh empty directory (mkdtemp under os.tmpdir(), mode 0700), removed when the child ends, when
 * the agent exits, or by the child itself when the agent was killed first: onnxruntime resolves a model's relative external-data locations against the
 * working directory, and the agent's own (e.g. /opt/zeronas, next to agent.env) must not be reachable that way
 * (issue #19; models with external data are also refused outright, onnxExternalData.ts). So every path in the job is
 * made absolute here, the operator's --energy-cmd still runs in the agent's directory, and tsx gets its tsconfig
 * pinned (TSX_TSCONFIG_PATH): otherwise it would look for one from the temporary directory upwards, and anyone who
 * can write /tmp/tsconfig.json could remap the child's imports.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Measurement, WireError } from '../shared/protocol/messages.js';
import type { ChildJob, ChildReply } from './measureChild.js';

export type MeasureOutcome =
  | { status: 'ok'; measurement: Measurement }
  | { status: 'failed'; error: WireError }
  | { status: 'cancelled' };

export interface MeasurementHandle {
  readonly done: Promise<MeasureOutcome>;
  cancel(): void;
}

const CHILD_PATH = fileURLToPath(new URL('./measureChild.ts', import.meta.url));
const TSX_LOADER = import.meta.resolve('tsx');
const CHILD_TSCONFIG = fileURLToPath(new URL('./measureChild.tsconfig.json', import.meta.url));
/** Time between SIGTERM and SIGKILL when a child must go. */
const KILL_GRACE_MS = 2_000;

/** Working directories of children still running; the exit hook removes any left when the agent exits. */
const liveWorkDirs = new Set<string>();
let hasExitHook = false;

function makeWorkDir(): string {
  const dir = mkdtempSync(join(resolve(tmpdir()), 'zeronas-measure-')); // mkdtemp creates it with mode 0700
  liveWorkDirs.add(dir);
  if (!hasExitHook) {
    hasExitHook = true;
    process.once('exit', () => {
      for (const d of liveWorkDirs) removeWorkDir(d);
    });
  }
  return dir;
}

function removeWorkDir(dir: string): void {
  liveWorkDirs.delete(dir);
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    // Nothing secret is in it; the system's temporary-file cleaning gets it.
  }
}

/** The job with every file path resolved against the agent's working directory (the child runs elsewhere). */
export function withAbsolutePaths(job: ChildJob, cwd: string = process.cwd()): ChildJob {
  const path = (p: string): string => resolve(cwd, p);
  // A bare command name ('vcgencmd') is looked up on PATH; one with a slash is a path.
  const command = (c: string): string => (c.includes('/') ? resolve(cwd, c) : c);
  return {
    ...job,
    modelPath: path(job.modelPath),
    sysRoot: path(job.sysRoot),
    vcgencmd: command(job.vcgencmd),
    energy: {
      ...job.energy,
      raplRoot: path(job.energy.raplRoot),
      hwmonRoot: path(job.energy.hwmonRoot),
      powerSupplyRoot: path(job.energy.powerSupplyRoot),
      vcgencmd: command(job.energy.vcgencmd),
      commandCwd: cwd,
    },
  };
}

function failedHandle(error: WireError): MeasurementHandle {
  return { done: Promise.resolve({ status: 'failed', error }), cancel: () => undefined };
}

export function startMeasurement(job: ChildJob, options: { log: (line: string) => void }): MeasurementHandle {
  let workDir: string;
  try {
    workDir = makeWorkDir();
  } catch (err) {
    return failedHandle({ code: 'ZN_IO', message: `could not create a working directory for the measurement in ${tmpdir()}: ${(err as Error).message}` });
  }
  let child: ChildProcess;
  try {
    child = fork(CHILD_PATH, [], {
      cwd: workDir,
      env: { ...process.env, TSX_TSCONFIG_PATH: CHILD_TSCONFIG },
      execArgv: ['--import', TSX_LOADER],
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
  } catch (err) {
    removeWorkDir(workDir);
    return failedHandle({ code: 'ZN_JOB_CRASHED', message: `could not start the measurement process: ${(err as Error).message}` });
  }
  child.once('close', () => removeWorkDir(workDir));
  let stderrTail = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderrTail = (stderrTail + d.toString()).slice(-2_000);
  });
  child.stdout?.on('data', (d: Buffer) => options.log(`[measure ${job.jobId}] ${d.toString().trimEnd()}`));

  let settle!: (o: MeasureOutcome) => void;
  const done = new Promise<MeasureOutcome>((resolve) => {
    settle = resolve;
  });
  let outcome: MeasureOutcome | null = null;
  const finish = (o: MeasureOutcome): void => {
    if (outcome) return;
    outcome = o;
    clearTimeout(timer);
    settle(o);
  };
  const kill = (): void => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }, KILL_GRACE_MS).unref();
  };

  const timer = setTimeout(() => {
    finish({
      status: 'failed',
      error: {
        code: 'ZN_JOB_TIMEOUT',
        message: `measurement of job '${job.jobId}' exceeded its timeout of ${job.settings.timeoutMs} ms and was killed`,
        details: { timeoutMs: job.settings.timeoutMs },
      },
    });
    kill();
  }, job.settings.timeoutMs);

  child.on('message', (raw) => {
    const reply = raw as ChildReply;
    if (reply.type === 'log') options.log(`[measure ${job.jobId}] ${reply.line}`);
    else if (reply.type === 'outcome') finish(reply.outcome);
  });
  child.on('error', (err) => {
    removeWorkDir(workDir);
    finish({ status: 'failed', error: { code: 'ZN_JOB_CRASHED', message: `measurement process error: ${err.message}` } });
  });
  child.on('exit', (code, signal) => {
    finish({
      status: 'failed',
      error: {
        code: 'ZN_JOB_CRASHED',
        message: `measurement process exited (code ${code}, signal ${signal}) without a result${stderrTail ? `: ${stderrTail.trim().slice(-500)}` : ''}`,
        details: { exitCode: code, signal },
      },
    });
  });
  child.send({ ...withAbsolutePaths(job), workDir });

  return {
    done,
    cancel: () => {
      finish({ status: 'cancelled' });
      kill();
    },
  };
}
