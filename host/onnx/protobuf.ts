/**
 * A minimal protocol-buffers writer: just the wire types ONNX needs (varint, length-delimited, 32-bit float).
 * Messages are built bottom-up; each nested message is finished into bytes before its parent writes it.
 */
const textEncoder = new TextEncoder();

export class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];
  private length = 0;

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.length += bytes.length;
  }

  private rawVarint(value: number | bigint): void {
    // Negative int64 values use ten-byte two's complement, as protobuf specifies.
    let v = BigInt.asUintN(64, BigInt(value));
    const bytes: number[] = [];
    while (v >= 0x80n) {
      bytes.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    bytes.push(Number(v));
    this.push(Uint8Array.from(bytes));
  }

  private tag(field: number, wireType: number): void {
    this.rawVarint((field << 3) | wireType);
  }

  varint(field: number, value: number | bigint): this {
    if (!Number.isInteger(Number(value))) throw new RangeError(`protobuf varint field ${field}: ${value} is not an integer`);
    this.tag(field, 0);
    this.rawVarint(value);
    return this;
  }

  float32(field: number, value: number): this {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.push(b);
    return this;
  }

  bytes(field: number, data: Uint8Array): this {
    this.tag(field, 2);
    this.rawVarint(data.length);
    this.push(data);
    return this;
  }

  string(field: number, text: string): this {
    return this.bytes(field, textEncoder.encode(text));
  }

  message(field: number, inner: ProtoWriter): this {
    return this.bytes(field, inner.finish());
  }

  packedVarints(field: number, values: readonly (number | bigint)[]): this {
    const inner = new ProtoWriter();
    for (const v of values) inner.rawVarint(v);
    return this.bytes(field, inner.finish());
  }

  packedFloats(field: number, values: readonly number[]): this {
    const b = new Uint8Array(values.length * 4);
    const view = new DataView(b.buffer);
    values.forEach((v, i) => view.setFloat32(i * 4, v, true));
    return this.bytes(field, b);
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const c of this.chunks) {
      out.set(c, offset);
      offset += c.length;
    }
    return out;
  }
}
