/**
 * Seeded generators of bad protocol frames for the fuzz tests, and the oracle that says how a peer must answer each
 * one. The oracle is the protocol contract (shared/protocol/messages.ts and codec.ts), applied to the exact bytes
 * sent: an invalid UTF-8 text frame is closed by ws with 1007, a frame above MAX_MESSAGE_BYTES with 1009 before its
 * body is read, every other undecodable frame is answered with one typed `error` (closing only for a wrong version),
 * and a frame that decodes but is out of sequence is answered as the receiver documents.
 */
import { MAX_MESSAGE_BYTES, MAX_PRE_AUTH_MESSAGE_BYTES } from '../../shared/protocol/limits.js';
import { ADMISSION_LIMITS } from '../../host/orchestrator/admission.js';
import { decodeAgentFrame, decodeHostFrame, encodeModelChunk } from '../../shared/protocol/codec.js';
import type { AgentToHostMessage, HostToAgentMessage } from '../../shared/protocol/messages.js';
import { PROTOCOL_VERSION } from '../../shared/protocol/version.js';

export type Category = 'malformed' | 'truncated' | 'mutated' | 'oversized' | 'forged' | 'binary';
export const CATEGORIES: Category[] = ['malformed', 'truncated', 'mutated', 'binary', 'forged', 'oversized'];

export interface FuzzFrame {
  category: Category;
  data: Buffer;
  isBinary: boolean;
}

/** What the receiver must do: the `error` code it answers with (null: no answer) and the close code (null: stays open). */
export interface Expected {
  reply: string | null;
  close: number | null;
  /** A second acceptable close code, where the transport's chunking decides which check fires first. */
  altClose?: number;
  /** The frame decodes to this message type (null when it does not decode). */
  decodedType: string | null;
}

export type Rand = () => number;

export const pick = <T>(rand: Rand, items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
const int = (rand: Rand, lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));

const utf8 = new TextDecoder('utf-8', { fatal: true });
export function isValidUtf8(b: Buffer): boolean {
  try {
    utf8.decode(b);
    return true;
  } catch {
    return false;
  }
}

/** Values of every JSON kind, including the awkward ones, to put where a field was. */
function randomValue(rand: Rand, depth = 0): unknown {
  switch (int(rand, 0, 13)) {
    case 0: return null;
    case 1: return rand() < 0.5;
    case 2: return int(rand, -1e6, 1e6);
    case 3: return pick(rand, [0, -1, 1e308, -1e308, 2 ** 53 + 1, 1.5, -0.0001, 4294967296]);
    case 4: return '';
    case 5: return 'x'.repeat(int(rand, 1, 6000));
    case 6: return pick(rand, ['\u0000', '../../etc/passwd', '<script>', '%s%n', 'ZN_AUTH', '\ud800', 'ü\u202e']);
    case 7: return depth < 3 ? [randomValue(rand, depth + 1), randomValue(rand, depth + 1)] : [];
    case 8: return depth < 3 ? { a: randomValue(rand, depth + 1) } : {};
    case 9: return 'f'.repeat(64);
    case 10: return new Date(int(rand, 0, 4e12)).toISOString();
    case 11: return { __proto__: { polluted: true }, constructor: { prototype: { polluted: true } } };
    case 12: return Array.from({ length: int(rand, 0, 300) }, () => int(rand, 0, 9));
    default: return String(int(rand, 0, 99));
  }
}

/** Paths to every value inside a JSON document (so a mutation can hit any depth). */
function paths(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(value)) value.slice(0, 20).forEach((v, i) => paths(v, [...prefix, i], out));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) paths(v, [...prefix, k], out);
  return out;
}

function structuredMutation(rand: Rand, message: object): unknown {
  const copy = JSON.parse(JSON.stringify(message)) as Record<string, unknown>;
  const times = int(rand, 1, 3);
  for (let t = 0; t < times; t++) {
    const all = paths(copy).filter((p) => p.length > 0);
    const path = pick(rand, all);
    let parent: Record<string | number, unknown> = copy;
    for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
    const last = path[path.length - 1]!;
    const op = int(rand, 0, 3);
    if (op === 0) delete parent[last];
    else if (op === 1 && !Array.isArray(parent)) parent[`extra${int(rand, 0, 9)}`] = randomValue(rand);
    else parent[last] = randomValue(rand);
  }
  return copy;
}

function byteMutation(rand: Rand, bytes: Buffer): Buffer {
  const out = Buffer.from(bytes);
  const times = int(rand, 1, 8);
  let b: Buffer = out;
  for (let t = 0; t < times; t++) {
    const at = int(rand, 0, Math.max(0, b.length - 1));
    const op = int(rand, 0, 3);
    // Mostly printable bytes, so most mutants reach the codec instead of failing ws's UTF-8 check (1007).
    const byte = (): number => (rand() < 0.9 ? int(rand, 0x20, 0x7e) : int(rand, 0, 255));
    if (op === 0) b[at] = byte();
    else if (op === 1) b[at] = b[at]! ^ (1 << int(rand, 0, rand() < 0.9 ? 6 : 7));
    else if (op === 2) b = Buffer.concat([b.subarray(0, at), Buffer.from([byte()]), b.subarray(at)]);
    else b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
  }
  return b;
}

/** Junk that was never a message: text, JSON of the wrong shape, deep nesting, unknown types. */
function malformedText(rand: Rand, validTypes: readonly string[], wrongDirection: object[]): Buffer {
  const kind = int(rand, 0, 9);
  const text = ((): string => {
    switch (kind) {
      case 0: return Array.from({ length: int(rand, 0, 200) }, () => String.fromCharCode(int(rand, 32, 126))).join('');
      case 1: return JSON.stringify(pick(rand, [null, 42, 'hello', [], [1, 2], true, -0]));
      case 2: return '['.repeat(int(rand, 1_000, 100_000)) + ']'.repeat(int(rand, 0, 10));
      case 3: return JSON.stringify({ v: PROTOCOL_VERSION, type: `x-${int(rand, 0, 1e6)}` });
      case 4: return JSON.stringify({ v: PROTOCOL_VERSION });
      case 5: return JSON.stringify({ v: PROTOCOL_VERSION, type: pick(rand, validTypes) });
      case 6: return JSON.stringify(pick(rand, wrongDirection));
      case 7: return `{"v":${PROTOCOL_VERSION},"type":"heartbeat","__proto__":{"isAdmin":true}}`;
      case 8: return JSON.stringify({ v: PROTOCOL_VERSION, type: pick(rand, validTypes), payload: 'A'.repeat(int(rand, 1, 1_000_000)) });
      default: return '';
    }
  })();
  return Buffer.from(text, 'utf8');
}

function invalidUtf8(rand: Rand): Buffer {
  return Buffer.concat([Buffer.from('{"v":1,"type":"'), Buffer.from([pick(rand, [0xc3, 0xff, 0xed, 0xf8]), 0x28]), Buffer.from('"}')]);
}

export interface CorpusOptions {
  /** Valid messages of the direction under test: the seeds for truncation and mutation. */
  valid: object[];
  /** Message types the receiver knows. */
  validTypes: readonly string[];
  /** Valid messages of the other direction. */
  wrongDirection: object[];
  /** Schema-valid results or other frames that claim someone else's job (host fuzz only). */
  forged?: () => object;
  /** Binary frames to send (random bytes for the host; model-chunk-like frames for the agent). */
  binary: (rand: Rand) => Buffer;
}

/** One bad frame of the given category. */
export function makeFrame(rand: Rand, category: Category, c: CorpusOptions): FuzzFrame {
  switch (category) {
    case 'malformed':
      return { category, data: rand() < 0.02 ? invalidUtf8(rand) : malformedText(rand, c.validTypes, c.wrongDirection), isBinary: false };
    case 'truncated': {
      const full = Buffer.from(JSON.stringify(pick(rand, c.valid)));
      return { category, data: full.subarray(0, int(rand, 0, full.length - 1)), isBinary: false };
    }
    case 'mutated': {
      const seed = pick(rand, c.valid);
      const data = rand() < 0.5 ? Buffer.from(JSON.stringify(structuredMutation(rand, seed))) : byteMutation(rand, Buffer.from(JSON.stringify(seed)));
      return { category, data, isBinary: false };
    }
    case 'binary':
      return { category, data: c.binary(rand), isBinary: true };
    case 'forged':
      return { category, data: Buffer.from(JSON.stringify(c.forged ? c.forged() : pick(rand, c.valid))), isBinary: false };
    case 'oversized':
      return { category, data: Buffer.alloc(MAX_MESSAGE_BYTES + 1 + int(rand, 0, 1024), 0x20), isBinary: rand() < 0.5 };
  }
}

/** Frame-level outcome shared by both sides: ws refuses oversized frames (1009) and invalid UTF-8 text (1007). */
function transportOutcome(frame: FuzzFrame): Expected | null {
  if (frame.data.byteLength > MAX_MESSAGE_BYTES) return { reply: null, close: 1009, decodedType: null };
  if (!frame.isBinary && !isValidUtf8(frame.data)) return { reply: null, close: 1007, decodedType: null };
  return null;
}

/**
 * How HostServer must answer `frame` (host/orchestrator/server.ts): before hello, anything is refused and the socket
 * closed: ZN_AUTH + 1008 if it decodes (the fuzz corpus never holds the real token), else its decode error (+ 1008,
 * or the failure's own close code; the pre-hello size limit is MAX_PRE_AUTH_MESSAGE_BYTES); after hello, a second hello and a job-accept for
 * a job not offered to this agent get ZN_PROTOCOL_SEQUENCE; heartbeats, errors and results for jobs not leased to
 * this agent get no answer and change nothing.
 */
/** A masked client frame above 64 KiB carries a 14-byte header; the host allows this much beyond one frame pre-hello. */
const WS_CLIENT_HEADER_BYTES = 14;
const PRE_AUTH_SLACK_BYTES = 1024;

export function expectFromHost(frame: FuzzFrame, isAuthenticated: boolean, badFramesBefore = 0): Expected {
  // Before hello the host destroys the socket once more raw bytes than one small frame arrived (1006 at the client);
  // a frame that also exceeds MAX_MESSAGE_BYTES may be refused by ws at its header first (1009), by chunk timing.
  if (!isAuthenticated && frame.data.byteLength + WS_CLIENT_HEADER_BYTES > MAX_PRE_AUTH_MESSAGE_BYTES + PRE_AUTH_SLACK_BYTES) {
    return { reply: null, close: 1006, ...(frame.data.byteLength > MAX_MESSAGE_BYTES ? { altClose: 1009 } : {}), decodedType: null };
  }
  const t = transportOutcome(frame);
  if (t) return t;
  const d = decodeAgentFrame(frame.data, frame.isBinary, isAuthenticated ? MAX_MESSAGE_BYTES : MAX_PRE_AUTH_MESSAGE_BYTES);
  // Before hello, a frame that does not decode is answered and the socket closed (1008 unless the failure has its own);
  // after hello, the connection's ADMISSION_LIMITS.maxBadFramesPerConnection-th bad frame closes it (4000).
  if (!d.ok) {
    const ownClose = d.failure.closeCode;
    const limitClose = badFramesBefore + 1 >= ADMISSION_LIMITS.maxBadFramesPerConnection ? 4000 : null;
    return { reply: d.failure.code, close: ownClose ?? (isAuthenticated ? limitClose : 1008), decodedType: null };
  }
  const type = d.value.type;
  if (!isAuthenticated) return { reply: 'ZN_AUTH', close: 1008, decodedType: type };
  if (type === 'hello' || type === 'job-accept') return { reply: 'ZN_PROTOCOL_SEQUENCE', close: null, decodedType: type };
  return { reply: null, close: null, decodedType: type };
}

/**
 * How the agent must answer `frame` (agent/client.ts) while it has no job: undecodable -> one `error`; a cancel
 * or a model-chunk -> ZN_PROTOCOL_SEQUENCE (no such job, no transfer); welcome and error -> nothing. A frame that
 * decodes to a job-offer would start real work, so the fuzzer does not send those (returns decodedType 'job-offer').
 */
export function expectFromAgent(frame: FuzzFrame): Expected {
  const t = transportOutcome(frame);
  if (t) return t;
  const d = decodeHostFrame(frame.data, frame.isBinary);
  if (!d.ok) return { reply: d.failure.code, close: d.failure.closeCode, decodedType: null };
  if (d.value.kind === 'model-chunk') return { reply: 'ZN_PROTOCOL_SEQUENCE', close: null, decodedType: 'model-chunk' };
  const type = d.value.message.type;
  if (type === 'cancel') return { reply: 'ZN_PROTOCOL_SEQUENCE', close: null, decodedType: type };
  return { reply: null, close: null, decodedType: type };
}

/** Binary frames aimed at the agent's model-chunk parser: bad header lengths, bad header JSON, lying chunkBytes. */
export function agentBinaryFrame(rand: Rand, jobIds: string[]): Buffer {
  const kind = int(rand, 0, 4);
  if (kind === 0) return Buffer.from(Array.from({ length: int(rand, 0, 64) }, () => int(rand, 0, 255)));
  const payload = Buffer.alloc(int(rand, 0, 2048), 7);
  const good = Buffer.from(
    encodeModelChunk({ jobId: pick(rand, jobIds), sha256: 'a'.repeat(64), offsetBytes: int(rand, 0, 4096), isLast: rand() < 0.5 }, payload),
  );
  if (kind === 1) return good; // well-formed, but no transfer is in progress
  if (kind === 2) {
    const b = Buffer.from(good);
    b.writeUInt32BE(pick(rand, [0, b.length, 0xffffffff, 16 * 1024 + 1]), 0);
    return b;
  }
  if (kind === 3) return byteMutation(rand, good);
  return good.subarray(0, int(rand, 0, good.length - 1));
}

export function hostBinaryFrame(rand: Rand): Buffer {
  return Buffer.from(Array.from({ length: int(rand, 0, 512) }, () => int(rand, 0, 255)));
}

export type { AgentToHostMessage, HostToAgentMessage };

/** Per-category tally printed at the end of a fuzz run. */
export class Tally {
  readonly rows = new Map<Category, { sent: number; errors: number; closes: Map<number, number>; decodedOk: number }>();

  add(frame: FuzzFrame, expected: Expected): void {
    const row = this.rows.get(frame.category) ?? { sent: 0, errors: 0, closes: new Map(), decodedOk: 0 };
    row.sent++;
    if (expected.reply) row.errors++;
    if (expected.close !== null) row.closes.set(expected.close, (row.closes.get(expected.close) ?? 0) + 1);
    if (expected.decodedType) row.decodedOk++;
    this.rows.set(frame.category, row);
  }

  get total(): number {
    return [...this.rows.values()].reduce((a, r) => a + r.sent, 0);
  }

  format(title: string): string {
    const lines = [`${title}`, 'category    sent   typed-error  closed(code:n)             decoded-but-refused-or-ignored'];
    for (const c of CATEGORIES) {
      const r = this.rows.get(c);
      if (!r) continue;
      const closes = [...r.closes].map(([k, n]) => `${k}:${n}`).join(' ') || '-';
      lines.push(`${c.padEnd(10)} ${String(r.sent).padStart(6)} ${String(r.errors).padStart(12)}  ${closes.padEnd(26)} ${r.decodedOk}`);
    }
    lines.push(`total      ${String(this.total).padStart(6)}`);
    return lines.join('\n');
  }
}
