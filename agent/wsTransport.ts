/**
 * The Node agent's connection to the host (agent/session/transport.ts over the `ws` package): frame size capped at
 * MAX_MESSAGE_BYTES, a handshake timeout, ws pings for liveness, and the host certificate pin (agent/hostPin.ts)
 * checked on the upgrade, before `open` and so before `hello` carries the token.
 */
import WebSocket from 'ws';
import { MAX_MESSAGE_BYTES } from '../shared/protocol/limits.js';
import { presentedPin } from './hostPin.js';
import type { AgentTransport, ConnectTransport } from './session/transport.js';

export interface WsTransportOptions {
  hostUrl: string;
  /** The host certificate's fingerprint: only that certificate is accepted, CAs are not asked. */
  pin: string | null;
  log: (line: string) => void;
}

export function wsTransport({ hostUrl, pin, log }: WsTransportOptions): ConnectTransport {
  return (events): AgentTransport => {
    const ws = new WebSocket(hostUrl, { maxPayload: MAX_MESSAGE_BYTES, handshakeTimeout: 10_000, ...(pin ? { rejectUnauthorized: false } : {}) });
    if (pin) {
      ws.on('upgrade', (res) => {
        const presented = presentedPin(res);
        if (presented !== pin) {
          log(`refusing the host at ${hostUrl}: its certificate is ${presented ?? 'missing'}, not the pinned ${pin} (another machine in the way, or the host's certificate was replaced: then use the --pin it prints)`);
          ws.terminate();
        }
      });
    }
    ws.on('open', () => events.onOpen());
    // Text frames stay bytes: the codec decodes UTF-8 strictly and refuses invalid sequences with a typed error.
    ws.on('message', (data, isBinary) => {
      const bytes = data as Buffer;
      events.onFrame(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), isBinary);
    });
    ws.on('pong', () => events.onPong());
    ws.on('error', (err) => events.onError(err.message));
    ws.on('close', (code, reason) => events.onClose(code, reason.toString()));
    return {
      isOpen: () => ws.readyState === WebSocket.OPEN,
      sendText: (text) => ws.send(text),
      close: (code, reason) => ws.close(code, reason),
      terminate: () => ws.terminate(),
      ping: () => ws.ping(),
    };
  };
}
