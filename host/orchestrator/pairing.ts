/**
 * One-time pairing codes for browser agents. A phone cannot read the host token from a file, so the orchestrator
 * prints a short code (and a URL carrying it); the page POSTs the code once and receives its own agent token.
 *
 * Codes: 8 symbols of Crockford base32 (no I, L, O, U; 40 bits), shown as `ABCD-EFGH`. Typing is forgiving: case,
 * dashes and spaces are ignored, and O/I/L read as 0/1/1. A code is single use and expires after `codeTtlMs`.
 * Comparison runs over fixed-length sha256 digests with timingSafeEqual against every live code, so neither a
 * code's content nor its length leaks through timing. Guessing is bounded per client address: after
 * `maxFailuresPerClient` wrong codes within `failureWindowMs` that address is refused until the window passes.
 *
 * Tokens: 32 random bytes (base64url), one per paired page, valid while this host process runs. Only digests
 * are kept, compared in constant time too.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Crockford base32 alphabet: digits and letters without I, L, O, U. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const PAIRING_CODE_SYMBOLS = 8;
export const PAIRING_CODE_TTL_MS = 10 * 60_000;
export const PAIRING_MAX_FAILURES_PER_CLIENT = 10;
export const PAIRING_FAILURE_WINDOW_MS = 60_000;
/**
 * Wrong codes from all clients together per window. Rotating source addresses (a LAN has hundreds, loopback
 * millions) must not multiply the per-client budget; past this, every redeem waits out the window (a stranger can
 * then delay pairing for a minute, but not guess a 40-bit code).
 */
export const PAIRING_MAX_FAILURES_TOTAL = 100;

export interface PairingCode {
  /** Display form, `ABCD-EFGH`. */
  code: string;
  expiresAtMs: number;
}

export type RedeemResult =
  | { ok: true; token: string }
  | { ok: false; reason: 'malformed' | 'unknown-or-used' | 'too-many-attempts'; message: string };

export interface PairingOptions {
  codeTtlMs?: number;
  maxFailuresPerClient?: number;
  maxFailuresTotal?: number;
  failureWindowMs?: number;
  now?: () => number;
  random?: (bytes: number) => Uint8Array;
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Upper-cases, drops separators and maps look-alikes; null when the result is not a well-formed code. */
export function normalisePairingCode(input: unknown): string | null {
  if (typeof input !== 'string' || input.length > 64) return null;
  const s = input.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  if (s.length !== PAIRING_CODE_SYMBOLS) return null;
  for (const ch of s) if (!ALPHABET.includes(ch)) return null;
  return s;
}

export function formatPairingCode(normalised: string): string {
  return `${normalised.slice(0, 4)}-${normalised.slice(4)}`;
}

interface LiveCode {
  digest: Buffer;
  expiresAtMs: number;
}

export class PairingRegistry {
  private codes: LiveCode[] = [];
  private readonly tokenDigests: Buffer[] = [];
  private readonly failures = new Map<string, number[]>();
  private allFailures: number[] = [];
  private readonly maxFailuresTotal: number;
  private readonly ttlMs: number;
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly now: () => number;
  private readonly random: (bytes: number) => Uint8Array;

  constructor(options: PairingOptions = {}) {
    this.ttlMs = options.codeTtlMs ?? PAIRING_CODE_TTL_MS;
    this.maxFailures = options.maxFailuresPerClient ?? PAIRING_MAX_FAILURES_PER_CLIENT;
    this.windowMs = options.failureWindowMs ?? PAIRING_FAILURE_WINDOW_MS;
    this.maxFailuresTotal = options.maxFailuresTotal ?? PAIRING_MAX_FAILURES_TOTAL;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? ((n) => randomBytes(n));
  }

  /** A fresh single-use code. */
  issue(): PairingCode {
    // 8 symbols x 5 bits: one random byte per symbol, low 5 bits (256 is a multiple of 32, so no bias).
    const bytes = this.random(PAIRING_CODE_SYMBOLS);
    let code = '';
    for (let i = 0; i < PAIRING_CODE_SYMBOLS; i++) code += ALPHABET[bytes[i]! & 31];
    const expiresAtMs = this.now() + this.ttlMs;
    this.codes.push({ digest: digest(code), expiresAtMs });
    return { code: formatPairingCode(code), expiresAtMs };
  }

  /** Number of codes that can still be redeemed. */
  liveCodes(): number {
    this.dropExpired();
    return this.codes.length;
  }

  /** Exchanges a code for a new agent token; the code is spent whatever happens next. */
  redeem(presented: unknown, client: string): RedeemResult {
    const now = this.now();
    this.allFailures = this.allFailures.filter((t) => now - t < this.windowMs);
    if (this.failures.size > 1_000) for (const [c, list] of this.failures) if (list.every((t) => now - t >= this.windowMs)) this.failures.delete(c);
    const recent = (this.failures.get(client) ?? []).filter((t) => now - t < this.windowMs);
    if (recent.length >= this.maxFailures) {
      this.failures.set(client, recent);
      return { ok: false, reason: 'too-many-attempts', message: `too many wrong pairing codes from ${client}; wait ${Math.ceil(this.windowMs / 1000)} s` };
    }
    if (this.allFailures.length >= this.maxFailuresTotal) {
      return { ok: false, reason: 'too-many-attempts', message: `too many wrong pairing codes from all clients; wait ${Math.ceil(this.windowMs / 1000)} s` };
    }
    const code = normalisePairingCode(presented);
    this.dropExpired();
    // Compare against every live code (no early exit), so timing does not reveal which one matched.
    const d = digest(code ?? '');
    let match = -1;
    for (let i = 0; i < this.codes.length; i++) if (timingSafeEqual(d, this.codes[i]!.digest) && code !== null) match = i;
    if (match < 0) {
      recent.push(now);
      this.failures.set(client, recent);
      this.allFailures.push(now);
      return code === null
        ? { ok: false, reason: 'malformed', message: `pairing code must be ${PAIRING_CODE_SYMBOLS} characters of 0-9 and A-Z (e.g. ABCD-EFGH)` }
        : { ok: false, reason: 'unknown-or-used', message: 'pairing code is unknown, expired or already used; use the newest code the host printed' };
    }
    this.codes.splice(match, 1);
    const token = Buffer.from(this.random(32)).toString('base64url');
    this.tokenDigests.push(digest(token));
    return { ok: true, token };
  }

  /** True for a token issued by redeem() (constant time over every issued token). */
  acceptsToken(presented: string): boolean {
    const d = digest(presented);
    let isMatch = false;
    for (const t of this.tokenDigests) if (timingSafeEqual(d, t)) isMatch = true;
    return isMatch;
  }

  private dropExpired(): void {
    const now = this.now();
    this.codes = this.codes.filter((c) => c.expiresAtMs > now);
  }
}
