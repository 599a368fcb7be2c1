/**
 * Precompiled headers for the verify-on-save loop (issue #4). Parsing the target's vmlinux.h
 * (~3 MB of declarations) is most of a compile: ~0.6 s, against ~0.07 s with a PCH.
 *
 * A PCH is built from exactly the program's preamble, the leading `#include`s when they name
 * only vmlinux.h and our bpf-headers, in the program's own order. The program is then compiled
 * unchanged with `-include-pch`: every header of the preamble is already in the PCH with its
 * include guard defined, so the program's own `#include` lines become no-ops. The program's
 * text (and so every diagnostic's line and column, and the line info in the object) is
 * untouched, and the meaning is the same as a plain compile since the PCH holds the very same
 * headers in the same order, processed with the same flags.
 *
 * PCHs live in the target's cache directory, named by a digest of everything they depend on
 * (clang binary, flags, vmlinux.h and bpf-headers contents, preamble), so a change of any input
 * selects another file instead of a stale one. Builds write a temporary file and rename it, and
 * a lock file keeps two processes from building the same PCH at once; whoever finds the lock
 * taken compiles without a PCH this time instead of waiting.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LocalTarget } from './local-target';

/** Bump when the way PCHs are built changes, so old files are not reused. */
const PCH_FORMAT = 'bpfdev-pch-1';
/** A lock older than this belongs to a build that died (a clang run takes about a second). */
const STALE_LOCK_MS = 120_000;
/** PCHs kept per target directory; each is ~15 MB, one per distinct preamble. */
const KEEP_PER_TARGET = 6;

/** Headers a preamble may include: ours and the generated vmlinux.h, all with include guards. */
const PRECOMPILABLE = new Set([
  'vmlinux.h', 'bpf/bpf_helpers.h', 'bpf/bpf_tracing.h', 'bpf/bpf_core_read.h', 'bpf/bpf_endian.h', 'bpf/bpf_helper_defs.h',
]);

export interface Preamble {
  /** Header names in include order, e.g. `vmlinux.h`, `bpf/bpf_helpers.h`. */
  headers: string[];
  /** The `#include` directives, normalised (one per line): the text the PCH is built from. */
  text: string;
  /** Headers included with quotes, which the compiler looks for next to the source file first. */
  quoted: string[];
}

/**
 * The program's precompilable preamble: the run of `#include`s at the top of the file (comments
 * and blank lines allowed between them) as long as each names a precompilable header. Anything
 * else (a `#define`, code, another header) ends the preamble, since it could change what the
 * headers after it mean. Undefined when the preamble does not include vmlinux.h, the one header
 * worth precompiling.
 */
export function precompilablePreamble(sourceText: string): Preamble | undefined {
  const headers: string[] = [];
  const quoted: string[] = [];
  let inBlockComment = false;
  for (const rawLine of sourceText.split('\n')) {
    let line = rawLine;
    if (inBlockComment) {
      const end = line.indexOf('*/');
      if (end < 0) continue;
      inBlockComment = false;
      line = line.slice(end + 2);
    }
    const code = stripComments(line);
    if (code === undefined) { inBlockComment = true; continue; }
    if (code.trim() === '') continue;
    const include = /^\s*#\s*include\s*(?:"([^"]+)"|<([^>]+)>)\s*$/.exec(code);
    const header = include?.[1] ?? include?.[2];
    if (!header || !PRECOMPILABLE.has(header) || headers.includes(header)) break;
    headers.push(header);
    if (include?.[1]) quoted.push(header);
    if (inBlockCommentAfter(rawLine)) inBlockComment = true;
  }
  if (!headers.includes('vmlinux.h')) return undefined;
  return { headers, quoted, text: headers.map((header) => `#include ${header === 'vmlinux.h' ? '"vmlinux.h"' : `<${header}>`}\n`).join('') };
}

/** The line without its comments; undefined when a block comment opens and does not close on it. */
function stripComments(line: string): string | undefined {
  let out = '';
  let index = 0;
  while (index < line.length) {
    if (line.startsWith('//', index)) break;
    if (line.startsWith('/*', index)) {
      const end = line.indexOf('*/', index + 2);
      if (end < 0) return out.trim() === '' ? undefined : out;
      out += ' ';
      index = end + 2;
      continue;
    }
    out += line[index++];
  }
  return out;
}

/** A directive line that opens a block comment at its end (`#include <x> /* ...`). */
function inBlockCommentAfter(line: string): boolean {
  const open = line.lastIndexOf('/*');
  return open >= 0 && line.indexOf('*/', open + 2) < 0 && !line.slice(0, open).includes('//');
}

export interface PchInputs {
  clang: string;
  /** The exact flags the program is compiled with (include paths, defines, extra flags). */
  flags: string[];
  vmlinuxHeader: string;
  headersDir: string;
  preamble: Preamble;
  /** Directory holding this target's PCHs. */
  dir: string;
}

export type PchState =
  /** A PCH is ready at `path`; `buildOutput` holds the warnings its headers gave when it was built. */
  | { state: 'ready'; path: string; key: string; buildOutput: string }
  /** No PCH yet; one is being built (by us, or another process holding the lock). */
  | { state: 'building'; key: string; built: Promise<string | undefined> }
  /** Building a PCH for these inputs failed; `output` is clang's stderr. */
  | { state: 'failed'; key: string; output: string };

const localHost = new LocalTarget();
const inProcessBuilds = new Map<string, Promise<string | undefined>>();
const fileDigests = new Map<string, { stamp: string; digest: string }>();

/**
 * Finds or starts the PCH for these inputs. Never waits for a build: a caller that wants the
 * PCH anyway awaits `built`.
 */
export async function precompiledHeader(inputs: PchInputs): Promise<PchState> {
  const key = pchKey(inputs);
  const pchPath = path.join(inputs.dir, `${key}.pch`);
  if (fs.existsSync(pchPath)) {
    // Recently used PCHs survive eviction.
    const now = new Date();
    fs.promises.utimes(pchPath, now, now).catch(() => undefined);
    return { state: 'ready', path: pchPath, key, buildOutput: buildOutputOf(pchPath) };
  }
  const failure = path.join(inputs.dir, `${key}.failed`);
  if (fs.existsSync(failure)) return { state: 'failed', key, output: fs.readFileSync(failure, 'utf8') };
  let built = inProcessBuilds.get(key);
  if (!built) {
    built = buildPch(inputs, key).finally(() => inProcessBuilds.delete(key));
    inProcessBuilds.set(key, built);
  }
  return { state: 'building', key, built };
}

const buildOutputs = new Map<string, string>();

function buildOutputOf(pchPath: string): string {
  let output = buildOutputs.get(pchPath);
  if (output === undefined) {
    try {
      output = fs.readFileSync(`${pchPath}.log`, 'utf8');
    } catch {
      output = '';
    }
    buildOutputs.set(pchPath, output);
  }
  return output;
}

/** Forgets a PCH that clang refused to use (corrupt, or its inputs changed under it). */
export function discardPch(pchPath: string): void {
  fs.rmSync(pchPath, { force: true });
  buildOutputs.delete(pchPath);
}

/** Resolves once every PCH build this process started has finished (for one-shot tools and tests). */
export async function pchBuildsSettled(): Promise<void> {
  await Promise.all([...inProcessBuilds.values()].map((build) => build.catch(() => undefined)));
}

function pchKey(inputs: PchInputs): string {
  const headerFiles = fs.readdirSync(path.join(inputs.headersDir, 'bpf')).filter((name) => name.endsWith('.h')).sort()
    .map((name) => path.join(inputs.headersDir, 'bpf', name));
  const hash = createHash('sha256');
  hash.update(`${PCH_FORMAT}\0${clangIdentity(inputs.clang)}\0${inputs.flags.join('\0')}\0${inputs.preamble.text}\0`);
  for (const file of [inputs.vmlinuxHeader, ...headerFiles]) hash.update(`${file}\0${fileDigest(file)}\0`);
  return hash.digest('hex').slice(0, 24);
}

/**
 * Content digest of an input file, recomputed only when its size or mtime changes. The stamp
 * also goes into the key: clang refuses a PCH whose inputs have another mtime than at build
 * time, even with the same content, so a rewritten header needs a new PCH either way.
 */
function fileDigest(file: string): string {
  const stat = fs.statSync(file);
  const stamp = `${stat.size}:${stat.mtimeMs}`;
  const known = fileDigests.get(file);
  if (known?.stamp === stamp) return `${stamp}:${known.digest}`;
  const digest = createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  fileDigests.set(file, { stamp, digest });
  return `${stamp}:${digest}`;
}

/** The clang binary as a file (resolved through PATH and symlinks, with size and mtime), so an upgrade changes the key. */
export function clangIdentity(clang: string): string {
  const candidates = clang.includes('/') ? [clang] : (process.env.PATH ?? '').split(':').filter(Boolean).map((dir) => path.join(dir, clang));
  for (const candidate of candidates) {
    try {
      const real = fs.realpathSync(candidate);
      const stat = fs.statSync(real);
      if (stat.isFile()) return `${real}:${stat.size}:${stat.mtimeMs}`;
    } catch {
      // Not in this PATH entry.
    }
  }
  return clang;
}

async function buildPch(inputs: PchInputs, key: string): Promise<string | undefined> {
  const pchPath = path.join(inputs.dir, `${key}.pch`);
  const lock = `${pchPath}.lock`;
  if (!takeLock(lock)) return undefined;
  const wrapper = path.join(inputs.dir, `${key}.h`);
  const temporary = `${pchPath}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(wrapper, inputs.preamble.text);
    const result = await localHost.exec([inputs.clang, ...inputs.flags, '-x', 'c-header', wrapper, '-o', temporary], { timeoutMs: 300_000 });
    if (result.code !== 0) {
      // Remember the failure for these inputs: retrying on every save would cost a second each time.
      fs.writeFileSync(path.join(inputs.dir, `${key}.failed`), result.stderr || `clang exited with ${result.code ?? result.signal}`);
      return undefined;
    }
    // A plain compile would print the headers' warnings every time; keep them to replay.
    if (result.stderr.trim()) fs.writeFileSync(`${pchPath}.log`, result.stderr);
    fs.renameSync(temporary, pchPath);
    evictOldPchs(inputs.dir);
    return pchPath;
  } catch {
    return undefined;
  } finally {
    fs.rmSync(temporary, { force: true });
    fs.rmSync(lock, { force: true });
  }
}

function takeLock(lock: string): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.closeSync(fs.openSync(lock, 'wx'));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return false;
      try {
        if (Date.now() - fs.statSync(lock).mtimeMs < STALE_LOCK_MS) return false;
        fs.rmSync(lock, { force: true });
      } catch {
        // The holder finished between our open and stat: try again.
      }
    }
  }
  return false;
}

function evictOldPchs(dir: string): void {
  const pchs = fs.readdirSync(dir).filter((name) => name.endsWith('.pch'))
    .map((name) => ({ name, mtime: fs.statSync(path.join(dir, name)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const { name } of pchs.slice(KEEP_PER_TARGET)) {
    const stem = path.join(dir, name.slice(0, -'.pch'.length));
    // A process compiling with it right now keeps its open file; a later one falls back to a plain compile.
    for (const suffix of ['.pch', '.pch.log', '.h']) fs.rmSync(stem + suffix, { force: true });
  }
}

// ---- warm compilers ----------------------------------------------------------------------------
//
// With the PCH, what is left of a compile is mostly clang's own start: loading its libraries,
// initialising LLVM, mapping and checking the PCH (about half of the ~60 ms). A long-lived
// process (the language server) starts the next compile of a file right after the current one,
// with the program to come on stdin: clang gets through all of that and waits there. The save
// then only writes the text in. So that the result is the very same as a compile of the file:
// `-main-file-name` and `-ffile-prefix-map` give the object (debug info, BTF line info, which
// clang re-reads from the file, and __FILE__) the file's path, diagnostics are mapped back to it,
// and both kinds of compile run in the file's directory, where quoted includes are looked up
// first for a file and for stdin alike.
//
// Should this process die, clang reads end of file, compiles nothing and exits.

interface WarmClang {
  signature: string;
  dir: string;
  output: string;
  child: ChildProcess;
  stderr: Buffer[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface WarmCompileRequest {
  clang: string;
  /** The compile's flags, without input and output. */
  flags: string[];
  pchPath: string;
  source: string;
  objectPath: string;
}

const MAX_WARM = 2;
const warmBySource = new Map<string, WarmClang>();
let exitHookInstalled = false;

/** What a warm clang was started with: a compile may use it only if it would run the same command (the output is moved where wanted). */
function signatureOf(request: WarmCompileRequest): string {
  return JSON.stringify([request.clang, request.flags, request.pchPath, request.source]);
}

/** The arguments that make clang compile stdin as if it were `source` (see above). */
export function stdinAsFile(source: string): string[] {
  return ['-Xclang', '-main-file-name', '-Xclang', source, `-ffile-prefix-map=<stdin>=${source}`, '-x', 'c', '-'];
}

/**
 * Compiles with the warm clang started for exactly this request, if there is one and it is still
 * waiting; undefined otherwise (the caller compiles normally).
 */
export async function compileWithWarmClang(request: WarmCompileRequest, sourceText: string): Promise<{ code: number | null; stderr: string } | undefined> {
  const warm = warmBySource.get(request.source);
  if (!warm) return undefined;
  warmBySource.delete(request.source);
  if (warm.signature !== signatureOf(request) || warm.child.exitCode !== null || warm.child.signalCode !== null) {
    retireWarm(warm);
    return undefined;
  }
  // Now the process waits for this compile: it must keep the event loop alive again.
  warm.child.ref();
  (warm.child.stderr as unknown as { ref?: () => void }).ref?.();
  warm.child.stdin!.end(sourceText);
  const status = await warm.exited;
  const stderr = Buffer.concat(warm.stderr).toString('utf8').split('<stdin>:').join(`${request.source}:`);
  try {
    if (status.code === 0) moveFile(warm.output, request.objectPath);
    return { code: status.code, stderr };
  } catch {
    return undefined;
  } finally {
    fs.rmSync(warm.dir, { recursive: true, force: true });
  }
}

/** Starts a clang for the next compile of this file with these flags (see above). Never throws. */
export function prewarmClang(request: WarmCompileRequest, warmRoot: string): void {
  const existing = warmBySource.get(request.source);
  if (existing?.signature === signatureOf(request) && existing.child.exitCode === null) return;
  if (existing) {
    warmBySource.delete(request.source);
    retireWarm(existing);
  }
  try {
    sweepDeadWarmDirs(warmRoot);
    const dir = fs.mkdtempSync(path.join(warmRoot, `${process.pid}-`));
    const output = path.join(dir, 'out.o');
    const child = spawn(request.clang, [...request.flags, '-include-pch', request.pchPath, '-c', ...stdinAsFile(request.source), '-o', output], {
      cwd: path.dirname(request.source), stdio: ['pipe', 'ignore', 'pipe'],
    });
    const stderr: Buffer[] = [];
    child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk));
    // A clang that exits before its text was written (killed, or stdin closed) must not fail the write.
    child.stdin!.on('error', () => undefined);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.on('error', () => resolve({ code: 127, signal: null }));
      child.on('close', (code, signal) => resolve({ code, signal }));
    });
    // A waiting compiler must not keep a process alive that has nothing else to do.
    child.unref();
    for (const stream of [child.stdin, child.stderr]) (stream as unknown as { unref?: () => void }).unref?.();
    warmBySource.set(request.source, { signature: signatureOf(request), dir, output, child, stderr, exited });
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.once('exit', retireWarmClangs);
    }
    // Map order is insertion order: the first entry is the least recently compiled file.
    while (warmBySource.size > MAX_WARM) {
      const [oldestSource, oldest] = warmBySource.entries().next().value as [string, WarmClang];
      warmBySource.delete(oldestSource);
      retireWarm(oldest);
    }
  } catch {
    // Only an optimisation.
  }
}

/** Stops the warm compiler of one file (its editor closed it): ~70 MB of clang waiting for nothing. */
export function retireWarmClang(source: string): void {
  const warm = warmBySource.get(source);
  if (!warm) return;
  warmBySource.delete(source);
  retireWarm(warm);
}

/** Stops every warm compiler of this process (tests, shutdown). */
export function retireWarmClangs(): void {
  for (const warm of warmBySource.values()) retireWarm(warm);
  warmBySource.clear();
}

function retireWarm(warm: WarmClang): void {
  warm.child.kill('SIGKILL');
  // Synchronously too: at process exit the promise below never runs.
  fs.rmSync(warm.dir, { recursive: true, force: true });
  void warm.exited.then(() => fs.rmSync(warm.dir, { recursive: true, force: true }));
}

function moveFile(from: string, to: string): void {
  try {
    fs.renameSync(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    fs.copyFileSync(from, to);
  }
}

/** Directories left by processes that died with a warm clang (which then compiled an empty stdin). */
function sweepDeadWarmDirs(warmRoot: string): void {
  for (const name of fs.readdirSync(warmRoot)) {
    const pid = Number(name.split('-')[0]);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') fs.rmSync(path.join(warmRoot, name), { recursive: true, force: true });
    }
  }
}
