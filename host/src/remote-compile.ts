/**
 * Compiling on the target host with its own clang (the user's choice when their machine has no
 * suitable clang, or to build exactly where it runs). The source, its sibling headers, our
 * bpf-headers and the target's vmlinux.h travel in one archive; the object comes back and the
 * diagnostics are mapped back to the local paths.
 *
 * The project's flags (project-flags.ts) travel too, but not the directories its include flags
 * name: those are local paths, possibly large trees (a -I/usr/include). The compile goes on
 * without them, and a warning at the file's first line says so, since a header it then cannot
 * find would otherwise be a riddle.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseClangDiagnostics } from '../../core/src/clang/diagnostics';
import { includeDirs } from '../../core/src/build/project-flags';
import { compileFlags, CompileOptions, CompileResult } from './compile';
import { resolveProjectFlags, targetClangSystemIncludeDirs } from './project-flags';
import { bpfHeadersDir, cacheDir } from './paths';
import { Target, TargetError } from './target';
import { vmlinuxIncludeDir } from './vmlinux';

export async function compileOnTarget(sourcePath: string, target: Target, options: CompileOptions = {}): Promise<CompileResult> {
  const started = performance.now();
  const source = path.resolve(sourcePath);
  if (!fs.existsSync(source)) throw new TargetError(`no such file: ${source}`, 'ENOENT');
  const clang = options.clang ?? 'clang';
  const [{ dir: vmlinuxDir, build }, arch, systemIncludes] = await Promise.all([
    vmlinuxIncludeDir(target), target.arch(), targetClangSystemIncludeDirs(target, clang),
  ]);
  const flagsSource = resolveProjectFlags(source, options.projectRoot);
  const { kept: projectFlags, local } = withoutLocalPaths(flagsSource.flags);

  // Stage: src/ (the file and the headers beside it), include/ (our headers), vmlinux/.
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfdev-remote-compile-'));
  try {
    fs.mkdirSync(path.join(stage, 'src'));
    for (const name of fs.readdirSync(path.dirname(source))) {
      if (name === path.basename(source) || name.endsWith('.h')) fs.copyFileSync(path.join(path.dirname(source), name), path.join(stage, 'src', name));
    }
    fs.cpSync(bpfHeadersDir(), path.join(stage, 'include'), { recursive: true });
    fs.mkdirSync(path.join(stage, 'vmlinux'));
    fs.copyFileSync(path.join(vmlinuxDir, 'vmlinux.h'), path.join(stage, 'vmlinux', 'vmlinux.h'));
    const archive = `${stage}.tgz`;
    execFileSync('tar', ['-czf', archive, '-C', stage, 'src', 'include', 'vmlinux']);

    const remoteArchive = await target.upload(archive);
    const remoteDir = `${remoteArchive}.d`;
    const unpacked = await target.exec(['sh', '-c', 'rm -rf -- "$1" && mkdir -m 700 -- "$1" && tar -xzf "$2" -C "$1"', 'unpack', remoteDir, remoteArchive]);
    if (unpacked.code !== 0) throw new TargetError(`cannot unpack the sources on ${target.name}: ${unpacked.stderr.trim()}`, 'EIO');
    try {
      const remoteSource = `${remoteDir}/src/${path.basename(source)}`;
      const remoteObject = `${remoteDir}/out.o`;
      const flags = compileFlags(arch, `${remoteDir}/vmlinux`, options.extraFlags, { project: projectFlags, systemIncludes })
        .map((flag) => (flag === bpfHeadersDir() ? `${remoteDir}/include` : flag));
      const result = await target.exec([clang, ...flags, '-c', remoteSource, '-o', remoteObject], { timeoutMs: 120_000 });
      if (result.code === 127 || /not found/.test(result.stderr) && result.code !== 0 && !result.stderr.includes(remoteSource)) {
        throw new TargetError(`${target.name} has no ${clang}: ${result.stderr.trim()}`, 'NO_CLANG', `install clang on ${target.name}, or compile locally`);
      }
      // Diagnostics name the staged copies; point them back at the user's files.
      const localize = (file: string) => file.startsWith(`${remoteDir}/src/`) ? path.join(path.dirname(source), file.slice(`${remoteDir}/src/`.length)) : file;
      const diagnostics = parseClangDiagnostics(result.stderr).map((diagnostic) => ({
        ...diagnostic, file: localize(diagnostic.file), notes: diagnostic.notes.map((note) => ({ ...note, file: localize(note.file) })),
      }));
      const ok = result.code === 0;
      if (local.length > 0) {
        diagnostics.unshift({
          file: source, line: 1, column: 1, severity: 'warning', notes: [],
          message: `compiled on ${target.name} without ${local.join(' ')} from ${flagsSource.path}: these are paths on this machine, not uploaded; compile locally to use them`,
        });
      }
      const objectPath = options.outputPath
        ?? path.join(cacheDir('objects', build.key), `${path.basename(source, '.c')}-${createHash('sha256').update(source).digest('hex').slice(0, 8)}.remote.o`);
      if (ok) fs.writeFileSync(objectPath, await target.readFile(remoteObject));
      else if (!diagnostics.some((d) => d.severity === 'error')) {
        diagnostics.push({ file: source, line: 1, column: 1, severity: 'error', message: result.stderr.trim() || `clang on ${target.name} exited with ${result.code}`, notes: [] });
      }
      return { ok, objectPath, diagnostics, output: result.stderr, build, durationMs: performance.now() - started, pch: { used: false, state: 'off' }, flagsSource };
    } finally {
      await target.exec(['rm', '-rf', '--', remoteDir]).catch(() => undefined);
      await target.discard?.(remoteArchive).catch(() => undefined);
    }
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
    fs.rmSync(`${stage}.tgz`, { force: true });
  }
}

/** The project flags that name no local file (macros, -std, -W, -f) and the include flags that do. */
function withoutLocalPaths(flags: readonly string[]): { kept: string[]; local: string[] } {
  const pathOptions = new Set(['-I', '-isystem', '-idirafter', '-iquote', '-include', '-imacros']);
  const kept: string[] = [];
  const local: string[] = [];
  for (let index = 0; index < flags.length; index++) {
    if (pathOptions.has(flags[index]) && index + 1 < flags.length) local.push(`${flags[index]} ${flags[++index]}`);
    else kept.push(flags[index]);
  }
  // -nostdinc without the project's own system headers would leave none at all.
  return includeDirs(kept).noStdInc ? { kept: kept.filter((flag) => flag !== '-nostdinc' && flag !== '-nostdlibinc'), local } : { kept, local };
}
