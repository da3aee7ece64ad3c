import { describe, expect, it } from 'vitest';
import { PROXY_IDS, toProxyResult } from '../../../../host/proxies/zeroCostProxy.js';

describe('ZeroCostProxy contract (STYLE.md §6.2)', () => {
  it('a formula rejection becomes { ok: false, reason }; a value becomes { ok: true, value }', () => {
    expect(toProxyResult({ value: -Infinity, reason: 'singular K' })).toEqual({ ok: false, reason: 'singular K' });
    expect(toProxyResult({ value: 1.5 })).toEqual({ ok: true, value: 1.5 });
  });

  it('never passes NaN through as a number', () => {
    expect(toProxyResult({ value: NaN })).toEqual({ ok: false, reason: 'the score is NaN' });
  });

  it('proxy ids are unique', () => {
    expect(new Set(PROXY_IDS).size).toBe(PROXY_IDS.length);
  });
});
