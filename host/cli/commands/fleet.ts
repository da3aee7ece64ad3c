import type { CommandModule } from 'yargs';
import { printJson, table, type OutputOptions } from '../output.js';

type Args = OutputOptions & { runs: string[] };

export const fleetCommand: CommandModule<object, Args> = {
  command: 'fleet [runs..]',
  describe: 'List the agents your runs know: device, runtimes, last seen, measurements and latest result',
  builder: (y) =>
    y
      .positional('runs', { type: 'string', array: true, default: ['runs'], describe: 'Run folders, or folders of runs (default runs/)' })
      .example('$0 fleet', 'Every agent of every run under runs/')
      .example('$0 fleet runs/20261129-101500-ab12 --json', 'The agents of one run, as JSON') as never,
  handler: async (args) => {
    const { runFleet } = await import('../../workflows/results.js');
    const agents = runFleet(args.runs);
    if (args.json) return printJson({ agents });
    if (agents.length === 0) return void process.stdout.write(`no agent in the run stores under ${args.runs.join(', ')}\n`);
    const rows: (string | number)[][] = [['agent', 'profile', 'cpu', 'runtimes', 'last seen', 'state', 'measured', 'latest result']];
    for (const a of agents) {
      const last = a.last ? `${a.last.latencyMs === null ? '-' : `${a.last.latencyMs.toFixed(3)} ms`} on ${a.last.target} (${a.last.at.slice(0, 19)}Z)` : '-';
      rows.push([a.id, a.profile ?? '-', a.cpu ?? '-', a.runtimes.join(', ') || '-', `${a.lastSeen.slice(0, 19)}Z`, a.connected ? 'connected (as last recorded)' : 'disconnected', a.measurements, last]);
    }
    process.stdout.write(`${table(rows)}\n`);
  },
};
