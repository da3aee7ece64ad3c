import { describe, expect, it } from 'vitest';
import { Store } from '../../../../host/orchestrator/store.js';
import { Scheduler } from '../../../../host/orchestrator/scheduler.js';

function setup(): { store: Store; sched: Scheduler; clock: { t: number }; sha: string } {
  const store = new Store(':memory:');
  const clock = { t: 1_000_000 };
  const sched = new Scheduler(store, { leaseMs: 10_000, backoffBaseMs: 1_000, backoffMaxMs: 8_000, now: () => clock.t });
  const sha = store.putModel(new Uint8Array([1, 2, 3]), 'arch-a');
  return { store, sched, clock, sha };
}

const job = (sha: string, target: string, key: string) => ({
  runId: 'r1',
  target,
  kind: 'measure',
  arch: 'arch-a',
  modelSha256: sha,
  settings: {},
  dedupeKey: key,
});

describe('scheduler', () => {
  it('renews a live lease from now, only with its token, never past maxLeaseMs after it began', () => {
    const store = new Store(':memory:');
    const clock = { t: 1_000_000 };
    const sched = new Scheduler(store, { leaseMs: 10_000, maxLeaseMs: 25_000, backoffBaseMs: 1_000, backoffMaxMs: 8_000, now: () => clock.t });
    const sha = store.putModel(new Uint8Array([1]), 'arch-a');
    const id = sched.enqueue(job(sha, 'pi3b', 'k1'));
    const lease = sched.lease('agent-1', ['pi3b'])!;
    const expires = (): number => sched.job(id)!.lease_expires_ms!;
    clock.t += 8_000;
    expect(sched.renew(id, 'other-token')).toBe(false);
    expect(expires()).toBe(1_010_000);
    expect(sched.renew(id, lease.token)).toBe(true);
    expect(expires()).toBe(1_018_000);
    clock.t += 9_000;
    expect(sched.renew(id, lease.token)).toBe(true);
    expect(expires()).toBe(1_025_000); // capped: began at 1_000_000, at most 25 s
    clock.t += 9_000;
    expect(sched.expireLeases()).toBe(1);
    expect(sched.renew(id, lease.token)).toBe(false); // expired leases are not revived
  });

  it('enqueue is idempotent by dedupe key', () => {
    const { sched, sha } = setup();
    const a = sched.enqueue(job(sha, 'pi3b', 'k1'));
    const b = sched.enqueue(job(sha, 'pi3b', 'k1'));
    expect(a).toBe(b);
    expect(sched.counts('r1').queued).toBe(1);
  });

  it('accepts one result per live lease; duplicates and stale tokens change nothing', () => {
    const { store, sched, sha } = setup();
    const id = sched.enqueue(job(sha, 'pi3b', 'k1'));
    const lease = sched.lease('agent-1', ['pi3b'])!;
    expect(lease.job.id).toBe(id);
    const m = { agentId: 'agent-1', latencyMedianMs: 3.2, energyJ: null, result: { ok: true } };
    expect(sched.complete(id, 'forged-token', m)).toBe('stale-lease');
    expect(sched.complete(id, lease.token, m)).toBe('accepted');
    expect(sched.complete(id, lease.token, m)).toBe('duplicate');
    expect(store.measurements('r1')).toHaveLength(1);
  });

  it('an expired lease is reclaimed, leased again, and the late result of the first agent is ignored', () => {
    const { store, sched, clock, sha } = setup();
    const id = sched.enqueue(job(sha, 'pi3b', 'k1'));
    const first = sched.lease('slow', ['pi3b'])!;
    clock.t += 11_000;
    expect(sched.expireLeases()).toBe(1);
    expect(sched.lease('fast', ['pi3b'])).toBeUndefined(); // backoff not over yet
    clock.t += 1_000;
    const second = sched.lease('fast', ['pi3b'])!;
    expect(second.job.id).toBe(id);
    expect(sched.complete(id, first.token, { agentId: 'slow', latencyMedianMs: 1, energyJ: null, result: {} })).toBe('stale-lease');
    expect(sched.complete(id, second.token, { agentId: 'fast', latencyMedianMs: 2, energyJ: null, result: {} })).toBe('accepted');
    expect(store.measurements('r1').map((m) => m.agent_id)).toEqual(['fast']);
  });

  it('retries with exponential backoff, then fails after max attempts', () => {
    const { sched, clock, sha } = setup();
    const id = sched.enqueue({ ...job(sha, 'pi3b', 'k1'), maxAttempts: 2 });
    const l1 = sched.lease('a', ['pi3b'])!;
    expect(sched.fail(id, l1.token, 'model failed to load')).toBe('requeued');
    expect(sched.job(id)!.not_before_ms).toBe(clock.t + 1_000);
    clock.t += 1_000;
    const l2 = sched.lease('a', ['pi3b'])!;
    expect(sched.fail(id, l2.token, 'model failed to load')).toBe('failed');
    expect(sched.job(id)!.state).toBe('failed');
    expect(sched.job(id)!.last_error).toBe('model failed to load');
  });

  it('requeues the jobs of a disconnected agent at once, without using up an attempt', () => {
    const { sched, sha } = setup();
    const id = sched.enqueue(job(sha, 'pi3b', 'k1'));
    sched.lease('gone', ['pi3b']);
    expect(sched.releaseAgent('gone')).toBe(1);
    const again = sched.lease('other', ['pi3b'])!;
    expect(again.job.id).toBe(id);
    expect(again.job.attempts).toBe(1);
  });

  it('alternates between targets for an agent that serves several (fairness)', () => {
    const { sched, clock, sha } = setup();
    for (let i = 0; i < 3; i++) sched.enqueue(job(sha, 'pi3b', `a${i}`));
    for (let i = 0; i < 3; i++) sched.enqueue(job(sha, 'browser', `b${i}`));
    const order: string[] = [];
    for (let i = 0; i < 4; i++) {
      clock.t += 1;
      order.push(sched.lease('multi', ['pi3b', 'browser'])!.job.target);
    }
    expect(order).toEqual(['pi3b', 'browser', 'pi3b', 'browser']);
  });
});
