/**
 * `zeronas-agent`: the Node device agent. Options come from the command line or ZERONAS_* environment variables
 * (`--host` <- ZERONAS_HOST, as written by scripts/install-agent.sh into /etc/zeronas/agent.env; prefer the
 * environment for the token, the command line is visible in `ps`). This file is the agent's one error boundary:
 * `code: message` on stderr and exit code 1 (2 for usage errors). SIGTERM/SIGINT shut down cleanly.
 * `--replay <csv>:<column>` starts a replay agent instead (agent/replay/): it answers from a published table and
 * runs nothing; for benchmarks and tests only, and labelled `replay` in everything it reports.
 */
import os from 'node:os';
import { join } from 'node:path';
import { PACKAGE_VERSION, yargs } from '../shared/node/cliParser.js';
import { ZeronasError } from '../shared/errors.js';
import { printable } from '../shared/printable.js';
import { normalisePin } from './hostPin.js';
import type { EnergyMethod, JobOfferMessage } from '../shared/protocol/messages.js';
import { MAX_MODEL_BYTES } from '../shared/protocol/limits.js';
import { deviceProfiles, getDeviceProfile, profileMismatch, recogniseProfile, type DeviceProfile } from '../devices/index.js';
import { AgentClient, type JobStarter } from './client.js';
import { describeDevice } from './deviceInfo.js';
import { resolveJobSettings } from './jobSettings.js';
import { ModelCache } from './modelCache.js';
import type { ChildJob } from './measureChild.js';
import { startMeasurement } from './measureWorker.js';
import { WarmMeasurementWorker } from './warmWorker.js';
import { createReplayAgent, defaultReplayName, parseReplaySpec, REPLAY_PROFILE_ID, type ReplayConfig } from './replay/index.js';
import { NODE_RUNTIME_IDS, type NodeRuntimeId } from './runtimes/index.js';
import { probeRuntimesIsolated } from './runtimes/probeIsolated.js';
import { INA_CHIPS, type InaChip } from './sensors/ina2xx.js';
import { DEFAULT_ENERGY_CONFIG, METER_METHODS, probeAllMeters, toAvailability, type EnergyConfig } from './sensors/index.js';
import { probeBattery } from './sensors/battery.js';

export interface AgentConfig {
  hostUrl: string;
  token: string;
  name: string;
  device: string | null;
  runtime: 'auto' | NodeRuntimeId;
  cacheDir: string;
  cacheMaxBytes: number;
  maxModelBytes: number;
  energy: EnergyConfig;
  sysRoot: string;
  reconnectMaxMs: number;
  /** --force-device: use --device even where its match rules say it does not describe this hardware. */
  forceDevice: boolean;
  /** --pin: the host certificate's `sha256:<hex>` fingerprint (wss:// only); null to verify it against the CAs. */
  pin: string | null;
  /** --replay: answer from a published table instead of measuring (benchmarks and tests only); null otherwise. */
  replay: ReplayConfig | null;
  /** --measure-process: one warm process reused across jobs (default), or a fresh one per job. */
  measureProcess: 'warm' | 'fresh';
}

export class UsageError extends Error {}

const MIB = 1024 * 1024;

export function buildAgentParser(argv: string[]) {
  return yargs(argv)
    .scriptName('zeronas-agent')
    .usage('$0 --host ws://host:port/agent --token T [options]\n\nMeasures ONNX models sent by a zeronas host (latency, energy).')
    .env('ZERONAS')
    .option('host', { type: 'string', demandOption: true, describe: 'Host URL (ws:// or wss://), e.g. ws://192.168.1.10:8765/agent' })
    .option('token', { type: 'string', demandOption: true, describe: 'Token issued by the host (prefer the ZERONAS_TOKEN environment variable)' })
    .option('force-device', { type: 'boolean', describe: "Use --device even on hardware it does not describe (e.g. an emulated Pi); the host labels the results forced-device, naming this machine's hardware" })
    .option('pin', { type: 'string', describe: "With a wss:// host: its certificate's fingerprint as the host prints it (sha256:<64 hex>); the agent talks to no other certificate" })
    .option('name', { type: 'string', describe: 'Name shown on the host (e.g. kitchen-pi; default: the hostname, or replay-<column> with --replay)' })
    .option('device', { type: 'string', choices: Object.keys(deviceProfiles), describe: "Device profile (default: recognised from the hardware; 'replay' only with --replay)" })
    .option('runtime', { type: 'string', choices: ['auto', ...NODE_RUNTIME_IDS], default: 'auto', describe: "Runtime for jobs that do not name one ('auto': ort-node, else ort-wasm)" })
    .option('cache-dir', { type: 'string', default: join(os.homedir(), '.cache', 'zeronas', 'models'), describe: 'Model cache directory' })
    .option('cache-max-mb', { type: 'number', default: 2048, describe: 'Model cache size cap (MiB); least recently used models are evicted' })
    .option('max-model-mb', { type: 'number', default: 256, describe: `Largest model this agent accepts (MiB, at most ${MAX_MODEL_BYTES / MIB})` })
    .option('energy', { type: 'string', choices: ['auto', 'none', ...METER_METHODS], default: 'auto', describe: 'Energy meter (auto: first available in the device profile order)' })
    .option('energy-cmd', { type: 'string', describe: "External meter command printing joules or watts with a unit, e.g. '12.3 J' or '4.2 W'" })
    .option('energy-cmd-rails', { type: 'string', describe: 'Comma-separated rails the external meter covers (e.g. "USB-C input")' })
    .option('energy-sample-ms', { type: 'number', default: DEFAULT_ENERGY_CONFIG.samplePeriodMs, describe: 'Sampling period of sampled meters (ms)' })
    .option('ina-chip', { type: 'string', choices: INA_CHIPS, describe: 'INA2xx chip on I2C (needs the optional i2c-bus module or the hwmon driver)' })
    .option('ina-bus', { type: 'number', default: DEFAULT_ENERGY_CONFIG.ina.bus, describe: 'I2C bus number' })
    .option('ina-address', { type: 'string', default: '0x40', describe: 'I2C address of the INA2xx' })
    .option('ina-shunt-ohms', { type: 'number', default: DEFAULT_ENERGY_CONFIG.ina.shuntOhms, describe: 'Shunt resistor in ohms (INA219/INA226)' })
    .option('sys-root', { type: 'string', default: '/', hidden: true, describe: 'Prefix for /proc and /sys reads (tests)' })
    .option('vcgencmd', { type: 'string', default: 'vcgencmd', hidden: true, describe: 'Path of vcgencmd (tests)' })
    .option('measure-process', {
      type: 'string',
      choices: ['warm', 'fresh'],
      default: 'warm',
      describe: "'warm': one measurement process reused across jobs, replaced after a crash, timeout or cancel; 'fresh': a new process per job (same starting state for every model, slower dispatch)",
    })
    .option('reconnect-max-ms', { type: 'number', default: 30_000, describe: 'Longest wait between reconnect attempts (ms)' })
    .option('replay', {
      type: 'string',
      describe: 'BENCHMARKS/TESTS ONLY: answer jobs from a published table instead of measuring, <csv>:<column> keyed by arch_str (split on the last colon), e.g. hwnasbench_nb201.csv:cifar10_raspi4_latency (ms); every result is labelled replay',
    })
    .option('replay-noise', { type: 'string', describe: 'With --replay: column whose log-ratio to the replayed one (centred at its median) is drawn as noise, e.g. cifar100_raspi4_latency' })
    .option('replay-energy', { type: 'string', describe: 'With --replay: column replayed as energy per inference (mJ), e.g. cifar10_edgegpu_energy' })
    .option('replay-seed', { type: 'number', describe: 'With --replay-noise: seed of the noise draws (with the arch string and job id; default 0)' })
    .strict()
    .help()
    .alias('h', 'help')
    .version(PACKAGE_VERSION)
    .wrap(Math.min(110, process.stdout.columns || 110))
    .exitProcess(false)
    .fail((message, err) => {
      throw err ?? new UsageError(message);
    });
}

/**
 * Parses argv, with ZERONAS_<OPTION> variables as options (`.env('ZERONAS')` above). The ZERONAS_* variables that
 * are not this agent's options (ZERONAS_CONFIG_DIR, ZERONAS_THREADS: the host's settings, often exported in the same
 * shell) are left out of the parse, where strict mode would refuse them as unknown arguments ("configDir"), and put
 * back after it.
 */
export async function parseAgentArgs(argv: string[]): Promise<Record<string, unknown>> {
  const parser = buildAgentParser(argv);
  const envName = (key: string): string => `ZERONAS_${key.replace(/([a-z])([A-Z])/g, '$1_$2').replace(/-/g, '_').toUpperCase()}`;
  const known = new Set(Object.keys((parser as unknown as { getOptions(): { key: Record<string, unknown> } }).getOptions().key).map(envName));
  const foreign = Object.entries(process.env).filter((e): e is [string, string] => e[0].startsWith('ZERONAS_') && !known.has(e[0]) && e[1] !== undefined);
  for (const [k] of foreign) delete process.env[k];
  try {
    return (await parser.parseAsync()) as Record<string, unknown>;
  } finally {
    for (const [k, v] of foreign) process.env[k] = v;
  }
}

export function resolveAgentConfig(args: Record<string, unknown>): AgentConfig {
  const host = String(args.host);
  if (!/^wss?:\/\/.+/.test(host)) throw new UsageError(`--host '${host}' must start with ws:// or wss://`);
  const pin = args.pin === undefined ? null : normalisePin(String(args.pin));
  if (pin === undefined) throw new UsageError(`--pin '${String(args.pin)}' is not a certificate fingerprint; expected sha256: and 64 hex digits, as the host prints it`);
  if (pin && !host.startsWith('wss://')) throw new UsageError(`--pin needs a wss:// host, got --host '${host}'`);
  const positive = (name: string): number => {
    const value = Number(args[name]);
    if (!(value > 0) || !Number.isFinite(value)) throw new UsageError(`--${name} must be a positive number, got '${String(args[name])}'`);
    return value;
  };
  const maxModelBytes = Math.floor(positive('max-model-mb') * MIB);
  if (maxModelBytes > MAX_MODEL_BYTES) throw new UsageError(`--max-model-mb ${args['max-model-mb']} exceeds the protocol limit of ${MAX_MODEL_BYTES / MIB} MiB`);
  const address = Number(args['ina-address']);
  if (!Number.isInteger(address) || address < 0x03 || address > 0x77) throw new UsageError(`--ina-address '${String(args['ina-address'])}' is not a 7-bit I2C address (0x03-0x77)`);
  const energyMode = String(args.energy) as EnergyConfig['mode'];
  if (energyMode === 'external-command' && !args['energy-cmd']) throw new UsageError('--energy external-command needs --energy-cmd');
  const replay = resolveReplayConfig(args);
  const device = args.device ? String(args.device) : null;
  if (!replay && device === REPLAY_PROFILE_ID) throw new UsageError(`--device ${REPLAY_PROFILE_ID} is only for replay agents; give --replay <csv>:<column>`);
  return {
    hostUrl: host,
    token: String(args.token),
    pin,
    forceDevice: args['force-device'] === true,
    name: args.name !== undefined ? String(args.name) : replay ? defaultReplayName(replay.column) : os.hostname(),
    device: replay ? REPLAY_PROFILE_ID : device,
    runtime: String(args.runtime) as AgentConfig['runtime'],
    cacheDir: String(args['cache-dir']),
    cacheMaxBytes: Math.floor(positive('cache-max-mb') * MIB),
    maxModelBytes,
    energy: {
      ...DEFAULT_ENERGY_CONFIG,
      mode: energyMode,
      command: args['energy-cmd'] ? String(args['energy-cmd']) : null,
      commandRails: args['energy-cmd-rails'] ? String(args['energy-cmd-rails']).split(',').map((s) => s.trim()).filter(Boolean) : [],
      ina: {
        chip: (args['ina-chip'] as InaChip | undefined) ?? (INA_CHIPS.includes(energyMode as InaChip) ? (energyMode as InaChip) : null),
        bus: Number(args['ina-bus']),
        address,
        shuntOhms: positive('ina-shunt-ohms'),
      },
      samplePeriodMs: positive('energy-sample-ms'),
      raplRoot: join(String(args['sys-root']), 'sys/class/powercap'),
      hwmonRoot: join(String(args['sys-root']), 'sys/class/hwmon'),
      powerSupplyRoot: join(String(args['sys-root']), 'sys/class/power_supply'),
      vcgencmd: String(args.vcgencmd),
    },
    sysRoot: String(args['sys-root']),
    reconnectMaxMs: positive('reconnect-max-ms'),
    replay,
    measureProcess: args['measure-process'] === 'fresh' ? 'fresh' : 'warm',
  };
}

/** --replay and its companions; each companion without --replay, and each measuring option with it, is a usage error. */
function resolveReplayConfig(args: Record<string, unknown>): ReplayConfig | null {
  const companions = ['replay-noise', 'replay-energy', 'replay-seed'].filter((k) => args[k] !== undefined);
  if (args.replay === undefined) {
    if (companions.length) throw new UsageError(`--${companions[0]} needs --replay <csv>:<column>`);
    return null;
  }
  let spec: { path: string; column: string };
  try {
    spec = parseReplaySpec(String(args.replay));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const conflicts = [
    args.device !== undefined && args.device !== REPLAY_PROFILE_ID ? `--device ${String(args.device)}` : null,
    args.runtime !== undefined && args.runtime !== 'auto' ? `--runtime ${String(args.runtime)}` : null,
    args.energy !== undefined && args.energy !== 'auto' ? `--energy ${String(args.energy)}` : null,
    args['energy-cmd'] !== undefined ? '--energy-cmd' : null,
    args['ina-chip'] !== undefined ? '--ina-chip' : null,
  ].filter((c): c is string => c !== null);
  if (conflicts.length) {
    throw new UsageError(`${conflicts.join(', ')} cannot be combined with --replay: a replay agent measures nothing (use --replay-energy <column> for energy)`);
  }
  if (args['replay-seed'] !== undefined && args['replay-noise'] === undefined) throw new UsageError('--replay-seed needs --replay-noise <column> (without noise there is nothing to draw)');
  const seed = args['replay-seed'] === undefined ? 0 : Number(args['replay-seed']);
  if (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 32 - 1) throw new UsageError(`--replay-seed must be an integer in [0, 2^32-1], got '${String(args['replay-seed'])}'`);
  return {
    path: spec.path,
    column: spec.column,
    noiseColumn: args['replay-noise'] !== undefined ? String(args['replay-noise']) : null,
    energyColumn: args['replay-energy'] !== undefined ? String(args['replay-energy']) : null,
    seed,
  };
}

// Lines carry host-supplied text (error messages, job ids): printable() keeps a hostile host from forging lines or
// sending escape sequences to the terminal or journal.
const log = (line: string): void => {
  process.stderr.write(`${new Date().toISOString()} ${printable(line)}\n`);
};

/** A replay agent: no runtime probe, no meters, no model cache, no measurement process (agent/replay/). */
function runReplayAgent(config: AgentConfig, replay: ReplayConfig): AgentClient {
  const agent = createReplayAgent(replay, { name: config.name, log });
  for (const line of agent.summary) log(line);
  const client = new AgentClient({
    hostUrl: config.hostUrl,
    token: config.token,
    descriptor: agent.descriptor,
    cache: null,
    maxModelBytes: config.maxModelBytes,
    prepareJob: agent.prepareJob,
    log,
    reconnectMaxMs: config.reconnectMaxMs,
    pin: config.pin,
  });
  client.start();
  return client;
}

export async function runAgent(config: AgentConfig): Promise<AgentClient> {
  if (config.replay) return runReplayAgent(config, config.replay);
  const runtimes = await probeRuntimesIsolated();
  const meters = await probeAllMeters(config.energy);
  const hasBattery = (await probeBattery({ root: config.energy.powerSupplyRoot, samplePeriodMs: 1000 })).rails.length > 0;
  const base = await describeDevice({ name: config.name, profile: null, runtimes, energyMeters: meters.map(toAvailability), sysRoot: config.sysRoot, vcgencmd: config.energy.vcgencmd });
  const facts = { environment: 'node' as const, arch: base.os.arch, piModel: base.piModel, hasBattery };
  const profile: DeviceProfile | null = config.device ? getDeviceProfile(config.device) : recogniseProfile(facts);
  const mismatch = config.device && profile ? profileMismatch(profile, facts) : null;
  if (mismatch && !config.forceDevice) {
    throw new ZeronasError('ZN_BAD_ARGUMENT', `--device ${config.device} does not describe this machine: ${mismatch}. Leave --device out to recognise the hardware, or add --force-device (e.g. an emulated Pi) to use its settings here anyway`, { device: config.device });
  }
  // The host labels what this agent measures `forced-device`, naming the hardware it really ran on: a PC's timings
  // under a Pi's profile must never pass for the Pi's.
  const forcedDevice = mismatch ? `--force-device: ${mismatch}; measured on ${base.cpu.model} (${base.cpu.cores} cores, ${base.os.arch}${base.piModel ? `, ${base.piModel}` : ''})` : null;
  if (mismatch) log(`warning: --force-device: using profile '${config.device}' on hardware it does not describe (${mismatch}); its results are labelled forced-device, with this hardware named`);
  log(`device '${config.name}': ${base.cpu.model}, ${base.cpu.cores} cores, ${base.os.distro}, profile ${profile?.id ?? 'none (fallback settings)'}`);
  if (base.emulation) log(`EMULATED: ${base.emulation}; the host serves this agent only under '${profile?.id ?? '<profile>'}-emu' targets and labels its figures emulated`);
  for (const r of runtimes) log(`runtime ${r.runtime}: ${r.isAvailable ? `${r.version} [${r.executionProviders.join(', ')}]` : `unavailable: ${r.reason}`}`);
  for (const m of meters) log(`energy ${m.method}: ${m.isAvailable ? `available [${m.rails.join(', ')}]` : `unavailable: ${m.reason}`}`);
  const descriptor = async () =>
    describeDevice({ name: config.name, profile: profile?.id ?? null, runtimes, energyMeters: meters.map(toAvailability), sysRoot: config.sysRoot, vcgencmd: config.energy.vcgencmd, forcedDevice });
  const current = await descriptor();
  const cache = new ModelCache(config.cacheDir, config.cacheMaxBytes);
  const energyPreference: EnergyMethod[] = profile?.energy.preferred ?? [];
  const worker = config.measureProcess === 'warm' ? new WarmMeasurementWorker({ log }) : null;
  log(`measurement process: ${worker ? 'warm (one per agent, replaced after a crash, timeout or cancel)' : 'fresh per job'}`);
  const measure = worker ? (job: ChildJob) => worker.start(job) : (job: ChildJob) => startMeasurement(job, { log });

  const prepareJob = (offer: JobOfferMessage): JobStarter => {
    const resolved = resolveJobSettings(offer.settings, { profile, device: current, defaultRuntime: config.runtime });
    return (modelPath) =>
      measure({
        jobId: offer.jobId,
        modelPath: modelPath ?? cache.pathOf(offer.model.sha256),
        model: { sha256: offer.model.sha256, sizeBytes: offer.model.sizeBytes },
        inputs: offer.inputs,
        settings: resolved.settings,
        runtime: resolved.runtime,
        runtimeSelection: resolved.runtimeSelection,
        device: { fingerprint: current.fingerprint, name: current.name, hostname: current.hostname, profile: current.profile, ...(current.emulation ? { emulation: current.emulation } : {}), ...(current.forcedDevice ? { forcedDevice: current.forcedDevice } : {}) },
        energy: config.energy,
        energyPreference,
        sysRoot: config.sysRoot,
        vcgencmd: config.energy.vcgencmd,
      });
  };
  const client = new AgentClient({
    hostUrl: config.hostUrl,
    token: config.token,
    descriptor,
    cache,
    maxModelBytes: config.maxModelBytes,
    prepareJob,
    log,
    reconnectMaxMs: config.reconnectMaxMs,
    pin: config.pin,
    onStopped: worker ? () => worker.stop() : undefined,
  });
  client.start();
  return client;
}

export async function main(argv: string[]): Promise<number> {
  let config: AgentConfig;
  try {
    const args = await parseAgentArgs(argv);
    // --help and --version have printed what was asked (yargs does not exit here: exitProcess(false)).
    if (args.help || argv.some((a) => a === '--help' || a === '-h' || a === '--version')) return 0;
    config = resolveAgentConfig(args);
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\nRun 'zeronas-agent --help' for usage.\n`);
    return 2;
  }
  try {
    const client = await runAgent(config);
    await new Promise<void>((resolve) => {
      const shutdown = (signal: string): void => {
        log(`${signal}: shutting down`);
        void client.stop().then(resolve);
      };
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      process.once('SIGINT', () => shutdown('SIGINT'));
    });
    return 0;
  } catch (err) {
    if (err instanceof ZeronasError) process.stderr.write(`${err.code}: ${err.message}\n`);
    else process.stderr.write(`ZN_INTERNAL: ${(err as Error)?.stack ?? String(err)}\n`);
    return 1;
  }
}
