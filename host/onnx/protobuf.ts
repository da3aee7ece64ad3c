/**
 * A minimal protocol-buffers writer: just the wire types ONNX needs (varint, length-delimited, 32-bit float).
 * Messages are built bottom-up. A nested message is not copied into its parent: the parent keeps references to the
 * child's chunks (large byte fields such as initializer data are referenced, not copied, too), and `finish` copies
 * every byte exactly once. Small writes go to a scratch buffer. The weights of a model (megabytes) are therefore
 * copied once, not once per nesting level.
 */
const textEncoder = new TextEncoder();

/** Byte fields at least this long are referenced instead of copied into the scratch buffer. */
const REFERENCE_BYTES = 256;
/** Most writers are tiny (one node attribute); the scratch buffer starts small and doubles up to the cap. */
const FIRST_SCRATCH_BYTES = 64;
const MAX_SCRATCH_BYTES = 65536;

export class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];
  private scratch = new Uint8Array(FIRST_SCRATCH_BYTES);
  private pos = 0;
  /** Bytes written so far (chunks plus scratch). */
  private size = 0;

  get length(): number {
    return this.size;
  }

  private flushScratch(): void {
    if (this.pos === 0) return;
    this.chunks.push(this.scratch.subarray(0, this.pos));
    this.scratch = this.scratch.subarray(this.pos);
    this.pos = 0;
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.scratch.length) return;
    const grown = Math.min(MAX_SCRATCH_BYTES, 2 * (this.scratch.byteOffset + this.scratch.length));
    this.flushScratch();
    this.scratch = new Uint8Array(Math.max(n, grown));
  }

  private rawVarint(value: number | bigint): void {
    if (typeof value === 'number' && value >= 0 && value <= Number.MAX_SAFE_INTEGER) {
      this.reserve(10);
      const start = this.pos;
      let v = value;
      while (v >= 0x80) {
        this.scratch[this.pos++] = (v % 0x80) | 0x80;
        v = Math.floor(v / 0x80);
      }
      this.scratch[this.pos++] = v;
      this.size += this.pos - start;
      return;
    }
    // Negative int64 values use ten-byte two's complement, as protobuf specifies.
    let v = BigInt.asUintN(64, BigInt(value));
    this.reserve(10);
    const start = this.pos;
    while (v >= 0x80n) {
      this.scratch[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.scratch[this.pos++] = Number(v);
    this.size += this.pos - start;
  }

  private tag(field: number, wireType: number): void {
    this.rawVarint((field << 3) | wireType);
  }

  private raw(data: Uint8Array): void {
    if (data.length >= REFERENCE_BYTES) {
      this.flushScratch();
      this.chunks.push(data);
    } else {
      this.reserve(data.length);
      this.scratch.set(data, this.pos);
      this.pos += data.length;
    }
    this.size += data.length;
  }

  varint(field: number, value: number | bigint): this {
    if (!Number.isInteger(Number(value))) throw new RangeError(`protobuf varint field ${field}: ${value} is not an integer`);
    this.tag(field, 0);
    this.rawVarint(value);
    return this;
  }

  float32(field: number, value: number): this {
    this.tag(field, 5);
    this.reserve(4);
    new DataView(this.scratch.buffer, this.scratch.byteOffset + this.pos, 4).setFloat32(0, value, true);
    this.pos += 4;
    this.size += 4;
    return this;
  }

  /** A length-delimited field. Large `data` is referenced until `finish`: do not modify it before then. */
  bytes(field: number, data: Uint8Array): this {
    this.tag(field, 2);
    this.rawVarint(data.length);
    this.raw(data);
    return this;
  }

  string(field: number, text: string): this {
    const n = text.length;
    let ascii = n < REFERENCE_BYTES;
    for (let i = 0; ascii && i < n; i++) ascii = text.charCodeAt(i) < 0x80;
    if (!ascii) return this.bytes(field, textEncoder.encode(text));
    // Names and op types are short ASCII: written straight into the scratch buffer (a TextEncoder call per string
    // was the largest single cost of exporting a training graph).
    this.tag(field, 2);
    this.rawVarint(n);
    this.reserve(n);
    for (let i = 0; i < n; i++) this.scratch[this.pos++] = text.charCodeAt(i);
    this.size += n;
    return this;
  }

  /** Fields encoded elsewhere (e.g. by nodeEncoding.ts), appended as they are; referenced until `finish`. */
  encoded(data: Uint8Array): this {
    this.raw(data);
    return this;
  }

  /** A nested message; `inner` must not be written to afterwards. */
  message(field: number, inner: ProtoWriter): this {
    this.tag(field, 2);
    this.rawVarint(inner.size);
    if (inner.size < REFERENCE_BYTES) {
      // Small messages (a value info, a dimension, an opset import) are copied into this scratch buffer, which
      // then stays one run instead of becoming a chunk per message. (Nodes are encoded by nodeEncoding.ts.)
      this.reserve(inner.size);
      for (const c of inner.chunks) {
        this.scratch.set(c, this.pos);
        this.pos += c.length;
      }
      this.scratch.set(inner.scratch.subarray(0, inner.pos), this.pos);
      this.pos += inner.pos;
      this.size += inner.size;
      return this;
    }
    this.flushScratch();
    inner.flushScratch();
    for (const c of inner.chunks) this.chunks.push(c);
    this.size += inner.size;
    return this;
  }

  packedVarints(field: number, values: readonly (number | bigint)[]): this {
    const inner = new ProtoWriter();
    for (const v of values) inner.rawVarint(v);
    return this.message(field, inner);
  }

  packedFloats(field: number, values: readonly number[]): this {
    const b = new Uint8Array(values.length * 4);
    const view = new DataView(b.buffer);
    values.forEach((v, i) => view.setFloat32(i * 4, v, true));
    return this.bytes(field, b);
  }

  finish(): Uint8Array {
    this.flushScratch();
    // Every byte is written below, so a large model's buffer need not be zero-filled first. The memory comes from
    // Node's Buffer.allocUnsafe (above 64 KiB never a slice of Node's shared pool) but is handed out as a plain
    // Uint8Array: a Buffer's slice() is a view, not a copy, and callers rely on the copy.
    const unsafe = this.size >= 65536 && typeof Buffer !== 'undefined' ? Buffer.allocUnsafe(this.size) : undefined;
    const out = unsafe ? new Uint8Array(unsafe.buffer, unsafe.byteOffset, this.size) : new Uint8Array(this.size);
    let offset = 0;
    for (const c of this.chunks) {
      out.set(c, offset);
      offset += c.length;
    }
    return out;
  }
}
