/**
 * The contracts the measurement procedure talks to. Each agent (Node, browser) supplies implementations; nothing
 * here may use a Node or browser API. After onnxruntime's js/common backend contract: a few methods, no overloads.
 */
import type {
  Conditions,
  EnergyMethod,
  EnergyResolution,
  InputSpec,
  RuntimeId,
} from '../protocol/messages.js';

/** Monotonic clock in milliseconds (performance.now in both Node and browsers). */
export interface Clock {
  nowMs(): number;
}

export type Sleep = (ms: number) => Promise<void>;

export interface RuntimeLoadOptions {
  /** Exactly one execution provider: the session is created with it alone, so it either runs or load fails. */
  executionProvider: string;
  threads: number;
  /** Turn on onnxruntime's per-node profiler for this session (a separate session from the timed one). */
  isProfiling: boolean;
}

/** What actually ran. */
export interface RuntimeDescription {
  runtime: RuntimeId;
  version: string;
  executionProvider: string;
  threads: number;
}

/** Inputs prepared once by the runtime (tensors), fed to every run. Opaque to the measurement loop. */
export interface PreparedInputs {
  readonly names: readonly string[];
}

/** One event of onnxruntime's Chrome-trace profile (only the fields we read). */
export interface ProfileEvent {
  cat: string;
  name: string;
  ts: number;
  dur: number;
  args?: { op_name?: string; provider?: string } & Record<string, unknown>;
}

export type ProfileOutput = { status: 'ok'; events: ProfileEvent[] } | { status: 'unavailable'; reason: string };

export interface LoadedModel {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(inputs: PreparedInputs): Promise<void>;
  /** Ends profiling and returns the events (only for a model loaded with isProfiling). */
  endProfiling(): Promise<ProfileOutput>;
  dispose(): Promise<void>;
}

export interface Runtime {
  readonly id: RuntimeId;
  /** Loads the runtime's module; throws ZeronasError ZN_RUNTIME_UNAVAILABLE with the load error as cause. */
  init(): Promise<void>;
  /** Creates a session; throws ZN_MODEL_LOAD (bad model) or ZN_RUNTIME_UNAVAILABLE (provider missing). */
  load(modelBytes: Uint8Array, options: RuntimeLoadOptions): Promise<LoadedModel>;
  prepareInputs(specs: readonly InputSpec[], seed: number): PreparedInputs;
  /** The runtime, its version, and the provider and threads of the last session created. */
  describe(): RuntimeDescription;
}

/** Reads temperature, frequency and throttle state; never throws (unknown values are null with a reason). */
export type ConditionsProbe = () => Promise<Conditions>;

export interface EnergyReading {
  energyJ: number;
  durationMs: number;
  samples: number;
  resolution: EnergyResolution;
}

export interface EnergyWindow {
  stop(): Promise<EnergyReading>;
}

/** An energy meter that has already been found available (agent/sensors decides that). */
export interface EnergyMeter {
  readonly method: EnergyMethod;
  readonly rails: readonly string[];
  start(): Promise<EnergyWindow>;
}

export type EnergySource = { isAvailable: true; meter: EnergyMeter } | { isAvailable: false; reason: string };
