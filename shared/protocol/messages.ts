/**
 * zeronas agent protocol, version 1: one zod schema per message, discriminated by `type`, each carrying `v`.
 *
 * TRANSPORT. One WebSocket per agent, opened BY THE AGENT (so agents behind NAT work): `ws://host:port/agent` or
 * `wss://`. Control messages are JSON text frames. Model bytes are binary frames (see MODEL TRANSFER). Both ends set
 * ws `maxPayload` to MAX_MESSAGE_BYTES (limits.ts). Every frame goes through codec.ts: size check, parse, schema check.
 *
 * FLOW (A = agent, H = host):
 *  1. A -> H `hello`: token (issued by the host out of band, e.g. printed by the orchestrator), agent software
 *     version, device descriptor (incl. fingerprint), capabilities (runtimes, EPs, energy meters, maxModelBytes,
 *     cached model hashes). It must be the first frame, within HELLO_TIMEOUT_MS.
 *     H checks the token: wrong or missing -> H sends `error` ZN_AUTH and closes with 1008. Wrong `v` -> `error`
 *     ZN_PROTOCOL_VERSION, close 4001.
 *  2. H -> A `welcome`: the agent id the host filed it under, the heartbeat interval, host time.
 *  3. A -> H `heartbeat` every heartbeatMs with its state (`idle` | `busy` + jobId). A also sends ws pings and drops
 *     the socket after HEARTBEAT_TIMEOUT_MS without any pong or message; the host should do the same from its side.
 *  4. H -> A `job-offer`: jobId, model {sha256, sizeBytes}, inputs (name, dims, dtype), settings (all optional; the
 *     agent fills the rest from its device profile and reports the resolved values in the result).
 *     A answers at once with `job-accept` {needsModel} or with a `result` whose status is `rejected`
 *     (ZN_AGENT_BUSY: one measurement at a time; ZN_PAYLOAD_TOO_LARGE: sizeBytes above the agent's cap;
 *     ZN_RUNTIME_UNAVAILABLE: requested runtime/EP not present).
 *  5. MODEL TRANSFER, only when `needsModel` is true (the agent caches models on disk by sha256):
 *     H -> A binary `model-chunk` frames, in order, offsets contiguous from 0, payload <= MODEL_CHUNK_BYTES each;
 *     the last one has isLast=true and offsetBytes + payload length == sizeBytes. Binary frame layout:
 *       [uint32 big-endian N][N bytes UTF-8 JSON header (ModelChunkHeader)][payload bytes]
 *     A checks: the chunk belongs to the job in transfer, the offset is the expected one, the running total never
 *     exceeds the offered sizeBytes nor the agent's cap, and the sha256 of the whole equals the offered one.
 *     Any failure ends the job with a `result` status `failed` (ZN_PAYLOAD_TOO_LARGE / ZN_MODEL_HASH /
 *     ZN_PROTOCOL_SEQUENCE); the connection stays open.
 *  6. A measures in an isolated child process with a timeout, then A -> H `result`:
 *       status `ok`      -> `measurement` (Measurement below: every condition of the run, latency stats and raw
 *                           samples, energy or `unavailable` with a reason, optional per-operator profile);
 *       status `failed`  -> `error` {code, message, details} (ZN_MODEL_LOAD, ZN_MODEL_RUN, ZN_JOB_TIMEOUT,
 *                           ZN_JOB_CRASHED, ZN_RUNTIME_UNAVAILABLE, ...). The agent carries on with the next offer.
 *       status `rejected`-> the job never started (see 4); the host may offer it elsewhere.
 *       status `cancelled` -> acknowledged `cancel`.
 *  7. H -> A `cancel` {jobId}: A kills the measurement if it runs, answers `result` status `cancelled`.
 *  8. Either side -> `error` {code, message, jobId?}: a frame it could not accept (bad JSON, wrong schema, message
 *     out of sequence). The receiver logs it and carries on; only auth (1008), version (4001) and frame size (1009)
 *     close the connection.
 *
 * Agents run ONNX inference and nothing else: no field of this protocol is ever executed as code. A replay agent
 * (`zeronas-agent --replay`, for benchmarks and tests) runs nothing at all: it accepts offers with needsModel=false
 * and answers from a published table keyed by `model.label`, with runtime, execution provider, device profile and
 * energy method all reported as `replay`.
 */
import { z } from 'zod';
import { PROTOCOL_VERSION } from './version.js';
import {
  MAX_INPUT_ELEMENTS,
  MAX_JOB_TIMEOUT_MS,
  MAX_MODEL_BYTES,
  MAX_RESULT_SAMPLES,
  MAX_TEXT_CHARS,
} from './limits.js';

const v = z.literal(PROTOCOL_VERSION);
const text = z.string().max(MAX_TEXT_CHARS);
const shortText = z.string().max(256);
export const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex characters (sha256)');
export const jobIdSchema = z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'expected 1-128 chars of [A-Za-z0-9._:-]');
const isoTime = z.string().max(64);
const nonNegative = z.number().finite().nonnegative();
const errorCode = z.string().regex(/^ZN_[A-Z0-9_]{1,60}$/, 'expected a ZN_* error code');

/** Runtimes an agent can report. `ort-node`: onnxruntime-node; `ort-wasm`: onnxruntime-web inside Node;
 *  `ort-web`: onnxruntime-web in a browser page; `replay`: nothing ran, the answer was looked up in a published
 *  table (`zeronas-agent --replay`, agent/replay/; benchmarks and tests only, never a real measurement). */
export const RUNTIME_IDS = ['ort-node', 'ort-wasm', 'ort-web', 'replay'] as const;
export const runtimeId = z.enum(RUNTIME_IDS);
export type RuntimeId = z.infer<typeof runtimeId>;

/** Energy meters. `replay`: the value of a published table's energy column (`--replay-energy`), never a meter. */
export const ENERGY_METHODS = ['rapl', 'ina219', 'ina226', 'ina260', 'pi5-pmic', 'battery', 'external-command', 'replay'] as const;
export const energyMethod = z.enum(ENERGY_METHODS);
export type EnergyMethod = z.infer<typeof energyMethod>;

// ---------------------------------------------------------------------------------------------------------------
// Device descriptor and conditions

/** Raspberry Pi `vcgencmd get_throttled` bits (current state and sticky "since boot" bits). */
export const piThrottleFlags = z.object({
  isUnderVoltageNow: z.boolean(),
  isFreqCappedNow: z.boolean(),
  isThrottledNow: z.boolean(),
  isSoftTempLimitNow: z.boolean(),
  hasUnderVoltageOccurred: z.boolean(),
  hasFreqCapOccurred: z.boolean(),
  hasThrottlingOccurred: z.boolean(),
  hasSoftTempLimitOccurred: z.boolean(),
});
export type PiThrottleFlags = z.infer<typeof piThrottleFlags>;

export const throttleState = z.discriminatedUnion('source', [
  z.object({ source: z.literal('vcgencmd'), raw: shortText, flags: piThrottleFlags }),
  /** Linux x86: sum of /sys/devices/system/cpu/cpu*\/thermal_throttle/core_throttle_count (a counter). */
  z.object({ source: z.literal('core-throttle-count'), count: z.number().int().nonnegative() }),
  z.object({ source: z.literal('unavailable'), reason: text }),
]);
export type ThrottleState = z.infer<typeof throttleState>;

/** What the device looked like at one instant: recorded before and after every timed pass. */
export const conditions = z.object({
  at: isoTime,
  tempC: z.number().finite().nullable(),
  /** Where tempC was read from, or why it is null. */
  tempSource: text,
  curFreqMHz: z.number().finite().nullable(),
  governor: shortText.nullable(),
  throttle: throttleState,
});
export type Conditions = z.infer<typeof conditions>;

export const runtimeAvailability = z.object({
  runtime: runtimeId,
  isAvailable: z.boolean(),
  version: shortText.nullable(),
  executionProviders: z.array(shortText).max(32),
  /** Why it is unavailable (load error), or null. */
  reason: text.nullable(),
});
export type RuntimeAvailability = z.infer<typeof runtimeAvailability>;

export const energyMeterAvailability = z.object({
  method: energyMethod,
  isAvailable: z.boolean(),
  rails: z.array(shortText).max(64),
  reason: text.nullable(),
});
export type EnergyMeterAvailability = z.infer<typeof energyMeterAvailability>;

/** One execution provider tried at start-up with a real (tiny) session: did it run, and if not, why. */
export const executionProviderProbe = z.object({
  executionProvider: shortText,
  didRun: z.boolean(),
  reason: text.nullable(),
});
export type ExecutionProviderProbe = z.infer<typeof executionProviderProbe>;

/**
 * Browser agents only (HARDWARE.md §7.4): what a page is allowed to do. Threads need cross-origin isolation, and
 * performance.now() is coarsened (about 100 us without isolation, 5 us with it), so both are measured and kept.
 */
export const browserEnvironment = z.object({
  userAgent: shortText,
  platform: shortText,
  hardwareConcurrency: z.number().int().nonnegative(),
  /** navigator.deviceMemory (GiB, rounded by the browser); null where the browser does not tell. */
  deviceMemoryGiB: z.number().nonnegative().nullable(),
  isCrossOriginIsolated: z.boolean(),
  /** Measured step of performance.now() where the model runs (the page's measurement worker), in ms. */
  timerResolutionMs: nonNegative,
  executionProviderProbes: z.array(executionProviderProbe).max(8),
});
export type BrowserEnvironment = z.infer<typeof browserEnvironment>;

export const deviceDescriptor = z.object({
  /** sha256 over the fields that define "the same device for measurement purposes" (see agent/deviceInfo.ts). */
  fingerprint: sha256Hex,
  hostname: shortText,
  /** User-given name (`--name kitchen-pi`). */
  name: shortText,
  /** Device profile id from devices/ (`pi3b`, `x86-laptop`, ...), given or recognised; null when none matched. */
  profile: shortText.nullable(),
  environment: z.enum(['node', 'browser']),
  os: z.object({ platform: shortText, distro: shortText, release: shortText, kernel: shortText, arch: shortText }),
  cpu: z.object({
    model: shortText,
    cores: z.number().int().positive(),
    physicalCores: z.number().int().positive().nullable(),
    governor: shortText.nullable(),
    curFreqMHz: z.number().finite().nullable(),
    maxFreqMHz: z.number().finite().nullable(),
  }),
  memoryBytes: z.number().int().nonnegative(),
  /** From /proc/device-tree/model, e.g. "Raspberry Pi 4 Model B Rev 1.4"; null elsewhere. */
  piModel: shortText.nullable(),
  /** `process.versions.node` or the browser user agent. */
  platformVersion: shortText,
  runtimes: z.array(runtimeAvailability).max(8),
  energyMeters: z.array(energyMeterAvailability).max(16),
  conditions,
  /** Present when environment is 'browser'. */
  browser: browserEnvironment.optional(),
  /**
   * Set when the agent runs under CPU emulation (agent/emulation.ts: the reason); absent or null on real hardware.
   * The host serves such an agent only under `<profile>-emu` targets and labels its figures `emulated`.
   */
  emulation: shortText.nullable().optional(),
  /**
   * Set when the agent was started with `--force-device` and its profile does not describe its hardware (an x86 PC
   * told it is a pi3b): why, and what the hardware really is. Absent or null otherwise (agents older than this field
   * send none: not forced). The host labels such an agent's figures `forced-device`.
   */
  forcedDevice: shortText.nullable().optional(),
});
export type DeviceDescriptor = z.infer<typeof deviceDescriptor>;

// ---------------------------------------------------------------------------------------------------------------
// Job offer

export const INPUT_DTYPES = ['float32', 'int32', 'int64', 'uint8'] as const;
export const inputSpec = z
  .object({
    name: shortText.min(1),
    dims: z.array(z.number().int().positive()).min(0).max(8),
    dtype: z.enum(INPUT_DTYPES),
  })
  .refine((s) => s.dims.reduce((a, b) => a * b, 1) <= MAX_INPUT_ELEMENTS, {
    message: `input has more than ${MAX_INPUT_ELEMENTS} elements`,
  });
export type InputSpec = z.infer<typeof inputSpec>;

/** Measurement settings as a job may give them: every field optional; the agent resolves the rest from its profile. */
export const measurementSettingsInput = z.object({
  runtime: z.union([z.literal('auto'), runtimeId]).optional(),
  /** 'default' = the runtime's CPU provider (`cpu` for ort-node, `wasm` for ort-wasm/ort-web). */
  executionProvider: shortText.optional(),
  threads: z.number().int().min(1).max(256).optional(),
  warmupRuns: z.number().int().min(0).max(10_000).optional(),
  warmupMinMs: nonNegative.max(600_000).optional(),
  minRuns: z.number().int().min(1).max(MAX_RESULT_SAMPLES).optional(),
  minTotalMs: nonNegative.max(3_600_000).optional(),
  maxTotalMs: z.number().finite().positive().max(3_600_000).optional(),
  cooldownMs: nonNegative.max(600_000).optional(),
  repeatIfThrottled: z.boolean().optional(),
  maxThrottleRepeats: z.number().int().min(0).max(10).optional(),
  throttleCooldownMs: nonNegative.max(600_000).optional(),
  energy: z.enum(['auto', 'off']).optional(),
  idleBaselineMs: nonNegative.max(600_000).optional(),
  energyMinMs: nonNegative.max(600_000).optional(),
  isProfiling: z.boolean().optional(),
  profileRuns: z.number().int().min(1).max(10_000).optional(),
  timeoutMs: z.number().int().positive().max(MAX_JOB_TIMEOUT_MS).optional(),
  inputSeed: z.number().int().min(0).max(2 ** 32 - 1).optional(),
});
export type MeasurementSettingsInput = z.infer<typeof measurementSettingsInput>;

export const resolvedMeasurementSettings = z.object({
  runtime: z.union([z.literal('auto'), runtimeId]),
  executionProvider: shortText,
  threads: z.number().int().min(1),
  warmupRuns: z.number().int().min(0),
  warmupMinMs: nonNegative,
  minRuns: z.number().int().min(1),
  minTotalMs: nonNegative,
  maxTotalMs: z.number().positive(),
  cooldownMs: nonNegative,
  repeatIfThrottled: z.boolean(),
  maxThrottleRepeats: z.number().int().min(0),
  throttleCooldownMs: nonNegative,
  energy: z.enum(['auto', 'off']),
  idleBaselineMs: nonNegative,
  energyMinMs: nonNegative,
  isProfiling: z.boolean(),
  profileRuns: z.number().int().min(1),
  timeoutMs: z.number().int().positive(),
  inputSeed: z.number().int().min(0),
});
export type ResolvedMeasurementSettings = z.infer<typeof resolvedMeasurementSettings>;

export const modelRef = z.object({
  sha256: sha256Hex,
  sizeBytes: z.number().int().positive().max(MAX_MODEL_BYTES),
  /** Free label for logs (the host puts the job's arch string here). Only replay agents interpret it: it is the key
   *  they look the answer up by (agent/replay/); every other agent only logs it. */
  label: text.optional(),
});

// ---------------------------------------------------------------------------------------------------------------
// Result

export const latencyStats = z.object({
  n: z.number().int().nonnegative(),
  medianMs: nonNegative,
  meanMs: nonNegative,
  /** Sample standard deviation (n-1). */
  stdMs: nonNegative,
  /** std / mean. */
  cv: nonNegative,
  minMs: nonNegative,
  maxMs: nonNegative,
  p90Ms: nonNegative,
  p95Ms: nonNegative,
  /** Median absolute deviation from the median, unscaled. */
  madMs: nonNegative,
});
export type LatencyStats = z.infer<typeof latencyStats>;

export const energyResolution = z.discriminatedUnion('kind', [
  /** Cumulative counter read at window ends: the energy LSB of the counter. */
  z.object({ kind: z.literal('counter'), energyJ: z.number().positive() }),
  /** Power sampled and integrated (trapezoid): the mean interval between samples actually taken. */
  z.object({ kind: z.literal('sampled'), meanSamplePeriodMs: nonNegative, powerLsbW: z.number().positive().nullable() }),
]);
export type EnergyResolution = z.infer<typeof energyResolution>;

export const energyResult = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('measured'),
    method: energyMethod,
    rails: z.array(shortText).min(1).max(64),
    resolution: energyResolution,
    /** (E_active - idlePowerW * activeWindowMs) / activeRuns. Can be negative only by noise; reported as is. */
    energyPerInferenceJ: z.number().finite(),
    idlePowerW: z.number().finite(),
    activePowerW: z.number().finite(),
    idleWindowMs: nonNegative,
    activeWindowMs: nonNegative,
    activeRuns: z.number().int().positive(),
    samples: z.number().int().nonnegative(),
  }),
  z.object({ status: z.literal('unavailable'), reason: text }),
]);
export type EnergyResult = z.infer<typeof energyResult>;

export const opProfile = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('measured'),
    runs: z.number().int().positive(),
    /** Mean per run of the summed kernel times; larger than end-to-end latency is normal (profiler overhead). */
    kernelTotalUs: nonNegative,
    nodes: z
      .array(
        z.object({
          name: shortText,
          opType: shortText,
          provider: shortText.nullable(),
          meanUs: nonNegative,
          share: nonNegative,
        }),
      )
      .max(20_000),
    opTypes: z
      .array(z.object({ opType: shortText, nodes: z.number().int().positive(), meanUs: nonNegative, share: nonNegative }))
      .max(1_000),
  }),
  z.object({ status: z.literal('unavailable'), reason: text }),
]);
export type OpProfile = z.infer<typeof opProfile>;

export const measurement = z.object({
  model: z.object({ sha256: sha256Hex, sizeBytes: z.number().int().positive() }),
  device: z.object({ fingerprint: sha256Hex, name: shortText, hostname: shortText, profile: shortText.nullable(), emulation: shortText.nullable().optional(), forcedDevice: shortText.nullable().optional() }),
  runtime: z.object({
    runtime: runtimeId,
    version: shortText,
    /** The provider that actually ran; compare with requestedExecutionProvider before merging into a LUT. */
    executionProvider: shortText,
    requestedExecutionProvider: shortText,
    threads: z.number().int().positive(),
    /** How the runtime was chosen: 'requested' or 'auto: <why>'. */
    selection: text,
  }),
  settings: resolvedMeasurementSettings,
  inputs: z.array(inputSpec).max(64),
  sessionCreateMs: nonNegative,
  warmup: z.object({ runs: z.number().int().nonnegative(), totalMs: nonNegative }),
  latency: latencyStats,
  samplesMs: z.array(nonNegative).max(MAX_RESULT_SAMPLES),
  timedTotalMs: nonNegative,
  stoppedBy: z.enum(['targets-reached', 'max-time']),
  conditionsBefore: conditions,
  conditionsAfter: conditions,
  isThrottled: z.boolean(),
  /** Timed passes made: 1 + repeats after a throttled pass. */
  attempts: z.number().int().positive(),
  throttledAttempts: z.number().int().nonnegative(),
  startedAt: isoTime,
  finishedAt: isoTime,
  energy: energyResult,
  profile: opProfile.nullable(),
  /** Browser agents only: the isolation state and timer step this measurement was taken under. */
  browser: z
    .object({ isCrossOriginIsolated: z.boolean(), timerResolutionMs: nonNegative, userAgent: shortText })
    .optional(),
});
export type Measurement = z.infer<typeof measurement>;

export const wireError = z.object({
  code: errorCode,
  message: text,
  details: z.record(z.string(), z.unknown()).optional(),
});
export type WireError = z.infer<typeof wireError>;

// ---------------------------------------------------------------------------------------------------------------
// Messages

export const helloMessage = z.object({
  v,
  type: z.literal('hello'),
  token: z.string().min(1).max(512),
  agentVersion: shortText,
  device: deviceDescriptor,
  capabilities: z.object({
    maxModelBytes: z.number().int().positive().max(MAX_MODEL_BYTES),
    maxInflightJobs: z.literal(1),
    cachedModels: z.array(sha256Hex).max(10_000),
  }),
});

export const welcomeMessage = z.object({
  v,
  type: z.literal('welcome'),
  agentId: shortText.min(1),
  heartbeatMs: z.number().int().min(100).max(600_000),
  serverTime: isoTime,
});

export const heartbeatMessage = z.object({
  v,
  type: z.literal('heartbeat'),
  sentAt: isoTime,
  state: z.enum(['idle', 'busy']),
  jobId: jobIdSchema.nullable(),
});

export const jobOfferMessage = z.object({
  v,
  type: z.literal('job-offer'),
  jobId: jobIdSchema,
  model: modelRef,
  inputs: z.array(inputSpec).min(1).max(64),
  settings: measurementSettingsInput,
});

export const jobAcceptMessage = z.object({
  v,
  type: z.literal('job-accept'),
  jobId: jobIdSchema,
  /** true: send the model bytes (model-chunk frames); false: the agent has it cached and starts measuring. */
  needsModel: z.boolean(),
});

/** Header of a binary model-chunk frame (the payload follows it in the same frame). */
export const modelChunkHeader = z.object({
  v,
  type: z.literal('model-chunk'),
  jobId: jobIdSchema,
  sha256: sha256Hex,
  offsetBytes: z.number().int().nonnegative().max(MAX_MODEL_BYTES),
  /** Length of the payload that follows; checked against the frame. */
  chunkBytes: z.number().int().nonnegative(),
  isLast: z.boolean(),
});
export type ModelChunkHeader = z.infer<typeof modelChunkHeader>;

export const resultMessage = z.discriminatedUnion('status', [
  z.object({ v, type: z.literal('result'), jobId: jobIdSchema, status: z.literal('ok'), measurement }),
  z.object({ v, type: z.literal('result'), jobId: jobIdSchema, status: z.literal('failed'), error: wireError }),
  z.object({ v, type: z.literal('result'), jobId: jobIdSchema, status: z.literal('rejected'), error: wireError }),
  z.object({ v, type: z.literal('result'), jobId: jobIdSchema, status: z.literal('cancelled') }),
]);

export const cancelMessage = z.object({ v, type: z.literal('cancel'), jobId: jobIdSchema, reason: text });

export const errorMessage = z.object({
  v,
  type: z.literal('error'),
  jobId: jobIdSchema.nullable(),
  error: wireError,
});

/** Frames an agent sends (the host decodes these). */
export const agentToHostMessage = z.union([
  helloMessage,
  heartbeatMessage,
  jobAcceptMessage,
  resultMessage,
  errorMessage,
]);
/** Frames a host sends as text (the agent decodes these); model-chunk is binary, see codec.ts. */
export const hostToAgentMessage = z.discriminatedUnion('type', [
  welcomeMessage,
  jobOfferMessage,
  cancelMessage,
  errorMessage,
]);

export type HelloMessage = z.infer<typeof helloMessage>;
export type WelcomeMessage = z.infer<typeof welcomeMessage>;
export type HeartbeatMessage = z.infer<typeof heartbeatMessage>;
export type JobOfferMessage = z.infer<typeof jobOfferMessage>;
export type JobAcceptMessage = z.infer<typeof jobAcceptMessage>;
export type ResultMessage = z.infer<typeof resultMessage>;
export type CancelMessage = z.infer<typeof cancelMessage>;
export type ErrorMessage = z.infer<typeof errorMessage>;
export type AgentToHostMessage = z.infer<typeof agentToHostMessage>;
export type HostToAgentMessage = z.infer<typeof hostToAgentMessage>;

/** Types an agent may send and a host may send (text frames), used to tell "wrong direction" from "unknown". */
export const AGENT_MESSAGE_TYPES = ['hello', 'heartbeat', 'job-accept', 'result', 'error'] as const;
export const HOST_MESSAGE_TYPES = ['welcome', 'job-offer', 'cancel', 'error'] as const;
