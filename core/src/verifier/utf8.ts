/**
 * A tolerant, streaming UTF-8 decoder. core/ runs without TextDecoder (its tsconfig has no DOM or
 * Node types), and verifier logs are not guaranteed to be valid UTF-8: the kernel copies source
 * lines from BTF byte for byte, and a log cut at the buffer's end can split a character.
 * Invalid input becomes U+FFFD, one per maximal invalid subsequence, as the WHATWG decoder does,
 * so the output matches what TextDecoder would have produced.
 */

const REPLACEMENT = 0xfffd;
/** Code units are flushed to a string in slices of this size, to keep fromCharCode's argument count bounded. */
const FLUSH_AT = 8192;

export class Utf8StreamDecoder {
  /** Bytes of a multi-byte sequence that the previous chunk ended in the middle of. */
  private pending: number[] = [];

  /** Decodes `bytes`; with `stream` true, an incomplete trailing sequence is kept for the next call. */
  decode(bytes: Uint8Array, stream = true): string {
    let input = bytes;
    if (this.pending.length > 0) {
      const joined = new Uint8Array(this.pending.length + bytes.length);
      joined.set(this.pending, 0);
      joined.set(bytes, this.pending.length);
      input = joined;
      this.pending = [];
    }
    const parts: string[] = [];
    const units: number[] = [];
    const flush = () => {
      if (units.length === 0) return;
      parts.push(String.fromCharCode.apply(null, units));
      units.length = 0;
    };
    const length = input.length;
    let i = 0;
    while (i < length) {
      const first = input[i];
      if (first < 0x80) {
        // ASCII runs are the bulk of every log: copy them without the per-byte bookkeeping below.
        let end = i + 1;
        while (end < length && input[end] < 0x80 && end - i < FLUSH_AT) end++;
        for (let k = i; k < end; k++) units.push(input[k]);
        i = end;
        if (units.length >= FLUSH_AT) flush();
        continue;
      }
      let needed: number;
      let codePoint: number;
      let lower = 0x80;
      let upper = 0xbf;
      if (first >= 0xc2 && first <= 0xdf) { needed = 1; codePoint = first & 0x1f; }
      else if (first >= 0xe0 && first <= 0xef) {
        needed = 2; codePoint = first & 0x0f;
        if (first === 0xe0) lower = 0xa0; // overlong
        if (first === 0xed) upper = 0x9f; // UTF-16 surrogates
      } else if (first >= 0xf0 && first <= 0xf4) {
        needed = 3; codePoint = first & 0x07;
        if (first === 0xf0) lower = 0x90; // overlong
        if (first === 0xf4) upper = 0x8f; // above U+10FFFF
      } else {
        units.push(REPLACEMENT);
        i++;
        continue;
      }
      let j = i + 1;
      let valid = true;
      for (let seen = 0; seen < needed; seen++, j++) {
        if (j >= length) {
          if (stream) {
            // The chunk ended inside a sequence that may still be valid: finish it next time.
            for (let k = i; k < length; k++) this.pending.push(input[k]);
            i = length;
          } else {
            units.push(REPLACEMENT);
            i = length;
          }
          valid = false;
          break;
        }
        const next = input[j];
        if (next < lower || next > upper) {
          // Replace the bytes consumed so far and resume at the offending byte.
          units.push(REPLACEMENT);
          i = j;
          valid = false;
          break;
        }
        lower = 0x80;
        upper = 0xbf;
        codePoint = (codePoint << 6) | (next & 0x3f);
      }
      if (!valid) continue;
      if (codePoint >= 0x10000) {
        const offset = codePoint - 0x10000;
        units.push(0xd800 | (offset >> 10), 0xdc00 | (offset & 0x3ff));
      } else {
        units.push(codePoint);
      }
      i = j;
      if (units.length >= FLUSH_AT) flush();
    }
    if (!stream && this.pending.length > 0) {
      this.pending = [];
      units.push(REPLACEMENT);
    }
    flush();
    return parts.length === 1 ? parts[0] : parts.join('');
  }

  /** Ends the stream: an incomplete sequence left over becomes one U+FFFD. */
  end(): string {
    return this.pending.length > 0 ? this.decode(new Uint8Array(0), false) : '';
  }
}

/** Decodes a whole buffer, replacing invalid sequences with U+FFFD. */
export function decodeUtf8(bytes: Uint8Array): string {
  return new Utf8StreamDecoder().decode(bytes, false);
}
