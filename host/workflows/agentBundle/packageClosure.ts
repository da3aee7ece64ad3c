/**
 * The installed packages a set of root packages needs at run time, found the way Node resolves them: for a package
 * at node_modules/a, a dependency b is node_modules/a/node_modules/b if present, else the next node_modules up. The
 * answer is the folders to copy (relative to the project root), so the bundle's node_modules has the same layout,
 * versions and contents as the project's own `npm ci` (its lock file), without asking a registry.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ZeronasError } from '../../../shared/errors.js';

export interface InstalledPackage {
  name: string;
  version: string;
  /** Folder relative to the project root, e.g. node_modules/onnxruntime-node. */
  dir: string;
}

interface PackageJson {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

function readPackageJson(root: string, dir: string): PackageJson {
  return JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as PackageJson;
}

/** Where `name` resolves from the package folder `fromDir` ('.' for the project, relative to root), or null. */
function resolveFrom(root: string, fromDir: string, name: string): string | null {
  let base = fromDir;
  for (;;) {
    const candidate = join(base, 'node_modules', name);
    if (existsSync(join(root, candidate, 'package.json'))) return candidate;
    if (base === '.') return null;
    // Up one node_modules level: node_modules/a/node_modules/@s/b -> node_modules/a -> '.'.
    const i = base.lastIndexOf('node_modules/');
    base = i <= 0 ? '.' : base.slice(0, i - 1);
  }
}

export function packageClosure(root: string, rootPackages: readonly string[]): InstalledPackage[] {
  const found = new Map<string, InstalledPackage>();
  const visit = (fromDir: string, name: string, isOptional: boolean, neededBy: string): void => {
    // Types only, never loaded at run time (protobufjs lists @types/node as a dependency).
    if (name.startsWith('@types/')) return;
    const dir = resolveFrom(root, fromDir, name);
    if (!dir) {
      if (isOptional) return;
      throw new ZeronasError('ZN_IO', `package '${name}' (needed by ${neededBy}) is not installed under ${root}: run npm ci first`, { name, neededBy });
    }
    if (found.has(dir)) return;
    const pkg = readPackageJson(root, dir);
    found.set(dir, { name: pkg.name, version: pkg.version, dir });
    for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dir, dep, false, pkg.name);
    for (const dep of Object.keys(pkg.optionalDependencies ?? {})) visit(dir, dep, true, pkg.name);
  };
  for (const name of rootPackages) visit('.', name, false, 'the agent');
  return [...found.values()].sort((a, b) => a.dir.localeCompare(b.dir));
}
