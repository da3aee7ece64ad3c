/**
 * Measurement processes (agent/measureChild.ts): the agent process itself never runs a model. A model that hangs,
 * crashes the runtime (native abort, out of memory) or overruns its time is killed with its process and reported as a
 * failed job with ZN_JOB_TIMEOUT or ZN_JOB_CRASHED.
 *
 * Two ways to use them:
 *  - warmWorker.ts (the agent's default): one process per agent, reused across jobs, replaced after a crash, a
 *    timeout or a cancel;
 *  - startMeasurement() here (`--measure-process fresh`, and the reference of scripts/bench/measureDispatch.ts): a
 *    fresh process per job, which gives every measurement the same starting state (no arena or cache left by the
 *    previous model) at the price of Node's start-up and the runtime's import per job.
 *
 * Each job runs in a fresh empty directory (mkdtemp under os.tmpdir(), mode 0700), removed when the job ends, when
 * the agent exits, or by the process itself when the agent was killed first: onnxruntime resolves a model's relative
 * external-data locations against the working directory, and the agent's own (e.g. /opt/zeronas, next to agent.env)
 * must not be reachable that way (issue #19; models with external data are also refused outright,
 * onnxExternalData.ts). So every path in the job is made absolute here, the operator's --energy-cmd still runs in the
 * agent's directory, and tsx (source checkouts only) gets its tsconfig pinned (TSX_TSCONFIG_PATH): otherwise it would
 * look for one from the temporary directory upwards, and anyone who can write /tmp/tsconfig.json could remap the
 * child's imports. The bundled agent (`zeronas agent-bundle`) runs plain JavaScript: no loader at all.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Measurement, WireError } from '../shared/protocol/messages.js';
import type { ChildJob, ChildReply } from './measureChild.js';

export type MeasureOutcome =
  { status: 'ok'; measurement: Measurement } | { status: 'failed'; error: WireError } | { status: 'cancelled' };

export interface MeasurementHandle {
  readonly done: Promise<MeasureOutcome>;
  cancel(): void;
  /** After `done`: ms the measurement procedure itself took in the process (null: it did not get that far). */
  measuringMs?(): number | null;
}

/**
 * Source checkout: this file is TypeScript run through tsx, and so is the child. Bundle: this code is inside
 * bin/zeronas-agent.js and the child is bin/measureChild.js next to it, plain JavaScript.
 */
const IS_SOURCE = import.meta.url.endsWith('.ts');
const CHILD_PATH = fileURLToPath(new URL(IS_SOURCE ? './measureChild.ts' : './measureChild.js', import.meta.url));
const CHILD_TSCONFIG = fileURLToPath(new URL('./measureChild.tsconfig.json', import.meta.url));
/** Time between SIGTERM and SIGKILL when a child must go. */
export const KILL_GRACE_MS = 2_000;

/** Working directories still in use; the exit hook removes any left when the agent exits. */
const liveWorkDirs = new Set<string>();
let hasExitHook = false;

export function makeWorkDir(): string {
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

export function removeWorkDir(dir: string): void {
  liveWorkDirs.delete(dir);
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    // Nothing secret is in it; the system's temporary-file cleaning gets it.
  }
}

/** Starts a measurement process whose working directory is `cwd` (private, empty). Throws if it cannot fork. */
export function forkMeasureProcess(cwd: string): ChildProcess {
  const execArgv = IS_SOURCE ? ['--import', import.meta.resolve('tsx')] : [];
  const env = IS_SOURCE ? { ...process.env, TSX_TSCONFIG_PATH: CHILD_TSCONFIG } : { ...process.env };
  return fork(CHILD_PATH, [], {
    cwd,
    env,
    execArgv,
    serialization: 'advanced',
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
}

/** Kills a measurement process: SIGTERM, then SIGKILL after KILL_GRACE_MS. */
export function killMeasureProcess(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }, KILL_GRACE_MS).unref();
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

/** A fresh working directory for one job, or the failed handle that reports why there is none. */
export function workDirOrFailure(): { workDir: string } | { failed: MeasurementHandle } {
  try {
    return { workDir: makeWorkDir() };
  } catch (err) {
    return {
      failed: failedHandle({ code: 'ZN_IO', message: `could not create a working directory for the measurement in ${tmpdir()}: ${(err as Error).message}` }),
    };
  }
}

export function failedHandle(error: WireError): MeasurementHandle {
  return { done: Promise.resolve({ status: 'failed', error }), cancel: () => undefined, measuringMs: () => null };
}

export function timeoutError(job: ChildJob): WireError {
  return {
    code: 'ZN_JOB_TIMEOUT',
    message: `measurement of job '${job.jobId}' exceeded its timeout of ${job.settings.timeoutMs} ms and was killed`,
    details: { timeoutMs: job.settings.timeoutMs },
  };
}

export function crashError(code: number | null, signal: NodeJS.Signals | null, stderrTail: string): WireError {
  return {
    code: 'ZN_JOB_CRASHED',
    message: `measurement process exited (code ${code}, signal ${signal}) without a result${stderrTail ? `: ${stderrTail.trim().slice(-500)}` : ''}`,
    details: { exitCode: code, signal },
  };
}

/** One measurement in a fresh process, killed at the job's timeout (the reference path; see the top comment). */
export function startMeasurement(job: ChildJob, options: { log: (line: string) => void }): MeasurementHandle {
  const dir = workDirOrFailure();
  if ('failed' in dir) return dir.failed;
  const { workDir } = dir;
  let child: ChildProcess;
  try {
    child = forkMeasureProcess(workDir);
  } catch (err) {
    removeWorkDir(workDir);
    return failedHandle({
      code: 'ZN_JOB_CRASHED',
      message: `could not start the measurement process: ${(err as Error).message}`,
    });
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
  let measuringMs: number | null = null;
  const finish = (o: MeasureOutcome): void => {
    if (outcome) return;
    outcome = o;
    clearTimeout(timer);
    settle(o);
  };

  const timer = setTimeout(() => {
    finish({ status: 'failed', error: timeoutError(job) });
    killMeasureProcess(child);
  }, job.settings.timeoutMs);

  child.on('message', (raw) => {
    const reply = raw as ChildReply;
    if (reply.type === 'log') options.log(`[measure ${job.jobId}] ${reply.line}`);
    else if (reply.type === 'outcome') {
      measuringMs = reply.measuringMs;
      finish(reply.outcome);
    }
  });
  child.on('error', (err) => {
    removeWorkDir(workDir);
    finish({
      status: 'failed',
      error: { code: 'ZN_JOB_CRASHED', message: `measurement process error: ${err.message}` },
    });
  });
  child.on('exit', (code, signal) => finish({ status: 'failed', error: crashError(code, signal, stderrTail) }));
  child.send({ ...withAbsolutePaths(job), workDir, lifetime: 'once' } satisfies ChildJob);

  return {
    done,
    cancel: () => {
      finish({ status: 'cancelled' });
      killMeasureProcess(child);
    },
    measuringMs: () => measuringMs,
  };
}
