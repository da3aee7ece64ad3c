/**
 * The page's clock: performance.now(), whose resolution browsers coarsen on purpose (100 us without cross-origin
 * isolation, 5 us with it in Chromium; 1 ms or worse elsewhere; HARDWARE.md §7.4). The resolution is measured, not
 * assumed, and recorded with every measurement, so a sub-millisecond latency taken on a coarse timer can be judged.
 */
import type { Clock, Sleep } from '../../shared/measure/contracts.js';

export const browserClock: Clock = { nowMs: () => performance.now() };

export const browserSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Smallest step performance.now() takes, in ms: spin until the value changes, `rounds` times, keep the minimum
 * positive step. Chromium adds jitter to the coarsened clock, so single steps vary; the minimum over rounds is the
 * granularity. Bounded: gives up after `maxSpinMs` of spinning in total.
 */
export function measureTimerResolutionMs(now: () => number = () => performance.now(), rounds = 50, maxSpinMs = 200): number {
  let best = Infinity;
  const deadline = now() + maxSpinMs;
  for (let r = 0; r < rounds; r++) {
    const t0 = now();
    let t1 = now();
    while (t1 === t0) {
      t1 = now();
      if (t1 > deadline) break;
    }
    const step = t1 - t0;
    if (step > 0 && step < best) best = step;
    if (now() > deadline) break;
  }
  // Round away float noise from the millisecond scale (e.g. 0.005000000000109139 -> 0.005).
  return Number.isFinite(best) ? Number(best.toPrecision(3)) : maxSpinMs;
}
