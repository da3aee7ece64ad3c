/**
 * Our proxies, end to end (IR -> ONNX training graph -> onnxruntime -> aggregation), against the PyTorch
 * reference values in test/fixtures/golden/nb201_golden.json (made by scripts/golden/; CI needs no Python).
 * The C=8 N=1 networks keep this file fast; the C=16 N=5 ones are checked by a few of the cheap proxies.
 *
 * Tolerances: per-layer weight-gradient norms and every well-conditioned proxy within 1e-3 relative. ZiCo is
 * compared within 1% relative: its per-parameter term (|g1|+|g2|)/|g1-g2| explodes when two batch gradients
 * agree to a few float32 ulps, so a handful of parameters (a 1-in-10^5 coincidence) can move one layer's ln S_l by
 * tenths even though every gradient agrees with PyTorch to ~1e-6. The float32 reference itself differs from its
 * float64 evaluation (`valueFloat32Reference`). GraSP is not compared: our Hessian-vector product is a float32
 * finite difference and does not reach the reference (see saliencyProxies.ts).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openDataset, selectBatches } from '../../../../host/data/index.js';
import { buildNb201Network, type Nb201NetworkConfig } from '../../../../host/spaces/nb201.js';
import { PROXIES } from '../../../../host/proxies/index.js';
import { freshWeights, layerWeights, withTrainingSession } from '../../../../host/proxies/proxyRun.js';

interface GoldenModel {
  id: string;
  arch: string;
  config: Nb201NetworkConfig;
  layers: string[];
  zico: { value: number; valueFloat32Reference: number; losses: number[]; gradNorms: number[][] };
  grad_norm: number;
  snip: number;
  plain: number;
  fisher: { value: number };
  synflow: number;
  jacob_cov: { value: number };
  naswot: { value: number };
  linear_regions: { value: number };
  zen: { value: number };
  swap: { value: number; neurons: number; hooks: number };
  meco: { value: number; value64: number; calls: number };
  az_nas?: Record<'official' | 'robust', AzGolden>;
}

interface AzGolden {
  expressivity: number | string;
  progressivity: number | string;
  trainability: number | string;
  perFeature: (number | string)[];
  perBlock: (number | string)[];
}

const golden = JSON.parse(readFileSync(new URL('../../../fixtures/golden/nb201_golden.json', import.meta.url), 'utf8')) as { models: GoldenModel[] };
const small = golden.models.filter((m) => m.config.channels === 8 && m.zico.value > 0);
const batches = selectBatches(openDataset(), { batchSize: 64, batches: 2, seed: 'first' });
const rel = (a: number, b: number): number => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

async function score(id: keyof typeof PROXIES, m: GoldenModel): Promise<number> {
  const r = await PROXIES[id].score({ graph: buildNb201Network(m.arch, m.config), batches, seed: 0 });
  if (!r.ok) throw new Error(`${id} failed on ${m.arch}: ${r.reason}`);
  return r.value;
}

describe('proxies against the PyTorch reference (golden fixture)', () => {
  for (const m of small) {
    describe(`${m.arch} C=${m.config.channels} N=${m.config.cellsPerStage}`, () => {
      it('loss and every conv/linear weight-gradient norm match PyTorch within 1e-3 (both batches)', async () => {
        const graph = buildNb201Network(m.arch, m.config);
        const layers = layerWeights(graph);
        expect(layers.map((l) => l.name)).toEqual(m.layers);
        await withTrainingSession(graph, freshWeights(graph, 0, 'pytorch-default'), { batch: 64, objective: 'crossEntropy', paramGrads: 'weights', bnStats: false }, async (s) => {
          for (const [b, batch] of batches.entries()) {
            const step = await s.run({ input: batch.images, labels: batch.labels });
            expect(rel(step.loss!, m.zico.losses[b]!)).toBeLessThan(1e-5);
            layers.forEach((l, i) => {
              const g = step.grads.get(l.name)!;
              const norm = Math.sqrt(g.reduce((a, v) => a + v * v, 0));
              const ref = m.zico.gradNorms[b]![i]!;
              if (ref === 0) expect(norm).toBe(0);
              else expect(rel(norm, ref), `${l.name} batch ${b}`).toBeLessThan(1e-3);
            });
          }
        });
      });

      it('ZiCo within 1% (ill-conditioned statistic, see header)', async () => {
        expect(rel(await score('zico', m), m.zico.value)).toBeLessThan(1e-2);
      });

      it('grad_norm, snip, plain, fisher, synflow, jacob_cov within 1e-3 relative', async () => {
        expect(rel(await score('grad_norm', m), m.grad_norm)).toBeLessThan(1e-3);
        expect(rel(await score('snip', m), m.snip)).toBeLessThan(1e-3);
        expect(rel(await score('fisher', m), m.fisher.value)).toBeLessThan(1e-3);
        expect(rel(await score('synflow', m), m.synflow)).toBeLessThan(1e-3);
        expect(rel(await score('jacob_cov', m), m.jacob_cov.value)).toBeLessThan(1e-3);
        // plain is a signed sum with cancellation: compare absolutely against the scale of snip.
        expect(Math.abs((await score('plain', m)) - m.plain)).toBeLessThan(1e-3 * m.snip);
      });

      it('naswot, linear regions and Zen-score match', async () => {
        expect(rel(await score('naswot', m), m.naswot.value)).toBeLessThan(1e-4);
        expect(await score('te_nas_lr', m)).toBe(m.linear_regions.value);
        expect(rel(await score('zen', m), m.zen.value)).toBeLessThan(1e-3);
      });
    });
  }

  // SWAP counts sign patterns of float32 activations: an activation within rounding of 0 may flip between the two
  // engines, so the count may differ by a few patterns (never by a share of them).
  for (const m of golden.models) {
    it(`SWAP matches the official semantics on ${m.arch} C=${m.config.channels} N=${m.config.cellsPerStage} (${m.swap.value} patterns)`, async () => {
      const got = await score('swap', m);
      expect(Math.abs(got - m.swap.value)).toBeLessThanOrEqual(Math.max(2, 1e-3 * m.swap.value));
    });
  }

  // MeCo sums λ_min over every module call: the multiset of calls (from module paths, math/meco.ts) must be the
  // reference's, and the float64 sums agree to round-off.
  for (const m of golden.models) {
    it(`MeCo matches the official semantics on ${m.arch} C=${m.config.channels} N=${m.config.cellsPerStage} (${m.meco.calls} module calls)`, async () => {
      const { moduleCalls } = await import('../../../../host/proxies/math/meco.js');
      expect(moduleCalls(buildNb201Network(m.arch, m.config))!.length).toBe(m.meco.calls);
      const got = await score('meco', m);
      expect(Math.abs(got - m.meco.value64)).toBeLessThan(1e-6 * Math.max(1, Math.abs(m.meco.value64)));
      // Against the official float32 general eigensolver: its round-off on near-singular stage-3 matrices (λ ≈ 0)
      // adds up over a few hundred calls.
      expect(Math.abs(got - m.meco.value)).toBeLessThan(1e-3 * Math.max(1, Math.abs(m.meco.value)));
    });
  }

  // AZ-NAS: every per-feature expressivity and per-block trainability against the official semantics in PyTorch on
  // the same weights, Gaussian input and Rademacher vectors (float64 'robust' form, what we compute; −∞ exactly where
  // the reference has it). All C=8 networks and one full-size one (both ResNet blocks at full width).
  const num = (v: number | string): number => (typeof v === 'number' ? v : Number(v.replace('inf', 'Infinity')));
  const close = (got: number, want: number | string, tol: number, what: string): void => {
    const w = num(want);
    if (!Number.isFinite(w)) expect(got, what).toBe(w);
    else expect(Math.abs(got - w), `${what}: ${got} vs ${w}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(w)));
  };
  for (const m of golden.models.filter((g) => g.az_nas && (g.config.channels === 8 || g.id === 'c16n5-mixed'))) {
    it(`AZ-NAS matches the official semantics on ${m.arch} C=${m.config.channels} N=${m.config.cellsPerStage}`, async () => {
      const { azNasScores } = await import('../../../../host/proxies/azNasProxy.js');
      const got = await azNasScores(buildNb201Network(m.arch, m.config), 0);
      if ('reason' in got) throw new Error(got.reason);
      const ref = m.az_nas!.robust;
      got.perFeature.forEach((v, i) => close(v, ref.perFeature[i]!, 1e-5, `expressivity of feature ${i}`));
      got.perBlock.forEach((v, i) => close(v, ref.perBlock[i]!, 1e-4, `trainability of block ${i + 1}`));
      close(got.expressivity, ref.expressivity, 1e-5, 'expressivity');
      close(got.progressivity, ref.progressivity, 1e-4, 'progressivity');
      close(got.trainability, ref.trainability, 1e-4, 'trainability');
    });
  }

  it('a disconnected cell scores ZiCo exactly 0, as the reference', async () => {
    const m = golden.models.find((x) => x.zico.value === 0)!;
    expect(await score('zico', m)).toBe(0);
  });
});
