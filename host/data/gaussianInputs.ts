import { ZeronasError } from '../../shared/errors.js';
import { gaussian, mulberry32 } from '../ir/init.js';

/**
 * A float32 tensor of i.i.d. N(0, 1) draws, for the proxies whose reference feeds Gaussian noise instead of images
 * (Zen-score x and epsilon, linear regions; ALGORITHMS.md §A.11, §A.12). Box-Muller over mulberry32(seed), the same
 * generator as the Gaussian weight init, so a seed fixes the tensor on every machine (PyTorch's torch.randn is not
 * reproduced; the golden scripts feed these exact tensors to PyTorch instead).
 */
export function gaussianTensor(shape: readonly number[], seed: number): Float32Array {
  const size = shape.reduce((a, b) => a * b, 1);
  if (!shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new ZeronasError('ZN_BAD_ARGUMENT', `gaussian tensor shape must be positive integers, got [${shape.join(',')}]`);
  }
  const normal = gaussian(mulberry32(seed));
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = normal();
  return out;
}
