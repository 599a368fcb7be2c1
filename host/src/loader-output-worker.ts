/**
 * Worker-thread side of loader-output.ts: decodes a loader's whole stdout, classifies its lines
 * and parses the verifier logs its `program` events carry. A failing big program's log is
 * 30–50 MB; decoding, JSON-parsing and parsing it holds an event loop for a second or more, and
 * even receiving it whole from a worker costs the main thread hundreds of milliseconds (the
 * string is copied into fresh memory). So the log is parsed here and only its tail travels back
 * (issue #9). Bundled on its own (esbuild.mjs) next to the entry points.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { classifyLine, StreamItem } from '../../core/src/loader/events';
import { parseVerifierLog, VerifierReport } from '../../core/src/verifier/parse';

/** workerData that marks a worker started for this (the module is also bundled into the main entry points). */
export const LOADER_OUTPUT_WORKER = 'bpfdev-loader-output';

/** What a parsed log keeps of its text: enough for the report's last-line fallbacks. */
export const LOG_TAIL_CHARS = 64 * 1024;

export interface LoaderOutput {
  /** Every non-empty line, classified as classifyLine() does. */
  items: StreamItem[];
  /**
   * Verifier logs already parsed, keyed by the index in `items` of their `program` event. Such
   * an event's `log` holds only the last LOG_TAIL_CHARS characters of the log (from a line start).
   */
  parsedLogs: Map<number, VerifierReport>;
}

/** The request: the bytes of the loader's stdout (transferred, not copied). */
export type LoaderOutputRequest = Uint8Array;
export type LoaderOutputAnswer = { output: LoaderOutput } | { error: string };

export function classifyOutput(text: string): StreamItem[] {
  return text.split('\n').filter((line) => line.length > 0).map(classifyLine);
}

/** classifyOutput() plus the parse of each program's verifier log, whose text is then cut to its tail. */
export function readLoaderOutput(text: string): LoaderOutput {
  const items = classifyOutput(text);
  const parsedLogs = new Map<number, VerifierReport>();
  items.forEach((item, index) => {
    if (item.type !== 'event' || item.event.event !== 'program' || typeof item.event.log !== 'string' || !item.event.log) return;
    const log = item.event.log;
    parsedLogs.set(index, parseVerifierLog(log));
    if (log.length > LOG_TAIL_CHARS) {
      const cut = log.indexOf('\n', log.length - LOG_TAIL_CHARS);
      item.event.log = cut < 0 ? log.slice(-LOG_TAIL_CHARS) : log.slice(cut + 1);
    }
  });
  return { items, parsedLogs };
}

if (parentPort && workerData === LOADER_OUTPUT_WORKER) {
  const port = parentPort;
  port.once('message', (bytes: LoaderOutputRequest) => {
    let answer: LoaderOutputAnswer;
    try {
      answer = { output: readLoaderOutput(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')) };
    } catch (error) {
      answer = { error: String(error) };
    }
    port.postMessage(answer);
  });
}
