import { describe, expect, it } from 'vitest';
import {
  CLOSE_CODES,
  decodeAgentFrame,
  decodeHostFrame,
  decodeModelChunk,
  encodeMessage,
  encodeModelChunk,
} from '../../../../shared/protocol/codec.js';
import { MAX_MESSAGE_BYTES } from '../../../../shared/protocol/limits.js';
import { PROTOCOL_VERSION } from '../../../../shared/protocol/version.js';

const SHA = 'a'.repeat(64);
const offer = {
  v: PROTOCOL_VERSION,
  type: 'job-offer',
  jobId: 'j1',
  model: { sha256: SHA, sizeBytes: 10 },
  inputs: [{ name: 'input', dims: [1, 3, 32, 32], dtype: 'float32' }],
  settings: { minRuns: 5 },
} as const;

describe('codec: decode order size -> parse -> version -> schema', () => {
  it('accepts a valid job-offer', () => {
    const d = decodeHostFrame(JSON.stringify(offer), false);
    expect(d.ok && d.value.kind === 'message' && d.value.message.type).toBe('job-offer');
  });

  it('rejects a frame above MAX_MESSAGE_BYTES with ZN_PAYLOAD_TOO_LARGE and close 1009, before parsing', () => {
    const d = decodeHostFrame('x'.repeat(MAX_MESSAGE_BYTES + 1), false);
    expect(d.ok).toBe(false);
    if (!d.ok) {
      expect(d.failure.code).toBe('ZN_PAYLOAD_TOO_LARGE');
      expect(d.failure.closeCode).toBe(CLOSE_CODES.tooLarge);
      expect(d.failure.message).toContain(String(MAX_MESSAGE_BYTES + 1));
    }
  });

  it("rejects 'not json' with ZN_PROTOCOL_PARSE and keeps the connection", () => {
    const d = decodeAgentFrame('not json', false);
    expect(d.ok ? null : [d.failure.code, d.failure.closeCode]).toEqual(['ZN_PROTOCOL_PARSE', null]);
  });

  it('rejects invalid UTF-8 (ZN_PROTOCOL_PARSE)', () => {
    const d = decodeAgentFrame(new Uint8Array([0x7b, 0xff, 0xfe]), false);
    expect(d.ok ? null : d.failure.code).toBe('ZN_PROTOCOL_PARSE');
  });

  it('rejects v=2 with ZN_PROTOCOL_VERSION and close 4001, naming both versions', () => {
    const d = decodeHostFrame(JSON.stringify({ ...offer, v: 2 }), false);
    expect(d.ok).toBe(false);
    if (!d.ok) {
      expect(d.failure.code).toBe('ZN_PROTOCOL_VERSION');
      expect(d.failure.closeCode).toBe(4001);
      expect(d.failure.message).toMatch(/version 2 .*expected 1/);
    }
  });

  it('rejects a job-offer without model with ZN_PROTOCOL_SCHEMA naming the path', () => {
    const noModel: Record<string, unknown> = { ...offer };
    delete noModel.model;
    const d = decodeHostFrame(JSON.stringify(noModel), false);
    expect(d.ok ? null : d.failure.code).toBe('ZN_PROTOCOL_SCHEMA');
    if (!d.ok) expect(d.failure.message).toMatch(/model/);
  });

  it("rejects a bad sha256 'xyz' (ZN_PROTOCOL_SCHEMA)", () => {
    const d = decodeHostFrame(JSON.stringify({ ...offer, model: { sha256: 'xyz', sizeBytes: 1 } }), false);
    expect(d.ok ? null : d.failure.message).toMatch(/model\.sha256/);
  });

  it("rejects a host message type sent by an agent ('welcome' on the host side)", () => {
    const d = decodeAgentFrame(JSON.stringify({ v: 1, type: 'welcome', agentId: 'a', heartbeatMs: 1000, serverTime: 'x' }), false);
    expect(d.ok ? null : d.failure.message).toMatch(/unknown message type 'welcome'/);
  });

  it('rejects JSON arrays and primitives', () => {
    for (const text of ['[1,2]', '42', 'null']) {
      const d = decodeAgentFrame(text, false);
      expect(d.ok ? null : d.failure.code).toBe('ZN_PROTOCOL_SCHEMA');
    }
  });

  it('rejects binary frames on the host side (agents send text only)', () => {
    const d = decodeAgentFrame(new Uint8Array([1, 2, 3]), true);
    expect(d.ok ? null : d.failure.code).toBe('ZN_PROTOCOL_SEQUENCE');
  });
});

describe('codec: binary model chunks', () => {
  it('round-trips header and payload', () => {
    const payload = new Uint8Array([1, 2, 3, 4, 5]);
    const frame = encodeModelChunk({ jobId: 'j1', sha256: SHA, offsetBytes: 0, isLast: true }, payload);
    const d = decodeHostFrame(frame, true);
    expect(d.ok).toBe(true);
    if (d.ok && d.value.kind === 'model-chunk') {
      expect(d.value.header).toMatchObject({ jobId: 'j1', chunkBytes: 5, isLast: true });
      expect([...d.value.payload]).toEqual([1, 2, 3, 4, 5]);
    }
  });

  it('rejects a header length pointing past the frame (ZN_PROTOCOL_PARSE)', () => {
    const d = decodeModelChunk(new Uint8Array([0, 0, 0, 200, 1, 2]));
    expect(d.ok ? null : d.failure.message).toMatch(/header length 200/);
  });

  it('rejects a payload whose length differs from chunkBytes', () => {
    const frame = encodeModelChunk({ jobId: 'j1', sha256: SHA, offsetBytes: 0, isLast: true }, new Uint8Array(4));
    const d = decodeModelChunk(frame.subarray(0, frame.length - 1));
    expect(d.ok ? null : d.failure.message).toMatch(/chunkBytes=4 .* 3 payload bytes/);
  });
});

describe('codec: encode', () => {
  it('refuses to send an invalid message (ZN_PROTOCOL_SCHEMA)', () => {
    expect(() => encodeMessage({ ...offer, jobId: 'has space' } as never)).toThrow(expect.objectContaining({ code: 'ZN_PROTOCOL_SCHEMA' }));
  });
});

describe('nesting depth', () => {
  it('counts brackets outside strings only, escapes included', async () => {
    const { jsonDepthExceeds } = await import('../../../../shared/protocol/codec.js');
    expect(jsonDepthExceeds('[[[]]]', 3)).toBe(false);
    expect(jsonDepthExceeds('[[[[]]]]', 3)).toBe(true);
    expect(jsonDepthExceeds('{"a":"[[[[[[\\"[[[["}', 1)).toBe(false);
    expect(jsonDepthExceeds('{"a":{"b":[{"c":1}]}}', 3)).toBe(true);
  });
});
