/**
 * Compiles a BPF C file for a target with the local clang: the target's vmlinux.h and our
 * bpf-headers on the include path, the target's arch for the PT_REGS macros. Programs whose
 * preamble is vmlinux.h + our headers compile against a precompiled header (pch.ts): the
 * first compile for a target builds it alongside, later ones take ~0.07 s instead of ~0.6 s.
 * Programs of real projects compile as their own build does: the flags of the build
 * description nearest the file and clang's system include directories (project-flags.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { parseClangDiagnostics, SourceDiagnostic } from '../../core/src/clang/diagnostics';
import { spawn } from 'node:child_process';
import { bpfTargetArch, Target, TargetError } from './target';
import { bpfHeadersDir, cacheDir } from './paths';
import { KernelBuild, vmlinuxIncludeDir } from './vmlinux';
import { conflictingKfuncs } from '../../core/src/btf/kfunc-conflicts';
import { NO_KFUNC_PROTOTYPES_MACRO } from '../../core/src/btf/c-header';
import { clangIdentity, compileWithWarmClang, discardPch, Preamble, precompilablePreamble, precompiledHeader, prewarmClang, WarmCompileRequest } from './pch';
import { includeDirs } from '../../core/src/build/project-flags';
import { clangSystemIncludeDirs, FlagsSource, resolveProjectFlags } from './project-flags';

export interface CompileOptions {
  clang?: string;
  extraFlags?: string[];
  /** Where to write the object; defaults to a per-source directory in the cache. */
  outputPath?: string;
  /**
   * `auto` (default): use the target's PCH when it is ready, else compile without one and build
   * it meanwhile for the next compile. `wait`: build the PCH first when missing (benchmarks,
   * tests). `off`: never.
   */
  precompiledHeader?: 'auto' | 'wait' | 'off';
  /** The file's text, when the caller has read it already. */
  sourceText?: string;
  /**
   * Use the clang started ahead for this compile if there is one, and offer to start the next
   * (CompileResult.prewarm; pch.ts, warm compilers). For long-lived processes that compile the
   * same files again: the language server.
   */
  keepWarm?: boolean;
  /** `target`: compile on the target host with its own clang (remote-compile.ts). Default: here. */
  compileOn?: 'local' | 'target';
  /** The last directory searched for a build description (the workspace folder); default: up to `/`. */
  projectRoot?: string;
}

export interface PchUsage {
  used: boolean;
  /**
   * `used`; `building` (not ready yet: compiled without); `not-applicable` (the preamble is not
   * vmlinux.h + our headers, or a header next to the source shadows ours); `failed` (clang
   * could not build it for these inputs); `rejected` (clang refused the PCH: compiled again
   * without); `off`.
   */
  state: 'used' | 'building' | 'not-applicable' | 'failed' | 'rejected' | 'off';
  path?: string;
  /** The compile ran in a clang started ahead of it (`keepWarm`). */
  warm?: boolean;
}

export interface CompileResult {
  ok: boolean;
  objectPath: string;
  diagnostics: SourceDiagnostic[];
  /** clang's stderr as printed, for a log. */
  output: string;
  build: KernelBuild;
  durationMs: number;
  pch: PchUsage;
  /**
   * With `keepWarm`: starts a clang for the next compile of this file. Call it once the CPU is
   * free again (after the verify), so it does not compete with the work the user waits for.
   */
  prewarm?: () => void;
  /** Where the project flags of this compile came from (`none`: only ours). */
  flagsSource: FlagsSource;
}

/** What a project and the compiler's host add to our flags (project-flags.ts). */
export interface ResolvedFlags {
  /** The project's flags, include directories first in effect: they come before ours. */
  project?: readonly string[];
  /** clang's system include directories, searched after everything else (`-idirafter`). */
  systemIncludes?: readonly string[];
}


export function compileFlags(arch: string, vmlinuxDir: string, extraFlags: string[] = [], resolved: ResolvedFlags = {}): string[] {
  const project = resolved.project ?? [];
  // -nostdinc says the project brings its own system headers (the kernel's samples/bpf does).
  const system = includeDirs(project).noStdInc ? [] : resolved.systemIncludes ?? [];
  return [
    '-target', 'bpf', '-g', '-O2',
    `-D__TARGET_ARCH_${bpfTargetArch(arch)}`,
    // One line per diagnostic: what parseClangDiagnostics reads.
    '-fno-caret-diagnostics', '-fno-color-diagnostics',
    '-Wall', '-Wno-unused-variable', '-Wno-unused-function',
    // The project's own: its include directories before ours, so its vmlinux.h and its copy of
    // libbpf's headers win where it has them; its -W and -f after our defaults, so they win too.
    ...project,
    // Our headers before the system's, so programs build the same where libbpf-dev is absent.
    '-I', bpfHeadersDir(),
    '-I', vmlinuxDir,
    // Last, as libbpf-bootstrap's CLANG_BPF_SYS_INCLUDES: UAPI's <asm/types.h>, glibc's headers.
    ...system.flatMap((dir) => ['-idirafter', dir]),
    ...extraFlags,
  ];
}

export async function compileForTarget(sourcePath: string, target: Target, options: CompileOptions = {}): Promise<CompileResult> {
  // Required lazily: remote-compile imports this module for compileFlags.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  if (options.compileOn === 'target') return (require('./remote-compile') as typeof import('./remote-compile')).compileOnTarget(sourcePath, target, options);
  const started = performance.now();
  const source = path.resolve(sourcePath);
  if (!fs.existsSync(source)) throw new TargetError(`no such file: ${source}`, 'ENOENT');
  // Absolute when given as a path: clang runs in the program's directory.
  const clang = options.clang?.includes('/') ? path.resolve(options.clang) : options.clang ?? 'clang';
  const [{ dir: vmlinuxDir, build }, arch, systemIncludes] = await Promise.all([
    vmlinuxIncludeDir(target), target.arch(), clangSystemIncludeDirs(clang, clangIdentity(clang)),
  ]);
  const objectPath = options.outputPath
    ?? path.join(cacheDir('objects', build.key), `${path.basename(source, '.c')}-${createHash('sha256').update(source).digest('hex').slice(0, 8)}.o`);
  const flagsSource = resolveProjectFlags(source, options.projectRoot);
  const flags = compileFlags(arch, vmlinuxDir, options.extraFlags, { project: flagsSource.flags, systemIncludes });
  const plain = [clang, ...flags, '-c', source, '-o', objectPath];

  const text = options.sourceText ?? fs.readFileSync(source, 'utf8');
  const pch = await choosePch(source, text, clang, flags, flagsSource.flags, vmlinuxDir, build, options);
  let pchUsage: PchUsage = { used: false, state: pch.state };
  const warmRequest: WarmCompileRequest | undefined = pch.path ? { clang, flags, pchPath: pch.path, source, objectPath } : undefined;
  let result: { code: number | null; stderr: string } | undefined = warmRequest && options.keepWarm ? await compileWithWarmClang(warmRequest, text) : undefined;
  const warm = result !== undefined;
  if (pch.path) result ??= await runClang([clang, ...flags, '-include-pch', pch.path, '-c', source, '-o', objectPath], path.dirname(source));
  if (result && pch.path && result.code !== 0 && isPchProblem(result.stderr, pch.path)) {
    // Corrupt, or an input changed under it: this compile goes without, the next one rebuilds it.
    discardPch(pch.path);
    result = undefined;
    pchUsage = { used: false, state: 'rejected', path: pch.path };
  } else if (result && pch.path) {
    pchUsage = { used: true, state: 'used', path: pch.path, ...(warm ? { warm } : {}) };
  }
  result ??= await runClang(plain, path.dirname(source));
  // The program declares a kfunc with other types than the kernel's: compile it without ours.
  const conflicts = result.code !== 0 ? conflictingKfuncs(parseClangDiagnostics(result.stderr), path.join(vmlinuxDir, 'vmlinux.h')) : [];
  if (conflicts.length) {
    result = await runClang([clang, ...flags, `-D${NO_KFUNC_PROTOTYPES_MACRO}`, '-c', source, '-o', objectPath], path.dirname(source));
    pchUsage = { used: false, state: 'not-applicable' };
  }

  // The preamble's own warnings were printed when the PCH was built; a plain compile prints them each time.
  const stderr = pchUsage.used && pch.buildOutput ? pch.buildOutput + result.stderr : result.stderr;
  const diagnostics = parseClangDiagnostics(stderr);
  if (conflicts.length) {
    diagnostics.push({
      file: source, line: 1, column: 1, severity: 'info', notes: [],
      message: `compiled with -D${NO_KFUNC_PROTOTYPES_MACRO}: this file declares ${conflicts.join(', ')} with other types than the kernel's, so vmlinux.h's kfunc declarations were left out`,
    });
  }
  const ok = result.code === 0;
  if (!ok && !diagnostics.some((d) => d.severity === 'error')) {
    // clang failed without a located error (crash, bad flag): still report it at the file.
    diagnostics.push({ file: source, line: 1, column: 1, severity: 'error', message: result.stderr.trim() || `clang exited with ${result.code}`, notes: [] });
  }
  const prewarm = warmRequest && options.keepWarm && pchUsage.used ? () => prewarmClang(warmRequest, cacheDir('warm')) : undefined;
  return { ok, objectPath, diagnostics, output: stderr, build, durationMs: performance.now() - started, pch: pchUsage, flagsSource, ...(prewarm ? { prewarm } : {}) };
}

/**
 * Runs clang in the program's directory: the object's compilation directory is then the same
 * whether clang read the file or, warm, its text on stdin (pch.ts).
 */
function runClang(argv: string[], cwd: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    const stderr: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new TargetError(`cannot run ${argv[0]}: ${error.message}`, 'NO_CLANG', 'install clang (Debian: apt-get install clang llvm) or set bpfdev.clangPath'));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr: Buffer.concat(stderr).toString('utf8') });
    });
  });
}

async function choosePch(source: string, text: string, clang: string, flags: string[], projectFlags: readonly string[], vmlinuxDir: string, build: KernelBuild,
  options: CompileOptions): Promise<{ state: PchUsage['state']; path?: string; buildOutput?: string }> {
  const mode = options.precompiledHeader ?? 'auto';
  if (mode === 'off') return { state: 'off' };
  const preamble = precompilablePreamble(text);
  if (!preamble || shadowsPreamble(preamble, source, projectFlags)) return { state: 'not-applicable' };
  const inputs = {
    clang, flags, preamble, vmlinuxHeader: path.join(vmlinuxDir, 'vmlinux.h'), headersDir: bpfHeadersDir(), dir: cacheDir('targets', build.key, 'pch'),
  };
  try {
    let found = await precompiledHeader(inputs);
    if (found.state === 'building' && mode === 'wait' && await found.built) found = await precompiledHeader(inputs);
    if (found.state === 'ready') return { state: 'used', path: found.path, buildOutput: found.buildOutput };
    return { state: found.state };
  } catch {
    // A PCH is only an optimisation: any trouble with the cache means a plain compile.
    return { state: 'not-applicable' };
  }
}

/**
 * Whether a header of the preamble would be found somewhere else than in our headers or the
 * target's vmlinux.h: the PCH's key digests only those files, so it would go stale unseen.
 * `#include "x"` looks next to the source first; a project's include directories come before
 * ours (compileFlags); a forced -include comes before the preamble itself.
 */
function shadowsPreamble(preamble: Preamble, source: string, projectFlags: readonly string[]): boolean {
  const dirs = includeDirs(projectFlags);
  if (dirs.forced.length > 0) return true;
  return preamble.headers.some((header) => {
    const quoted = preamble.quoted.includes(header);
    const searched = [...(quoted ? [path.dirname(source), ...dirs.quote] : []), ...dirs.angled];
    return searched.some((dir) => fs.existsSync(path.join(dir, header)));
  });
}

/** clang's complaints about the PCH itself, as opposed to errors in the program. */
function isPchProblem(stderr: string, pchPath: string): boolean {
  return stderr.includes(pchPath) || /precompiled header|PCH file|AST file|module file/i.test(stderr);
}
