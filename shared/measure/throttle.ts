/**
 * Did the device throttle during a pass? Raspberry Pi (`vcgencmd get_throttled`): any "now" bit set after the pass,
 * or a sticky "occurred" bit that was clear before and set after. x86 Linux: the summed core_throttle_count grew.
 * Unknown state (no source) is "not known to have throttled"; the conditions record why it is unknown.
 */
import type { Conditions } from '../protocol/messages.js';

export function didThrottle(before: Conditions, after: Conditions): boolean {
  const a = after.throttle;
  const b = before.throttle;
  if (a.source === 'vcgencmd') {
    const f = a.flags;
    if (f.isUnderVoltageNow || f.isFreqCappedNow || f.isThrottledNow || f.isSoftTempLimitNow) return true;
    if (b.source !== 'vcgencmd') return false;
    const g = b.flags;
    return (
      (f.hasUnderVoltageOccurred && !g.hasUnderVoltageOccurred) ||
      (f.hasFreqCapOccurred && !g.hasFreqCapOccurred) ||
      (f.hasThrottlingOccurred && !g.hasThrottlingOccurred) ||
      (f.hasSoftTempLimitOccurred && !g.hasSoftTempLimitOccurred)
    );
  }
  if (a.source === 'core-throttle-count' && b.source === 'core-throttle-count') return a.count > b.count;
  return false;
}
