import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../agent/browser/sha256.js';

const oracle = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('sha256Hex (browser agent, oracle node:crypto)', () => {
  it('FIPS 180-4 test vector "abc"', () => {
    expect(sha256Hex(new TextEncoder().encode('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
  it.each([0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, 100_003])('%i random bytes match node:crypto', (n) => {
    const bytes = new Uint8Array(randomBytes(n));
    expect(sha256Hex(bytes)).toBe(oracle(bytes));
  });
  it('a subarray view hashes its own bytes only', () => {
    const bytes = new Uint8Array(randomBytes(300));
    const view = bytes.subarray(17, 250);
    expect(sha256Hex(view)).toBe(oracle(view));
  });
});
