/**
 * Compiles a BPF C file for a target with the local clang: the target's vmlinux.h and our
 * bpf-headers on the include path, the target's arch for the PT_REGS macros.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { parseClangDiagnostics, SourceDiagnostic } from '../../core/src/clang/diagnostics';
import { LocalTarget } from './local-target';
import { bpfTargetArch, Target, TargetError } from './target';
import { bpfHeadersDir, cacheDir } from './paths';
import { KernelBuild, vmlinuxIncludeDir } from './vmlinux';

export interface CompileOptions {
  clang?: string;
  extraFlags?: string[];
  /** Where to write the object; defaults to a per-source directory in the cache. */
  outputPath?: string;
}

export interface CompileResult {
  ok: boolean;
  objectPath: string;
  diagnostics: SourceDiagnostic[];
  /** clang's stderr as printed, for a log. */
  output: string;
  build: KernelBuild;
  durationMs: number;
}

const localHost = new LocalTarget();

export function compileFlags(arch: string, vmlinuxDir: string, extraFlags: string[] = []): string[] {
  return [
    '-target', 'bpf', '-g', '-O2',
    `-D__TARGET_ARCH_${bpfTargetArch(arch)}`,
    // Our headers first, so programs build the same where libbpf-dev is absent.
    '-I', bpfHeadersDir(),
    '-I', vmlinuxDir,
    // One line per diagnostic: what parseClangDiagnostics reads.
    '-fno-caret-diagnostics', '-fno-color-diagnostics',
    '-Wall', '-Wno-unused-variable', '-Wno-unused-function',
    ...extraFlags,
  ];
}

export async function compileForTarget(sourcePath: string, target: Target, options: CompileOptions = {}): Promise<CompileResult> {
  const started = performance.now();
  const source = path.resolve(sourcePath);
  if (!fs.existsSync(source)) throw new TargetError(`no such file: ${source}`, 'ENOENT');
  const [{ dir: vmlinuxDir, build }, arch] = await Promise.all([vmlinuxIncludeDir(target), target.arch()]);
  const objectPath = options.outputPath
    ?? path.join(cacheDir('objects', build.key), `${path.basename(source, '.c')}-${createHash('sha256').update(source).digest('hex').slice(0, 8)}.o`);
  const clang = options.clang ?? 'clang';
  const argv = [clang, ...compileFlags(arch, vmlinuxDir, options.extraFlags), '-c', source, '-o', objectPath];
  let result;
  try {
    result = await localHost.exec(argv, { timeoutMs: 120_000 });
  } catch (error) {
    throw new TargetError(`cannot run ${clang}: ${(error as Error).message}`, 'NO_CLANG',
      'install clang (Debian: apt-get install clang llvm) or set bpfdev.clangPath');
  }
  const diagnostics = parseClangDiagnostics(result.stderr);
  const ok = result.code === 0;
  if (!ok && !diagnostics.some((d) => d.severity === 'error')) {
    // clang failed without a located error (crash, bad flag): still report it at the file.
    diagnostics.push({ file: source, line: 1, column: 1, severity: 'error', message: result.stderr.trim() || `clang exited with ${result.code}`, notes: [] });
  }
  return { ok, objectPath, diagnostics, output: result.stderr, build, durationMs: performance.now() - started };
}
