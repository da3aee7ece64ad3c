/**
 * Several measurements at once (one per target: the closed loop measures its devices in parallel) shown as one
 * progress phase, since a progress reporter shows one: the running phases' labels joined, their counts summed. One
 * phase alone is reported as it is.
 */
export type ProgressFn = (phase: string, done: number, total: number) => void;

export function concurrentProgress(report: ProgressFn | undefined): ProgressFn {
  const running = new Map<string, { done: number; total: number }>();
  return (phase, done, total) => {
    if (!report) return;
    running.set(phase, { done, total });
    let sumDone = 0;
    let sumTotal = 0;
    for (const p of running.values()) {
      sumDone += p.done;
      sumTotal += p.total;
    }
    report([...running.keys()].join('; '), sumDone, sumTotal);
    if (done >= total) running.delete(phase);
  };
}
