/**
 * The space registry: workflows get a space by name here and never import a space's module. An entry bundles the
 * search verbs (searchSpace.ts) with the two graphs a workflow needs of an architecture:
 *  - `scoringGraph`: what a zero-shot proxy scores (IDW: without residual links, at `scoreResolution`, as ZiCo);
 *  - `deviceGraph`: what a device runs (IDW: with residual links, at `resolution`), exported for measurement.
 * Budgets on flops/params/layers use `space.metrics`, in the space's own counting convention.
 */
import { ZeronasError } from '../../shared/errors.js';
import type { InputSpec } from '../../shared/protocol/index.js';
import { inputNode, type Graph } from '../ir/graph.js';
import { createFlashSpace } from './flash.js';
import { buildIdwNetwork, createIdwSpace } from './idw.js';
import { createNb201Space } from './nb201Space.js';
import type { SearchSpace } from './searchSpace.js';

export const SPACE_NAMES = ['nb201', 'idw', 'flash'] as const;
export type SpaceName = (typeof SPACE_NAMES)[number];

export interface SpaceOptions {
  /** IDW: input size of the networks devices run and budgets count (default 224, ZiCo's). */
  resolution?: number;
  /** IDW: input size of the networks the proxies score (default 32, as `zeronas search`). */
  scoreResolution?: number;
}

export interface SpaceEntry<A> {
  readonly name: SpaceName;
  readonly space: SearchSpace<A>;
  /** One line for logs and summaries: the space and the input the devices see. */
  readonly description: string;
  scoringGraph(arch: A): Graph;
  deviceGraph(arch: A): Graph;
}

export function isSpaceName(name: string): name is SpaceName {
  return (SPACE_NAMES as readonly string[]).includes(name);
}

export function openSpace(name: string, options: SpaceOptions = {}): SpaceEntry<unknown> {
  if (!isSpaceName(name)) throw new ZeronasError('ZN_BAD_ARGUMENT', `unknown search space '${name}'; expected one of ${SPACE_NAMES.join(', ')}`);
  if (name !== 'idw' && (options.resolution !== undefined || options.scoreResolution !== undefined)) {
    throw new ZeronasError('ZN_BAD_ARGUMENT', `--resolution and --score-resolution apply to the idw space only, not '${name}'`);
  }
  for (const [flag, v] of [['resolution', options.resolution], ['score-resolution', options.scoreResolution]] as const) {
    if (v !== undefined && !(Number.isInteger(v) && v >= 32 && v % 32 === 0)) {
      throw new ZeronasError('ZN_BAD_ARGUMENT', `--${flag} must be a multiple of 32 (the IDW network downsamples 32x), got ${v}`);
    }
  }
  switch (name) {
    case 'nb201': {
      const space = createNb201Space();
      return entry(name, space as SearchSpace<unknown>, 'nb201 (NAS-Bench-201 cells, CIFAR input 3x32x32)', (a) => space.toGraph(a as never), (a) => space.toGraph(a as never));
    }
    case 'flash': {
      const space = createFlashSpace();
      return entry(name, space as SearchSpace<unknown>, "flash (FLASH's DenseNet-type space, input 3x32x32)", (a) => space.toGraph(a as never), (a) => space.toGraph(a as never));
    }
    case 'idw': {
      const resolution = options.resolution ?? 224;
      const scoreResolution = options.scoreResolution ?? 32;
      const space = createIdwSpace({ resolution });
      return entry(
        name,
        space as SearchSpace<unknown>,
        `idw (ZiCo's ImageNet space; devices run 3x${resolution}x${resolution}, proxies score 3x${scoreResolution}x${scoreResolution})`,
        (a) => buildIdwNetwork(a as never, { residual: false, inputSize: scoreResolution, numClasses: 1000 }),
        (a) => space.toGraph(a as never),
      );
    }
  }
}

function entry<A>(name: SpaceName, space: SearchSpace<A>, description: string, scoringGraph: (a: A) => Graph, deviceGraph: (a: A) => Graph): SpaceEntry<A> {
  return { name, space, description, scoringGraph, deviceGraph };
}

/** The input a device is given for a graph exported at batch 1. */
export function deviceInputs(graph: Graph): InputSpec[] {
  return [{ name: 'input', dims: [1, ...inputNode(graph).attrs.shape], dtype: 'float32' }];
}
