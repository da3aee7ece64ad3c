/**
 * One scoring job on the queue: an architecture of a space, one proxy, the settings its score depends on, and the
 * content hashes of the code and data it must be computed with. Jobs carry no file paths: a worker reads its own
 * copy of the data, checked by hash, so whoever can write to Redis cannot make a worker open a file of their choice.
 *
 * The job id is a hash of the whole job: the same score asked twice (two hosts, a resumed run, a retry) is one job
 * in Redis and one result, which is what makes at-least-once delivery safe here.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { ProxyResult } from '../proxies/zeroCostProxy.js';

const HEX64 = z.string().regex(/^[0-9a-f]{64}$/);

export const ScoringJobSchema = z.strictObject({
  v: z.literal(1),
  space: z.string().regex(/^[a-z][a-z0-9-]*$/).max(40),
  spaceOptions: z.strictObject({ scoreResolution: z.number().int().min(8).max(1024).optional() }),
  arch: z.string().min(1).max(4096),
  proxy: z.string().regex(/^[a-z0-9_]+$/).max(40),
  settings: z.strictObject({
    batchSize: z.number().int().min(1).max(4096),
    batches: z.number().int().min(1).max(256),
    seed: z.number().int().min(0).max(2 ** 31),
  }),
  /** The proxies' data: its content hash and a name for messages (the host's file name). */
  data: z.strictObject({ sha256: HEX64, label: z.string().max(200) }),
  /** scoringCodeHash() of the host that asked. */
  code: HEX64,
});
export type ScoringJob = z.infer<typeof ScoringJobSchema>;

/** A finished job's answer. `value` is text: JSON has no −∞, and AZ-NAS scores degenerate cells −∞. */
export const ScoringAnswerSchema = z.discriminatedUnion('ok', [
  z.strictObject({ ok: z.literal(true), value: z.string().max(40), seconds: z.number(), worker: z.string().max(200) }),
  z.strictObject({ ok: z.literal(false), reason: z.string().max(4000), seconds: z.number(), worker: z.string().max(200) }),
]);
export type ScoringAnswer = z.infer<typeof ScoringAnswerSchema>;

/** Failure reasons of a job that will never succeed (its architecture cannot be built, its fields are invalid). */
export const POISONED_PREFIX = 'poisoned: ';
/** Failure reasons of a worker that refused a job for its code or data (scoringIdentity.ts). */
export const MISMATCH_PREFIX = 'mismatch: ';

export function scoringJobId(job: ScoringJob): string {
  const canonical = JSON.stringify([job.v, job.space, job.spaceOptions.scoreResolution ?? null, job.arch, job.proxy, job.settings.batchSize, job.settings.batches, job.settings.seed, job.data.sha256, job.code]);
  return `score-${createHash('sha256').update(canonical).digest('hex').slice(0, 40)}`;
}

export function toAnswer(result: ProxyResult, seconds: number, worker: string): ScoringAnswer {
  return result.ok ? { ok: true, value: String(result.value), seconds, worker } : { ok: false, reason: result.reason, seconds, worker };
}

export function fromAnswer(answer: ScoringAnswer): ProxyResult {
  return answer.ok ? { ok: true, value: Number(answer.value) } : { ok: false, reason: answer.reason };
}
