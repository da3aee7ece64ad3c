import type { ForwardResult, OpRule } from '../rule.js';

/**
 * Train mode (batch statistics over M = N·H·W values per channel, as PyTorch normalises):
 *   μ = mean(x), xc = x − μ, σ² = mean(xc²) (biased), r = 1/√(σ² + eps), y = xc · (γ r) + β.
 *   dγ = r · Σ dy·xc, dβ = Σ dy, dx = γ r · (dy − Σdy/M − xc · r² · Σ(dy·xc)/M)
 * (the ENGINES.md form dx = γ r (dy − mean(dy) − x̂ mean(dy x̂)) written with xc so x̂ is never materialised).
 * Also reports μ and the UNBIASED variance σ²·M/(M−1), which PyTorch folds into running_var (Zen-score).
 * Eval mode: y = x·A + B with A = γ/√(running_var + eps), B = β − running_mean·A; dx = dy·A,
 *   dγ = Σ dy·(x − running_mean)/√(running_var + eps), dβ = Σ dy.
 * On blocked (NCHWc) tensors every per-channel map a·t + b (+ u) is one depthwise pass (Emitter.channelAffine)
 * instead of broadcast ops, so the backward is written as two such passes: dx = xc·(−k·scale) + (dy·scale −
 * scale·mean(dy)).
 */
export const batchNormRule: OpRule<'batchNorm'> = {
  forward: (ctx): ForwardResult => {
    const { g } = ctx;
    const x = ctx.inputs[0]!;
    const shape = ctx.outputShape;
    const c = shape[1]!;
    const axes = shape.map((_, i) => i).filter((i) => i !== 1);
    const m = axes.reduce((acc, i) => acc * shape[i]!, 1);
    const pshape = shape.map((d, i) => (i === 1 ? c : 1));
    const eps = g.constF([ctx.node.attrs.eps]);
    if (ctx.bnMode === 'eval') {
      const gamma = g.reshape(ctx.param('weight'), pshape);
      const beta = g.reshape(ctx.param('bias'), pshape);
      const rm = g.reshape(ctx.param('running_mean'), pshape);
      const invstd = g.unary('Reciprocal', g.unary('Sqrt', g.add(g.reshape(ctx.param('running_var'), pshape), eps)));
      const scale = g.mul(gamma, invstd);
      const shift = g.sub(beta, g.mul(rm, scale));
      const y = g.isBlocked(x) ? g.channelAffine(x, scale, shift, undefined, ctx.outputName) : g.add(g.mul(x, scale), shift, ctx.outputName);
      return { output: y, saved: { scale, invstd, rm } };
    }
    const mean = g.reduceMean(x, axes, true);
    // On a blocked x, x − μ is x·1 + (−μ) in one depthwise pass (the same float result).
    const xc = g.isBlocked(x) ? g.channelAffine(x, undefined, g.mul(mean, g.constF([-1]))) : g.sub(x, mean);
    const variance = g.reduceMean(g.mul(xc, xc), axes, true);
    const invstd = g.unary('Reciprocal', g.unary('Sqrt', g.add(variance, eps)));
    // γ and β are baked-in values: at their PyTorch init (γ ≡ 1, β ≡ 0) the multiply and the add are exact
    // identities, so they are left out (fewer nodes: faster session creation and one pass less per BN).
    const unitGamma = ctx.paramValue('weight').every((v) => v === 1);
    const zeroBeta = ctx.paramValue('bias').every((v) => v === 0);
    const scale = unitGamma ? invstd : g.mul(g.reshape(ctx.param('weight'), pshape), invstd);
    const beta = zeroBeta ? undefined : g.reshape(ctx.param('bias'), pshape);
    const y = g.isBlocked(xc)
      ? g.channelAffine(xc, scale, beta, undefined, ctx.outputName)
      : beta === undefined
        ? g.mul(xc, scale, ctx.outputName)
        : g.add(g.mul(xc, scale), beta, ctx.outputName);
    const unbiased = g.mul(variance, g.constF([m > 1 ? m / (m - 1) : NaN]));
    return {
      output: y,
      // With γ ≡ 1 and β ≡ 0 the output is x̂ itself, and the backward reads it instead of xc (fewer nodes).
      saved: { xc, invstd, scale, ...(unitGamma && zeroBeta ? { xhat: y } : {}) },
      bnStats: { mean: g.reshape(mean, [c]), variance: g.reshape(unbiased, [c]) },
    };
  },
  backward: (ctx) => {
    const { g, dy } = ctx;
    const shape = ctx.outputShape;
    const c = shape[1]!;
    const axes = shape.map((_, i) => i).filter((i) => i !== 1);
    const m = axes.reduce((acc, i) => acc * shape[i]!, 1);
    const { scale, invstd } = ctx.saved as { scale: string; invstd: string };
    const params: Record<string, string> = {};
    const needX = ctx.needsInput[0]!;
    const needGamma = ctx.needsParam('weight');
    const needBeta = ctx.needsParam('bias');
    if (ctx.bnMode === 'eval') {
      const { rm } = ctx.saved as { rm: string };
      if (needGamma) {
        const xhat = g.mul(g.sub(ctx.inputs[0]!, rm), invstd);
        params.weight = g.reduceSum(g.mul(dy, xhat), axes, false);
      }
      if (needBeta) params.bias = g.reduceSum(dy, axes, false);
      const dx = !needX ? null : g.isBlocked(dy) ? g.channelAffine(dy, scale, undefined) : g.mul(dy, scale);
      return { inputs: [dx], params };
    }
    const { xc, xhat } = ctx.saved as { xc: string; xhat?: string };
    const meanDy = needX || needBeta ? g.reduceMean(dy, axes, true) : '';
    if (xhat !== undefined) {
      // γ ≡ 1: dx = r · (dy − mean(dy) − x̂ · mean(dy·x̂)); dγ = Σ dy·x̂; dβ = Σ dy (PyTorch's own form).
      const meanDyXhat = needX || needGamma ? g.reduceMean(g.mul(dy, xhat), axes, true) : '';
      if (needGamma) params.weight = g.reshape(g.mul(meanDyXhat, g.constF([m])), [c]);
      if (needBeta) params.bias = g.reshape(g.mul(meanDy, g.constF([m])), [c]);
      if (!needX) return { inputs: [null], params };
      if (g.isBlocked(xhat)) {
        // Blocked: dx = x̂·(−r·mean(dy·x̂)) + (dy·r − r·mean(dy)), two depthwise passes (the second adds the first).
        const negR = g.mul(invstd, g.constF([-1]));
        const part = g.channelAffine(dy, invstd, g.mul(meanDy, negR));
        return { inputs: [g.channelAffine(xhat, g.mul(meanDyXhat, negR), undefined, part)], params };
      }
      return { inputs: [g.mul(g.sub(g.sub(dy, meanDy), g.mul(xhat, meanDyXhat)), invstd)], params };
    }
    // dx = scale · (dy − mean(dy) − xc · r² · mean(dy·xc)); dγ = r · Σ dy·xc; dβ = Σ dy
    const meanDyXc = needX || needGamma ? g.reduceMean(g.mul(dy, xc), axes, true) : '';
    if (needGamma) params.weight = g.reshape(g.mul(g.mul(meanDyXc, g.constF([m])), invstd), [c]);
    if (needBeta) params.bias = g.reshape(g.mul(meanDy, g.constF([m])), [c]);
    if (!needX) return { inputs: [null], params };
    const k = g.mul(g.mul(invstd, invstd), meanDyXc);
    if (g.isBlocked(xc)) {
      // Blocked: dx = xc·(−k·scale) + (dy·scale − scale·mean(dy)), two depthwise passes as in the x̂ form.
      const negScale = g.mul(scale, g.constF([-1]));
      const part = g.channelAffine(dy, scale, g.mul(meanDy, negScale));
      return { inputs: [g.channelAffine(xc, g.mul(k, negScale), undefined, part)], params };
    }
    const dx = g.mul(g.sub(g.sub(dy, meanDy), g.mul(xc, k)), scale);
    return { inputs: [dx], params };
  },
};
