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
  return {
    update(nextPhase, done, total) {
      if (!enabled || opts.json) return;
      if (isTty) {
        if (nextPhase !== phase) {
          bar?.stop();
          bar = new cliProgress.SingleBar(
            { format: `${nextPhase.padEnd(28)} [{bar}] {value}/{total}  {percentage}%  ETA {eta_formatted}`, hideCursor: true, stream: process.stderr },
            cliProgress.Presets.shades_classic,
          );
          bar.start(total, done);
        } else bar?.setTotal(total);
        bar?.update(done);
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
