import { writeFileSync } from 'node:fs';
import type { CommandModule } from 'yargs';
import { ZeronasError } from '../../../shared/errors.js';
import { printJson, type OutputOptions } from '../output.js';

type Args = OutputOptions & { run: string; out?: string };

export const resultsCommand: CommandModule<object, Args> = {
  command: 'results <run>',
  describe: "Export a run's measurements as CSV in HW-NAS-Bench's columns (index, arch_str, cifar10_<device>_latency ...)",
  builder: (y) =>
    y
      .positional('run', { type: 'string', demandOption: true, describe: 'Run folder written by orchestrate' })
      .option('out', { type: 'string', describe: 'CSV file to write (default: standard output)' })
      .example('$0 results runs/20261129-101500-ab12 --out pi3b.csv', 'One row per measured architecture; latency in ms, energy in mJ')
      .example('$0 results runs/20261129-101500-ab12 --json', 'The same table as JSON (columns and rows)') as never,
  handler: async (args) => {
    const { runResults, toCsv } = await import('../../workflows/results.js');
    const table = runResults(args.run);
    if (args.json) return printJson(table);
    const csv = toCsv(table);
    if (!args.out) return void process.stdout.write(csv);
    try {
      writeFileSync(args.out, csv);
    } catch (err) {
      throw new ZeronasError('ZN_IO', `cannot write '${args.out}': ${(err as Error).message}`, { path: args.out }, err);
    }
    if (!args.quiet) process.stderr.write(`${table.rows.length} architecture(s) of run ${table.runId} -> ${args.out}\n`);
  },
};
