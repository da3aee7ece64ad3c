import type { CommandModule } from 'yargs';
import { ZeronasError } from '../../../shared/errors.js';
import { printable } from '../../../shared/printable.js';
import { printJson, table, type OutputOptions } from '../output.js';

type Args = OutputOptions & { runs?: string[]; host?: string; pin?: string; tokenFile?: string; token?: unknown };

/** "12 s ago", "3 min ago", "2 h ago". */
function ago(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)} s ago`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min ago`;
  return `${(ms / 3_600_000).toFixed(1)} h ago`;
}

export const fleetCommand: CommandModule<object, Args> = {
  command: 'fleet [runs..]',
  describe: 'List the agents a running host knows now (--host), or that your runs know: device, runtimes, last seen, latest results',
  builder: (y) =>
    y
      .positional('runs', { type: 'string', array: true, describe: 'Run folders, or folders of runs (default runs/); not with --host' })
      .option('host', { type: 'string', describe: 'Ask a running host instead, at any address it prints (wss://<host>:8765/agent, https://<host>:8765/); token from ZERONAS_TOKEN or --token-file' })
      .option('pin', { type: 'string', describe: "With a wss:// or https:// host: its certificate's fingerprint as the host prints it (sha256:<64 hex>, `zeronas token --pin` on the host)" })
      .option('token-file', { type: 'string', describe: "With --host: a file holding the host's token (default: ZERONAS_TOKEN, else this machine's own token file)" })
      // Accepted only to say why not: a token on the command line is visible to every user through `ps`.
      .option('token', { type: 'string', hidden: true })
      .example('$0 fleet', 'Every agent of every run under runs/')
      .example('$0 fleet runs/20261129-101500-ab12 --json', 'The agents of one run, as JSON')
      .example('ZERONAS_TOKEN=<T> $0 fleet --host wss://192.168.1.10:8765/agent --pin sha256:<hex>', 'The agents a running host knows now: live or last seen, idle or busy, latest results') as never,
  handler: async (args) => {
    if (args.token !== undefined) throw new ZeronasError('ZN_BAD_ARGUMENT', 'the token is not taken from the command line (`ps` shows command lines to every user): set ZERONAS_TOKEN, or give --token-file <file holding it>', {});
    if (args.host !== undefined) return liveFleet(args);
    if (args.pin !== undefined || args.tokenFile !== undefined) throw new ZeronasError('ZN_BAD_ARGUMENT', '--pin and --token-file go with --host <address of a running host>', {});
    const roots = args.runs?.length ? args.runs : ['runs'];
    const { runFleet } = await import('../../workflows/results.js');
    const agents = runFleet(roots);
    if (args.json) return printJson({ agents });
    if (agents.length === 0) return void process.stdout.write(`no agent in the run stores under ${roots.join(', ')}\n`);
    const rows: (string | number)[][] = [['agent', 'profile', 'cpu', 'runtimes', 'last seen', 'state', 'measured', 'latest result']];
    for (const a of agents) {
      const last = a.last ? `${a.last.latencyMs === null ? '-' : `${a.last.latencyMs.toFixed(3)} ms`} on ${a.last.target} (${a.last.at.slice(0, 19)}Z)` : '-';
      rows.push([a.id, a.profile ?? '-', a.cpu ?? '-', a.runtimes.join(', ') || '-', `${a.lastSeen.slice(0, 19)}Z`, a.connected ? 'connected (as last recorded)' : 'disconnected', a.measurements, last]);
    }
    process.stdout.write(`${table(rows)}\n`);
  },
};

async function liveFleet(args: Args): Promise<void> {
  if (args.runs?.length) throw new ZeronasError('ZN_BAD_ARGUMENT', `give either run folders (${args.runs.join(', ')}) or --host, not both`, {});
  const { parsePin, queryLiveFleet, readFleetToken } = await import('../../workflows/liveFleet.js');
  const pin = args.pin === undefined ? null : parsePin(args.pin);
  if (pin === undefined) throw new ZeronasError('ZN_BAD_ARGUMENT', `--pin '${args.pin}' is not a certificate fingerprint; expected sha256: and 64 hex digits, as the host prints it`, { pin: args.pin });
  const fleet = await queryLiveFleet({ hostUrl: args.host!, token: readFleetToken(args.tokenFile), pin });
  if (args.json) return printJson(fleet);
  const live = fleet.agents.filter((a) => a.isLive).length;
  process.stdout.write(`${fleet.host}: ${fleet.agents.length} agent(s) known, ${live} connected (${fleet.runs.length ? `run ${fleet.runs.join(', ')}` : 'no job sent yet: the host may still be waiting for agents or scoring'})\n`);
  if (fleet.agents.length === 0) return;
  const rows: (string | number)[][] = [['agent', 'state', 'last seen', 'profile', 'cpu', 'runtimes', 'measured', 'latest results']];
  for (const a of fleet.agents) {
    const state = a.state === 'busy' && a.currentJob ? `busy (${a.currentJob.target})` : a.state;
    const results = a.lastResults.map((r) => `${r.latencyMs === null ? '-' : `${r.latencyMs.toFixed(3)} ms`}${r.source === 'replay' ? ' REPLAY' : ''} on ${r.target}`).join('; ') || '-';
    rows.push([a.id, state, a.isLive ? `${ago(a.lastSeenAgoMs)} (live)` : ago(a.lastSeenAgoMs), a.profile ?? '-', a.cpu ?? '-', a.runtimes.join(', ') || '-', a.measurements, results]);
  }
  // Agents chose their names and descriptions: printed inert, so none can drive the terminal.
  process.stdout.write(`${table(rows.map((r) => r.map((c) => (typeof c === 'string' ? printable(c) : c))))}\n`);
}
