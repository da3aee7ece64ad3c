import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ModelCache, sha256Of } from '../../../agent/modelCache.js';
import { ModelTransfer } from '../../../agent/session/modelTransfer.js';
import { PROTOCOL_VERSION } from '../../../shared/protocol/version.js';

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'zeronas-cache-'));
  dirs.push(d);
  return d;
};
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

const bytes = (n: number, seed: number): Uint8Array => new Uint8Array(n).map((_, i) => (i * 7 + seed) & 0xff);

describe('ModelCache', () => {
  it('stores by sha256 and reads back verified', async () => {
    const cache = new ModelCache(tmp(), 1000);
    const b = bytes(100, 1);
    await cache.write(sha256Of(b), b);
    expect(new Uint8Array((await cache.read(sha256Of(b)))!)).toEqual(b);
  });

  it('refuses bytes whose hash differs from the claimed sha256 (ZN_MODEL_HASH)', async () => {
    const cache = new ModelCache(tmp(), 1000);
    await expect(cache.write('0'.repeat(64), bytes(10, 1))).rejects.toThrow(expect.objectContaining({ code: 'ZN_MODEL_HASH', message: expect.stringMatching(/0{64}/) }));
  });

  it('drops a file corrupted on disk', async () => {
    const dir = tmp();
    const cache = new ModelCache(dir, 1000);
    const b = bytes(10, 2);
    const sha = sha256Of(b);
    await cache.write(sha, b);
    writeFileSync(join(dir, `${sha}.onnx`), bytes(10, 3));
    expect(await cache.has(sha)).toBe(false);
  });

  it('evicts least recently used models above the 250-byte cap', async () => {
    const dir = tmp();
    const cache = new ModelCache(dir, 250);
    const [a, b, c] = [bytes(100, 1), bytes(100, 2), bytes(100, 3)];
    await cache.write(sha256Of(a), a);
    utimesSync(join(dir, `${sha256Of(a)}.onnx`), new Date(1000), new Date(1000));
    await cache.write(sha256Of(b), b);
    await cache.write(sha256Of(c), c);
    const left = (await cache.list()).map((e) => e.sha256).sort();
    expect(left).toEqual([sha256Of(b), sha256Of(c)].sort());
  });
});

describe('ModelTransfer', () => {
  const header = (over: object) => ({ v: PROTOCOL_VERSION, type: 'model-chunk' as const, jobId: 'j', sha256: '', offsetBytes: 0, chunkBytes: 0, isLast: false, ...over });

  it('assembles contiguous chunks and verifies the hash', () => {
    const b = bytes(10, 1);
    const t = new ModelTransfer('j', sha256Of(b), 10, 100, sha256Of);
    expect(t.add(header({ sha256: sha256Of(b), chunkBytes: 6 }), b.subarray(0, 6))).toBeNull();
    expect(t.add(header({ sha256: sha256Of(b), offsetBytes: 6, chunkBytes: 4, isLast: true }), b.subarray(6))).toEqual(b);
  });

  it('rejects an offer of 200 bytes above a 100-byte cap (ZN_PAYLOAD_TOO_LARGE)', () => {
    expect(() => new ModelTransfer('j', 'a'.repeat(64), 200, 100, sha256Of)).toThrow(expect.objectContaining({ code: 'ZN_PAYLOAD_TOO_LARGE', message: expect.stringMatching(/200 bytes/) }));
  });

  it('rejects an out-of-order offset 5, expected 0 (ZN_PROTOCOL_SEQUENCE)', () => {
    const t = new ModelTransfer('j', 'a'.repeat(64), 10, 100, sha256Of);
    expect(() => t.add(header({ sha256: 'a'.repeat(64), offsetBytes: 5, chunkBytes: 1 }), new Uint8Array(1))).toThrow(
      expect.objectContaining({ code: 'ZN_PROTOCOL_SEQUENCE', message: expect.stringMatching(/offset 5, expected 0/) }),
    );
  });

  it('rejects bytes beyond the offered size (ZN_PAYLOAD_TOO_LARGE)', () => {
    const t = new ModelTransfer('j', 'a'.repeat(64), 4, 100, sha256Of);
    expect(() => t.add(header({ sha256: 'a'.repeat(64), chunkBytes: 5 }), new Uint8Array(5))).toThrow(expect.objectContaining({ code: 'ZN_PAYLOAD_TOO_LARGE' }));
  });
});
