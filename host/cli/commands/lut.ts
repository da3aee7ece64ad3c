import type { CommandModule } from 'yargs';
import type { OutputOptions } from '../output.js';
import { DEFAULT_WAIT_AGENTS_S } from '../hostOptions.js';

export interface LutArgs extends OutputOptions {
  target: string;
  space: string;
  dataset: string;
  out?: string;
  runDir?: string;
  port: number;
  listen: string;
  plainWs?: boolean;
  waitAgents: number;
  minRuns?: number;
  minTimeMs?: number;
  rounds: number;
  sentinelEvery?: number;
  warmupMs?: number;
  cooldownMs?: number;
  fresh?: boolean;
}

export const lutCommand: CommandModule<object, LutArgs> = {
  command: 'lut',
  describe: "Measure every kernel of a search space on a target's agents and write its latency lookup table",
  builder: (y) =>
    y
      .option('target', { type: 'string', demandOption: true, describe: 'Target: a device profile (pi3b, ...), name:<agent>, or local' })
      .option('space', { type: 'string', default: 'nb201', choices: ['nb201'], describe: 'Search space' })
      .option('dataset', { type: 'string', default: 'cifar10', choices: ['cifar10', 'cifar100', 'imagenet16'], describe: 'Input size and classes of the networks' })
      .option('out', { type: 'string', describe: 'Table file (default devices/<target>/luts/<space>-<dataset>.json)' })
      .option('run-dir', { type: 'string', describe: 'Folder for the job store: a rerun (or an interrupted one) reuses the kernels measured there on the same device and runtime version (default runs/lut-<target>-<space>-<dataset>)' })
      .option('port', { type: 'number', default: 8765, describe: 'Port agents connect to (0 = any free port)' })
      .option('listen', { type: 'string', default: '0.0.0.0', describe: 'Address to listen on (wss:// with the host\'s own certificate, pinned by agents, except on loopback)' })
      .option('plain-ws', { type: 'boolean', describe: 'Serve plain ws:// on a network address (the token then crosses the network readable)' })
      .option('wait-agents', { type: 'number', default: DEFAULT_WAIT_AGENTS_S, describe: 'Seconds to wait for an agent of the target' })
      .option('fresh', { type: 'boolean', describe: 'Measure every kernel again, even those already measured in the run folder on this device and runtime (they are reused otherwise; measurements from another device or runtime version never are)' })
      .option('min-runs', { type: 'number', describe: 'Override the device profile: minimum timed runs per kernel' })
      .option('rounds', { type: 'number', default: 3, describe: 'Independent rounds over all kernels (shuffled each time); each entry is the median of the round medians' })
      .option('sentinel-every', { type: 'number', describe: 'Measure a fixed sentinel kernel every k kernels and divide out the device speed drift it traces (noisy or shared machines)' })
      .option('warmup-ms', { type: 'number', describe: 'Override the device profile: minimum warm-up milliseconds per kernel' })
      .option('cooldown-ms', { type: 'number', describe: 'Override the device profile: idle milliseconds between kernels' })
      .option('min-time-ms', { type: 'number', describe: 'Override the device profile: minimum timed milliseconds per kernel' })
      .example('$0 lut --target local', "This machine's table for NAS-Bench-201 (a loopback agent is started)")
      .example('$0 lut --target pi3b', 'Regenerate a Raspberry Pi 3B table after an OS or runtime update (devices/pi3b/luts/nb201-cifar10.json, where orchestrate looks); kernels measured before the update are measured again')
      .example('$0 lut --target local --fresh', 'Measure every kernel again (e.g. after changing the machine\'s settings)') as never,
  handler: async (args) => {
    const { runLut } = await import('../runLut.js');
    await runLut(args);
  },
};
