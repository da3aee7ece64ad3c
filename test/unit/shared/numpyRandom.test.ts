/**
 * Our port of NumPy's default generator against NumPy itself (fixture written by scripts/golden/numpy_choice.py):
 * SeedSequence states, raw PCG64 outputs, and choice(population, n, replace=False) on both sides of NumPy's switch
 * between Floyd's algorithm and a tail shuffle.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { numpyChoiceWithoutReplacement, Pcg64, seedSequenceState } from '../../../shared/numpyRandom.js';

interface Fixture {
  seedSequence: { seed: string; state: string[] }[];
  raw: { seed: string; values: string[] }[];
  choice: { seed: string; population: number; n: number; checksum: string; head: number[]; values?: number[] }[];
}
const fixture = JSON.parse(readFileSync(new URL('../../fixtures/numpyChoice.json', import.meta.url), 'utf8')) as Fixture;
const hex64 = (v: bigint): string => v.toString(16).padStart(16, '0');
/** The fixture's position-weighted checksum (mod 2^61 - 1). */
const checksum = (values: number[]): string =>
  values.reduce((acc, v, i) => (acc + BigInt(i + 1) * BigInt(v)) % (2n ** 61n - 1n), 0n).toString();

describe('NumPy default_rng port', () => {
  it.each(fixture.seedSequence)('SeedSequence($seed).generate_state(4, uint64)', ({ seed, state }) => {
    expect(seedSequenceState(BigInt(seed)).map(hex64)).toEqual(state);
  });

  it.each(fixture.raw)('PCG64($seed).random_raw()', ({ seed, values }) => {
    const generator = new Pcg64(BigInt(seed));
    expect(values.map(() => hex64(generator.next64()))).toEqual(values);
  });

  it.each(fixture.choice)('default_rng($seed).choice($population, $n, replace=False)', (c) => {
    const drawn = numpyChoiceWithoutReplacement(BigInt(c.seed), c.population, c.n);
    expect(drawn.slice(0, 50)).toEqual(c.head);
    if (c.values) expect(drawn).toEqual(c.values);
    expect(checksum(drawn)).toBe(c.checksum);
    expect(new Set(drawn).size).toBe(c.n);
  });

  it('rejects a negative seed and an impossible sample size, naming the value', () => {
    expect(() => numpyChoiceWithoutReplacement(-1, 10, 2)).toThrow(/-1/);
    expect(() => numpyChoiceWithoutReplacement(0, 10, 11)).toThrow(/11/);
  });
});
