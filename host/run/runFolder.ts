/**
 * A run folder holds everything of one run: config.json (what was asked), store.sqlite (jobs, measurements,
 * scores), summary.json and the ONNX files of the chosen architectures. `--resume runs/<id>` needs nothing else.
 */
import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ZeronasError } from '../../shared/errors.js';

export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${randomBytes(2).toString('hex')}`;
}

/**
 * Creates (or checks) a writable run folder, failing early with the path when it is not writable. The missing
 * folders are made one by one rather than with `mkdirSync(..., { recursive: true })`, which on Node 20 loops
 * forever on some unwritable paths (anything under /proc) instead of failing.
 */
export function ensureRunDir(dir: string): string {
  const abs = resolve(dir);
  try {
    const missing: string[] = [];
    for (let p = abs; !existsSync(p) && dirname(p) !== p; p = dirname(p)) missing.unshift(p);
    for (const d of missing) mkdirSync(d);
    if (!statSync(abs).isDirectory()) throw new Error('ENOTDIR: it exists and is not a folder');
    accessSync(abs, constants.W_OK);
  } catch (err) {
    throw new ZeronasError('ZN_IO', `run folder '${abs}' is not writable: ${(err as Error).message}`, { path: abs }, err);
  }
  return abs;
}

/** Writes JSON atomically (temp file + rename), so a crash never leaves a half-written summary. */
export function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
    renameSync(tmp, path);
  } catch (err) {
    throw new ZeronasError('ZN_IO', `cannot write '${path}': ${(err as Error).message}`, { path }, err);
  }
}

export function readJson<T>(path: string): T {
  if (!existsSync(path)) throw new ZeronasError('ZN_IO', `'${path}' does not exist`, { path });
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (err) {
    throw new ZeronasError('ZN_IO', `cannot read '${path}': ${(err as Error).message}`, { path }, err);
  }
}

export const runPaths = (dir: string) => ({
  config: join(dir, 'config.json'),
  store: join(dir, 'store.sqlite'),
  summary: join(dir, 'summary.json'),
  log: join(dir, 'orchestrate.log'),
  targetDir: (target: string) => join(dir, target.replace(/[^A-Za-z0-9._-]/g, '_')),
});

/**
 * The folders under `root` holding a store (store.sqlite), or `root` itself when it holds one. With `runsOnly`, only
 * orchestrate's run folders (a config.json beside the store): `zeronas lut` keeps a job store under runs/ too.
 */
export function storeFoldersUnder(root: string, options: { runsOnly?: boolean } = {}): string[] {
  const dir = resolve(root);
  if (!existsSync(dir)) throw new ZeronasError('ZN_BAD_ARGUMENT', `'${dir}' does not exist; give a run folder or the folder of runs (e.g. runs/)`, { path: dir });
  if (existsSync(join(dir, 'store.sqlite'))) return [dir];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, 'store.sqlite')) && (!options.runsOnly || existsSync(join(dir, e.name, 'config.json'))))
    .map((e) => join(dir, e.name));
}
