/** One-time pairing codes (host/orchestrator/pairing.ts): format, forgiving input, single use, expiry, rate limit. */
import { describe, expect, it } from 'vitest';
import { formatPairingCode, normalisePairingCode, PairingRegistry } from '../../host/orchestrator/pairing.js';

function clock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

describe('pairing codes', () => {
  it('issues 8 Crockford base32 symbols shown as XXXX-XXXX, expiring after the TTL', () => {
    const c = clock();
    const registry = new PairingRegistry({ now: c.now, codeTtlMs: 60_000 });
    const { code, expiresAtMs } = registry.issue();
    expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
    expect(expiresAtMs).toBe(1_060_000);
  });

  it('accepts lower case, spaces and look-alikes (O->0, I/L->1); rejects other lengths and symbols', () => {
    expect(normalisePairingCode('ab0c-1d2e')).toBe('AB0C1D2E');
    expect(normalisePairingCode(' abOc Id2e ')).toBe('AB0C1D2E');
    expect(normalisePairingCode('ABCD-EFG')).toBeNull();
    expect(normalisePairingCode('ABCD-EFGU')).toBeNull(); // U is not in the alphabet
    expect(normalisePairingCode(42)).toBeNull();
    expect(formatPairingCode('AB0C1D2E')).toBe('AB0C-1D2E');
  });

  it('a code is exchanged once for a token the registry accepts; a reused code is refused', () => {
    const registry = new PairingRegistry();
    const { code } = registry.issue();
    const first = registry.redeem(code.toLowerCase(), '10.0.0.2');
    expect(first.ok).toBe(true);
    const token = first.ok ? first.token : '';
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(registry.acceptsToken(token)).toBe(true);
    expect(registry.acceptsToken(`${token}x`)).toBe(false);
    expect(registry.redeem(code, '10.0.0.2')).toMatchObject({ ok: false, reason: 'unknown-or-used' });
    expect(registry.liveCodes()).toBe(0);
  });

  it('refuses an expired code', () => {
    const c = clock();
    const registry = new PairingRegistry({ now: c.now, codeTtlMs: 1_000 });
    const { code } = registry.issue();
    c.advance(1_001);
    expect(registry.redeem(code, 'a')).toMatchObject({ ok: false, reason: 'unknown-or-used' });
  });

  it('blocks an address after too many wrong codes, even the right one, until the window passes', () => {
    const c = clock();
    const registry = new PairingRegistry({ now: c.now, maxFailuresPerClient: 3, failureWindowMs: 10_000 });
    const { code } = registry.issue();
    for (let i = 0; i < 3; i++) expect(registry.redeem('0000-0000', 'guesser').ok).toBe(false);
    expect(registry.redeem(code, 'guesser')).toMatchObject({ ok: false, reason: 'too-many-attempts' });
    expect(registry.redeem('0000-0000', 'someone-else')).toMatchObject({ ok: false, reason: 'unknown-or-used' });
    c.advance(10_001);
    expect(registry.redeem(code, 'guesser').ok).toBe(true);
  });

  it('rotating addresses does not multiply the budget: past the global count of wrong codes every client waits', () => {
    const c = clock();
    const registry = new PairingRegistry({ now: c.now, maxFailuresPerClient: 3, maxFailuresTotal: 10, failureWindowMs: 10_000 });
    const { code } = registry.issue();
    for (let i = 0; i < 10; i++) expect(registry.redeem('0000-0000', `10.0.0.${i}`)).toMatchObject({ ok: false, reason: 'unknown-or-used' });
    expect(registry.redeem('0000-0000', '10.0.0.200')).toMatchObject({ ok: false, reason: 'too-many-attempts', message: expect.stringMatching(/all clients/) });
    expect(registry.redeem(code, 'the-real-browser')).toMatchObject({ ok: false, reason: 'too-many-attempts' });
    c.advance(10_001);
    expect(registry.redeem(code, 'the-real-browser').ok).toBe(true);
  });
});
