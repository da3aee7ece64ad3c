/** Input tensors for both onnxruntime packages (they share onnxruntime-common's Tensor constructor shape). */
import type { InputSpec } from '../../shared/protocol/messages.js';
import { generateInputData } from '../../shared/measure/inputData.js';
import type { PreparedInputs } from './runtime.js';

type TensorCtor = new (type: string, data: unknown, dims: readonly number[]) => unknown;

export interface OrtPreparedInputs extends PreparedInputs {
  readonly feeds: Record<string, unknown>;
}

export function prepareOrtInputs(Tensor: TensorCtor, specs: readonly InputSpec[], seed: number): OrtPreparedInputs {
  const feeds: Record<string, unknown> = {};
  for (const spec of specs) feeds[spec.name] = new Tensor(spec.dtype, generateInputData(spec, seed), spec.dims);
  return { names: specs.map((s) => s.name), feeds };
}

export function feedsOf(inputs: PreparedInputs): Record<string, unknown> {
  return (inputs as OrtPreparedInputs).feeds;
}
