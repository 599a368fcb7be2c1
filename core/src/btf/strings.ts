/**
 * Decoding of NUL-terminated strings from a BTF string section. core/ has no TextDecoder,
 * and BTF names are almost always ASCII, so the ASCII path is the fast one and UTF-8 is
 * handled only when a byte >= 0x80 shows up.
 */

const CHUNK = 4096;

/**
 * The string starting at `start`, up to the first NUL or `end`. Malformed UTF-8 sequences
 * become U+FFFD instead of throwing, because names come from untrusted files.
 */
export function decodeCString(bytes: Uint8Array, start: number, end: number): string {
  let stop = start;
  let ascii = true;
  while (stop < end && bytes[stop] !== 0) {
    if (bytes[stop] >= 0x80) ascii = false;
    stop++;
  }
  if (stop === start) return '';
  if (ascii) return asciiSlice(bytes, start, stop);
  return utf8Slice(bytes, start, stop);
}

/** All of `bytes` as a string if every byte is ASCII (NULs included), else null. */
export function asciiText(bytes: Uint8Array): string | null {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] >= 0x80) return null;
  return asciiSlice(bytes, 0, bytes.length);
}

function asciiSlice(bytes: Uint8Array, start: number, stop: number): string {
  if (stop - start <= CHUNK) {
    return String.fromCharCode.apply(null, bytes.subarray(start, stop) as unknown as number[]);
  }
  let text = '';
  for (let at = start; at < stop; at += CHUNK) {
    text += String.fromCharCode.apply(null, bytes.subarray(at, Math.min(stop, at + CHUNK)) as unknown as number[]);
  }
  return text;
}

function utf8Slice(bytes: Uint8Array, start: number, stop: number): string {
  const units: number[] = [];
  let at = start;
  while (at < stop) {
    const lead = bytes[at];
    let need = 0;
    let code = 0;
    let min = 0;
    if (lead < 0x80) { units.push(lead); at++; continue; }
    if (lead >= 0xc2 && lead <= 0xdf) { need = 1; code = lead & 0x1f; min = 0x80; }
    else if (lead >= 0xe0 && lead <= 0xef) { need = 2; code = lead & 0x0f; min = 0x800; }
    else if (lead >= 0xf0 && lead <= 0xf4) { need = 3; code = lead & 0x07; min = 0x10000; }
    else { units.push(0xfffd); at++; continue; }
    let next = at + 1;
    let ok = next + need <= stop;
    for (let i = 0; ok && i < need; i++, next++) {
      const byte = bytes[next];
      if ((byte & 0xc0) !== 0x80) ok = false;
      else code = (code << 6) | (byte & 0x3f);
    }
    if (!ok || code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
      units.push(0xfffd);
      at++;
      continue;
    }
    if (code >= 0x10000) {
      code -= 0x10000;
      units.push(0xd800 + (code >> 10), 0xdc00 + (code & 0x3ff));
    } else {
      units.push(code);
    }
    at = next;
  }
  let text = '';
  for (let i = 0; i < units.length; i += CHUNK) {
    text += String.fromCharCode.apply(null, units.slice(i, i + CHUNK));
  }
  return text;
}
