/**
 * Frame codec. Decoding runs in a fixed order and stops at the first failure: size check, parse (UTF-8 + JSON, or
 * the binary header), version check, schema check. A failure is returned, never thrown, so a receiver cannot be
 * crashed by bytes from the wire; it carries an error code and the WebSocket close code to use (null = answer with
 * an `error` message and keep the connection).
 */
import type { ZodError } from 'zod';
import { ZeronasError, type ZeronasErrorCode } from '../errors.js';
import { MAX_BINARY_HEADER_BYTES, MAX_JSON_DEPTH, MAX_MESSAGE_BYTES } from './limits.js';
import {
  AGENT_MESSAGE_TYPES,
  HOST_MESSAGE_TYPES,
  agentToHostMessage,
  hostToAgentMessage,
  modelChunkHeader,
  type AgentToHostMessage,
  type ErrorMessage,
  type HostToAgentMessage,
  type ModelChunkHeader,
} from './messages.js';
import { PROTOCOL_VERSION } from './version.js';

/** WebSocket close codes: 1008/1009 from RFC 6455, 4000-4099 ours. */
export const CLOSE_CODES = {
  normal: 1000,
  goingAway: 1001,
  auth: 1008,
  tooLarge: 1009,
  schema: 4000,
  version: 4001,
  sequence: 4002,
} as const;

export interface ProtocolFailure {
  code: ZeronasErrorCode;
  message: string;
  /** Close the connection with this code, or null to answer with an `error` message and carry on. */
  closeCode: number | null;
  details: Record<string, unknown>;
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; failure: ProtocolFailure };

export type HostFrame =
  | { kind: 'message'; message: HostToAgentMessage }
  | { kind: 'model-chunk'; header: ModelChunkHeader; payload: Uint8Array };

export type FrameData = string | Uint8Array | ArrayBuffer;

const fail = <T>(
  code: ZeronasErrorCode,
  message: string,
  closeCode: number | null,
  details: Record<string, unknown> = {},
): Decoded<T> => ({ ok: false, failure: { code, message, closeCode, details } });

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

function byteLength(data: FrameData): number {
  if (typeof data === 'string') return utf8Encoder.encode(data).byteLength;
  return data.byteLength;
}

function toBytes(data: Uint8Array | ArrayBuffer): Uint8Array {
  return data instanceof Uint8Array ? data : new Uint8Array(data);
}

/** Size check then JSON parse then version check: the shared first half of decoding a text message. */
function parseJson(data: FrameData, isBinary: boolean, maxBytes: number): Decoded<Record<string, unknown>> {
  const size = byteLength(data);
  if (size > maxBytes) {
    return fail('ZN_PAYLOAD_TOO_LARGE', `frame of ${size} bytes exceeds the limit of ${maxBytes} bytes`, CLOSE_CODES.tooLarge, {
      sizeBytes: size,
      maxBytes,
    });
  }
  if (isBinary) {
    return fail('ZN_PROTOCOL_SEQUENCE', 'unexpected binary frame: this side accepts JSON text frames only', null);
  }
  let textValue: string;
  try {
    textValue = typeof data === 'string' ? data : utf8.decode(toBytes(data));
  } catch {
    return fail('ZN_PROTOCOL_PARSE', 'text frame is not valid UTF-8', null);
  }
  const depth = jsonDepthExceeds(textValue, MAX_JSON_DEPTH);
  if (depth) return fail('ZN_PROTOCOL_PARSE', `frame nests arrays/objects deeper than ${MAX_JSON_DEPTH} levels`, null, { maxDepth: MAX_JSON_DEPTH });
  let parsed: unknown;
  try {
    parsed = JSON.parse(textValue);
  } catch (err) {
    return fail('ZN_PROTOCOL_PARSE', `frame is not JSON: ${(err as Error).message}; starts '${textValue.slice(0, 40)}'`, null);
  }
  return checkEnvelope(parsed);
}

/**
 * True when `text`, read as JSON, opens more than `maxDepth` nested arrays/objects. One linear pass that skips string
 * contents (and their escapes); it does not validate the JSON, JSON.parse does that afterwards on bounded input.
 */
export function jsonDepthExceeds(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

function checkEnvelope(parsed: unknown): Decoded<Record<string, unknown>> {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return fail('ZN_PROTOCOL_SCHEMA', `message must be a JSON object, got ${Array.isArray(parsed) ? 'array' : typeof parsed}`, null);
  }
  const obj = parsed as Record<string, unknown>;
  if (obj.v !== PROTOCOL_VERSION) {
    return fail(
      'ZN_PROTOCOL_VERSION',
      `protocol version ${JSON.stringify(obj.v)} is not supported, expected ${PROTOCOL_VERSION}; upgrade the older side`,
      CLOSE_CODES.version,
      { got: obj.v ?? null, expected: PROTOCOL_VERSION },
    );
  }
  if (typeof obj.type !== 'string') {
    return fail('ZN_PROTOCOL_SCHEMA', "message has no string 'type'", null);
  }
  return { ok: true, value: obj };
}

function describeZodError(error: ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

function schemaFailure<T>(type: string, error: ZodError): Decoded<T> {
  return fail('ZN_PROTOCOL_SCHEMA', `'${type}' message does not match protocol v${PROTOCOL_VERSION}: ${describeZodError(error)}`, null, {
    type,
    issues: error.issues.slice(0, 10).map((i) => ({ path: i.path.map(String), message: i.message })),
  });
}

/** Host side: decodes one frame an agent sent. */
export function decodeAgentFrame(
  data: FrameData,
  isBinary: boolean,
  maxBytes: number = MAX_MESSAGE_BYTES,
): Decoded<AgentToHostMessage> {
  const env = parseJson(data, isBinary, maxBytes);
  if (!env.ok) return env;
  const type = env.value.type as string;
  if (!(AGENT_MESSAGE_TYPES as readonly string[]).includes(type)) {
    return fail('ZN_PROTOCOL_SCHEMA', `unknown message type '${type.slice(0, 40)}' from an agent; expected one of ${AGENT_MESSAGE_TYPES.join(', ')}`, null, { type });
  }
  const result = agentToHostMessage.safeParse(env.value);
  if (!result.success) return schemaFailure(type, result.error);
  return { ok: true, value: result.data };
}

/** Agent side: decodes one frame the host sent (JSON text, or a binary model chunk). */
export function decodeHostFrame(data: FrameData, isBinary: boolean, maxBytes: number = MAX_MESSAGE_BYTES): Decoded<HostFrame> {
  if (isBinary && typeof data !== 'string') return decodeModelChunk(toBytes(data), maxBytes);
  const env = parseJson(data, false, maxBytes);
  if (!env.ok) return env;
  const type = env.value.type as string;
  if (!(HOST_MESSAGE_TYPES as readonly string[]).includes(type)) {
    return fail('ZN_PROTOCOL_SCHEMA', `unknown message type '${type.slice(0, 40)}' from the host; expected one of ${HOST_MESSAGE_TYPES.join(', ')} (model-chunk must be binary)`, null, { type });
  }
  const result = hostToAgentMessage.safeParse(env.value);
  if (!result.success) return schemaFailure(type, result.error);
  return { ok: true, value: { kind: 'message', message: result.data } };
}

/** Binary frame: [uint32 BE header length N][N bytes UTF-8 JSON ModelChunkHeader][payload]. */
export function decodeModelChunk(bytes: Uint8Array, maxBytes: number = MAX_MESSAGE_BYTES): Decoded<HostFrame> {
  if (bytes.byteLength > maxBytes) {
    return fail('ZN_PAYLOAD_TOO_LARGE', `frame of ${bytes.byteLength} bytes exceeds the limit of ${maxBytes} bytes`, CLOSE_CODES.tooLarge, {
      sizeBytes: bytes.byteLength,
      maxBytes,
    });
  }
  if (bytes.byteLength < 4) return fail('ZN_PROTOCOL_PARSE', `binary frame of ${bytes.byteLength} bytes is shorter than its 4-byte header length`, null);
  const headerBytes = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, false);
  if (headerBytes === 0 || headerBytes > MAX_BINARY_HEADER_BYTES || 4 + headerBytes > bytes.byteLength) {
    return fail('ZN_PROTOCOL_PARSE', `binary frame header length ${headerBytes} is invalid (frame ${bytes.byteLength} bytes, header limit ${MAX_BINARY_HEADER_BYTES})`, null);
  }
  let parsed: unknown;
  try {
    const headerText = utf8.decode(bytes.subarray(4, 4 + headerBytes));
    if (jsonDepthExceeds(headerText, MAX_JSON_DEPTH)) throw new Error(`nests deeper than ${MAX_JSON_DEPTH} levels`);
    parsed = JSON.parse(headerText);
  } catch (err) {
    return fail('ZN_PROTOCOL_PARSE', `binary frame header is not UTF-8 JSON: ${(err as Error).message}`, null);
  }
  const env = checkEnvelope(parsed);
  if (!env.ok) return env;
  if (env.value.type !== 'model-chunk') {
    return fail('ZN_PROTOCOL_SCHEMA', `binary frame header has type '${String(env.value.type).slice(0, 40)}', expected 'model-chunk'`, null);
  }
  const header = modelChunkHeader.safeParse(env.value);
  if (!header.success) return schemaFailure('model-chunk', header.error);
  const payload = bytes.subarray(4 + headerBytes);
  if (payload.byteLength !== header.data.chunkBytes) {
    return fail('ZN_PROTOCOL_SCHEMA', `model-chunk header says chunkBytes=${header.data.chunkBytes} but the frame carries ${payload.byteLength} payload bytes`, null, {
      jobId: header.data.jobId,
    });
  }
  return { ok: true, value: { kind: 'model-chunk', header: header.data, payload } };
}

/** Encodes a text message; validates it first, because sending a malformed message is our own bug. */
export function encodeMessage(message: AgentToHostMessage | HostToAgentMessage): string {
  const schema = (AGENT_MESSAGE_TYPES as readonly string[]).includes(message.type) && message.type !== 'error'
    ? agentToHostMessage
    : hostToAgentMessage;
  const checked = schema.safeParse(message);
  if (!checked.success) {
    throw new ZeronasError('ZN_PROTOCOL_SCHEMA', `refusing to send an invalid '${message.type}' message: ${describeZodError(checked.error)}`, {
      type: message.type,
    });
  }
  return JSON.stringify(message);
}

export function encodeModelChunk(header: Omit<ModelChunkHeader, 'v' | 'type' | 'chunkBytes'>, payload: Uint8Array): Uint8Array {
  const full: ModelChunkHeader = { v: PROTOCOL_VERSION, type: 'model-chunk', ...header, chunkBytes: payload.byteLength };
  const headerBytes = utf8Encoder.encode(JSON.stringify(modelChunkHeader.parse(full)));
  const out = new Uint8Array(4 + headerBytes.byteLength + payload.byteLength);
  new DataView(out.buffer).setUint32(0, headerBytes.byteLength, false);
  out.set(headerBytes, 4);
  out.set(payload, 4 + headerBytes.byteLength);
  return out;
}

/** The `error` message that answers a failed decode (or any typed error). */
export function errorMessageFor(
  failure: Pick<ProtocolFailure, 'code' | 'message' | 'details'>,
  jobId: string | null = null,
): ErrorMessage {
  return {
    v: PROTOCOL_VERSION,
    type: 'error',
    jobId,
    error: { code: failure.code, message: failure.message.slice(0, 4_000), details: failure.details },
  };
}
