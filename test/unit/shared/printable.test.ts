import { describe, expect, it } from 'vitest';
import { printable } from '../../../shared/printable.js';

describe('printable', () => {
  it('turns line breaks, escape sequences, C1 controls and bidi overrides into visible escapes', () => {
    expect(printable('a\nb\r\tc')).toBe('a\\nb\\r\\tc');
    expect(printable('\u001b]0;title\u0007\u001b[2J')).toBe('\\x1b]0;title\\x07\\x1b[2J');
    expect(printable('x\u009by\u007f')).toBe('x\\x9by\\x7f');
    expect(printable('\u202eevil\u2028\u2066')).toBe('\\u{202e}evil\\u{2028}\\u{2066}');
  });

  it('leaves ordinary text (and non-Latin letters) alone and is idempotent', () => {
    const plain = 'agent kitchen-pi@0123abcd connected (π, 東京, "quoted", back\\slash)';
    expect(printable(plain)).toBe(plain);
    const once = printable('a\nb\u001b');
    expect(printable(once)).toBe(once);
  });
});
