/**
 * Encrypted transport without a CA (SECURITY.md "Transport"): on first use the host creates a self-signed
 * certificate in its config directory (`tls/cert.pem`, `tls/key.pem`, 0600 in a 0700 folder) and serves wss:// and
 * https:// with it; the attach command it prints carries the certificate's SHA-256 fingerprint, and agents pin it
 * (`zeronas-agent --pin sha256:<hex>`), so nothing needs configuring and a machine in the middle cannot pose as the
 * host. Plain ws:// stays the default on loopback (nothing to listen in on) and is available elsewhere by explicit
 * flag (`--plain-ws`).
 */
import { X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { ZeronasError } from '../../shared/errors.js';
import { configDir } from './token.js';

export interface TlsFiles {
  certPath: string;
  keyPath: string;
}

/** `sha256:<64 lower-case hex>` of the certificate's DER bytes: the form `--pin` takes. */
export function certificateFingerprint(certPem: string): string {
  return `sha256:${new X509Certificate(certPem).fingerprint256.replace(/:/g, '').toLowerCase()}`;
}

/** The host's own certificate, created on first use (EC P-256, ten years: it is pinned, not trusted by name). */
export async function loadOrCreateHostCertificate(dir = join(configDir(), 'tls')): Promise<TlsFiles & { fingerprint: string; isNew: boolean }> {
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  let isNew = false;
  if (!existsSync(certPath) || !existsSync(keyPath)) {
    const now = new Date();
    const pems = await generate([{ name: 'commonName', value: `zeronas host ${hostname()}` }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      notBeforeDate: now,
      notAfterDate: new Date(now.getTime() + 10 * 365 * 24 * 3600 * 1000),
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
        { name: 'extKeyUsage', serverAuth: true },
        { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 2, value: hostname() }, { type: 7, ip: '127.0.0.1' }] },
      ],
    });
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      writeFileSync(keyPath, pems.private, { mode: 0o600 });
      chmodSync(keyPath, 0o600);
      writeFileSync(certPath, pems.cert, { mode: 0o644 });
    } catch (err) {
      throw new ZeronasError('ZN_IO', `cannot write the host's TLS certificate in '${dir}': ${(err as Error).message}; pass --tls-cert/--tls-key, or --plain-ws on a network you trust`, { dir }, err);
    }
    isNew = true;
  }
  return { certPath, keyPath, fingerprint: certificateFingerprint(readFileSync(certPath, 'utf8')), isNew };
}

/** True for addresses only this machine can reach (where plain ws:// is the default). */
export function isLoopbackAddress(address: string): boolean {
  return address === 'localhost' || address === '::1' || /^127\./.test(address);
}

/**
 * The transport a host serves: the user's certificate; else the host's own (created on first use) unless it listens
 * on loopback only or `plainWs` says plain on purpose; `forceTls` uses the host's own certificate on loopback too.
 */
export async function chooseTls(o: { listen: string; tlsCert?: string; tlsKey?: string; plainWs?: boolean; forceTls?: boolean }): Promise<TlsFiles | undefined> {
  if ((o.tlsCert === undefined) !== (o.tlsKey === undefined)) throw new ZeronasError('ZN_BAD_ARGUMENT', '--tls-cert and --tls-key go together');
  if (o.tlsCert && o.plainWs) throw new ZeronasError('ZN_BAD_ARGUMENT', '--plain-ws and --tls-cert contradict each other; pick one');
  if (o.tlsCert) return { certPath: o.tlsCert, keyPath: o.tlsKey! };
  if (o.plainWs || (isLoopbackAddress(o.listen) && !o.forceTls)) return undefined;
  const own = await loadOrCreateHostCertificate();
  return { certPath: own.certPath, keyPath: own.keyPath };
}
