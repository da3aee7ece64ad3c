/**
 * Peer-supplied text (agent names, error messages, frame excerpts) reaches terminals and log files. A newline in it
 * forges a log line; an escape sequence can retitle the window, write the clipboard (OSC 52) or clear the screen.
 * `printable` makes such text inert: every control character (C0, DEL, C1), the Unicode line/paragraph separators
 * and the bidirectional overrides become visible escapes (`\n`, `\x1b`, `\u{202e}`). Backslashes are left alone, so
 * the function is idempotent (the host server and the CLI's log sink both apply it); text that spells `\n` itself
 * stays on its line, which is all a log reader relies on.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

export function printable(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const named = NAMED[c];
    if (named) return named;
    const code = c.codePointAt(0)!;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}
