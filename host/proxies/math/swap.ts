/**
 * SWAP (sample-wise activation patterns, ICLR 2024; PROXIES_SOTA.md §3): every neuron of the hooked ReLU outputs has
 * a pattern of B bits over the B samples (1 = active); the score is the number of distinct patterns. With B ≤ 24 a
 * pattern is the integer Σ_b 2^b·[x_b > 0], exactly as the official `torch.unique(S.T, dim=0)` counts them (the
 * reference's hint); a bitmap of 2^B entries counts the distinct ones.
 */
export const SWAP_MAX_BATCH = 24;

/**
 * Distinct activation patterns over `layers` (each a [B, ...] float32 tensor of ReLU outputs or inputs: the sign
 * is the same), B = `batch`. Identical layers (several convs reading one node) add no pattern.
 */
export function swapPatternCount(layers: readonly Float32Array[], batch: number): number {
  if (!Number.isInteger(batch) || batch < 1 || batch > SWAP_MAX_BATCH)
    throw new RangeError(`SWAP needs 1..${SWAP_MAX_BATCH} samples, got ${batch}`);
  const seen = new Uint8Array(2 ** batch);
  let distinct = 0;
  let codes = new Uint32Array(0);
  for (const a of layers) {
    const perSample = a.length / batch;
    if (!Number.isInteger(perSample))
      throw new RangeError(`an activation of ${a.length} values does not split into ${batch} samples`);
    if (codes.length < perSample) codes = new Uint32Array(perSample);
    else codes.fill(0, 0, perSample);
    // Sample-major passes over contiguous memory, one bit per sample (4-5x faster than gathering each neuron's B
    // values across the batch stride; the profile of the combination had this loop at ~100 ms per NB201 cell).
    for (let b = 0; b < batch; b++) {
      const bit = 1 << b;
      const off = b * perSample;
      for (let n = 0; n < perSample; n++) if (a[off + n]! > 0) codes[n]! |= bit;
    }
    for (let n = 0; n < perSample; n++) {
      const code = codes[n]!;
      if (seen[code] === 0) {
        seen[code] = 1;
        distinct++;
      }
    }
  }
  return distinct;
}
