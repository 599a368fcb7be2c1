/**
 * `bpfdev verify INPUT…` for CI (issue #9): sources, directories and prebuilt objects, compiled
 * one clang per CPU and verified a few at a time, in one process that reuses one vmlinux.h and
 * one precompiled header for every file that shares a preamble.
 */
import type { KnobSetting } from '../../core/src/knobs/knobs';
import type { FlagsSource } from './project-flags';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import pLimit from 'p-limit';
import type { VerifyReport } from '../../core/src/report/verify-report';
import type { CompileOptions } from './compile';
import { precompilablePreamble } from './pch';
import type { Target } from './target';
import { ObjectVerifyReport, verifyFile, verifyObject, VerifyTimings } from './verify';

export interface VerifyInput {
  path: string;
  /** `object`: an ELF file from the user's build, verified as it is; `source`: compiled first. */
  kind: 'source' | 'object';
}

export type VerifyResult = (VerifyReport & { flagsSource: FlagsSource; timings: VerifyTimings }) | ObjectVerifyReport;

/** Directories never searched: VCS metadata, dependencies, and anything hidden. */
const SKIPPED_DIRS = new Set(['node_modules']);
/** A BPF program definition at the start of a line (`SEC("xdp")`, `SEC("tp/x/y") int f(...)`). */
const SEC_ANNOTATION = /^[ \t]*SEC[ \t]*\([ \t]*"/m;
const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

/**
 * Expands the command line's inputs, in the order given. A file is taken as it is: an ELF
 * object is verified, anything else compiled. A directory is searched recursively (hidden
 * directories and node_modules skipped, entries sorted) for `*.bpf.c` files and for other
 * `*.c` files with a `SEC("…")` line: the conventions of libbpf-bootstrap (`x.bpf.c`) and of
 * projects such as xdp-tutorial (`x_kern.c`) or cilium/ebpf's examples (`x.c` beside Go code),
 * while user-space C in the same tree is left out. Objects are only verified when named:
 * a build tree's `.o` files may be stale or not BPF at all.
 */
export async function collectInputs(args: string[]): Promise<{ inputs: VerifyInput[]; errors: string[] }> {
  const inputs: VerifyInput[] = [];
  const errors: string[] = [];
  const seen = new Set<string>();
  const add = (input: VerifyInput) => {
    if (seen.has(input.path)) return;
    seen.add(input.path);
    inputs.push(input);
  };
  for (const arg of args) {
    const absolute = path.resolve(arg);
    const stat = await fs.stat(absolute).catch(() => undefined);
    if (!stat) {
      errors.push(`no such file or directory: ${arg}`);
    } else if (stat.isDirectory()) {
      const found = await sourcesUnder(absolute);
      if (found.length === 0) errors.push(`no eBPF sources (*.bpf.c, or *.c with a SEC("…") line) under ${arg}`);
      for (const file of found) add({ path: file, kind: 'source' });
    } else {
      add({ path: absolute, kind: await isElf(absolute) ? 'object' : 'source' });
    }
  }
  return { inputs, errors };
}

async function sourcesUnder(dir: string): Promise<string[]> {
  const entries = (await fs.readdir(dir, { withFileTypes: true }).catch(() => [])).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const found: string[] = [];
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!entry.name.startsWith('.') && !SKIPPED_DIRS.has(entry.name)) found.push(...await sourcesUnder(full));
    } else if (entry.isFile() && entry.name.endsWith('.c')) {
      if (entry.name.endsWith('.bpf.c') || SEC_ANNOTATION.test(await fs.readFile(full, 'utf8').catch(() => ''))) found.push(full);
    }
  }
  return found;
}

async function isElf(file: string): Promise<boolean> {
  const handle = await fs.open(file, 'r').catch(() => undefined);
  if (!handle) return false;
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    return bytesRead === 4 && head.equals(ELF_MAGIC);
  } finally {
    await handle.close();
  }
}

export interface VerifyManyOptions {
  compile: CompileOptions & { knobs?: KnobSetting[] };
  /** Compiles at once; default one per CPU. */
  compileJobs?: number;
  /** Loads at once. The verifier is CPU-bound in the kernel, so more than the CPUs only queues there. */
  verifyJobs?: number;
  /** Called as each input finishes (in any order), for output that streams. */
  onResult?: (index: number, result: VerifyResult) => void;
}

/**
 * Verifies every input; results come back in input order. A source whose preamble another
 * input shares waits for the precompiled header of that preamble (built once, ~1 s) rather
 * than each paying a full parse of vmlinux.h (~0.6 s) in parallel.
 */
export async function verifyMany(inputs: VerifyInput[], target: Target, options: VerifyManyOptions): Promise<VerifyResult[]> {
  const cpus = os.availableParallelism();
  const stages = { compile: pLimit(options.compileJobs ?? cpus), verify: pLimit(options.verifyJobs ?? cpus) };
  const texts = await Promise.all(inputs.map((input) => (input.kind === 'source' ? fs.readFile(input.path, 'utf8').catch(() => '') : undefined)));
  const preambleUses = new Map<string, number>();
  for (const text of texts) {
    const preamble = text === undefined ? undefined : precompilablePreamble(text)?.text;
    if (preamble) preambleUses.set(preamble, (preambleUses.get(preamble) ?? 0) + 1);
  }
  return Promise.all(inputs.map(async (input, index) => {
    let result: VerifyResult;
    if (input.kind === 'object') {
      result = await verifyObject(input.path, target, stages, options.compile.knobs);
    } else {
      const text = texts[index] ?? '';
      const preamble = precompilablePreamble(text)?.text;
      const shared = preamble !== undefined && (preambleUses.get(preamble) ?? 0) > 1;
      result = await verifyFile(input.path, target, {
        ...options.compile, sourceText: text, ...(shared && !options.compile.precompiledHeader ? { precompiledHeader: 'wait' as const } : {}),
      }, stages);
    }
    options.onResult?.(index, result);
    return result;
  }));
}
