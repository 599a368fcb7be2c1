/**
 * Reads a uprobe target's ELF (symbols, USDT notes, build id) in a worker thread: libc's
 * symbol tables take 30–100 ms to walk, which the language server's thread must not spend while
 * the user types. Bundled on its own (esbuild.mjs) beside the entry points.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parentPort, Worker, workerData } from 'node:worker_threads';
import { gnuBuildId } from '../../core/src/elf/build-id';
import { ElfFunctionSymbol, parseElf, UsdtProbe } from '../../core/src/elf/reader';

const ELF_WORKER = 'bpfdev-elf';

export interface ElfSummary {
  functions: ElfFunctionSymbol[];
  usdt: UsdtProbe[];
  buildId?: string;
  /** Set when the file is no ELF a uprobe can use. */
  error?: string;
}

export function summarizeElf(bytes: Uint8Array): ElfSummary {
  const { elf, errors } = parseElf(bytes);
  if (!elf) return { functions: [], usdt: [], error: errors[0]?.message ?? 'unreadable' };
  const buildId = gnuBuildId(bytes, elf);
  return { functions: elf.functions, usdt: elf.usdtProbes, ...(buildId ? { buildId } : {}) };
}

/** summarizeElf() in a worker; in place when the worker script is missing (tests from out/ have it too) or fails. */
export function summarizeElfOffThread(bytes: Uint8Array): Promise<ElfSummary> {
  const script = path.join(__dirname, 'elf-worker.js');
  if (!fs.existsSync(script)) return Promise.resolve(summarizeElf(bytes));
  const copy = new Uint8Array(bytes);
  return new Promise((resolve) => {
    const worker = new Worker(script, { workerData: ELF_WORKER });
    let settled = false;
    const settle = (summary: () => ElfSummary) => {
      if (settled) return;
      settled = true;
      resolve(summary());
      void worker.terminate();
    };
    worker.once('message', (summary: ElfSummary) => settle(() => summary));
    worker.once('error', () => settle(() => summarizeElf(bytes)));
    worker.once('exit', () => settle(() => summarizeElf(bytes)));
    worker.postMessage(copy, [copy.buffer]);
  });
}

if (parentPort && workerData === ELF_WORKER) {
  const port = parentPort;
  port.once('message', (bytes: Uint8Array) => port.postMessage(summarizeElf(bytes)));
}
