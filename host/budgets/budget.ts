/**
 * The one budget grammar of `search` and `orchestrate`:
 *   <target>:latency<=15ms   <target>:energy<=2mJ      (a target's measured or predicted cost)
 *   flops<=450M   params<=1.5M   layers<=14             (analytic, in the space's own counting convention)
 * Latency is kept in ms, energy in J, counts as plain numbers. Every budget a user writes is either enforced or
 * refused with a reason; none is ignored.
 */
import { ZeronasError } from '../../shared/errors.js';
import type { Budgets, CostMetric, CostVector } from '../search/types.js';

/** A budget on one target's cost. */
export interface Budget {
  target: string;
  metric: 'latency' | 'energy';
  /** In ms for latency, in J for energy. */
  max: number;
  text: string;
}

/** A budget on an analytic size measure of the architecture. */
export interface StructuralBudget {
  metric: 'flops' | 'params' | 'layers';
  max: number;
  text: string;
}

export type AnyBudget = Budget | StructuralBudget;

export const isTargetBudget = (b: AnyBudget): b is Budget => 'target' in b;

const LATENCY_UNITS: Record<string, number> = { us: 1e-3, ms: 1, s: 1000 };
const ENERGY_UNITS: Record<string, number> = { uj: 1e-6, mj: 1e-3, j: 1 };
const COUNT_UNITS: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9 };
const NUMBER = '([0-9]*\\.?[0-9]+(?:e[-+]?\\d+)?)';
const EXAMPLES = 'e.g. pi3b:latency<=15ms, pi3b:energy<=2mJ, flops<=450M, params<=1.5M, layers<=14';

/** The search's cost field a target budget bounds. */
export const costField = (metric: Budget['metric']): CostMetric => (metric === 'latency' ? 'latencyMs' : 'energyJ');

/** Parses one budget of either kind. */
export function parseAnyBudget(text: string): AnyBudget {
  const s = new RegExp(`^(flops|params|layers)\\s*<=\\s*${NUMBER}\\s*([kKmMgG]?)$`).exec(text.trim());
  if (s) {
    const [, metric, value, unit] = s as unknown as [string, StructuralBudget['metric'], string, string];
    if (metric === 'layers' && unit !== '') throw new ZeronasError('ZN_BAD_ARGUMENT', `budget '${text}': layers take no unit`, { budget: text });
    return { metric, max: Number(value) * COUNT_UNITS[unit.toLowerCase()]!, text };
  }
  return parseBudget(text);
}

/** Parses a target budget: `pi3b:latency<=15ms` or `browser:energy<=2mJ`. */
export function parseBudget(text: string): Budget {
  const m = new RegExp(`^([A-Za-z0-9._:-]+):(latency|energy)\\s*<=\\s*${NUMBER}\\s*([a-zA-Z]+)$`).exec(text.trim());
  if (!m) {
    throw new ZeronasError(
      'ZN_BAD_ARGUMENT',
      `budget '${text}' is malformed; expected <target>:latency<=<number><us|ms|s>, <target>:energy<=<number><uJ|mJ|J>, flops<=<n>[k|M|G], params<=<n>[k|M|G] or layers<=<n>; ${EXAMPLES}`,
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

/**
 * The search's form of a list of budgets. Two budgets on the same quantity are refused rather than one silently
 * winning.
 */
export function toSearchBudgets(budgets: readonly AnyBudget[]): Budgets {
  const out: Budgets = {};
  const seen = new Map<string, string>();
  for (const b of budgets) {
    const id = isTargetBudget(b) ? `${b.target}:${b.metric}` : b.metric;
    const earlier = seen.get(id);
    if (earlier) throw new ZeronasError('ZN_BAD_ARGUMENT', `budgets '${earlier}' and '${b.text}' bound the same quantity; give one`, { budget: b.text });
    seen.set(id, b.text);
    if (isTargetBudget(b)) {
      out.targets = { ...out.targets, [b.target]: { ...out.targets?.[b.target], [costField(b.metric)]: b.max } as CostVector };
    } else {
      out[b.metric] = b.max;
    }
  }
  return out;
}

/** Checks that every target budget names one of `targets`. */
export function checkBudgetTargets(budgets: readonly AnyBudget[], targets: readonly string[]): void {
  for (const b of budgets) {
    if (isTargetBudget(b) && !targets.includes(b.target)) {
      throw new ZeronasError('ZN_BAD_ARGUMENT', `budget '${b.text}' names target '${b.target}', which is not in --targets (${targets.join(', ')})`, { budget: b.text });
    }
  }
}

/** Formats a value of a target budget's metric with its unit. */
export function formatCost(metric: Budget['metric'], value: number): string {
  return metric === 'latency' ? `${value.toFixed(3)} ms` : `${(value * 1e3).toFixed(3)} mJ`;
}
