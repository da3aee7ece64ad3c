/**
 * `zeronas costmodel prior`: writes a fleet prior file (host/cost/prior/priorFile.ts) that adds this
 * installation's measured devices (run folders) to a base prior (default the shipped HW-NAS-Bench one). The CLI
 * parses and prints; the work is host/workflows/costPrior.ts.
 */
import type { CommandModule } from 'yargs';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ZeronasError } from '../../../shared/errors.js';
import { info, printJson, table, type OutputOptions } from '../output.js';

type PriorArgs = OutputOptions & { from: string[]; out: string; base: string };

const priorCommand: CommandModule<object, PriorArgs> = {
  command: 'prior',
  describe: 'Build a fleet prior file from a base prior plus the devices measured in run folders',
  builder: (y) =>
    y
      .option('from', { type: 'string', array: true, demandOption: true, describe: 'Run folders, or folders of runs (e.g. runs/)' })
      .option('out', { type: 'string', demandOption: true, describe: 'Prior file to write (JSON)' })
      .option('base', { type: 'string', default: 'hwnasbench', describe: "Prior to extend: a prior file, or 'hwnasbench' for the shipped one" })
      .example('$0 costmodel prior --from runs/ --out fleet-prior.json', 'HW-NAS-Bench plus every device measured under runs/')
      .example('$0 bench costmodel --truth my-results.csv --prior fleet-prior.json --train 10', 'Then score it (columns from `zeronas results`)') as never,
  handler: async (args) => {
    const { writeFile } = await import('node:fs/promises');
    const { loadFleetPrior, serialiseFleetPrior } = await import('../../cost/prior/priorFile.js');
    const { buildFleetPriorFromRuns } = await import('../../workflows/costPrior.js');
    // before reading every run: a typo in --out should not cost the whole build
    const outDir = dirname(resolve(args.out));
    if (!existsSync(outDir)) throw new ZeronasError('ZN_IO', `cannot write '${args.out}': folder '${outDir}' does not exist`, { path: args.out });
    const base = await loadFleetPrior(args.base);
    const built = buildFleetPriorFromRuns(base, args.from, { onProgress: (m) => info(args, m) });
    const text = serialiseFleetPrior(built.prior);
    try {
      await writeFile(args.out, text);
    } catch (err) {
      throw new ZeronasError('ZN_IO', `cannot write '${args.out}': ${(err as Error).message}`, { path: args.out }, err);
    }
    if (args.json) return printJson({ out: args.out, bytes: text.length, runs: built.runs, added: built.added.map((r) => ({ device: r.device, dataset: r.dataset, metric: r.metric, samples: r.samples, relResidual: r.relResidual })), skipped: built.skipped, references: built.prior.references.length });
    const rows: (string | number)[][] = [['device', 'metric', 'architectures', 'fit |rel. residual| (median)', 'status']];
    for (const r of built.added) rows.push([r.device, r.metric, r.samples, `${(100 * r.relResidual).toFixed(1)}%`, 'added']);
    for (const s of built.skipped) rows.push([s.device, s.metric, '-', '-', `skipped: ${s.reason}`]);
    process.stdout.write(`${table(rows)}\nwrote ${args.out}: ${built.prior.references.length} references, ${built.added.length} of them added from ${built.runs.length} run folder(s) (${(text.length / 1024).toFixed(1)} KB)\n`);
  },
};

/** `zeronas costmodel <what>`: cost-model files. */
export const costmodelCommand: CommandModule = {
  command: 'costmodel <what>',
  describe: 'Cost-model files: build a fleet prior from your runs',
  builder: (y) => y.command(priorCommand as never).demandCommand(1),
  handler: () => undefined,
};
