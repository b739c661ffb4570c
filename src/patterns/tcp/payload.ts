/**
 * Bytes for raw sockets (tcp, udp): what a `--send` text means, what a line ending adds, and whether
 * received bytes read as text. No Node imports (the composer can use it too).
 */

/** Line ending appended to sent text. */
export type Eol = 'crlf' | 'lf' | 'none';

const EOL_BYTES: Record<Eol, number[]> = { crlf: [13, 10], lf: [10], none: [] };

/** A problem with a send text, or undefined. */
export function checkSendText(text: string): string | undefined {
  try {
    sendBytes(text, 'none');
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * The bytes of one `--send` text: `hex:48 65 6c` is bytes as hex (no line ending added); otherwise the
 * text as UTF-8 with escapes read (`\r \n \t \0 \\ \xHH`) and `eol` appended.
 */
export function sendBytes(text: string, eol: Eol): Uint8Array {
  const hex = /^hex:(.*)$/is.exec(text);
  if (hex) {
    const digits = hex[1].replace(/[\s:]/g, '');
    if (!/^([0-9a-fA-F]{2})*$/.test(digits)) throw new Error(`Not valid hex after "hex:": ${JSON.stringify(hex[1].slice(0, 40))}`);
    const out = new Uint8Array(digits.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(digits.slice(i * 2, i * 2 + 2), 16);
    return out;
  }
  const bytes: number[] = [];
  const enc = new TextEncoder();
  let plain = '';
  const flush = () => {
    if (plain) bytes.push(...enc.encode(plain));
    plain = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== '\\' || i === text.length - 1) {
      plain += c;
      continue;
    }
    const n = text[++i];
    const simple: Record<string, number> = { r: 13, n: 10, t: 9, '0': 0, '\\': 92 };
    if (n in simple) {
      flush();
      bytes.push(simple[n]);
    } else if (n === 'x' && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) {
      flush();
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      // Not an escape we know: keep it as written.
      plain += '\\' + n;
    }
  }
  flush();
  bytes.push(...EOL_BYTES[eol]);
  return Uint8Array.from(bytes);
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Received bytes as text when they are valid UTF-8 without control characters (other than tab, CR, LF); else undefined. */
export function asText(bytes: Uint8Array): string | undefined {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return undefined;
  }
  // eslint-disable-next-line no-control-regex
  return /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(text) ? undefined : text;
}
