/**
 * One warm measurement process per agent (agent/measureChild.ts in 'warm' lifetime), reused across jobs, so a job
 * pays neither Node's start-up nor the runtime's import (on a Raspberry Pi, seconds per job). Isolation is kept by
 * the process boundary: a job that crashes the process (native abort, out of memory, SIGKILL) or overruns its
 * timeout fails alone with ZN_JOB_CRASHED / ZN_JOB_TIMEOUT, the process is killed and the next job starts a new one.
 * A cancel also kills it (a measurement in progress cannot be interrupted from outside any other way).
 *
 * The process is also replaced when the next job needs a state it cannot change: onnxruntime-web fixes its wasm
 * thread count at its first session (agent/runtimes/ortWeb.ts), so an ort-wasm job with another thread count gets a
 * new process. Each job still runs in its own fresh empty working directory (measureWorker.ts says why).
 */
import type { ChildProcess } from 'node:child_process';
import type { ChildJob, ChildReply } from './measureChild.js';
import {
  crashError,
  failedHandle,
  forkMeasureProcess,
  killMeasureProcess,
  makeWorkDir,
  workDirOrFailure,
  removeWorkDir,
  timeoutError,
  withAbsolutePaths,
  type MeasureOutcome,
  type MeasurementHandle,
} from './measureWorker.js';

interface LiveProcess {
  child: ChildProcess;
  /** The process's own private directory (its cwd between jobs). */
  homeDir: string;
  /** ort-wasm's thread count once a wasm session exists in this process, else null. */
  wasmThreads: number | null;
  jobsRun: number;
  stderrTail: string;
  /** Called with every reply and on exit, for the job in progress. */
  onReply: ((reply: ChildReply) => void) | null;
  onExit: ((code: number | null, signal: NodeJS.Signals | null) => void) | null;
}

export class WarmMeasurementWorker {
  private live: LiveProcess | null = null;
  private isBusy = false;
  /** Processes started so far (1 for an agent whose worker never had to be replaced). */
  private started = 0;

  constructor(private readonly options: { log: (line: string) => void }) {}

  /** How many measurement processes this worker has started (tests, benchmarks, logs). */
  get processesStarted(): number {
    return this.started;
  }

  /** The live process's pid, or null (tests: crash it from outside as the OOM killer would). */
  get pid(): number | null {
    return this.live?.child.pid ?? null;
  }

  start(job: ChildJob): MeasurementHandle {
    if (this.isBusy) {
      return failedHandle({
        code: 'ZN_AGENT_BUSY',
        message: `the measurement worker is busy; job '${job.jobId}' was not started`,
      });
    }
    if (
      this.live &&
      job.runtime === 'ort-wasm' &&
      this.live.wasmThreads !== null &&
      this.live.wasmThreads !== job.settings.threads
    ) {
      this.options.log(
        `measurement worker: ort-wasm fixed ${this.live.wasmThreads} threads in this process; job '${job.jobId}' wants ${job.settings.threads}: starting a new process`,
      );
      this.retire(this.live);
    }
    const dir = workDirOrFailure();
    if ('failed' in dir) return dir.failed;
    const { workDir } = dir;
    let live: LiveProcess;
    try {
      live = this.live ?? this.spawn();
    } catch (err) {
      removeWorkDir(workDir);
      return failedHandle({
        code: 'ZN_JOB_CRASHED',
        message: `could not start the measurement process: ${(err as Error).message}`,
      });
    }
    this.isBusy = true;
    live.stderrTail = '';
    if (job.runtime === 'ort-wasm' && live.wasmThreads === null) live.wasmThreads = job.settings.threads;

    let settle!: (o: MeasureOutcome) => void;
    const done = new Promise<MeasureOutcome>((resolve) => {
      settle = resolve;
    });
    let outcome: MeasureOutcome | null = null;
    let measuringMs: number | null = null;
    const finish = (o: MeasureOutcome, processGoes: boolean): void => {
      if (outcome) return;
      outcome = o;
      clearTimeout(timer);
      live.onReply = null;
      live.onExit = null;
      if (processGoes) this.retire(live);
      removeWorkDir(workDir);
      this.isBusy = false;
      settle(o);
    };
    const timer = setTimeout(
      () => finish({ status: 'failed', error: timeoutError(job) }, true),
      job.settings.timeoutMs,
    );
    live.onReply = (reply) => {
      if (reply.jobId !== job.jobId) return;
      if (reply.type === 'log') this.options.log(`[measure ${job.jobId}] ${reply.line}`);
      else if (reply.type === 'outcome') {
        measuringMs = reply.measuringMs;
        live.jobsRun++;
        finish(reply.outcome, false);
      }
    };
    live.onExit = (code, signal) =>
      finish({ status: 'failed', error: crashError(code, signal, live.stderrTail) }, true);
    live.child.send({ ...withAbsolutePaths(job), workDir, lifetime: 'warm' } satisfies ChildJob);

    return {
      done,
      cancel: () => finish({ status: 'cancelled' }, true),
      measuringMs: () => measuringMs,
    };
  }

  /** Ends the process (agent shutdown). A job in progress ends as crashed; callers cancel it first. */
  async stop(): Promise<void> {
    const live = this.live;
    if (!live) return;
    const closed = new Promise<void>((resolve) => live.child.once('close', () => resolve()));
    this.retire(live);
    if (live.child.exitCode === null && live.child.signalCode === null) await closed;
  }

  private spawn(): LiveProcess {
    const homeDir = makeWorkDir();
    let child: ChildProcess;
    try {
      child = forkMeasureProcess(homeDir);
    } catch (err) {
      removeWorkDir(homeDir);
      throw err;
    }
    this.started++;
    const live: LiveProcess = {
      child,
      homeDir,
      wasmThreads: null,
      jobsRun: 0,
      stderrTail: '',
      onReply: null,
      onExit: null,
    };
    this.live = live;
    child.stderr?.on('data', (d: Buffer) => {
      live.stderrTail = (live.stderrTail + d.toString()).slice(-2_000);
    });
    child.stdout?.on('data', (d: Buffer) => this.options.log(`[measure] ${d.toString().trimEnd()}`));
    child.on('message', (raw) => live.onReply?.(raw as ChildReply));
    child.on('error', (err) => {
      this.options.log(`measurement process error: ${err.message}`);
      live.onExit?.(null, null);
    });
    child.on('exit', (code, signal) => {
      if (this.live === live) this.live = null;
      live.onExit?.(code, signal);
    });
    child.once('close', () => removeWorkDir(homeDir));
    if (this.started > 1) this.options.log(`measurement worker: process ${this.started} started (pid ${child.pid})`);
    return live;
  }

  /** Drops a process: it takes no more jobs and is killed (SIGTERM, then SIGKILL). */
  private retire(live: LiveProcess): void {
    if (this.live === live) this.live = null;
    killMeasureProcess(live.child);
  }
}
