/**
 * Runs one measurement in a child process (agent/measureChild.ts) with a hard timeout. A model that hangs, crashes
 * the runtime (native abort, out of memory) or overruns its time is killed and reported as a failed job with
 * ZN_JOB_TIMEOUT or ZN_JOB_CRASHED; the agent process itself never runs a model. A fresh process per job also
 * gives every measurement the same starting state (no arena or cache left by the previous model).
 */
import { fork, type ChildProcess } from 'node:child_process';
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
/** Time between SIGTERM and SIGKILL when a child must go. */
const KILL_GRACE_MS = 2_000;

export function startMeasurement(job: ChildJob, options: { log: (line: string) => void }): MeasurementHandle {
  const child: ChildProcess = fork(CHILD_PATH, [], {
    execArgv: ['--import', TSX_LOADER],
    serialization: 'advanced',
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
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
  child.send(job);

  return {
    done,
    cancel: () => {
      finish({ status: 'cancelled' });
      kill();
    },
  };
}
