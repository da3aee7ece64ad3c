/**
 * Device conditions as a browser can report them: none. Browsers expose no temperature, frequency, governor or
 * throttle reading, so each is null or `unavailable` with the reason (never a guess). Throttling of hidden pages is
 * handled instead by abandoning the job (ZN_PAGE_HIDDEN), see page.ts.
 */
import type { Conditions } from '../../shared/protocol/messages.js';

export function browserConditions(now: Date = new Date()): Conditions {
  return {
    at: now.toISOString(),
    tempC: null,
    tempSource: 'unavailable: browsers expose no temperature sensor',
    curFreqMHz: null,
    governor: null,
    throttle: { source: 'unavailable', reason: 'browsers expose no throttle state; a hidden or frozen page abandons its job instead' },
  };
}
