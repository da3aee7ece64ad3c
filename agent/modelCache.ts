/**
 * Models cached on disk by sha256 (`<dir>/<sha256>.onnx`), so a model is transferred once per agent. Writes are
 * atomic (temp file + rename) and verified; a read re-hashes the file and drops it if it no longer matches. When
 * the total exceeds `maxBytes`, least-recently-used models (by mtime, touched on every use) are evicted.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ZeronasError } from '../shared/errors.js';

export const sha256Of = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

const FILE_RE = /^([0-9a-f]{64})\.onnx$/;

export class ModelCache {
  constructor(
    readonly dir: string,
    readonly maxBytes: number,
  ) {
    if (!(maxBytes > 0)) throw new ZeronasError('ZN_BAD_ARGUMENT', `model cache size cap must be positive, got ${maxBytes}`);
    mkdirSync(dir, { recursive: true });
  }

  pathOf(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new ZeronasError('ZN_BAD_ARGUMENT', `'${sha256.slice(0, 80)}' is not a sha256 hex digest`);
    return join(this.dir, `${sha256}.onnx`);
  }

  async list(): Promise<{ sha256: string; sizeBytes: number; mtimeMs: number }[]> {
    const out = [];
    for (const f of await readdir(this.dir)) {
      const m = FILE_RE.exec(f);
      if (!m) continue;
      const s = await stat(join(this.dir, f)).catch(() => null);
      if (s) out.push({ sha256: m[1]!, sizeBytes: s.size, mtimeMs: s.mtimeMs });
    }
    return out;
  }

  /** True when a verified copy is on disk (re-hashes it; a corrupt file is deleted). */
  async has(sha256: string): Promise<boolean> {
    return (await this.read(sha256)) !== null;
  }

  async read(sha256: string): Promise<Uint8Array | null> {
    const path = this.pathOf(sha256);
    let bytes: Uint8Array;
    try {
      bytes = await readFile(path);
    } catch {
      return null;
    }
    if (sha256Of(bytes) !== sha256) {
      await rm(path, { force: true });
      return null;
    }
    const now = new Date();
    await utimes(path, now, now).catch(() => undefined);
    return bytes;
  }

  /** Stores bytes whose sha256 must equal `sha256` (ZN_MODEL_HASH otherwise), then evicts down to the cap. */
  async write(sha256: string, bytes: Uint8Array): Promise<string> {
    const actual = sha256Of(bytes);
    if (actual !== sha256) {
      throw new ZeronasError('ZN_MODEL_HASH', `model bytes hash to ${actual}, the offer said ${sha256}`, { expected: sha256, actual });
    }
    if (bytes.byteLength > this.maxBytes) {
      throw new ZeronasError('ZN_PAYLOAD_TOO_LARGE', `model of ${bytes.byteLength} bytes exceeds the model cache cap of ${this.maxBytes} bytes`, {
        sizeBytes: bytes.byteLength,
        maxBytes: this.maxBytes,
      });
    }
    const path = this.pathOf(sha256);
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, bytes);
    await rename(tmp, path);
    await this.evict(sha256);
    return path;
  }

  private async evict(keep: string): Promise<void> {
    const entries = (await this.list()).sort((a, b) => a.mtimeMs - b.mtimeMs);
    let total = entries.reduce((a, e) => a + e.sizeBytes, 0);
    for (const e of entries) {
      if (total <= this.maxBytes) break;
      if (e.sha256 === keep) continue;
      await rm(this.pathOf(e.sha256), { force: true });
      total -= e.sizeBytes;
    }
  }
}
