/**
 * The real HostServer, Scheduler and Store started inside the test process on 127.0.0.1, port 0, with a store file
 * in a fresh temp folder: what the reliability tests and the load script put under faults, while still reading the
 * store directly to check that nothing was lost, duplicated or stored from bad input.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostServer, type ServerOptions } from '../../host/orchestrator/server.js';
import { Scheduler, type SchedulerOptions } from '../../host/orchestrator/scheduler.js';
import { Store } from '../../host/orchestrator/store.js';
import type { InputSpec, MeasurementSettingsInput } from '../../shared/protocol/messages.js';

export const HOST_TOKEN = 'reliability-test-token-0123456789abcdef';
export const NB201_INPUTS: InputSpec[] = [{ name: 'input', dims: [1, 3, 32, 32], dtype: 'float32' }];

export interface InProcessHost {
  server: HostServer;
  store: Store;
  scheduler: Scheduler;
  dir: string;
  logs: string[];
  /** ws://127.0.0.1:<port>/agent (wss:// with TLS). */
  agentUrl: string;
  /** Enqueues one job per model for `target`; returns the job ids. */
  enqueue(target: string, models: Uint8Array[], settings?: MeasurementSettingsInput, runId?: string): number[];
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Moves the scheduler's clock forward (leases expire and backoffs pass without waiting for them). */
  advanceSchedulerClock(ms: number): void;
  /** jobs and measurements as plain rows (to compare before and after). */
  snapshot(): { jobs: unknown[]; measurements: unknown[]; models: number; agents: string[] };
  close(): Promise<void>;
}

export async function startInProcessHost(
  options: { scheduler?: Partial<SchedulerOptions>; server?: Partial<ServerOptions>; quiet?: boolean } = {},
): Promise<InProcessHost> {
  const dir = mkdtempSync(join(tmpdir(), 'zeronas-reliability-'));
  const store = new Store(join(dir, 'store.sqlite'));
  let skewMs = 0;
  const scheduler = new Scheduler(store, { leaseMs: 120_000, backoffBaseMs: 200, backoffMaxMs: 1_000, now: () => Date.now() + skewMs, ...options.scheduler });
  const logs: string[] = [];
  const waiters: { pattern: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  const log = (line: string): void => {
    if (!options.quiet) logs.push(line);
    for (const w of [...waiters]) {
      const m = line.match(w.pattern);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  };
  const server = new HostServer({ host: '127.0.0.1', port: 0, token: HOST_TOKEN, store, scheduler, log, ...options.server });
  await server.start();
  const agentUrl = `${server.url}/agent`;
  return {
    server,
    store,
    scheduler,
    dir,
    logs,
    agentUrl,
    enqueue(target, models, settings = {}, runId = 'run-1') {
      return models.map((bytes, i) => {
        const sha = store.putModel(bytes, `model-${i}`);
        return scheduler.enqueue({
          runId,
          target,
          kind: 'measure',
          arch: `arch-${sha.slice(0, 16)}`,
          modelSha256: sha,
          settings: { inputs: NB201_INPUTS, settings },
          dedupeKey: `${runId}|${target}|${sha}`,
        });
      });
    },
    advanceSchedulerClock(ms) {
      skewMs += ms;
    },
    waitForLog(pattern, timeoutMs = 60_000) {
      const found = logs.map((l) => l.match(pattern)).find((m) => m);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; log tail:\n${logs.slice(-30).join('\n')}`)), timeoutMs);
        waiters.push({ pattern, resolve: (m) => (clearTimeout(timer), resolve(m)) });
      });
    },
    snapshot() {
      return {
        jobs: store.db.prepare('SELECT * FROM jobs ORDER BY id').all(),
        measurements: store.db.prepare('SELECT * FROM measurements ORDER BY id').all(),
        models: (store.db.prepare('SELECT COUNT(*) AS n FROM models').get() as { n: number }).n,
        agents: (store.db.prepare('SELECT id FROM agents ORDER BY id').all() as { id: string }[]).map((r) => r.id),
      };
    },
    async close() {
      await server.close();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Starts an in-process host and registers its close with a test file's list of cleanups (run after each test). */
export async function startInProcessHostFor(
  cleanups: (() => Promise<void> | void)[],
  options: Parameters<typeof startInProcessHost>[0] = {},
): Promise<InProcessHost> {
  const h = await startInProcessHost(options);
  cleanups.push(() => h.close());
  return h;
}

/** Polls until `check` returns a value other than undefined (bounded by timeoutMs). */
export async function until<T>(check: () => T | undefined, what: string, timeoutMs = 60_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
