/**
 * What an agent bundle for each device architecture contains. Architectures are Debian's names for the device's
 * userland (`dpkg --print-architecture`): a 32-bit Raspberry Pi OS on a 64-bit kernel says `uname -m` aarch64 but
 * runs armhf binaries, and the userland decides whether onnxruntime-node can load.
 *
 * onnxruntime-node ships prebuilt bindings for linux x64 and arm64 only (no armv7): an armhf bundle leaves it out,
 * and the agent's `auto` runtime falls to onnxruntime-web's wasm backend (agent/runtimes/index.ts), which runs in
 * Node on any architecture.
 */
export const BUNDLE_ARCHES = ['arm64', 'armhf', 'x64'] as const;
export type BundleArch = (typeof BUNDLE_ARCHES)[number];

/** Debian's name of an architecture whose bundle has Node's name: `dpkg --print-architecture` says amd64 on a PC. */
export const DPKG_ARCH_ALIASES: Record<string, BundleArch> = { amd64: 'x64' };

/** `--arch` as the user gives it (a bundle name or what dpkg prints) -> the bundle's; undefined when neither. */
export function bundleArchOf(name: string): BundleArch | undefined {
  return (BUNDLE_ARCHES as readonly string[]).includes(name) ? (name as BundleArch) : DPKG_ARCH_ALIASES[name];
}

export interface BundleTarget {
  arch: BundleArch;
  /** process.arch on such a device. */
  nodeArch: 'arm64' | 'arm' | 'x64';
  /** Packages loaded at run time from node_modules (not inlined by esbuild), with their dependencies. */
  runtimePackages: string[];
  /** The runtime `auto` picks there. */
  defaultRuntime: 'ort-node' | 'ort-wasm';
}

/** Loaded from node_modules at run time: native or wasm files (onnxruntime), or loaded through createRequire (yargs). */
export const EXTERNAL_PACKAGES = ['onnxruntime-node', 'onnxruntime-web', 'yargs', 'i2c-bus'] as const;

export const BUNDLE_TARGETS: Record<BundleArch, BundleTarget> = {
  arm64: { arch: 'arm64', nodeArch: 'arm64', runtimePackages: ['onnxruntime-node', 'onnxruntime-web', 'yargs'], defaultRuntime: 'ort-node' },
  x64: { arch: 'x64', nodeArch: 'x64', runtimePackages: ['onnxruntime-node', 'onnxruntime-web', 'yargs'], defaultRuntime: 'ort-node' },
  armhf: { arch: 'armhf', nodeArch: 'arm', runtimePackages: ['onnxruntime-web', 'yargs'], defaultRuntime: 'ort-wasm' },
};

/**
 * Files a package does not need at run time on the device, as paths relative to the package folder. onnxruntime-node
 * keeps the binding of the device's platform only (it ships ~288 MB for every OS); onnxruntime-web keeps its Node
 * entry and the one wasm build that entry loads (the others are for browsers: WebGPU, JSEP, JSPI, WebGL).
 */
export function isPrunable(pkg: string, relPath: string, target: BundleTarget): boolean {
  if (relPath.endsWith('.map')) return true; // source maps: for debugging the packages themselves
  if (pkg === 'onnxruntime-node' && relPath.startsWith('bin/napi-v6/')) {
    // Kept: the device's folder, its contents, and the folders on the way to it (relPath is a file or a folder).
    const keep = `bin/napi-v6/linux/${target.nodeArch}`;
    return !(relPath === keep || relPath.startsWith(`${keep}/`) || keep.startsWith(`${relPath}/`));
  }
  if (pkg === 'onnxruntime-web' && relPath.startsWith('dist/')) {
    return !ORT_WEB_NODE_FILES.has(relPath.slice('dist/'.length));
  }
  return false;
}

/** onnxruntime-web's Node entry (package.json exports, "node" condition) and the wasm build it loads. */
const ORT_WEB_NODE_FILES = new Set(['ort.node.min.mjs', 'ort.node.min.js', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm']);
