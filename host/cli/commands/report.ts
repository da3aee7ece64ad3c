import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { ZeronasError } from '../../../shared/errors.js';
import { colour, printJson, type OutputOptions } from '../output.js';

type Args = OutputOptions & { run: string; out?: string; truth?: string; column: string };

export const reportCommand: CommandModule<object, Args> = {
  command: 'report <run>',
  describe: 'Regenerate the self-contained HTML report of a run folder (runs/<id>/report.html)',
  builder: (y) =>
    y
      .positional('run', { type: 'string', demandOption: true, describe: 'Run folder written by orchestrate' })
      .option('out', { type: 'string', describe: 'Output file (default <run>/report.html)' })
      .option('truth', { type: 'string', describe: 'Ground-truth CSV keyed by arch_str: adds proxy score vs truth (default: the run\'s --truth)' })
      .option('column', { type: 'string', default: 'cifar10_test_acc', describe: 'Column of --truth to compare with' })
      .example('$0 report runs/20261129-101500-ab12', 'Redraw the report of a finished run')
      .example(
        '$0 report runs/20261129-101500-ab12 --truth ../shared/data/nb201/nb201_accuracy.csv --column cifar10_test_acc',
        'Also plot proxy scores against NAS-Bench-201 test accuracy',
      ) as never,
  handler: async (args) => {
    const dir = resolve(args.run);
    if (!existsSync(dir)) throw new ZeronasError('ZN_BAD_ARGUMENT', `run folder '${args.run}' does not exist`, { path: dir });
    if (args.truth !== undefined && !existsSync(args.truth)) throw new ZeronasError('ZN_BAD_ARGUMENT', `--truth '${args.truth}' does not exist`, { path: args.truth });
    const { writeRunReport } = await import('../../report/index.js');
    const { path, bytes, data } = writeRunReport(dir, {
      ...(args.out ? { out: args.out } : {}),
      ...(args.truth ? { truth: { path: resolve(args.truth), column: args.column } } : {}),
    });
    if (args.json) {
      return printJson({
        path,
        bytes,
        runId: data.runId,
        targets: data.targets.map((t) => ({
          target: t.target,
          measured: t.measured,
          candidates: t.points.length,
          mapePercent: t.errors.mapePercent,
          within10: t.errors.within10,
          best: t.best ? { arch: t.best.arch, proxyScore: t.best.proxyScore, measuredLatencyMs: t.best.measuredLatencyMs, onnx: t.best.onnx } : null,
        })),
        devices: data.devices.length,
        truth: data.truth ? { column: data.truth.column, n: data.truth.n, kendall: data.truth.kendall, spearman: data.truth.spearman } : null,
      });
    }
    if (args.quiet) process.stdout.write(`${path}\n`);
    else process.stdout.write(`${colour.bold('report')}: ${path} (${(bytes / 1024).toFixed(0)} KiB, ${data.targets.length} target(s), opens offline)\n`);
  },
};
