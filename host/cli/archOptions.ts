import type { Argv } from 'yargs';
import { ZeronasError } from '../../shared/errors.js';
import type { Graph } from '../ir/graph.js';
import { NB201_DATASETS } from '../spaces/nb201.js';
import { openSpace, spaceNames, spaceSummaries, type SpaceEntry, type SpaceOptions } from '../spaces/index.js';
import type { ArchMetrics } from '../spaces/searchSpace.js';

export interface ArchArgs {
  space: string;
  arch: string;
  /** nb201 only; undefined when not given, so other spaces can refuse it. */
  dataset?: string;
  channels?: number;
  cells?: number;
  /** idw only. */
  resolution?: number;
}

/**
 * The options that pick one architecture of a registered search space, shared by info and export. Space-specific
 * options have no yargs default: the registry (openSpace) refuses them for a space that does not take them, naming
 * the flag and the space, and applies the space's own default otherwise.
 */
export function withArchOptions<T>(y: Argv<T>): Argv<T & ArchArgs> {
  return y
    .option('space', { type: 'string', default: 'nb201', choices: spaceNames(), describe: `Search space: ${spaceSummaries()}` })
    .option('arch', {
      type: 'string',
      demandOption: true,
      describe: "Architecture in the space's own notation, quoted, as `zeronas search --space <space>` prints it",
    })
    .option('dataset', {
      type: 'string',
      choices: Object.keys(NB201_DATASETS),
      describe: 'nb201 only: dataset the network is built for, setting classes and input size (default cifar10)',
    })
    .option('channels', { type: 'number', describe: 'nb201 only: channels of the first stage, C (default 16)' })
    .option('cells', { type: 'number', describe: 'nb201 only: cells per stage, N (default 5)' })
    .option('resolution', { type: 'number', describe: 'idw only: input size of the network devices run (default 224, a multiple of 32)' }) as Argv<
    T & ArchArgs
  >;
}

export interface ArchSelection {
  entry: SpaceEntry<unknown>;
  /** The canonical text of the architecture (the space's `format`). */
  text: string;
  /** The network a device runs (the registry's deviceGraph): what `info` measures and `export` writes. */
  graph: Graph;
  /** Params / flops / layers in the space's own convention: the `metrics` `zeronas search` reports and budgets use. */
  spaceMetrics: ArchMetrics;
}

/** Opens the space from the registry with the options given and builds the architecture's device network. */
export function selectArch(args: ArchArgs): ArchSelection {
  const options: SpaceOptions = {
    ...(args.dataset !== undefined ? { dataset: args.dataset } : {}),
    ...(args.channels !== undefined ? { channels: args.channels } : {}),
    ...(args.cells !== undefined ? { cells: args.cells } : {}),
    ...(args.resolution !== undefined ? { resolution: args.resolution } : {}),
  };
  const entry = openSpace(args.space, options);
  let arch: unknown;
  try {
    arch = entry.space.parse(args.arch);
  } catch (err) {
    // The parsers name the bad token; say which flag and space it was read as, and the string when it is not named.
    if (err instanceof ZeronasError && err.code === 'ZN_BAD_ARCH_STRING') {
      const what = err.message.includes(args.arch) ? '--arch' : `--arch '${args.arch}'`;
      throw new ZeronasError('ZN_BAD_ARCH_STRING', `${what} is not an architecture of the ${args.space} space: ${err.message}`, { ...err.details, space: args.space }, err);
    }
    throw err;
  }
  return { entry, text: entry.space.format(arch), graph: entry.deviceGraph(arch), spaceMetrics: entry.space.metrics(arch) };
}
