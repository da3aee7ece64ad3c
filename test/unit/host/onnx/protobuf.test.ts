/**
 * ProtoWriter's wire format against hand-encoded bytes (protobuf encoding spec): varints including 64-bit negative
 * values, floats, strings, nested messages, and large byte fields that are referenced rather than copied.
 */
import { describe, expect, it } from 'vitest';
import { ProtoWriter } from '../../../../host/onnx/protobuf.js';

const bytesOf = (w: ProtoWriter): number[] => Array.from(w.finish());

describe('ProtoWriter', () => {
  it('encodes varints, including 300, 2^53 - 1 and -1 (ten bytes)', () => {
    expect(bytesOf(new ProtoWriter().varint(1, 300))).toEqual([0x08, 0xac, 0x02]);
    expect(bytesOf(new ProtoWriter().varint(2, 0))).toEqual([0x10, 0x00]);
    expect(bytesOf(new ProtoWriter().varint(1, Number.MAX_SAFE_INTEGER))).toEqual([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]);
    expect(bytesOf(new ProtoWriter().varint(1, -1))).toEqual([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(bytesOf(new ProtoWriter().varint(1, -2n))).toEqual([0x08, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
  });

  it('encodes floats, strings and nested messages', () => {
    expect(bytesOf(new ProtoWriter().float32(2, 1))).toEqual([0x15, 0x00, 0x00, 0x80, 0x3f]);
    expect(bytesOf(new ProtoWriter().string(4, 'Relu'))).toEqual([0x22, 4, 0x52, 0x65, 0x6c, 0x75]);
    // Non-ASCII text is UTF-8 (length in bytes, not characters); long ASCII text takes the referenced path.
    expect(bytesOf(new ProtoWriter().string(1, 'σ²'))).toEqual([0x0a, 4, 0xcf, 0x83, 0xc2, 0xb2]);
    const long = 'x'.repeat(300);
    expect(bytesOf(new ProtoWriter().varint(1, 1).string(2, long))).toEqual([0x08, 1, 0x12, 0xac, 0x02, ...new Array<number>(300).fill(0x78)]);
    const inner = new ProtoWriter().varint(1, 150);
    expect(bytesOf(new ProtoWriter().message(3, inner).varint(4, 1))).toEqual([0x1a, 3, 0x08, 0x96, 0x01, 0x20, 0x01]);
    expect(bytesOf(new ProtoWriter().packedVarints(8, [3, 270]))).toEqual([0x42, 3, 0x03, 0x8e, 0x02]);
  });

  it('keeps large byte fields intact through several nesting levels and many small writes', () => {
    const big = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 7) % 251);
    const leaf = new ProtoWriter().string(1, 'w').bytes(9, big);
    const mid = new ProtoWriter();
    for (let i = 0; i < 1000; i++) mid.varint(1, i);
    mid.message(5, leaf);
    const out = new ProtoWriter().message(7, mid).finish();
    // field 7 tag, then the varint length of mid, then mid's 1000 varints, then leaf.
    const midLength = mid.length;
    expect(out.length).toBe(1 + varintLength(midLength) + midLength);
    const tail = out.subarray(out.length - big.length);
    expect(Buffer.from(tail).equals(Buffer.from(big))).toBe(true);
  });
  it('finishes a large message as a plain Uint8Array: slice() copies, as callers that corrupt a copy expect', () => {
    const out = new ProtoWriter().bytes(9, new Uint8Array(100_000).fill(7)).finish();
    expect(Object.getPrototypeOf(out)).toBe(Uint8Array.prototype);
    const copy = out.slice();
    copy[10] = 99;
    expect(out[10]).toBe(7);
  });
});

function varintLength(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}
