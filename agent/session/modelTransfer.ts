/**
 * Reassembles one model from `model-chunk` frames and enforces the transfer rules of protocol v1: chunks belong to
 * the job, arrive in order with contiguous offsets, never exceed the offered size or the agent's cap, and the
 * whole hashes to the offered sha256. Memory is bounded by the offered size, which was checked against the cap
 * before the transfer was accepted. The hash function is passed in: node:crypto in the Node agent, the page's own
 * (agent/browser/sha256.ts) in a browser, where crypto.subtle exists only in secure contexts.
 */
import { ZeronasError } from '../../shared/errors.js';
import type { ModelChunkHeader } from '../../shared/protocol/messages.js';

export type Sha256Hex = (bytes: Uint8Array) => string;

export class ModelTransfer {
  private readonly buffer: Uint8Array;
  private receivedBytes = 0;

  constructor(
    readonly jobId: string,
    readonly sha256: string,
    readonly sizeBytes: number,
    readonly maxModelBytes: number,
    private readonly sha256Hex: Sha256Hex,
  ) {
    if (sizeBytes > maxModelBytes) {
      throw new ZeronasError('ZN_PAYLOAD_TOO_LARGE', `offered model of ${sizeBytes} bytes exceeds this agent's cap of ${maxModelBytes} bytes`, {
        sizeBytes,
        maxModelBytes,
      });
    }
    this.buffer = new Uint8Array(sizeBytes);
  }

  /** Adds a chunk; returns the complete, verified model after the last one, else null. */
  add(header: ModelChunkHeader, payload: Uint8Array): Uint8Array | null {
    if (header.jobId !== this.jobId || header.sha256 !== this.sha256) {
      throw new ZeronasError('ZN_PROTOCOL_SEQUENCE', `model-chunk for job '${header.jobId}' / ${header.sha256.slice(0, 12)} while receiving job '${this.jobId}' / ${this.sha256.slice(0, 12)}`);
    }
    if (header.offsetBytes !== this.receivedBytes) {
      throw new ZeronasError('ZN_PROTOCOL_SEQUENCE', `model-chunk offset ${header.offsetBytes}, expected ${this.receivedBytes} (chunks must be contiguous and in order)`);
    }
    const end = this.receivedBytes + payload.byteLength;
    if (end > this.sizeBytes) {
      throw new ZeronasError('ZN_PAYLOAD_TOO_LARGE', `model transfer reached ${end} bytes, more than the offered ${this.sizeBytes} bytes`, {
        receivedBytes: end,
        sizeBytes: this.sizeBytes,
      });
    }
    this.buffer.set(payload, this.receivedBytes);
    this.receivedBytes = end;
    if (!header.isLast) return null;
    if (end !== this.sizeBytes) {
      throw new ZeronasError('ZN_PROTOCOL_SEQUENCE', `last model-chunk ends at ${end} bytes, the offer said ${this.sizeBytes}`);
    }
    const actual = this.sha256Hex(this.buffer);
    if (actual !== this.sha256) {
      throw new ZeronasError('ZN_MODEL_HASH', `received model hashes to ${actual}, the offer said ${this.sha256}`, { expected: this.sha256, actual });
    }
    return this.buffer;
  }
}
