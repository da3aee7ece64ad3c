import type { CommandModule } from 'yargs';
import { infoCommand } from './info.js';
import { exportCommand } from './export.js';

/** Every `zeronas` subcommand, in the order `--help` lists them. */
export const commands: CommandModule<object, never>[] = [infoCommand, exportCommand] as never;
