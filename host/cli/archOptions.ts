import type { Argv } from 'yargs';
import { ZeronasError } from '../../shared/errors.js';
import type { Graph } from '../ir/graph.js';
import { buildNb201Network, NB201_DATASETS, type Nb201Dataset } from '../spaces/nb201.js';

export const SPACES = ['nb201'] as const;

export interface ArchArgs {
  space: string;
  arch: string;
  dataset: string;
  channels: number;
  cells: number;
}

/** The options that pick one architecture of a search space, shared by info, export and score. */
export function withArchOptions<T>(y: Argv<T>): Argv<T & ArchArgs> {
  return y
    .option('space', { type: 'string', default: 'nb201', choices: SPACES, describe: 'Search space' })
    .option('arch', {
      type: 'string',
      demandOption: true,
      describe: "Architecture in the space's own notation (nb201: the benchmark string, quoted)",
    })
    .option('dataset', {
      type: 'string',
      default: 'cifar10',
      choices: Object.keys(NB201_DATASETS),
      describe: 'Dataset the network is built for (classes and input size)',
    })
    .option('channels', { type: 'number', default: 16, describe: 'nb201: channels of the first stage (C)' })
    .option('cells', { type: 'number', default: 5, describe: 'nb201: cells per stage (N)' }) as Argv<T & ArchArgs>;
}

export function buildGraphFromArgs(args: ArchArgs): Graph {
  if (args.space !== 'nb201') throw new ZeronasError('ZN_BAD_ARGUMENT', `unknown space '${args.space}'`);
  const ds = NB201_DATASETS[args.dataset as Nb201Dataset];
  if (!ds) throw new ZeronasError('ZN_BAD_ARGUMENT', `unknown dataset '${args.dataset}'`);
  return buildNb201Network(args.arch, { channels: args.channels, cellsPerStage: args.cells, ...ds });
}
