/** Proxy formulas as pure functions over arrays (no runtime, no graph): each is tested with its spec test vector. */
export { firstNonFinite, rejected, type ScoreValue } from './scoreValue.js';
export { slogdet, symmetricEigenvalues } from './linalg.js';
export { zico, type LayerGradients, type ZicoBreakdown, type ZicoLayerTerm } from './zico.js';
export { ActivationCodes, popcount32 } from './activationCodes.js';
export { naswotKernel, naswotScore } from './naswot.js';
export { linearRegionCount } from './linearRegions.js';
export { corrcoef, jacobCovScore, JACOB_COV_K } from './jacobCov.js';
export { GramAccumulator, ntkScore, type NtkCondition } from './ntk.js';
export { fisherChannels, fisherScore, type FisherLayer } from './fisher.js';
export { runningVarAfterPasses, unbiasedChannelVariance, zenDelta, zenScore, ZEN_MIXUP_GAMMA } from './zen.js';
export {
  gradNormGlobal,
  gradNormSum,
  graspScore,
  l2NormScore,
  plainScore,
  snipScore,
  synflowScore,
  type LayerPair,
  type LayerTensor,
} from './saliency.js';
