/**
 * Progress on stderr: a live bar with ETA on a terminal (cli-progress), one line every few seconds otherwise
 * (CI logs, pipes), nothing under --quiet or --json. One reporter per command; phases switch its label.
 */
import cliProgress from 'cli-progress';

export interface ProgressReporter {
  update(phase: string, done: number, total: number): void;
  stop(): void;
  /** Prints a line without tearing the bar. */
  log(line: string): void;
}

export function createProgress(opts: { quiet: boolean; json: boolean }): ProgressReporter {
  const enabled = !opts.quiet;
  const isTty = process.stderr.isTTY === true && !opts.json;
  let bar: cliProgress.SingleBar | undefined;
  let phase = '';
  let lastPrint = 0;
  // Our own ETA (cli-progress prints "NFs" before its estimate has a rate): from the phase's start, once it moved.
  let started = { at: 0, done: 0 };
  let last = { at: 0, done: 0 };
  return {
    update(nextPhase, done, total) {
      if (!enabled || opts.json) return;
      if (isTty) {
        if (nextPhase !== phase) {
          bar?.stop();
          bar = new cliProgress.SingleBar(
            { format: `${nextPhase.padEnd(28)} [{bar}] {value}/{total}  {percentage}%  ETA {etaText}`, hideCursor: true, stream: process.stderr },
            cliProgress.Presets.shades_classic,
          );
          started = { at: Date.now(), done };
          last = { ...started };
          bar.start(total, done, { etaText: formatEta(Number.NaN) });
        } else bar?.setTotal(total);
        const now = Date.now();
        if (done !== last.done) last = { at: now, done };
        bar?.update(done, { etaText: formatEta(etaSeconds(started, last, total, now)) });
      } else {
        const now = Date.now();
        if (nextPhase !== phase || done === total || now - lastPrint > 5_000) {
          process.stderr.write(`${nextPhase}: ${done}/${total}\n`);
          lastPrint = now;
        }
      }
      phase = nextPhase;
    },
    stop() {
      bar?.stop();
      bar = undefined;
      phase = '';
    },
    log(line) {
      if (!enabled) return;
      if (bar) {
        process.stderr.write('\r\x1b[K');
        process.stderr.write(`${line}\n`);
      } else process.stderr.write(`${line}\n`);
    },
  };
}

/**
 * Seconds left: the rate from the phase's start to the last completed item, minus the time since that item, so a
 * long item counts the estimate down instead of up (a rate measured up to "now" falls while nothing completes); never
 * below what the items after the current one need. NaN before any item completed.
 */
export function etaSeconds(started: { at: number; done: number }, last: { at: number; done: number }, total: number, now: number): number {
  const rate = (last.done - started.done) / Math.max(1e-9, (last.at - started.at) / 1000);
  if (!(rate > 0)) return Number.NaN;
  const left = total - last.done;
  return Math.max((left - 1) / rate, left / rate - (now - last.at) / 1000, 0);
}

/** "42s", "3m05s", "1h02m"; "-" while there is no rate to estimate from. */
export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '-';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
