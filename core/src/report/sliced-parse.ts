/**
 * Parses a verifier log in slices, handing control back between them. A level-2 log of a
 * 1M-instruction program is tens of MB and takes the parser most of a second; run in one go it
 * would stall the language server (completion, hover, other files) for that long. Logs that fit
 * in one slice, which is nearly all of them, parse in one call with no pause.
 */
import { VerifierLogParser, VerifierReport } from '../verifier/parse';

/** ~6 ms of parsing per slice on a 2020s CPU: short enough that a request waiting behind it goes unnoticed. */
export const DEFAULT_SLICE_CHARS = 256 * 1024;

/**
 * `pause` is called between slices; the caller decides what yielding means (node: a
 * `setImmediate` turn, which lets pending I/O callbacks run).
 */
export async function parseVerifierLogSliced(log: string, pause: () => Promise<void>, sliceChars = DEFAULT_SLICE_CHARS): Promise<VerifierReport> {
  const parser = new VerifierLogParser();
  for (let start = 0; start < log.length; start += sliceChars) {
    if (start > 0) await pause();
    parser.push(log.slice(start, start + sliceChars));
  }
  return parser.end();
}
