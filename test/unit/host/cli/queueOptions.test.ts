import { describe, expect, it } from 'vitest';
import { queueStatsLine } from '../../../../host/cli/queueOptions.js';

describe('queueStatsLine', () => {
  const stats = { waiting: 0, active: 1, completed: 11, failed: 0, workers: 1, answered: 11, perSecond: 0.14 };
  it('after 20 s without an answer while a job is active, says a dead worker’s job returns when its lock expires', () => {
    expect(queueStatsLine(stats, 5)).toBe('queue: 0 waiting, 1 active, 1 worker(s), 11 answered here, 0.14 jobs/s');
    expect(queueStatsLine(stats, 30)).toContain("no answer for 30 s: a job whose worker died returns to the queue when its lock expires (the worker's --lock-seconds, default 60 s)");
    expect(queueStatsLine({ ...stats, active: 0 }, 300)).not.toContain('no answer');
  });
});
