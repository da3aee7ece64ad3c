import type { Emitter, FullShape } from '../emitter.js';
import type { ForwardResult, OpRule } from '../rule.js';

/**
 * Train mode (batch statistics over M = N·H·W values per channel, as PyTorch normalises):
 *   μ = mean(x), xc = x − μ, σ² = mean(xc²) (biased), r = 1/√(σ² + eps), y = xc · (γ r) + β.
 *   dγ = r · Σ dy·xc, dβ = Σ dy, dx = γ r · (dy − Σdy/M − xc · r² · Σ(dy·xc)/M)
 * (the ENGINES.md form dx = γ r (dy − mean(dy) − x̂ mean(dy x̂)) written with xc so x̂ is never materialised).
 * Also reports μ and the UNBIASED variance σ²·M/(M−1), which PyTorch folds into running_var (Zen-score).
 * Eval mode: y = x·A + B with A = γ/√(running_var + eps), B = β − running_mean·A; dx = dy·A,
 *   dγ = Σ dy·(x − running_mean)/√(running_var + eps), dβ = Σ dy.
 * Every full-size step is a per-channel map t·scale + shift (+ u) (ChannelMaps): on blocked (NCHWc) tensors one
 * depthwise pass, so the backward is two passes, dx = xc·(−k·scale) + (dy − mean(dy))·scale; on plain tensors
 * broadcast ops, with the backward in the subtract-first form above.
 */
export const batchNormRule: OpRule<'batchNorm'> = {
  forward: (ctx): ForwardResult => {
    const { g } = ctx;
    const x = ctx.inputs[0]!;
    const ch = channelMaps(g, x, ctx.outputShape);
    const eps = g.constF([ctx.node.attrs.eps]);
    const invSqrt = (v: string): string => g.unary('Reciprocal', g.unary('Sqrt', g.add(v, eps)));
    if (ctx.bnMode === 'eval') {
      const invstd = invSqrt(ch.vector(ctx.param('running_var')));
      const rm = ch.vector(ctx.param('running_mean'));
      const scale = g.mul(ch.vector(ctx.param('weight')), invstd);
      const shift = g.sub(ch.vector(ctx.param('bias')), g.mul(rm, scale));
      return { output: ch.affine(x, scale, shift, undefined, ctx.outputName), saved: { scale, invstd, rm } };
    }
    const mean = ch.mean(x);
    const xc = ch.centredScaled(x, mean, undefined);
    const variance = ch.mean(g.mul(xc, xc));
    const invstd = invSqrt(variance);
    // γ and β are baked-in values: at their PyTorch init (γ ≡ 1, β ≡ 0) the multiply and the add are exact
    // identities, so they are left out (fewer nodes: faster session creation and one pass less per BN).
    const unitGamma = ctx.paramValue('weight').every((v) => v === 1);
    const zeroBeta = ctx.paramValue('bias').every((v) => v === 0);
    const scale = unitGamma ? invstd : g.mul(ch.vector(ctx.param('weight')), invstd);
    const beta = zeroBeta ? undefined : ch.vector(ctx.param('bias'));
    const y = ch.affine(xc, scale, beta, undefined, ctx.outputName);
    const unbiased = g.mul(variance, g.constF([ch.m > 1 ? ch.m / (ch.m - 1) : NaN]));
    return {
      output: y,
      // With γ ≡ 1 and β ≡ 0 the output is x̂ itself, and the backward reads it instead of xc (fewer nodes).
      saved: { xc, invstd, scale, ...(unitGamma && zeroBeta ? { xhat: y } : {}) },
      bnStats: { mean: ch.flat(mean), variance: ch.flat(unbiased) },
    };
  },
  backward: (ctx) => {
    const { g, dy } = ctx;
    const ch = channelMaps(g, ctx.inputs[0]!, ctx.outputShape);
    const { scale, invstd } = ctx.saved as { scale: string; invstd: string };
    const params: Record<string, string> = {};
    const needX = ctx.needsInput[0]!;
    const total = (perChannelMean: string): string => ch.flat(g.mul(perChannelMean, g.constF([ch.m])));
    if (ctx.bnMode === 'eval') {
      const { rm } = ctx.saved as { rm: string };
      if (ctx.needsParam('weight')) params.weight = total(ch.mean(g.mul(dy, ch.centredScaled(ctx.inputs[0]!, rm, invstd))));
      if (ctx.needsParam('bias')) params.bias = total(ch.mean(dy));
      return { inputs: [needX ? ch.affine(dy, scale, undefined) : null], params };
    }
    const { xc, xhat } = ctx.saved as { xc: string; xhat?: string };
    const meanDy = needX || ctx.needsParam('bias') ? ch.mean(dy) : '';
    if (ctx.needsParam('bias')) params.bias = total(meanDy);
    // γ ≡ 1: dx = r·(dy − mean(dy)) − x̂·(r·mean(dy·x̂)), dγ = Σ dy·x̂ (PyTorch's own form). Otherwise, with xc:
    // dx = scale·(dy − mean(dy)) − xc·(scale·k), k = r²·mean(dy·xc), dγ = r·Σ dy·xc.
    const centred = xhat ?? xc;
    const meanDyCentred = needX || ctx.needsParam('weight') ? ch.mean(g.mul(dy, centred)) : '';
    if (ctx.needsParam('weight')) params.weight = total(xhat !== undefined ? meanDyCentred : g.mul(meanDyCentred, invstd));
    if (!needX) return { inputs: [null], params };
    const k = xhat !== undefined ? meanDyCentred : g.mul(g.mul(invstd, invstd), meanDyCentred);
    if (!ch.blocked) return { inputs: [g.mul(g.sub(g.sub(dy, meanDy), g.mul(centred, k)), scale)], params };
    // Two depthwise passes, the second adding the first: dx = centred·(−k·scale) + (dy·scale − mean(dy)·scale).
    const negScale = g.unary('Neg', scale);
    const part = ch.affine(dy, scale, g.mul(meanDy, negScale));
    return { inputs: [ch.affine(centred, g.mul(k, negScale), undefined, part)], params };
  },
};

/**
 * Per-channel statistics and maps over x's layout. On a blocked x, per-channel vectors are [C]: what the depthwise
 * pass (Emitter.channelAffine) takes as its bias, and what a batch-and-spatial mean gives without a Reshape. On a
 * plain x they are [1, C, 1, 1] (x's rank, C at axis 1), which broadcasts against x.
 */
interface ChannelMaps {
  blocked: boolean;
  /** Values per channel, N·H·W. */
  m: number;
  /** Mean over every axis but the channel's, as a per-channel vector. */
  mean(t: string): string;
  /** A [C] parameter as a per-channel vector. */
  vector(param: string): string;
  /** A per-channel vector as [C]. */
  flat(v: string): string;
  /** t·scale + shift (+ add), scale and shift per-channel vectors (undefined: 1 and 0), add shaped like t. */
  affine(t: string, scale: string | undefined, shift: string | undefined, add?: string, out?: string): string;
  /**
   * (t − mean)·scale (scale undefined: 1). Blocked: t·scale + (−mean·scale) in one depthwise pass; plain: the
   * subtraction first, then the product (the plain graph's form since the first training graphs).
   */
  centredScaled(t: string, mean: string, scale: string | undefined): string;
}

function channelMaps(g: Emitter, x: string, shape: FullShape): ChannelMaps {
  const c = shape[1]!;
  const axes = shape.map((_, i) => i).filter((i) => i !== 1);
  const blocked = g.isBlocked(x);
  const pshape = shape.map((d, i) => (i === 1 ? c : 1));
  return {
    blocked,
    m: axes.reduce((acc, i) => acc * shape[i]!, 1),
    mean: (t) => g.reduceMean(t, axes, !blocked),
    vector: (param) => (blocked ? param : g.reshape(param, pshape)),
    flat: (v) => (blocked ? v : g.reshape(v, [c])),
    affine: (t, scale, shift, add, out) => {
      if (blocked) return g.channelAffine(t, scale, shift, add, out);
      const terms = [scale === undefined ? t : g.mul(t, scale), shift, add].filter((v): v is string => v !== undefined);
      return terms.length === 1 ? g.sum(terms, out) : terms.slice(1).reduce((acc, v, i) => g.add(acc, v, i === terms.length - 2 ? out : undefined), terms[0]!);
    },
    centredScaled: (t, mean, scale) => {
      if (blocked) return g.channelAffine(t, scale, g.unary('Neg', scale === undefined ? mean : g.mul(mean, scale)));
      return scale === undefined ? g.sub(t, mean) : g.mul(g.sub(t, mean), scale);
    },
  };
}
