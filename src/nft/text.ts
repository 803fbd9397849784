// Text the kernel holds as bytes (names, comments, interface names in
// rules), as nft prints it: nft writes the bytes as they are, UTF-8 or not.
// A JS string carries them losslessly: UTF-8 decodes as itself, and each
// byte that is not part of a UTF-8 character becomes a lone surrogate
// (U+DC80 + byte - 0x80), which nftTextBytes() turns back into the byte.

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Bytes as nft prints them (as they are): read as UTF-8, each byte that is
 * not part of a UTF-8 character kept as the lone surrogate U+DC80 + (byte -
 * 0x80), which no UTF-8 text decodes to, so that nftTextBytes() gives the
 * bytes back (nft writes a comment of bytes 0x61 0xff as those two bytes).
 */
export function bytesText(b: Uint8Array): string {
  for (let i = 0; i < b.length; i++) if (b[i]! >= 0x80) {
    try { return UTF8.decode(b); } catch { return escapedText(b); }
  }
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}

// The length of the UTF-8 character at b[i] (1-4), or 0 if none starts there (RFC 3629: no overlong forms, surrogates or values past U+10FFFF).
function utf8Length(b: Uint8Array, i: number): number {
  const c = b[i]!;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => i + k < b.length && b[i + k]! >= lo && b[i + k]! <= hi;
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) return cont(1, c === 0xe0 ? 0xa0 : 0x80, c === 0xed ? 0x9f : 0xbf) && cont(2) ? 3 : 0;
  if (c >= 0xf0 && c <= 0xf4) return cont(1, c === 0xf0 ? 0x90 : 0x80, c === 0xf4 ? 0x8f : 0xbf) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

function escapedText(b: Uint8Array): string {
  let out = '';
  for (let i = 0; i < b.length;) {
    const n = utf8Length(b, i);
    if (n === 0) { out += String.fromCharCode(0xdc00 + b[i]!); i++; continue; }
    out += Buffer.from(b.buffer, b.byteOffset + i, n).toString('utf8');
    i += n;
  }
  return out;
}

/**
 * The bytes nft writes for text we print (toString(), printRule()): UTF-8,
 * but for the lone surrogates U+DC80..U+DCFF that bytesText() made of bytes
 * that were not UTF-8, which are those bytes again. `dataplane nft list`
 * writes its output so, byte for byte what `nft list ruleset` writes.
 */
export function nftTextBytes(text: string): Buffer {
  let escaped = false;
  for (let i = 0; i < text.length && !escaped; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xdc80 && c <= 0xdcff && !(i > 0 && isHigh(text.charCodeAt(i - 1)))) escaped = true;
  }
  if (!escaped) return Buffer.from(text, 'utf8');
  const parts: Buffer[] = [];
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xdc80 || c > 0xdcff || (i > 0 && isHigh(text.charCodeAt(i - 1)))) continue;
    parts.push(Buffer.from(text.slice(from, i), 'utf8'), Buffer.of(c - 0xdc00));
    from = i + 1;
  }
  parts.push(Buffer.from(text.slice(from), 'utf8'));
  return Buffer.concat(parts);
}

const isHigh = (c: number): boolean => c >= 0xd800 && c <= 0xdbff;
