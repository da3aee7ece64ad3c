import type { CommandModule } from 'yargs';
import { infoCommand } from './info.js';
import { exportCommand } from './export.js';
import { orchestrateCommand } from './orchestrate.js';
import { tokenCommand } from './token.js';
import { scoreCommand } from './score.js';
import { benchCommand } from './bench.js';
import { lutCommand } from './lut.js';
import { searchCommand } from './search.js';
import { reportCommand } from './report.js';
import { resultsCommand } from './results.js';
import { fleetCommand } from './fleet.js';
import { agentBundleCommand } from './agentBundle.js';
import { costmodelCommand } from './costmodel.js';
import { workerCommand } from './worker.js';
import { queueCommand } from './queue.js';

/** Every `zeronas` subcommand, in the order `--help` lists them. */
export const commands: CommandModule<object, never>[] = [orchestrateCommand, reportCommand, resultsCommand, fleetCommand, scoreCommand, searchCommand, lutCommand, costmodelCommand, infoCommand, exportCommand, tokenCommand, agentBundleCommand, workerCommand, queueCommand, benchCommand] as never;
