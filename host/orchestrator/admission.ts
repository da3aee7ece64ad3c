/**
 * What a stranger can cost the host before it has shown a token. A peer is unauthenticated until its `hello` is
 * accepted; until then it may hold only a few sockets per address (and the host only a few in all), it may send one
 * small frame, and everything it makes the host write to the log is budgeted per address, so no number of bad frames
 * or connections can stall the event loop, fill the disk or crowd out an honest agent (SECURITY.md, "Who can connect").
 */

export const ADMISSION_LIMITS = {
  /** Sockets open at once, authenticated or not. */
  maxConnections: 512,
  /** Sockets that have not sent an accepted `hello`, in all and per remote address. */
  maxUnauthenticated: 64,
  maxUnauthenticatedPerAddress: 8,
  /** An authenticated peer is disconnected at its this-many-th undecodable frame (honest agents send none). */
  maxBadFramesPerConnection: 20,
  /** Log lines one remote address may cause per `logWindowMs`; the rest are counted and summarised. */
  logLinesPerAddress: 20,
  logWindowMs: 10_000,
} as const;

export type AdmissionLimits = { [K in keyof typeof ADMISSION_LIMITS]: number };

/** Counts sockets per address and decides whether a new one may open. */
export class ConnectionAdmission {
  private total = 0;
  private unauthenticated = 0;
  private readonly perAddress = new Map<string, number>();

  constructor(private readonly limits: AdmissionLimits = ADMISSION_LIMITS) {}

  /** Null when the socket may open (and is then counted as unauthenticated), else why not. */
  admit(address: string): string | null {
    if (this.total >= this.limits.maxConnections) return `the host has ${this.total} connections open (limit ${this.limits.maxConnections})`;
    if (this.unauthenticated >= this.limits.maxUnauthenticated) return `${this.unauthenticated} connections are waiting to authenticate (limit ${this.limits.maxUnauthenticated})`;
    const mine = this.perAddress.get(address) ?? 0;
    if (mine >= this.limits.maxUnauthenticatedPerAddress) return `${mine} unauthenticated connections from ${address} (limit ${this.limits.maxUnauthenticatedPerAddress})`;
    this.total++;
    this.unauthenticated++;
    this.perAddress.set(address, mine + 1);
    return null;
  }

  /** The socket's hello was accepted: it no longer counts against the unauthenticated limits. */
  authenticated(address: string): void {
    this.unauthenticated--;
    this.dropAddress(address);
  }

  closed(address: string, wasAuthenticated: boolean): void {
    this.total--;
    if (!wasAuthenticated) {
      this.unauthenticated--;
      this.dropAddress(address);
    }
  }

  private dropAddress(address: string): void {
    const n = (this.perAddress.get(address) ?? 1) - 1;
    if (n > 0) this.perAddress.set(address, n);
    else this.perAddress.delete(address);
  }
}

/**
 * Per-key log budget: the first `lines` lines of a window are written, the rest counted; the count is written as one
 * line when the window ends (`tick`, called by the host's timer, or the key's next line). Keys idle for two windows
 * are forgotten, so rotating addresses cannot grow the map without bound.
 */
export class LogBudget {
  private readonly keys = new Map<string, { windowStart: number; written: number; suppressed: number }>();

  constructor(
    private readonly write: (line: string) => void,
    private readonly lines: number = ADMISSION_LIMITS.logLinesPerAddress,
    private readonly windowMs: number = ADMISSION_LIMITS.logWindowMs,
    private readonly now: () => number = Date.now,
  ) {}

  log(key: string, line: string): void {
    const t = this.now();
    let k = this.keys.get(key);
    if (!k || t - k.windowStart >= this.windowMs) {
      if (k) this.report(key, k);
      k = { windowStart: t, written: 0, suppressed: 0 };
      this.keys.set(key, k);
    }
    if (k.written < this.lines) {
      k.written++;
      this.write(line);
    } else {
      if (k.suppressed === 0) this.write(`(${key} is causing more than ${this.lines} log lines in ${this.windowMs / 1000} s; counting the rest)`);
      k.suppressed++;
    }
  }

  /** Reports the counts of windows that have ended and forgets keys idle for two windows. */
  tick(): void {
    const t = this.now();
    for (const [key, k] of this.keys) {
      if (t - k.windowStart < this.windowMs) continue;
      this.report(key, k);
      if (t - k.windowStart >= 2 * this.windowMs) this.keys.delete(key);
    }
  }

  private report(key: string, k: { suppressed: number }): void {
    if (k.suppressed) this.write(`(${k.suppressed} more line(s) caused by ${key} in ${this.windowMs / 1000} s were not logged)`);
    k.suppressed = 0;
  }
}
