/**
 * `zeronas agent-bundle`: the device agent as a tarball installable offline (scripts/install-agent.sh --bundle):
 *
 *   zeronas-agent/
 *     package.json            the agent's manifest: runtime dependencies, the inlined packages, the architecture,
 *                             the device profiles it can be installed under (install-agent.sh checks --device)
 *     bin/zeronas-agent.js    the agent, one esbuild file (agent/, shared/, devices/, ws, zod, systeminformation)
 *     bin/measureChild.js     the measurement process (agent/measureChild.ts), one esbuild file
 *     node_modules/           only what is loaded at run time: onnxruntime-node (arm64, x64: the device's binding
 *                             only), onnxruntime-web (its Node entry and wasm), yargs; copied from this project's
 *                             node_modules, so no registry, no npm and no compiler on the device.
 *
 * No SQLite, no browser driver, no TypeScript loader: the device runs plain JavaScript.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ZeronasError } from '../../../shared/errors.js';
import { PACKAGE_VERSION } from '../../../shared/node/cliParser.js';
import { installableProfileIds } from '../../../devices/index.js';
import { BUNDLE_TARGETS, EXTERNAL_PACKAGES, isPrunable, type BundleArch, type BundleTarget } from './bundleTargets.js';
import { packageClosure, type InstalledPackage } from './packageClosure.js';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export interface AgentBundleOptions {
  arch: BundleArch;
  /** Tarball to write (.tgz). */
  out: string;
  projectRoot?: string;
  progress?: (line: string) => void;
}

export interface AgentBundleReport {
  arch: BundleArch;
  out: string;
  tarballBytes: number;
  /** Unpacked sizes on the device. */
  nodeModulesBytes: number;
  agentJsBytes: number;
  totalBytes: number;
  runtimePackages: { name: string; version: string }[];
  /** Packages esbuild inlined into bin/zeronas-agent.js, with their versions. */
  inlinedPackages: Record<string, string>;
  defaultRuntime: BundleTarget['defaultRuntime'];
  buildMs: number;
}

/** Bytes of a folder tree (files only, as `du --apparent-size` counts them). */
export function treeBytes(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.size;
  return readdirSync(path).reduce((sum, name) => sum + treeBytes(join(path, name)), 0);
}

/** The package a bundled input file belongs to (name and folder), or null for the project's own files. */
function packageOfInput(input: string): { name: string; dir: string } | null {
  const i = input.lastIndexOf('node_modules/');
  if (i < 0) return null;
  const parts = input.slice(i + 'node_modules/'.length).split('/');
  const name = parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  return { name, dir: `${input.slice(0, i)}node_modules/${name}` };
}

async function bundleJs(root: string, outDir: string): Promise<Record<string, string>> {
  const esbuild = await import('esbuild');
  const common = {
    bundle: true,
    platform: 'node' as const,
    format: 'esm' as const,
    target: 'node20',
    absWorkingDir: root,
    external: [...EXTERNAL_PACKAGES],
    // Inlined CommonJS packages (ws, systeminformation) call require() for Node built-ins; an ES module has none.
    banner: { js: "import { createRequire as __zeronasCreateRequire } from 'node:module';\nconst require = __zeronasCreateRequire(import.meta.url);" },
    // shared/node/cliParser.ts reads ../../package.json at run time in a checkout; the bundle carries the version.
    define: { 'globalThis.__ZERONAS_PACKAGE_VERSION__': JSON.stringify(PACKAGE_VERSION) },
    metafile: true,
    logLevel: 'warning' as const,
    legalComments: 'none' as const,
  };
  const agent = await esbuild.build({
    ...common,
    stdin: {
      contents: "import { main } from './agent/cli.ts';\nprocess.exitCode = await main(process.argv.slice(2));\n",
      resolveDir: root,
      sourcefile: 'zeronas-agent-entry.ts',
      loader: 'ts',
    },
    outfile: join(outDir, 'bin', 'zeronas-agent.js'),
  });
  const child = await esbuild.build({ ...common, entryPoints: [join(root, 'agent', 'measureChild.ts')], outfile: join(outDir, 'bin', 'measureChild.js') });
  const inlined: Record<string, string> = {};
  for (const meta of [agent.metafile!, child.metafile!]) {
    for (const input of Object.keys(meta.inputs)) {
      const pkg = packageOfInput(input);
      if (!pkg || inlined[pkg.name]) continue;
      inlined[pkg.name] = (JSON.parse(readFileSync(join(root, pkg.dir, 'package.json'), 'utf8')) as { version: string }).version;
    }
  }
  return inlined;
}

function copyPackage(root: string, pkg: InstalledPackage, stageRoot: string, target: BundleTarget): void {
  const from = join(root, pkg.dir);
  cpSync(from, join(stageRoot, pkg.dir), {
    recursive: true,
    // Nested node_modules are packages of their own, copied when the closure reaches them.
    filter: (src) => {
      const rel = relative(from, src);
      if (rel === '') return true;
      if (rel === 'node_modules' || rel.startsWith('node_modules/')) return false;
      return !isPrunable(pkg.name, rel, target);
    },
  });
}

export async function buildAgentBundle(options: AgentBundleOptions): Promise<AgentBundleReport> {
  const started = Date.now();
  const root = options.projectRoot ?? PROJECT_ROOT;
  const target = BUNDLE_TARGETS[options.arch];
  if (!target) throw new ZeronasError('ZN_BAD_ARGUMENT', `--arch '${String(options.arch)}' is not one of ${Object.keys(BUNDLE_TARGETS).join(', ')}`, { arch: options.arch });
  const progress = options.progress ?? (() => undefined);
  const stage = mkdtempSync(join(tmpdir(), 'zeronas-agent-bundle-'));
  try {
    const top = join(stage, 'zeronas-agent');
    mkdirSync(join(top, 'bin'), { recursive: true });
    progress('bundling the agent with esbuild');
    const inlinedPackages = await bundleJs(root, top);
    const packages = packageClosure(root, target.runtimePackages);
    progress(`copying ${packages.length} runtime packages for ${target.arch} (${target.runtimePackages.join(', ')} and their dependencies)`);
    for (const pkg of packages) copyPackage(root, pkg, top, target);
    const nodeModulesBytes = treeBytes(join(top, 'node_modules'));
    const agentJsBytes = treeBytes(join(top, 'bin'));
    const direct = Object.fromEntries(target.runtimePackages.map((name) => [name, packages.find((p) => p.dir === `node_modules/${name}`)!.version]));
    const manifest = {
      name: 'zeronas-agent',
      version: PACKAGE_VERSION,
      description: 'zeronas device agent (bundled by `zeronas agent-bundle`; installed by scripts/install-agent.sh --bundle)',
      type: 'module',
      private: true,
      license: 'MIT',
      engines: { node: '>=20' },
      bin: { 'zeronas-agent': 'bin/zeronas-agent.js' },
      dependencies: direct,
      zeronasBundle: {
        arch: target.arch,
        nodeArch: target.nodeArch,
        defaultRuntime: target.defaultRuntime,
        inlinedPackages,
        nodeModulesBytes,
        // install-agent.sh checks --device against these before it changes anything.
        deviceProfiles: installableProfileIds(),
      },
    };
    writeFileSync(join(top, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    progress(`writing ${options.out}`);
    const out = resolve(options.out);
    mkdirSync(dirname(out), { recursive: true });
    const tar = spawnSync('tar', ['-czf', out, '--owner=0', '--group=0', '-C', stage, 'zeronas-agent'], { encoding: 'utf8' });
    if (tar.status !== 0) throw new ZeronasError('ZN_IO', `tar could not write ${out}: ${tar.stderr || tar.error?.message}`, { out });
    return {
      arch: target.arch,
      out,
      tarballBytes: statSync(out).size,
      nodeModulesBytes,
      agentJsBytes,
      totalBytes: treeBytes(top),
      runtimePackages: packages.map((p) => ({ name: p.name, version: p.version })),
      inlinedPackages,
      defaultRuntime: target.defaultRuntime,
      buildMs: Date.now() - started,
    };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}
