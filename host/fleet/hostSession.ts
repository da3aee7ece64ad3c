/**
 * One host session: the run store, the durable scheduler, the WebSocket/HTTP server and, for target `local`, the
 * embedded loopback agent, opened together and closed together. Workflows (orchestrate, lut) and bench scripts use
 * this instead of wiring the four pieces each time; what a session adds per workflow (dashboard, pairing desk) is
 * attached to `server`.
 */
import { ZeronasError } from '../../shared/errors.js';
import { agentServesTarget, waitForAgents, type WaitForAgentsOptions } from '../orchestrator/fleet.js';
import { openFleetView } from '../orchestrator/fleetView.js';
import { startLocalAgent, type LocalAgent } from '../orchestrator/localAgent.js';
import { Scheduler } from '../orchestrator/scheduler.js';
import { HostServer, type ConnectedAgent, type ServerOptions } from '../orchestrator/server.js';
import { Store } from '../orchestrator/store.js';

/** Lease of a job handed to an agent; an agent that goes silent longer than this has its job requeued. */
export const JOB_LEASE_MS = 180_000;

export interface HostSessionOptions {
  storePath: string;
  host: string;
  port: number;
  token: string;
  log: (line: string) => void;
  /** Lines of the local agent's own output (default: dropped). */
  debug?: (line: string) => void;
  server?: Pick<ServerOptions, 'tls' | 'acceptToken' | 'browserPairingUrl'>;
}

export class HostSession {
  readonly store: Store;
  readonly scheduler: Scheduler;
  readonly server: HostServer;
  private localAgent: LocalAgent | undefined;

  private constructor(private readonly o: HostSessionOptions) {
    this.store = new Store(o.storePath);
    this.scheduler = new Scheduler(this.store, { leaseMs: JOB_LEASE_MS, backoffBaseMs: 1_000, backoffMaxMs: 30_000 });
    this.server = new HostServer({ host: o.host, port: o.port, token: o.token, store: this.store, scheduler: this.scheduler, log: o.log, ...o.server });
  }

  /** Opens the store (voiding leases a dead host held: their jobs go back to the queue) and starts listening. */
  static async open(o: HostSessionOptions): Promise<HostSession> {
    const s = new HostSession(o);
    const voided = s.scheduler.resetAllLeases();
    if (voided) o.log(`resume: ${voided} in-flight job(s) from the previous host returned to the queue`);
    try {
      await s.server.start();
    } catch (err) {
      s.store.close();
      throw err;
    }
    // Every host answers `zeronas fleet --host` (GET /fleet, host token only).
    openFleetView(s.server, { token: o.token, store: s.store, log: o.log });
    o.log(`host listening on ${s.server.listeningOn}`);
    return s;
  }

  /** Starts the loopback agent when `targets` includes `local`, then waits until every target has an agent. */
  async attach(targets: string[], waitMs: number, options: WaitForAgentsOptions = {}): Promise<void> {
    if (targets.includes('local') && !this.localAgent) this.localAgent = startLocalAgent(`${this.server.url}/agent`, this.o.token, this.o.debug ?? (() => undefined), this.server.tlsFingerprint ? ['--pin', this.server.tlsFingerprint] : []);
    await waitForAgents(this.server, targets, waitMs, this.o.log, this.o.token, options);
    this.server.setTargets(targets);
  }

  agentsOf(target: string): ConnectedAgent[] {
    return [...this.server.agents.values()].filter((a) => agentServesTarget(a.device, target));
  }

  async close(): Promise<void> {
    const errors: unknown[] = [];
    for (const step of [() => this.localAgent?.stop(), () => this.server.close(), () => this.store.close()]) {
      try {
        await step();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length) throw new ZeronasError('ZN_INTERNAL', `closing the host session failed: ${(errors[0] as Error).message}`, {}, errors[0]);
  }
}
