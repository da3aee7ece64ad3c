/**
 * The proxy registry: a typed object literal keyed by ProxyId (no side-effect registration). TypeScript rejects a
 * missing or duplicate id. Every proxy is "higher is better" and returns an explicit failure, never a silent 0.
 */
import type { ProxyId, ZeroCostProxy } from './zeroCostProxy.js';
import { zicoProxy } from './zicoProxy.js';
import { gradNormProxy, graspProxy, l2NormProxy, plainProxy, snipProxy } from './saliencyProxies.js';
import { fisherProxy, jacobCovProxy, linearRegionsProxy, mecoOptProxy, mecoProxy, naswotProxy, swapProxy, swapRegProxy, synflowProxy, zenProxy } from './activationProxies.js';
import { ntkProxy } from './ntkProxy.js';
import { azExpressivityProxy, azProgressivityProxy, azTrainabilityProxy } from './azNasProxy.js';
import { flopsProxy, nnDegreeProxy, paramsProxy } from './analyticProxies.js';

export const PROXIES = {
  zico: zicoProxy,
  params: paramsProxy,
  flops: flopsProxy,
  nn_degree: nnDegreeProxy,
  grad_norm: gradNormProxy,
  snip: snipProxy,
  grasp: graspProxy,
  fisher: fisherProxy,
  synflow: synflowProxy,
  jacob_cov: jacobCovProxy,
  naswot: naswotProxy,
  swap: swapProxy,
  swap_reg: swapRegProxy,
  meco: mecoProxy,
  meco_opt: mecoOptProxy,
  az_expressivity: azExpressivityProxy,
  az_progressivity: azProgressivityProxy,
  az_trainability: azTrainabilityProxy,
  zen: zenProxy,
  te_nas_ntk: ntkProxy,
  te_nas_lr: linearRegionsProxy,
  plain: plainProxy,
  l2_norm: l2NormProxy,
} satisfies Record<ProxyId, ZeroCostProxy>;

export type { ProxyId, ProxyResult, ZeroCostProxy, ProxyContext } from './zeroCostProxy.js';
