/**
 * What a score depends on beyond its job's fields, as content hashes a worker and a host can compare: the code
 * that computes scores and the data the proxies read. A worker whose hashes differ from a job's would compute a
 * different number under the same cache key, so it refuses the job (scoringWorker.ts) instead.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ZeronasError } from '../../shared/errors.js';
import { DEFAULT_DATASET_PATH } from '../data/openDataset.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The folders whose code decides a score: graphs, initialisation, export, autodiff, data, spaces, metrics, proxies
 * and the shared types they use. Reports, the CLI, the host's fleet code are left out on purpose: a change there
 * must not turn every worker away. onnxruntime-node's version is in too (kernels differ between releases).
 */
const SCORING_CODE = ['host/autodiff', 'host/data', 'host/ir', 'host/metrics', 'host/onnx', 'host/proxies', 'host/spaces', 'host/search/rng.ts', 'shared'];

let cachedCodeHash: string | undefined;

/** sha256 over the scoring code (path and content of every .ts file, in sorted order) and the runtime's version. */
export function scoringCodeHash(): string {
  if (cachedCodeHash) return cachedCodeHash;
  const h = createHash('sha256');
  for (const file of SCORING_CODE.flatMap((p) => listFiles(join(ROOT, p))).filter((f) => f.endsWith('.ts')).sort()) {
    h.update(`${relative(ROOT, file)}\0`);
    h.update(readFileSync(file));
    h.update('\0');
  }
  const ort = JSON.parse(readFileSync(join(ROOT, 'node_modules/onnxruntime-node/package.json'), 'utf8')) as { version: string };
  h.update(`onnxruntime-node@${ort.version}`);
  cachedCodeHash = h.digest('hex');
  return cachedCodeHash;
}

/** sha256 of a dataset (a file's bytes; a folder's relative paths and bytes, sorted); undefined: the bundled sample. */
export function dataHash(path: string | undefined): string {
  const root = path ?? DEFAULT_DATASET_PATH;
  let files: string[];
  try {
    files = statSync(root).isDirectory() ? listFiles(root).sort() : [root];
  } catch (err) {
    throw new ZeronasError('ZN_IO', `cannot read the data '${root}': ${(err as Error).message}`, { path: root }, err);
  }
  const h = createHash('sha256');
  for (const f of files) {
    if (files.length > 1) h.update(`${relative(root, f)}\0`);
    h.update(readFileSync(f));
  }
  return h.digest('hex');
}

function listFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(join(path, e.name)) : [join(path, e.name)]));
}
