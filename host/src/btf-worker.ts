/**
 * Parses and indexes a kernel's BTF in a worker thread (issue #12: no stall). On the server's
 * thread the parse and the name index each held the event loop for 0.1–1 s while the user was
 * already typing; here they run beside it, and what comes back (typed arrays, transferred, not
 * copied) becomes a Btf in O(1). The kfunc and fastcall ids travel along, since finding them
 * means a scan of every type. Bundled on its own (esbuild.mjs) beside the entry points.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parentPort, Worker, workerData } from 'node:worker_threads';
import { fastcallFuncIds, kfuncIds } from '../../core/src/btf/c-header';
import { Btf, BtfTransfer, parseBtf } from '../../core/src/btf/reader';
import { btfLookup } from '../../core/src/catalog/kernel-catalog';
import type { KfuncInfo } from '../../core/src/language/kfuncs';

const BTF_WORKER = 'bpfdev-btf';

type Answer = { transfer: BtfTransfer; kfuncs: KfuncInfo[]; errors: string[] } | { errors: string[] };

export interface ParsedOffThread {
  btf: Btf | null;
  errors: string[];
  /** Every kfunc with its prototype, formatted in the worker. */
  kfuncs?: KfuncInfo[];
}

function workerScript(): string {
  return path.join(__dirname, 'btf-worker.js');
}

/** Parses `bytes` in a worker; falls back to this thread when the worker script is missing or fails. */
export function parseBtfOffThread(bytes: Uint8Array): Promise<ParsedOffThread> {
  const script = workerScript();
  if (!fs.existsSync(script)) return Promise.resolve(parseHere(bytes));
  const copy = new Uint8Array(bytes);
  return new Promise((resolve) => {
    const worker = new Worker(script, { workerData: BTF_WORKER });
    let settled = false;
    const settle = (result: ParsedOffThread) => {
      if (settled) return;
      settled = true;
      resolve(result);
      void worker.terminate();
    };
    worker.once('message', (answer: Answer) => settle('transfer' in answer
      ? { btf: Btf.fromTransfer(answer.transfer), errors: answer.errors, kfuncs: answer.kfuncs }
      : { btf: null, errors: answer.errors }));
    worker.once('error', () => settle(parseHere(bytes)));
    worker.once('exit', () => settle(parseHere(bytes)));
    worker.postMessage(copy, [copy.buffer]);
  });
}

function parseHere(bytes: Uint8Array): ParsedOffThread {
  return parseBtf(bytes);
}

if (parentPort && workerData === BTF_WORKER) {
  const port = parentPort;
  port.once('message', (bytes: Uint8Array) => {
    const { btf, errors } = parseBtf(bytes);
    const transfer = btf?.toTransfer();
    if (!btf || !transfer) {
      port.postMessage({ errors: errors.length ? errors : ['BTF could not be indexed off-thread'] } satisfies Answer);
      return;
    }
    const fastcall = fastcallFuncIds(btf);
    const lookup = btfLookup(btf);
    const kfuncs: KfuncInfo[] = [];
    for (const id of kfuncIds(btf)) {
      const name = btf.nameOf(id);
      const prototype = lookup.funcPrototype(name);
      if (prototype) kfuncs.push({ name, prototype, fastcall: fastcall.has(id) });
    }
    const answer: Answer = { transfer, kfuncs, errors };
    // A Set: two views may share one buffer, and listing a buffer twice throws.
    port.postMessage(answer, [...new Set([transfer.words.buffer, transfer.offsets.buffer, transfer.strings.buffer, transfer.nameTable.buffer])] as ArrayBuffer[]);
  });
}
