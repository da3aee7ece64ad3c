import { basename } from 'node:path';
import type { CommandModule } from 'yargs';
import { info, printJson, type OutputOptions } from '../output.js';
import { BUNDLE_ARCHES, DPKG_ARCH_ALIASES, bundleArchOf } from '../../workflows/agentBundle/bundleTargets.js';

interface Args extends OutputOptions {
  arch: string;
  out?: string;
}

const MB = 1024 * 1024;

/** The install line for the device, every argument present, and where each value comes from. */
function installLines(bundle: string, profiles: string[]): string[] {
  return [
    'on the device, with scripts/install-agent.sh copied next to the bundle:',
    `  sudo bash install-agent.sh --bundle ${bundle} --host wss://HOST:8765/agent --pin sha256:HEX --token TOKEN [--name NAME] [--device PROFILE]`,
    "  TOKEN: 'zeronas token' on the host; sha256:HEX: 'zeronas token --pin' on the host (a --plain-ws host: --host ws://... and no --pin);",
    "  HOST:8765: the address orchestrate prints ('host listening on ...'; while it waits for agents it prints this line filled in);",
    `  --name: default the device's hostname; --device: default recognised from the hardware (one of ${profiles.join(', ')})`,
  ];
}

export const agentBundleCommand: CommandModule<object, Args> = {
  command: 'agent-bundle',
  describe: 'Package the device agent for offline install (scripts/install-agent.sh --bundle): one JS file plus its runtime packages',
  builder: (y) =>
    y
      .option('arch', {
        type: 'string',
        choices: [...BUNDLE_ARCHES, ...Object.keys(DPKG_ARCH_ALIASES)],
        demandOption: true,
        describe: "The device's userland architecture, as `dpkg --print-architecture` prints it there: arm64 (64-bit Raspberry Pi OS, ort-node), armhf (32-bit, ort-wasm), amd64 (a PC; also accepted as x64)",
      })
      .option('out', { type: 'string', describe: 'Tarball to write (default: zeronas-agent-<arch>.tgz, amd64 named x64)' })
      .example('$0 agent-bundle --arch arm64', 'Bundle for 64-bit Raspberry Pi OS; copy it and scripts/install-agent.sh to the Pi, then run the install line it prints')
      .example('$0 agent-bundle --arch armhf --out /tmp/agent-armhf.tgz', 'Bundle for 32-bit Raspberry Pi OS (onnxruntime-web wasm, no native binding)') as never,
  handler: async (args) => {
    const { buildAgentBundle } = await import('../../workflows/agentBundle/buildAgentBundle.js');
    const arch = bundleArchOf(args.arch)!; // yargs has checked it is one of the choices
    const report = await buildAgentBundle({
      arch,
      out: args.out ?? `zeronas-agent-${arch}.tgz`,
      progress: (line) => info(args, line),
    });
    if (args.json) return printJson(report);
    if (args.quiet) return;
    const { installableProfileIds } = await import('../../../devices/index.js');
    process.stdout.write(
      [
        `wrote ${report.out} (${(report.tarballBytes / MB).toFixed(1)} MB) for ${report.arch} in ${(report.buildMs / 1000).toFixed(1)} s`,
        `installed size: ${(report.totalBytes / MB).toFixed(1)} MB, of which node_modules ${(report.nodeModulesBytes / MB).toFixed(1)} MB (${report.runtimePackages.length} packages) and the agent ${(report.agentJsBytes / MB).toFixed(1)} MB`,
        `runtime packages: ${report.runtimePackages.filter((p) => ['onnxruntime-node', 'onnxruntime-web', 'yargs'].includes(p.name)).map((p) => `${p.name}@${p.version}`).join(', ')} (+ their dependencies); inlined: ${Object.entries(report.inlinedPackages).map(([n, v]) => `${n}@${v}`).join(', ')}`,
        `default runtime on the device: ${report.defaultRuntime}; no npm, compiler or network needed there`,
        ...installLines(basename(report.out), installableProfileIds()),
        '',
      ].join('\n'),
    );
  },
};
