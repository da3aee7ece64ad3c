import { describe, expect, it } from 'vitest';
import { buildNb201Network } from '../../../host/spaces/nb201.js';
import { initWeights } from '../../../host/ir/init.js';
import { exportInference } from '../../../host/onnx/exportInference.js';
import { createRuntime, probeRuntimes, selectRuntime } from '../../../agent/runtimes/index.js';
import type { RuntimeAvailability } from '../../../shared/protocol/messages.js';

const ARCH = '|skip_connect~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|none~1|nor_conv_1x1~2|';
const model = exportInference(buildNb201Network(ARCH), initWeights(buildNb201Network(ARCH), 0), { batch: 1 });
const INPUTS = [{ name: 'input', dims: [1, 3, 32, 32], dtype: 'float32' as const }];

describe('runtimes (real onnxruntime)', () => {
  it.each(['ort-node', 'ort-wasm'] as const)('%s loads and runs a NAS-Bench-201 model and describes what ran', async (id) => {
    const runtime = createRuntime(id);
    await runtime.init();
    const ep = id === 'ort-node' ? 'cpu' : 'wasm';
    const m = await runtime.load(model, { executionProvider: ep, threads: 1, isProfiling: false });
    expect(m.inputNames).toEqual(['input']);
    await m.run(runtime.prepareInputs(INPUTS, 0));
    expect(runtime.describe()).toMatchObject({ runtime: id, version: '1.30.0', executionProvider: ep, threads: 1 });
    await m.dispose();
  });

  it("ort-node asked for 'cuda' fails with ZN_RUNTIME_UNAVAILABLE (no silent fallback to cpu)", async () => {
    const runtime = createRuntime('ort-node');
    await runtime.init();
    await expect(runtime.load(model, { executionProvider: 'cuda', threads: 1, isProfiling: false })).rejects.toThrow(expect.objectContaining({ code: 'ZN_RUNTIME_UNAVAILABLE', message: expect.stringMatching(/cuda/) }));
  });

  it('rejects junk bytes with ZN_MODEL_LOAD', async () => {
    const runtime = createRuntime('ort-node');
    await runtime.init();
    await expect(runtime.load(new Uint8Array([1, 2, 3, 4]), { executionProvider: 'cpu', threads: 1, isProfiling: false })).rejects.toThrow(expect.objectContaining({ code: 'ZN_MODEL_LOAD' }));
  });

  it('ort-node profiling returns Conv kernel events', async () => {
    const runtime = createRuntime('ort-node');
    await runtime.init();
    const m = await runtime.load(model, { executionProvider: 'cpu', threads: 1, isProfiling: true });
    await m.run(runtime.prepareInputs(INPUTS, 0));
    const out = await m.endProfiling();
    expect(out.status).toBe('ok');
    if (out.status === 'ok') expect(out.events.some((e) => e.cat === 'Node' && e.args?.op_name === 'Conv')).toBe(true);
    await m.dispose();
  });

  it('probeRuntimes reports both runtimes here', async () => {
    const probes = await probeRuntimes();
    expect(probes.map((p) => [p.runtime, p.isAvailable])).toEqual([['ort-node', true], ['ort-wasm', true]]);
  });
});

describe('selectRuntime', () => {
  const nodeMissing: RuntimeAvailability[] = [
    { runtime: 'ort-node', isAvailable: false, version: null, executionProviders: [], reason: 'no binding for arm' },
    { runtime: 'ort-wasm', isAvailable: true, version: '1.30.0', executionProviders: ['wasm'], reason: null },
  ];
  it('auto falls back to ort-wasm and records why', () => {
    const c = selectRuntime('auto', nodeMissing);
    expect(c.runtime).toBe('ort-wasm');
    expect(c.selection).toMatch(/ort-node unavailable: no binding for arm/);
  });
  it('an explicit ort-node request that is unavailable is an error, never replaced', () => {
    expect(() => selectRuntime('ort-node', nodeMissing)).toThrow(expect.objectContaining({ code: 'ZN_RUNTIME_UNAVAILABLE', message: expect.stringMatching(/no binding for arm/) }));
  });
});

describe('ort-node execution providers', () => {
  it('offers CUDA and TensorRT only where their provider libraries are installed', async () => {
    const { availableProviders } = await import('../../../agent/runtimes/ortNode.js');
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'zeronas-ep-'));
    const all = ['cpu', 'webgpu', 'cuda', 'tensorrt'];
    expect(availableProviders(all, dir)).toEqual(['cpu', 'webgpu']);
    writeFileSync(join(dir, 'libonnxruntime_providers_cuda.so'), '');
    expect(availableProviders(all, dir)).toEqual(['cpu', 'webgpu', 'cuda']);
    expect(availableProviders(all, null)).toEqual(['cpu', 'webgpu']);
  });
});
