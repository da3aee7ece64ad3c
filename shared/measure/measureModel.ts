/**
 * One complete measurement of one model, the same for the Node and the browser agent:
 *  1. optional cooldown (between models);
 *  2. session creation, timed on its own (sessionCreateMs);
 *  3. timed pass (timingLoop.ts) between two condition probes; a pass during which the device throttled is flagged
 *     and, when `repeatIfThrottled`, repeated after `throttleCooldownMs` (at most `maxThrottleRepeats` times);
 *     the result is the last pass, with the number of attempts and throttled attempts;
 *  4. energy (when a meter is available and `energy` is 'auto'): idle window of `idleBaselineMs`, then the model
 *     looped for at least `energyMinMs`:  E/inference = (E_active - P_idle * t_active) / runs_active,
 *     P_idle = E_idle / t_idle. With no meter the result is `unavailable` with the reason; nothing is estimated;
 *  5. optional per-operator profile in a separate profiled session (profiler overhead never touches the timings).
 */
import { ZeronasError } from '../errors.js';
import type {
  Conditions,
  EnergyResult,
  InputSpec,
  Measurement,
  OpProfile,
  ResolvedMeasurementSettings,
} from '../protocol/messages.js';
import type { Clock, ConditionsProbe, EnergySource, LoadedModel, PreparedInputs, Runtime, Sleep } from './contracts.js';
import { aggregateOpProfile } from './opProfile.js';
import { latencyStats } from './robustStats.js';
import { didThrottle } from './throttle.js';
import { runTimingLoop, type TimingLoopResult } from './timingLoop.js';

export interface MeasureModelArgs {
  runtime: Runtime;
  /** How the runtime was chosen, recorded as is ('requested' or 'auto: ...'). */
  runtimeSelection: string;
  modelBytes: Uint8Array;
  model: { sha256: string; sizeBytes: number };
  inputs: readonly InputSpec[];
  settings: ResolvedMeasurementSettings;
  device: Measurement['device'];
  clock: Clock;
  sleep: Sleep;
  nowIso: () => string;
  probeConditions: ConditionsProbe;
  energy: EnergySource;
  /** Progress lines for the agent's log. */
  log?: (line: string) => void;
}

export async function measureModel(args: MeasureModelArgs): Promise<Measurement> {
  const { runtime, settings, clock, sleep } = args;
  const log = args.log ?? (() => undefined);
  const startedAt = args.nowIso();
  if (settings.cooldownMs > 0) await sleep(settings.cooldownMs);

  await runtime.init();
  const loadOptions = { executionProvider: settings.executionProvider, threads: settings.threads, isProfiling: false };
  const t0 = clock.nowMs();
  const model = await runtime.load(args.modelBytes, loadOptions);
  const sessionCreateMs = clock.nowMs() - t0;
  const description = runtime.describe();
  try {
    checkInputs(model, args.inputs);
    const inputs = runtime.prepareInputs(args.inputs, settings.inputSeed);

    let attempts = 0;
    let throttledAttempts = 0;
    let pass: { loop: TimingLoopResult; before: Conditions; after: Conditions; isThrottled: boolean };
    for (;;) {
      attempts++;
      const before = await args.probeConditions();
      const loop = await runTimingLoop(model, inputs, clock, settings);
      const after = await args.probeConditions();
      const isThrottled = didThrottle(before, after);
      pass = { loop, before, after, isThrottled };
      if (isThrottled) throttledAttempts++;
      log(`pass ${attempts}: ${loop.samplesMs.length} runs, throttled=${isThrottled}`);
      if (!isThrottled || !settings.repeatIfThrottled || attempts > settings.maxThrottleRepeats) break;
      log(`throttled: cooling for ${settings.throttleCooldownMs} ms before repeating`);
      await sleep(settings.throttleCooldownMs);
    }

    const energy = await measureEnergy(args, model, inputs);
    const profile = settings.isProfiling ? await measureProfile(args) : null;

    return {
      model: args.model,
      device: args.device,
      runtime: {
        runtime: description.runtime,
        version: description.version,
        executionProvider: description.executionProvider,
        requestedExecutionProvider: settings.executionProvider,
        threads: description.threads,
        selection: args.runtimeSelection,
      },
      settings,
      inputs: [...args.inputs],
      sessionCreateMs,
      warmup: { runs: pass.loop.warmupRuns, totalMs: pass.loop.warmupMs },
      latency: latencyStats(pass.loop.samplesMs),
      samplesMs: pass.loop.samplesMs,
      timedTotalMs: pass.loop.timedTotalMs,
      stoppedBy: pass.loop.stoppedBy,
      conditionsBefore: pass.before,
      conditionsAfter: pass.after,
      isThrottled: pass.isThrottled,
      attempts,
      throttledAttempts,
      startedAt,
      finishedAt: args.nowIso(),
      energy,
      profile,
    };
  } finally {
    await model.dispose();
  }
}

function checkInputs(model: LoadedModel, inputs: readonly InputSpec[]): void {
  const given = inputs.map((i) => i.name);
  const missing = model.inputNames.filter((n) => !given.includes(n));
  const unknown = given.filter((n) => !model.inputNames.includes(n));
  if (missing.length || unknown.length) {
    throw new ZeronasError(
      'ZN_BAD_ARGUMENT',
      `job inputs [${given.join(', ')}] do not match the model inputs [${model.inputNames.join(', ')}]` +
        (missing.length ? `; missing ${missing.join(', ')}` : '') +
        (unknown.length ? `; unknown ${unknown.join(', ')}` : ''),
      { modelInputs: [...model.inputNames], jobInputs: given },
    );
  }
}

async function measureEnergy(args: MeasureModelArgs, model: LoadedModel, inputs: PreparedInputs): Promise<EnergyResult> {
  const { settings, clock, sleep } = args;
  if (settings.energy === 'off') return { status: 'unavailable', reason: "energy measurement turned off by the job (energy: 'off')" };
  if (!args.energy.isAvailable) return { status: 'unavailable', reason: args.energy.reason };
  const meter = args.energy.meter;
  try {
    const idleWindow = await meter.start();
    await sleep(settings.idleBaselineMs);
    const idle = await idleWindow.stop();
    const activeWindow = await meter.start();
    const start = clock.nowMs();
    let runs = 0;
    do {
      await model.run(inputs);
      runs++;
    } while (clock.nowMs() - start < settings.energyMinMs);
    const active = await activeWindow.stop();
    if (idle.durationMs <= 0 || active.durationMs <= 0) {
      return { status: 'unavailable', reason: `${meter.method}: energy window of zero length (idle ${idle.durationMs} ms, active ${active.durationMs} ms)` };
    }
    const idlePowerW = idle.energyJ / (idle.durationMs / 1000);
    const activePowerW = active.energyJ / (active.durationMs / 1000);
    const energyPerInferenceJ = (active.energyJ - idlePowerW * (active.durationMs / 1000)) / runs;
    return {
      status: 'measured',
      method: meter.method,
      rails: [...meter.rails],
      resolution: active.resolution,
      energyPerInferenceJ,
      idlePowerW,
      activePowerW,
      idleWindowMs: idle.durationMs,
      activeWindowMs: active.durationMs,
      activeRuns: runs,
      samples: idle.samples + active.samples,
    };
  } catch (err) {
    const e = err as Error;
    return { status: 'unavailable', reason: `${meter.method} failed while measuring: ${e.message}` };
  }
}

async function measureProfile(args: MeasureModelArgs): Promise<OpProfile> {
  const { runtime, settings } = args;
  let profiled: LoadedModel;
  try {
    profiled = await runtime.load(args.modelBytes, {
      executionProvider: settings.executionProvider,
      threads: settings.threads,
      isProfiling: true,
    });
  } catch (err) {
    return { status: 'unavailable', reason: `profiled session could not be created: ${(err as Error).message}` };
  }
  try {
    const inputs = runtime.prepareInputs(args.inputs, settings.inputSeed);
    await profiled.run(inputs); // warm-up, dropped by aggregateOpProfile
    for (let i = 0; i < settings.profileRuns; i++) await profiled.run(inputs);
    const out = await profiled.endProfiling();
    if (out.status !== 'ok') return { status: 'unavailable', reason: out.reason };
    return aggregateOpProfile(out.events, settings.profileRuns);
  } finally {
    await profiled.dispose();
  }
}
