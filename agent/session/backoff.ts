/** delay = min(max, base * 2^attempt), then uniform in [delay/2, delay] (jitter spreads reconnect storms). */
export function backoffDelayMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const delay = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return delay / 2 + random() * (delay / 2);
}
