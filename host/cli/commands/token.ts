import type { CommandModule } from 'yargs';
import { printJson, type OutputOptions } from '../output.js';

export const tokenCommand: CommandModule<object, OutputOptions> = {
  command: 'token',
  describe: 'Print the token agents present to this host (created on first use in your config directory)',
  builder: (y) => y.example('$0 token', 'Print the token, e.g. to pass to zeronas-agent --token') as never,
  handler: async (args) => {
    const { loadOrCreateToken } = await import('../../orchestrator/token.js');
    const { token, path, isNew } = loadOrCreateToken();
    if (args.json) printJson({ token, path, isNew });
    else process.stdout.write(`${token}\n`);
  },
};
