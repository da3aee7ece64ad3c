import { ZeronasError } from '../../shared/errors.js';

export interface Budget {
  target: string;
  metric: 'latency' | 'energy';
  /** In ms for latency, in J for energy. */
  max: number;
  text: string;
}

const LATENCY_UNITS: Record<string, number> = { us: 1e-3, ms: 1, s: 1000 };
const ENERGY_UNITS: Record<string, number> = { uj: 1e-6, mj: 1e-3, j: 1 };

/** Parses `pi3b:latency<=15ms` or `browser:energy<=2mJ`. */
export function parseBudget(text: string): Budget {
  const m = /^([A-Za-z0-9._:-]+):(latency|energy)\s*<=\s*([0-9]*\.?[0-9]+(?:e[-+]?\d+)?)\s*([a-zA-Z]+)$/.exec(text.trim());
  if (!m) {
    throw new ZeronasError(
      'ZN_BAD_ARGUMENT',
      `budget '${text}' is malformed; expected <target>:latency<=<number><us|ms|s> or <target>:energy<=<number><uJ|mJ|J>, e.g. pi3b:latency<=15ms`,
      { budget: text },
    );
  }
  const [, target, metric, value, unitRaw] = m as unknown as [string, string, 'latency' | 'energy', string, string];
  const units = metric === 'latency' ? LATENCY_UNITS : ENERGY_UNITS;
  const factor = units[unitRaw.toLowerCase()];
  if (factor === undefined) {
    throw new ZeronasError('ZN_BAD_ARGUMENT', `budget '${text}': unit '${unitRaw}' is not a ${metric} unit (${Object.keys(units).join(', ')})`, {
      budget: text,
    });
  }
  return { target, metric, max: Number(value) * factor, text };
}
