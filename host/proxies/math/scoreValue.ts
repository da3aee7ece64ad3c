/**
 * What a proxy formula returns: a number, higher is better. When the inputs make the score undefined (non-finite
 * gradients, a singular kernel), the value is -Infinity, so the candidate ranks last, and `reason` says why; a
 * reason is present exactly when the formula rejected its input. Never NaN.
 */
export interface ScoreValue {
  value: number;
  reason?: string;
}

export function rejected(reason: string): ScoreValue {
  return { value: -Infinity, reason };
}

/** First index of a non-finite entry, or -1. */
export function firstNonFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) return i;
  return -1;
}
