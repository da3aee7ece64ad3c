/**
 * The page's connection to the host (agent/session/transport.ts over the browser's WebSocket). It has no ping (the
 * session's heartbeat messages are the liveness signal) and gives binary frames as ArrayBuffers.
 */
import type { AgentTransport, ConnectTransport } from '../session/transport.js';

/**
 * The WebSocket API accepts only 1000 and 3000-4999 from a script and throws on others (1001 going away, 1009 too
 * large): those are sent as 1000, the reason still says why.
 */
function scriptCloseCode(code: number): number {
  return code === 1000 || (code >= 3000 && code <= 4999) ? code : 1000;
}

export function browserWebSocketTransport(wsUrl: string): ConnectTransport {
  return (events): AgentTransport => {
    const ws = new WebSocket(wsUrl);
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => events.onOpen();
    ws.onmessage = (event: MessageEvent<string | ArrayBuffer>) => {
      const data = event.data;
      if (typeof data === 'string') events.onFrame(data, false);
      else events.onFrame(new Uint8Array(data), true);
    };
    ws.onerror = () => events.onError(''); // the browser says nothing more, by design
    ws.onclose = (event) => events.onClose(event.code, event.reason);
    return {
      isOpen: () => ws.readyState === WebSocket.OPEN,
      sendText: (text) => ws.send(text),
      close: (code, reason) => ws.close(scriptCloseCode(code), reason),
      // No abrupt close in the API; a closing handshake is the nearest.
      terminate: () => ws.close(),
    };
  };
}
