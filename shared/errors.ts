/**
 * One error type for the whole project. `code` is stable (catalogued in docs/errors.md); the message names the
 * bad value, what was expected and, where known, the fix. Only the CLI boundary turns these into output.
 */
export type ZeronasErrorCode =
  | 'ZN_BAD_ARCH_STRING'
  | 'ZN_BAD_ARGUMENT'
  | 'ZN_SHAPE_MISMATCH'
  | 'ZN_BAD_GRAPH'
  | 'ZN_GRAD_SHAPE'
  | 'ZN_BAD_DATA'
  | 'ZN_PROTOCOL_VERSION'
  | 'ZN_PROTOCOL_SCHEMA'
  | 'ZN_PAYLOAD_TOO_LARGE'
  | 'ZN_AUTH'
  | 'ZN_LUT_STALE'
  | 'ZN_EP_MISMATCH'
  | 'ZN_LUT_INCOMPLETE'
  | 'ZN_NO_AGENT'
  | 'ZN_NO_ENERGY_METER'
  | 'ZN_IO'
  /** A bug (catalogued in docs/errors.md; also what the host answers when a handler fails unexpectedly). */
  | 'ZN_INTERNAL'
  // Protocol and device agent (issue 4).
  | 'ZN_PROTOCOL_PARSE'
  | 'ZN_PROTOCOL_SEQUENCE'
  | 'ZN_MODEL_HASH'
  | 'ZN_MODEL_LOAD'
  | 'ZN_MODEL_RUN'
  /** A model whose tensors keep their data in files (ONNX external data); agents refuse it (issue 19). */
  | 'ZN_MODEL_EXTERNAL_DATA'
  | 'ZN_RUNTIME_UNAVAILABLE'
  | 'ZN_JOB_TIMEOUT'
  | 'ZN_JOB_CRASHED'
  | 'ZN_JOB_CANCELLED'
  | 'ZN_AGENT_BUSY'
  | 'ZN_SENSOR'
  // Browser agent (issue 6).
  | 'ZN_PAGE_HIDDEN'
  // Replay agent (benchmarks and tests: answers from a published table).
  | 'ZN_REPLAY_UNKNOWN_ARCH'
  // Scoring queue (issue 24).
  | 'ZN_QUEUE_UNAVAILABLE'
  | 'ZN_QUEUE_MISMATCH';

export class ZeronasError extends Error {
  readonly code: ZeronasErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: ZeronasErrorCode, message: string, details: Record<string, unknown> = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'ZeronasError';
    this.code = code;
    this.details = details;
  }
}

/** Throws a ZeronasError when `condition` is false; the message is built only on failure. */
export function check(
  condition: unknown,
  code: ZeronasErrorCode,
  message: () => string,
  details?: () => Record<string, unknown>,
): asserts condition {
  if (!condition) throw new ZeronasError(code, message(), details?.());
}

/**
 * Errors of the machinery around a score (the scoring queue unreachable, a worker with other code or data), as
 * opposed to a verdict on an architecture: they stop a run instead of being recorded as a failed score.
 */
export function isScoringInfrastructureError(err: unknown): boolean {
  return err instanceof ZeronasError && (err.code === 'ZN_QUEUE_MISMATCH' || err.code === 'ZN_QUEUE_UNAVAILABLE');
}
