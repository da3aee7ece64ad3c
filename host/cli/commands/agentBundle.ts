import { basename } from 'node:path';
import type { CommandModule } from 'yargs';
import { info, printJson, type OutputOptions } from '../output.js';

interface Args extends OutputOptions {
  arch: string;
  out?: string;
}

const MB = 1024 * 1024;

export const agentBundleCommand: CommandModule<object, Args> = {
  command: 'agent-bundle',
  describe: 'Package the device agent for offline install (scripts/install-agent.sh --bundle): one JS file plus its runtime packages',
  builder: (y) =>
    y
      .option('arch', {
        type: 'string',
        choices: ['arm64', 'armhf', 'x64'],
        demandOption: true,
        describe: "The device's userland architecture (dpkg --print-architecture): arm64 (64-bit Raspberry Pi OS, ort-node), armhf (32-bit, ort-wasm), x64",
      })
      .option('out', { type: 'string', describe: 'Tarball to write (default: zeronas-agent-<arch>.tgz)' })
      .example('$0 agent-bundle --arch arm64', 'Bundle for 64-bit Raspberry Pi OS; copy it to the Pi, then: sudo bash install-agent.sh --bundle zeronas-agent-arm64.tgz --host ...')
      .example('$0 agent-bundle --arch armhf --out /tmp/agent-armhf.tgz', 'Bundle for 32-bit Raspberry Pi OS (onnxruntime-web wasm, no native binding)') as never,
  handler: async (args) => {
    const { buildAgentBundle } = await import('../../workflows/agentBundle/buildAgentBundle.js');
    const report = await buildAgentBundle({
      arch: args.arch as 'arm64',
      out: args.out ?? `zeronas-agent-${args.arch}.tgz`,
      progress: (line) => info(args, line),
    });
    if (args.json) return printJson(report);
    if (args.quiet) return;
    process.stdout.write(
      [
        `wrote ${report.out} (${(report.tarballBytes / MB).toFixed(1)} MB) for ${report.arch} in ${(report.buildMs / 1000).toFixed(1)} s`,
        `installed size: ${(report.totalBytes / MB).toFixed(1)} MB, of which node_modules ${(report.nodeModulesBytes / MB).toFixed(1)} MB (${report.runtimePackages.length} packages) and the agent ${(report.agentJsBytes / MB).toFixed(1)} MB`,
        `runtime packages: ${report.runtimePackages.filter((p) => ['onnxruntime-node', 'onnxruntime-web', 'yargs'].includes(p.name)).map((p) => `${p.name}@${p.version}`).join(', ')} (+ their dependencies); inlined: ${Object.entries(report.inlinedPackages).map(([n, v]) => `${n}@${v}`).join(', ')}`,
        `default runtime on the device: ${report.defaultRuntime}; no npm, compiler or network needed there`,
        `on the device (with scripts/install-agent.sh copied next to it): sudo bash install-agent.sh --bundle ${basename(report.out)} --host wss://HOST:8765/agent --pin sha256:... --token T`,
        '',
      ].join('\n'),
    );
  },
};
