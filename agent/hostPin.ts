/**
 * Certificate pinning for `--pin`: the host creates its own self-signed certificate and prints its SHA-256
 * fingerprint in the attach command; the agent accepts that certificate and no other, without any CA. The check runs
 * on the upgrade response, before the WebSocket opens and so before `hello` carries the token.
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

/** `sha256:<64 lower-case hex>` from the forms people paste (upper case, colons); undefined when it is not one. */
export function normalisePin(text: string): string | undefined {
  const hex = text.trim().replace(/^sha256:/i, '').replace(/:/g, '').toLowerCase();
  return /^[0-9a-f]{64}$/.test(hex) ? `sha256:${hex}` : undefined;
}

/** The pinned form of the certificate the server presented on this response's socket, or null without TLS. */
export function presentedPin(res: IncomingMessage): string | null {
  const socket = res.socket as TLSSocket;
  if (typeof socket.getPeerCertificate !== 'function') return null;
  const cert = socket.getPeerCertificate();
  return cert?.fingerprint256 ? (normalisePin(cert.fingerprint256) ?? null) : null;
}
