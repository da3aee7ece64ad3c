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
import { NB201_DATASETS, type Nb201Dataset } from './nb201.js';
import { createNb201Space } from './nb201Space.js';
import type { SearchSpace } from './searchSpace.js';

export interface SpaceOptions {
  /** IDW: input size of the networks devices run and budgets count (default 224, ZiCo's). */
  resolution?: number;
  /** IDW: input size of the networks the proxies score (default 32, as `zeronas search`). */
  scoreResolution?: number;
  /** NB201: dataset the network is built for, setting classes and input size (default cifar10). */
  dataset?: string;
  /** NB201: channels of the first stage, C (default 16). */
  channels?: number;
  /** NB201: cells per stage, N (default 5). */
  cells?: number;
}

/** The command-line flag of each space option, so errors name the option as the user typed it. */
export const SPACE_OPTION_FLAGS: Readonly<Record<keyof SpaceOptions, string>> = {
  resolution: '--resolution',
  scoreResolution: '--score-resolution',
  dataset: '--dataset',
  channels: '--channels',
  cells: '--cells',
};

export interface SpaceEntry<A> {
  readonly name: string;
  readonly space: SearchSpace<A>;
  /** One line for logs and summaries: the space and the input the devices see. */
  readonly description: string;
  scoringGraph(arch: A): Graph;
  deviceGraph(arch: A): Graph;
}

/** What registers a space (docs/search-spaces.md): its name, one line for `--help`, and how to open it. */
export interface SpaceDefinition {
  /** Lower-case letters, digits and `-`: the value of `--space`. */
  readonly name: string;
  /** One line for `--help` and errors. */
  readonly summary: string;
  /** Which SpaceOptions it accepts (others are refused, naming the space). */
  readonly options?: readonly (keyof SpaceOptions)[];
  /** The proxy `search` and `orchestrate` use when `--proxy` is not given: the best measured on this space (else zico). */
  readonly defaultProxy?: string;
  open(options: SpaceOptions): SpaceEntry<unknown>;
}

const registry = new Map<string, SpaceDefinition>();

/** Adds a space to the registry; every workflow (search, orchestrate, score) can then open it by name. */
export function registerSpace(definition: SpaceDefinition): void {
  if (!/^[a-z][a-z0-9-]*$/.test(definition.name)) throw new ZeronasError('ZN_BAD_ARGUMENT', `a space name is lower-case letters, digits and '-', got '${definition.name}'`);
  if (registry.has(definition.name)) throw new ZeronasError('ZN_BAD_ARGUMENT', `a space named '${definition.name}' is registered already`);
  registry.set(definition.name, definition);
}

/** Names of the registered spaces, in registration order (built-ins first). */
export function spaceNames(): string[] {
  return [...registry.keys()];
}

/** `name: summary` lines of the registered spaces, for `--help`. */
export function spaceSummaries(): string {
  return [...registry.values()].map((d) => `${d.name} (${d.summary})`).join(', ');
}

/** The space's default proxy (zico for a space that names none, or an unknown name, which openSpace then refuses). */
export function defaultProxyOf(name: string): string {
  return registry.get(name)?.defaultProxy ?? 'zico';
}

export function openSpace(name: string, options: SpaceOptions = {}): SpaceEntry<unknown> {
  const definition = registry.get(name);
  if (!definition) throw new ZeronasError('ZN_BAD_ARGUMENT', `unknown search space '${name}'; expected one of ${spaceNames().join(', ')}`);
  for (const key of Object.keys(SPACE_OPTION_FLAGS) as (keyof SpaceOptions)[]) {
    if (options[key] !== undefined && !(definition.options ?? []).includes(key)) {
      const owners = [...registry.values()].filter((d) => (d.options ?? []).includes(key)).map((d) => d.name);
      throw new ZeronasError('ZN_BAD_ARGUMENT', `${SPACE_OPTION_FLAGS[key]} applies to the ${owners.join(', ')} space only, not '${name}'`, { option: SPACE_OPTION_FLAGS[key], space: name });
    }
  }
  return definition.open(options);
}

export function spaceEntry<A>(name: string, space: SearchSpace<A>, description: string, scoringGraph: (a: A) => Graph, deviceGraph: (a: A) => Graph): SpaceEntry<unknown> {
  return { name, space, description, scoringGraph, deviceGraph } as SpaceEntry<unknown>;
}

// The built-in spaces.
registerSpace({
  name: 'nb201',
  summary: 'NAS-Bench-201 cells',
  // The combination ranks NAS-Bench-201 best of everything measured here (Spearman 0.92-0.94 / 0.92 / 0.89-0.90 on
  // CIFAR-10 / -100 / ImageNet16-120 over three 1000-cell samples, docs/engineering/proxies-sota.md), costs less
  // per cell than ZiCo, and picked the best cells in the closed-loop replay benchmark.
  defaultProxy: 'meco_opt+swap+az_nas',
  options: ['dataset', 'channels', 'cells'],
  open: (options) => {
    if (options.dataset === undefined && options.channels === undefined && options.cells === undefined) {
      const space = createNb201Space();
      return spaceEntry('nb201', space, 'nb201 (NAS-Bench-201 cells, CIFAR input 3x32x32)', (a) => space.toGraph(a), (a) => space.toGraph(a));
    }
    const dataset = options.dataset ?? 'cifar10';
    const ds = NB201_DATASETS[dataset as Nb201Dataset];
    if (!ds) throw new ZeronasError('ZN_BAD_ARGUMENT', `--dataset must be one of ${Object.keys(NB201_DATASETS).join(', ')}, got '${dataset}'`, { value: dataset });
    for (const [flag, v] of [['channels', options.channels], ['cells', options.cells]] as const) {
      if (v !== undefined && !(Number.isInteger(v) && v >= 1)) {
        throw new ZeronasError('ZN_BAD_ARGUMENT', `--${flag} must be a positive integer, got ${v}`, { value: v });
      }
    }
    const space = createNb201Space({ ...ds, ...(options.channels !== undefined ? { channels: options.channels } : {}), ...(options.cells !== undefined ? { cellsPerStage: options.cells } : {}) });
    const c = options.channels ?? 16;
    const n = options.cells ?? 5;
    const description = `nb201 (NAS-Bench-201 cells, C=${c} N=${n}, ${dataset} input 3x${ds.inputSize}x${ds.inputSize})`;
    return spaceEntry('nb201', space, description, (a) => space.toGraph(a), (a) => space.toGraph(a));
  },
});
registerSpace({
  name: 'idw',
  summary: "ZiCo's ImageNet space",
  options: ['resolution', 'scoreResolution'],
  open: (options) => {
    for (const [flag, v] of [['resolution', options.resolution], ['score-resolution', options.scoreResolution]] as const) {
      if (v !== undefined && !(Number.isInteger(v) && v >= 32 && v % 32 === 0)) {
        throw new ZeronasError('ZN_BAD_ARGUMENT', `--${flag} must be a multiple of 32 (the IDW network downsamples 32x), got ${v}`);
      }
    }
    const resolution = options.resolution ?? 224;
    const scoreResolution = options.scoreResolution ?? 32;
    const space = createIdwSpace({ resolution });
    return spaceEntry(
      'idw',
      space,
      `idw (ZiCo's ImageNet space; devices run 3x${resolution}x${resolution}, proxies score 3x${scoreResolution}x${scoreResolution})`,
      (a) => buildIdwNetwork(a, { residual: false, inputSize: scoreResolution, numClasses: 1000 }),
      (a) => space.toGraph(a),
    );
  },
});
registerSpace({
  name: 'flash',
  summary: "FLASH's DenseNet-type space",
  open: () => {
    const space = createFlashSpace();
    return spaceEntry('flash', space, "flash (FLASH's DenseNet-type space, input 3x32x32)", (a) => space.toGraph(a), (a) => space.toGraph(a));
  },
});

/** The input a device is given for a graph exported at batch 1. */
export function deviceInputs(graph: Graph): InputSpec[] {
  return [{ name: 'input', dims: [1, ...inputNode(graph).attrs.shape], dtype: 'float32' }];
}
