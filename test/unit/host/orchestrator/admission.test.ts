import { describe, expect, it } from 'vitest';
import { ADMISSION_LIMITS, ConnectionAdmission, LogBudget } from '../../../../host/orchestrator/admission.js';

describe('ConnectionAdmission', () => {
  it('caps unauthenticated sockets per address and in all; authenticated ones free their place', () => {
    const a = new ConnectionAdmission({ ...ADMISSION_LIMITS, maxUnauthenticatedPerAddress: 2, maxUnauthenticated: 3, maxConnections: 4 });
    expect(a.admit('10.0.0.1')).toBeNull();
    expect(a.admit('10.0.0.1')).toBeNull();
    expect(a.admit('10.0.0.1')).toMatch(/2 unauthenticated connections from 10\.0\.0\.1/);
    expect(a.admit('10.0.0.2')).toBeNull();
    expect(a.admit('10.0.0.3')).toMatch(/3 connections are waiting to authenticate/); // rotating addresses hit the global cap
    a.authenticated('10.0.0.1');
    expect(a.admit('10.0.0.1')).toBeNull();
    expect(a.admit('10.0.0.4')).toMatch(/4 connections open/);
    a.closed('10.0.0.1', true);
    a.closed('10.0.0.2', false);
    expect(a.admit('10.0.0.2')).toBeNull();
  });
});

describe('LogBudget', () => {
  it('writes the first lines of a window, counts the rest, and reports the count when the window ends', () => {
    const out: string[] = [];
    const clock = { t: 0 };
    const b = new LogBudget((l) => out.push(l), 2, 1_000, () => clock.t);
    for (let i = 0; i < 5; i++) b.log('1.2.3.4', `bad frame ${i}`);
    b.log('5.6.7.8', 'other address');
    expect(out).toEqual(['bad frame 0', 'bad frame 1', '(1.2.3.4 is causing more than 2 log lines in 1 s; counting the rest)', 'other address']);
    clock.t = 1_000;
    b.tick();
    expect(out.at(-1)).toBe('(3 more line(s) caused by 1.2.3.4 in 1 s were not logged)');
    b.log('1.2.3.4', 'a new window');
    expect(out.at(-1)).toBe('a new window');
  });
});
