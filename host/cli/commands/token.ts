import type { CommandModule } from 'yargs';
import { printJson, type OutputOptions } from '../output.js';

interface TokenArgs extends OutputOptions {
  pin?: boolean;
}

export const tokenCommand: CommandModule<object, TokenArgs> = {
  command: 'token',
  describe: 'Print the token agents present to this host (created on first use in your config directory)',
  builder: (y) =>
    y
      .option('pin', { type: 'boolean', describe: "Print the host certificate's fingerprint instead (created on first use), for zeronas-agent --pin" })
      .example('$0 token', 'Print the token (zeronas-agent reads it from ZERONAS_TOKEN)')
      .example('$0 token --pin', 'Print sha256:<hex> of the certificate the host serves wss:// with') as never,
  handler: async (args) => {
    if (args.pin) {
      const { loadOrCreateHostCertificate } = await import('../../orchestrator/hostCertificate.js');
      const cert = await loadOrCreateHostCertificate();
      if (args.json) printJson({ pin: cert.fingerprint, certPath: cert.certPath, isNew: cert.isNew });
      else process.stdout.write(`${cert.fingerprint}\n`);
      return;
    }
    const { loadOrCreateToken } = await import('../../orchestrator/token.js');
    const { token, path, isNew } = loadOrCreateToken();
    if (args.json) printJson({ token, path, isNew });
    else process.stdout.write(`${token}\n`);
  },
};
