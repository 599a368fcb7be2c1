/**
 * The one place that decides, for a source file, which flags beyond our own a compile gets
 * (issue #9): the project's build description nearest the file, and the system include
 * directories clang would search for the host. compileForTarget (CLI, language server,
 * verify-on-save, runs) and remote compiles all come through here; the parsing is in core/build.
 *
 * Nearest first: from the source's directory up to the workspace (or the filesystem root), the
 * first directory holding a compile_commands.json with an entry for the file (also in its
 * build/ subdirectory, where CMake writes it), or a compile_flags.txt; bpf2go directives are
 * read from the Go files beside the source only, as `go generate` runs them there.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { bpf2goDirectiveFor, compileCommandFor, CompileCommand, parseBpf2goDirectives, parseCompileCommands, parseCompileFlagsTxt, Bpf2goDirective } from '../../core/src/build/descriptions';
import { FlagsSource, includeDirs, projectCompileFlags } from '../../core/src/build/project-flags';
import { parseClangSearchDirs } from '../../core/src/clang/search-dirs';
import type { IncludeDirective, IncludeResolution } from '../../core/src/language/include-hover';
import { bpfHeadersDir, cacheDir } from './paths';
import { clangIdentity } from './pch';
import type { Target } from './target';

export type { FlagsSource } from '../../core/src/build/project-flags';

/** The database file names looked for in each directory, nearest first. */
const DATABASES = ['compile_commands.json', path.join('build', 'compile_commands.json')];

/**
 * The project flags for `source` (absolute). `stopAt`: the last directory to look in (the
 * workspace folder); the filesystem root when absent or not above the source.
 */
export function resolveProjectFlags(source: string, stopAt?: string): FlagsSource {
  const candidates = sourceNames(source);
  const errors: string[] = [];
  const sourceDir = path.dirname(source);
  const stop = stopAt && isInside(sourceDir, path.resolve(stopAt)) ? path.resolve(stopAt) : path.parse(sourceDir).root;
  for (let dir = sourceDir; ; dir = path.dirname(dir)) {
    for (const name of DATABASES) {
      const database = path.join(dir, name);
      const parsed = readParsed(database, (text) => parseCompileCommands(text, path.dirname(database)));
      if (!parsed) continue;
      if (parsed.errors.length) errors.push(...parsed.errors.map((error) => `${database}: ${error}`));
      const entry = firstMatch(candidates, (file) => compileCommandFor(parsed.value, file));
      if (entry) return withErrors(fromCommand(database, entry), errors);
    }
    const flagsTxt = path.join(dir, 'compile_flags.txt');
    const args = readParsed(flagsTxt, parseCompileFlagsTxt);
    if (args) return withErrors({ kind: 'compile_flags.txt', path: flagsTxt, ...projectCompileFlags(args, dir) }, errors);
    if (dir === sourceDir) {
      const found = bpf2goBeside(sourceDir, candidates);
      if (found) return withErrors(found, errors);
    }
    if (dir === stop || dir === path.dirname(dir)) break;
  }
  return withErrors({ kind: 'none', flags: [], dropped: [] }, errors);
}

/**
 * The build description a directory's sources would take their flags from, for the host
 * report: the nearest file of a kind we read, without choosing a source's entry in it.
 */
export function nearestBuildDescription(dir: string): { kind: FlagsSource['kind']; path?: string } {
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    for (const name of [...DATABASES, 'compile_flags.txt']) {
      if (fs.existsSync(path.join(at, name))) return { kind: name === 'compile_flags.txt' ? 'compile_flags.txt' : 'compile_commands.json', path: path.join(at, name) };
    }
    if (at === path.resolve(dir)) {
      const goFile = goFiles(at).find((file) => (readParsed(file, (text) => parseBpf2goDirectives(text, at)) ?? []).length > 0);
      if (goFile) return { kind: 'go:generate', path: goFile };
    }
    if (at === path.dirname(at)) return { kind: 'none' };
  }
}

function fromCommand(database: string, entry: CompileCommand): FlagsSource {
  return { kind: 'compile_commands.json', path: database, ...projectCompileFlags(entry.arguments.slice(1), entry.directory) };
}

function bpf2goBeside(dir: string, candidates: string[]): FlagsSource | undefined {
  for (const goFile of goFiles(dir)) {
    const directives = readParsed(goFile, (text) => parseBpf2goDirectives(text, dir));
    const directive = directives && firstMatch(candidates, (file) => bpf2goDirectiveFor(directives, file));
    if (directive) return fromDirective(goFile, directive);
  }
  return undefined;
}

function fromDirective(goFile: string, directive: Bpf2goDirective): FlagsSource {
  const { flags, dropped } = projectCompileFlags(directive.args, path.dirname(goFile));
  dropped.push(...directive.unexpanded.map((flag) => ({ flag, reason: 'an environment variable go generate would expand' })));
  return { kind: 'go:generate', path: goFile, line: directive.line, flags, dropped };
}

function goFiles(dir: string): string[] {
  try {
    return fs.readdirSync(dir).filter((name) => name.endsWith('.go') && !name.endsWith('_test.go')).sort().map((name) => path.join(dir, name));
  } catch {
    return [];
  }
}

/** The source as given and through its symlinks: a database names whichever its build used. */
function sourceNames(source: string): string[] {
  const names = [path.resolve(source)];
  try {
    const real = fs.realpathSync(source);
    if (real !== names[0]) names.push(real);
  } catch {
    // Unsaved or removed: the given name is all there is.
  }
  return names;
}

function firstMatch<T>(candidates: string[], find: (file: string) => T | undefined): T | undefined {
  for (const candidate of candidates) {
    const found = find(candidate);
    if (found) return found;
  }
  return undefined;
}

function withErrors(source: FlagsSource, errors: string[]): FlagsSource {
  return errors.length ? { ...source, errors } : source;
}

function isInside(dir: string, ancestor: string): boolean {
  const relative = path.relative(ancestor, dir);
  return relative === '' || !relative.startsWith('..') && !path.isAbsolute(relative);
}

/** Parsed descriptions by file, reparsed only when the file's size or mtime changes: this runs on every save. */
const parsedFiles = new Map<string, { stamp: string; value: unknown }>();

function readParsed<T>(file: string, parse: (text: string) => T): T | undefined {
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(file, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
  if (!stat?.isFile()) return undefined;
  const stamp = `${stat.size}:${stat.mtimeMs}`;
  const known = parsedFiles.get(file);
  if (known?.stamp === stamp) return known.value as T;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const value = parse(text);
  parsedFiles.set(file, { stamp, value });
  return value;
}

// ---- system include directories --------------------------------------------------------------

const localSearchDirs = new Map<string, Promise<string[]>>();

/**
 * The directories clang searches for `<...>` when compiling for the host, to pass with
 * `-idirafter` (core/clang/search-dirs.ts says why). Cached per clang binary (resolved path,
 * size and mtime, so an upgrade asks again). Empty when clang cannot be run: the compile
 * itself then reports that.
 */
export function clangSystemIncludeDirs(clang: string, identity: string): Promise<string[]> {
  let dirs = localSearchDirs.get(identity);
  if (!dirs) {
    dirs = cachedSearchDirs(identity) ?? askClangForSearchDirs(clang, identity);
    localSearchDirs.set(identity, dirs);
  }
  return dirs;
}

/**
 * On disk too: each `bpfdev verify` is a new process, and asking clang costs a clang start
 * (~100 ms) ahead of the first compile. The identity holds the binary's size and mtime, so an
 * upgraded clang is asked again.
 */
function searchDirsCacheFile(identity: string): string {
  return path.join(cacheDir('clang'), `search-dirs-${createHash('sha256').update(identity).digest('hex').slice(0, 16)}.json`);
}

function cachedSearchDirs(identity: string): Promise<string[]> | undefined {
  try {
    const cached = JSON.parse(fs.readFileSync(searchDirsCacheFile(identity), 'utf8')) as { identity?: string; dirs?: unknown };
    if (cached.identity === identity && Array.isArray(cached.dirs) && cached.dirs.every((dir) => typeof dir === 'string')) return Promise.resolve(cached.dirs as string[]);
  } catch {
    // Not cached yet, or unreadable: ask clang.
  }
  return undefined;
}

function askClangForSearchDirs(clang: string, identity: string): Promise<string[]> {
  return new Promise((resolve) => {
    const child = spawn(clang, ['-v', '-E', '-x', 'c', '-'], { stdio: ['ignore', 'ignore', 'pipe'] });
    const stderr: Buffer[] = [];
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', () => resolve([]));
    child.on('close', (code) => {
      const dirs = parseClangSearchDirs(Buffer.concat(stderr).toString('utf8')).angled;
      if (code === 0 && dirs.length) {
        try {
          const file = searchDirsCacheFile(identity);
          fs.writeFileSync(`${file}.${process.pid}`, JSON.stringify({ identity, dirs }));
          fs.renameSync(`${file}.${process.pid}`, file);
        } catch {
          // A cache we cannot write only costs the next process one more question.
        }
      }
      resolve(dirs);
    });
  });
}

const targetSearchDirs = new WeakMap<Target, Map<string, Promise<string[]>>>();

/** The same for a compile on the target host with its own clang: asked once per target and clang. */
export function targetClangSystemIncludeDirs(target: Target, clang: string): Promise<string[]> {
  let byClang = targetSearchDirs.get(target);
  if (!byClang) targetSearchDirs.set(target, (byClang = new Map()));
  let dirs = byClang.get(clang);
  if (!dirs) {
    dirs = target.exec([clang, '-v', '-E', '-x', 'c', '/dev/null'], { timeoutMs: 30_000 })
      .then((result) => parseClangSearchDirs(result.stderr).angled, () => []);
    byClang.set(clang, dirs);
  }
  return dirs;
}

// ---- where an #include lands -----------------------------------------------------------------

/** Stands for the target's vmlinux.h directory in the search list: generated per kernel, never on a path we know here. */
const GENERATED_VMLINUX = '\0vmlinux';

/**
 * Which file a local compile of `source` reads for `include`, following compileFlags' order:
 * the source's directory (quoted only), -iquote, the project's -I/-isystem, our headers, the
 * target's vmlinux.h, then -idirafter (the project's, then clang's system directories). For
 * the hover; the compile itself asks clang.
 */
export async function resolveInclude(source: string, include: Pick<IncludeDirective, 'header' | 'quoted'>, options: { projectRoot?: string; clang?: string; extraFlags?: string[] } = {}): Promise<IncludeResolution> {
  const flagsSource = resolveProjectFlags(source, options.projectRoot);
  const dirs = includeDirs(flagsSource.flags);
  // The user's extra flags come last on the command line: their directories after ours in each group.
  const extra = includeDirs(projectCompileFlags(options.extraFlags ?? [], path.dirname(source)).flags);
  const clang = options.clang?.includes('/') ? path.resolve(options.clang) : options.clang ?? 'clang';
  const system = dirs.noStdInc ? [] : await clangSystemIncludeDirs(clang, clangIdentity(clang));
  const searched = [
    ...(include.quoted ? [path.dirname(source), ...dirs.quote, ...extra.quote] : []),
    ...dirs.angled, bpfHeadersDir(), GENERATED_VMLINUX, ...extra.angled, ...dirs.after, ...system, ...extra.after,
  ];
  for (const dir of searched) {
    if (dir === GENERATED_VMLINUX) {
      if (include.header === 'vmlinux.h') return { generated: true, flagsSource };
      continue;
    }
    const candidate = path.join(dir, include.header);
    if (fs.statSync(candidate, { throwIfNoEntry: false })?.isFile()) return { path: candidate, flagsSource };
  }
  return { searched: searched.map((dir) => (dir === GENERATED_VMLINUX ? 'the target\'s generated vmlinux.h' : dir)), flagsSource };
}

/**
 * For the host report: where a directory's sources take their flags from, and what the local
 * clang's system headers offer -target bpf.
 */
export async function compileEnvironment(dir: string, clang = 'clang'): Promise<{ flagsFrom: { kind: FlagsSource['kind']; path?: string }; systemIncludes: string[]; problems: string[] }> {
  const resolved = clang.includes('/') ? path.resolve(clang) : clang;
  const systemIncludes = await clangSystemIncludeDirs(resolved, clangIdentity(resolved));
  const problems: string[] = [];
  // glibc's headers reached from -target bpf see no __x86_64__ and include the 32-bit stubs.
  if (process.arch === 'x64' && systemIncludes.length > 0 && !systemIncludes.some((include) => fs.existsSync(path.join(include, 'gnu', 'stubs-32.h')))) {
    problems.push('no gnu/stubs-32.h in clang\'s system headers: BPF programs that include glibc headers will not compile (Debian: apt-get install libc6-dev-i386)');
  }
  return { flagsFrom: nearestBuildDescription(dir), systemIncludes, problems };
}
