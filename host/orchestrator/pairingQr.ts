/** A QR code of a pairing URL, drawn with block characters for the terminal (qrcode-terminal, CommonJS, untyped). */
import { createRequire } from 'node:module';

interface QrcodeTerminal {
  generate(text: string, options: { small: boolean }, callback: (qr: string) => void): void;
}

export function renderQr(text: string): string {
  const qrcode = createRequire(import.meta.url)('qrcode-terminal') as QrcodeTerminal;
  let out = '';
  // The callback runs synchronously.
  qrcode.generate(text, { small: true }, (qr) => (out = qr));
  return out;
}
