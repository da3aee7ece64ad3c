/**
 * What the agent session (agentSession.ts) needs from a connection to the host, so one state machine serves the
 * Node agent (the `ws` package: agent/wsTransport.ts) and the browser page (the browser's WebSocket:
 * agent/browser/browserTransport.ts), and the tests a scripted host in memory. Protocol v1 sends only JSON text from
 * the agent; binary frames (model chunks) only come from the host.
 */

/** What the transport reports; the session handles each. */
export interface TransportEvents {
  /** The connection is up: the session sends `hello`. */
  onOpen(): void;
  /** A frame from the host, text or binary, undecoded (the session decodes it with the protocol's codec). */
  onFrame(data: string | Uint8Array, isBinary: boolean): void;
  /** The host answered a ping: it is alive even if it had nothing to say. */
  onPong(): void;
  onError(message: string): void;
  /** The connection is gone, whoever ended it. Called once per connection. */
  onClose(code: number, reason: string): void;
}

/** One connection to the host. */
export interface AgentTransport {
  /** True while frames can be sent (the connection is open and not closing). */
  isOpen(): boolean;
  sendText(text: string): void;
  /** Closing handshake with a WebSocket close code; onClose follows. */
  close(code: number, reason: string): void;
  /** Ends the connection at once, no handshake (a silent or impostor host); onClose follows. */
  terminate(): void;
  /**
   * A ping below the protocol, answered by onPong. Absent where the platform has none (the browser's WebSocket): the
   * session then does not take the host's silence for death, since nothing would make a quiet host speak.
   */
  ping?(): void;
}

/** Opens a new connection to the host; the session calls it again for every reconnect. */
export type ConnectTransport = (events: TransportEvents) => AgentTransport;

/** Timers and clock, injected so tests can run the session's heartbeats, backoff and timeouts without waiting. */
export interface SessionClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export const SYSTEM_CLOCK: SessionClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (handle) => clearInterval(handle as ReturnType<typeof setInterval>),
};
