/**
 * The Node agent's client: the shared protocol session (agent/session/agentSession.ts) over the `ws` package
 * (wsTransport.ts), with models cached on disk (modelCache.ts), hashed with node:crypto, and models with external
 * data refused before they are cached (onnxExternalData.ts). Results produced while disconnected are kept and sent
 * after the next `welcome`. An agent without a model cache (a replay agent, agent/replay/) never needs model bytes:
 * it accepts every offer with needsModel=false.
 */
import type { DeviceDescriptor, JobOfferMessage } from '../shared/protocol/messages.js';
import { sha256Of, type ModelCache } from './modelCache.js';
import { externalDataRefusal } from './onnxExternalData.js';
import { AgentSession, type JobStarter as SessionJobStarter, type ModelStore } from './session/agentSession.js';
import { wsTransport } from './wsTransport.js';

export { backoffDelayMs } from './session/backoff.js';

export const AGENT_VERSION = '0.1.0';

export interface AgentClientOptions {
  hostUrl: string;
  token: string;
  descriptor: () => Promise<DeviceDescriptor>;
  /** Models on disk by sha256; null for an agent that answers without the model bytes (replay agents). */
  cache: ModelCache | null;
  maxModelBytes: number;
  /**
   * Checks and resolves an offer; throws a ZeronasError to reject it. Returns a starter for the measurement, which
   * gets the cached model's path (null when the agent has no cache).
   */
  prepareJob: (offer: JobOfferMessage) => JobStarter;
  log: (line: string) => void;
  reconnectBaseMs?: number;
  reconnectMaxMs?: number;
  random?: () => number;
  /** The host certificate's fingerprint (agent/hostPin.ts): only that certificate is accepted, CAs are not asked. */
  pin?: string | null;
  /** Called at the end of stop(), after the job in progress is cancelled (ends the warm measurement process). */
  onStopped?: () => Promise<void>;
}

/** A measurement gets the model's file path in the cache. */
export type JobStarter = SessionJobStarter<string>;

/** The disk cache as the session's model store: a model is its path. */
function diskModelStore(cache: ModelCache): ModelStore<string> {
  return {
    list: async () => (await cache.list()).map((e) => e.sha256),
    find: async (sha256) => ((await cache.has(sha256)) ? cache.pathOf(sha256) : null),
    keep: (sha256, bytes) => cache.write(sha256, bytes),
  };
}

export class AgentClient {
  private readonly session: AgentSession<string>;

  constructor(options: AgentClientOptions) {
    this.session = new AgentSession<string>({
      connect: wsTransport({ hostUrl: options.hostUrl, pin: options.pin ?? null, log: options.log }),
      hostUrl: options.hostUrl,
      token: options.token,
      agentVersion: AGENT_VERSION,
      descriptor: options.descriptor,
      models: options.cache ? diskModelStore(options.cache) : null,
      maxModelBytes: options.maxModelBytes,
      selfName: 'agent',
      prepareJob: options.prepareJob,
      sha256Hex: sha256Of,
      vetModel: externalDataRefusal,
      isAuthRefusalFinal: false,
      log: options.log,
      reconnectBaseMs: options.reconnectBaseMs,
      reconnectMaxMs: options.reconnectMaxMs,
      random: options.random,
      onStopped: options.onStopped,
    });
  }

  start(): void {
    this.session.start();
  }

  /** Clean shutdown: cancels a running measurement, closes the socket with 1001. */
  stop(): Promise<void> {
    return this.session.stop();
  }
}
