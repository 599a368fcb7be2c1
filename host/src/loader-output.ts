/**
 * Turns a finished loader's stdout into its classified lines without stalling the caller's
 * event loop. Small outputs (nearly all) are parsed in place; big ones, the `program` event of a
 * program that failed after a million instructions with its whole verifier log, are decoded and
 * parsed in a worker thread, verifier log included, so a language server keeps answering
 * meanwhile (issue #9).
 *
 * Measured on the 41 MB event of test/kernel/lsp-verify.test.ts (2 loaded CPUs): in place,
 * decoding plus JSON.parse held the loop 450–900 ms. Handing the parsed event back from a
 * worker still held it 400–700 ms, receiving the 41 MB string; so the worker parses the log as
 * well and sends back its tail. scripts/bench-verify.mjs prints the numbers.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { classifyOutput, LOADER_OUTPUT_WORKER, type LoaderOutput, type LoaderOutputAnswer } from './loader-output-worker';

export type { LoaderOutput };

/** Outputs from this size on go to a worker: below it, parsing costs less than starting one. */
export const OFF_THREAD_BYTES = 1 << 20;

export interface LoaderOutputProgress {
  bytes: number;
  /** Whether the parse runs in a worker; false for small outputs (and no progress is reported). */
  offThread: boolean;
  phase: 'parsing' | 'parsed';
  /** For `parsed`: from handing the bytes over until the classified lines were back. */
  ms?: number;
}

export interface LoaderOutputOptions {
  /** Size from which a worker parses; tests lower it to exercise the worker with small outputs. */
  offThreadBytes?: number;
  /** Called before and after an off-thread parse (logs, and the ordering test of issue #9). */
  onProgress?: (progress: LoaderOutputProgress) => void;
}

/**
 * The worker's script: next to this file, whether that is out/host/src (tsc) or dist (each
 * esbuild bundle sits beside the bundled worker).
 */
function workerScript(): string {
  return path.join(__dirname, 'loader-output-worker.js');
}

/**
 * In place (logs left unparsed) below `offThreadBytes`, else in a worker (logs parsed, cut to
 * their tails). A worker gets the bytes' memory handed over when `stdout` spans its whole
 * ArrayBuffer (as a collected stdout does): the caller's buffer is then empty afterwards.
 */
export async function parseLoaderOutput(stdout: Uint8Array, options: LoaderOutputOptions = {}): Promise<LoaderOutput> {
  if (stdout.byteLength < (options.offThreadBytes ?? OFF_THREAD_BYTES)) {
    return { items: classifyOutput(Buffer.from(stdout.buffer, stdout.byteOffset, stdout.byteLength).toString('utf8')), parsedLogs: new Map() };
  }
  const script = workerScript();
  if (!fs.existsSync(script)) throw new Error(`${script} is missing: the package is incomplete (npm run build)`);
  const bytes = stdout.byteLength;
  options.onProgress?.({ bytes, offThread: true, phase: 'parsing' });
  const started = performance.now();
  const output = await inWorker(script, stdout);
  options.onProgress?.({ bytes, offThread: true, phase: 'parsed', ms: performance.now() - started });
  return output;
}

function inWorker(script: string, stdout: Uint8Array): Promise<LoaderOutput> {
  // Transfer the bytes when they own their whole buffer (a concatenated stdout does); a view
  // into a shared pool must be copied, since transferring would detach the rest of the pool.
  const owned = stdout.byteOffset === 0 && stdout.byteLength === stdout.buffer.byteLength && stdout.buffer instanceof ArrayBuffer;
  const bytes = owned ? stdout : new Uint8Array(stdout);
  return new Promise<LoaderOutput>((resolve, reject) => {
    const worker = new Worker(script, { workerData: LOADER_OUTPUT_WORKER });
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      outcome();
      void worker.terminate();
    };
    worker.once('message', (answer: LoaderOutputAnswer) => settle(() => ('output' in answer ? resolve(answer.output) : reject(new Error(`parsing the loader's output: ${answer.error}`)))));
    worker.once('error', (error) => settle(() => reject(error)));
    worker.once('exit', (code) => settle(() => reject(new Error(`the loader-output worker exited with ${code} before answering`))));
    worker.postMessage(bytes, [bytes.buffer as ArrayBuffer]);
  });
}
