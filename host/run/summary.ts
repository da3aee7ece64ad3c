/**
 * summary.json, the run folder's contract (docs/run-folder.md): what `orchestrate` returned, per target and across
 * targets. Versioned; `zeronas report`, benchmarks and users' scripts read it through this schema, never through
 * orchestrator internals. Latency in ms, energy in J; a value the run did not record is null.
 */
import { z } from 'zod';

export const SUMMARY_VERSION = 2;

const num = z.number().finite();
const nullableNum = num.nullable();

const budgetSchema = z.object({ target: z.string(), metric: z.enum(['latency', 'energy']), max: num, text: z.string() });

const errorsSchema = z.object({ n: z.number().int().nonnegative(), mapePercent: nullableNum, within10: nullableNum, spearman: nullableNum });

export const targetSummarySchema = z.object({
  target: z.string(),
  /** The target's agents replay a published table: its values are not measurements of this run. */
  isReplay: z.boolean(),
  /** The target's agents run under CPU emulation (`<profile>-emu`): timings of the emulator, not of the device. */
  isEmulated: z.boolean().optional(),
  /**
   * An agent of the target was started with `--force-device` on hardware its profile does not describe (a PC under
   * a Pi's profile): the figures are that hardware's, not the profile's device's. `forcedDevice` names it.
   */
  isForcedDevice: z.boolean().optional(),
  forcedDevice: z.string().optional(),
  /** The cost the budget bounds (latency without a budget). */
  metric: z.enum(['latencyMs', 'energyJ']),
  agents: z.array(z.object({ id: z.string(), name: z.string(), profile: z.string().nullable(), cpu: z.string(), runtime: z.string().optional() })),
  budget: budgetSchema.nullable(),
  costModel: z.object({
    name: z.string(),
    /** Out of sample: the last round's model before its refit, on what that round measured. */
    mapePercent: nullableNum,
    within10: nullableNum,
    n: z.number().int().nonnegative(),
    /** The lookup table that seeded the model. */
    lut: z.string().nullable(),
  }),
  /** Per round: the model that predicted the round's measurements and its error on them (round 0: the first spread). */
  learningCurve: z.array(errorsSchema.extend({ round: z.number().int().nonnegative(), model: z.string(), samplesBefore: z.number().int().nonnegative(), measured: z.number().int().nonnegative(), modelFile: z.string().nullable() })),
  measured: z.number().int().nonnegative(),
  paretoFront: z.array(z.object({ arch: z.string(), score: num, latencyMs: num, measured: z.boolean() })),
  /** Every scored candidate: its selection score, the final model's prediction and, when measured, the measurement. */
  points: z.array(
    z.object({
      arch: z.string(),
      score: num,
      predictedMs: nullableNum,
      measuredMs: nullableNum,
      predictedJ: nullableNum.optional(),
      measuredJ: nullableNum.optional(),
    }),
  ),
  /** Each architecture re-measured before it was returned, in order, until one met the budget. */
  verification: z.array(z.object({ arch: z.string(), predicted: nullableNum, measuredMedian: nullableNum, roundValues: z.array(num), meetsBudget: z.boolean() })),
  best: z
    .object({
      arch: z.string(),
      proxyScore: num,
      measuredLatencyMs: num,
      measuredEnergyJ: nullableNum,
      /** The final cost model's prediction (budget metric). */
      predicted: nullableNum,
      /** Median of the verification rounds (budget metric). */
      verifiedMedian: nullableNum,
      onnx: z.string(),
      macs: num,
      params: num,
    })
    .nullable(),
  bestMeasuredValue: nullableNum,
  dispatchOverheadMs: z.object({ median: nullableNum, n: z.number().int().nonnegative() }),
});

export const runSummarySchema = z.object({
  summaryVersion: z.literal(SUMMARY_VERSION),
  runId: z.string(),
  space: z.string(),
  spaceDescription: z.string(),
  algo: z.string(),
  proxy: z.string(),
  budgets: z.array(z.string()),
  candidatesScored: z.number().int().nonnegative(),
  candidatesFailed: z.number().int().nonnegative(),
  rounds: z.number().int().nonnegative(),
  stopReason: z.string(),
  wallTimeS: num,
  /** Some target replays a published table (benchmarks and tests only). */
  isReplay: z.boolean(),
  /** Some target runs under CPU emulation (scripts/pi-emulation/): its timings are the emulator's. */
  isEmulated: z.boolean().optional(),
  /** Some target was measured by a `--force-device` agent: its figures are other hardware's. */
  isForcedDevice: z.boolean().optional(),
  /** The fleet prior that chose round 0's measurements (`orchestrate --prior`: a file, or 'hwnasbench'), or null. */
  costPrior: z.string().nullable().optional(),
  targets: z.array(targetSummarySchema),
  /** Several targets: architectures measured within every target's budget, best score first (at most 20). */
  commonFeasible: z.array(z.object({ arch: z.string(), score: num, measured: z.record(z.string(), z.object({ latencyMs: num, energyJ: nullableNum })) })),
});

export type RunSummary = z.infer<typeof runSummarySchema>;
export type TargetSummary = z.infer<typeof targetSummarySchema>;

/** Parses a summary.json value; the error names the file and the first bad field. */
export function parseRunSummary(value: unknown, source: string): RunSummary {
  const r = runSummarySchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new Error(`${source} is not a summary.json of version ${SUMMARY_VERSION}: ${issue.path.join('.')}: ${issue.message}`);
  }
  return r.data;
}
