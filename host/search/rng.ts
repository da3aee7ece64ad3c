/**
 * Seeded, serialisable random numbers for search. mulberry32 (the generator host/ir/init.ts uses) with its single
 * 32-bit state exposed, so a search can save `state` in its JSON and resume the identical stream.
 */
import { MULBERRY32_STEP, mulberry32Output } from '../../shared/random.js';
import type { Rng } from '../spaces/searchSpace.js';

export class SeededRng implements Rng {
  private s: number;

  constructor(seed: number) {
    // Mix the seed once so seeds 0, 1, 2 do not start on neighbouring states.
    let h = (seed >>> 0) ^ 0x9e3779b9;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    this.s = (h ^ (h >>> 16)) >>> 0;
  }

  static fromState(state: number): SeededRng {
    const r = new SeededRng(0);
    r.s = state >>> 0;
    return r;
  }

  get state(): number {
    return this.s;
  }

  next(): number {
    this.s = (this.s + MULBERRY32_STEP) >>> 0;
    return mulberry32Output(this.s);
  }
}
