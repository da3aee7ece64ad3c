/**
 * The secret agents present to the host. Generated on first use and kept in the user's config directory
 * (`$ZERONAS_CONFIG_DIR`, else `$XDG_CONFIG_HOME/zeronas`, else `~/.config/zeronas`), file mode 0600.
 * Compared in constant time over fixed-length digests so neither content nor length leaks through timing.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ZeronasError } from '../../shared/errors.js';

export function configDir(): string {
  if (process.env.ZERONAS_CONFIG_DIR) return process.env.ZERONAS_CONFIG_DIR;
  const base = process.env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'zeronas');
}

export function tokenPath(): string {
  return join(configDir(), 'token');
}

/** Reads the host token, creating it (32 random bytes, base64url) on first use. */
export function loadOrCreateToken(): { token: string; path: string; isNew: boolean } {
  const path = tokenPath();
  try {
    if (existsSync(path)) {
      const token = readFileSync(path, 'utf8').trim();
      if (token.length >= 16) return { token, path, isNew: false };
    }
    mkdirSync(configDir(), { recursive: true, mode: 0o700 });
    const token = randomBytes(32).toString('base64url');
    writeFileSync(path, `${token}\n`, { mode: 0o600 });
    chmodSync(path, 0o600);
    return { token, path, isNew: true };
  } catch (err) {
    throw new ZeronasError('ZN_IO', `cannot read or create the host token at '${path}': ${(err as Error).message}`, { path }, err);
  }
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export function tokensEqual(presented: unknown, expected: string): boolean {
  if (typeof presented !== 'string') return false;
  return timingSafeEqual(digest(presented), digest(expected));
}
