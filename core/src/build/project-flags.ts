/**
 * The part of a project's own compile command that our BPF compile takes over (issue #9): where
 * headers are found, macros, the language standard, warnings and code-generation switches.
 * Everything else is ours to decide (target, optimisation, debug info, output, diagnostics
 * format) or meaningless here (inputs, dependency files, linker flags), and is dropped with the
 * reason, so a hover or a log can show what was not used.
 */

export type FlagsSourceKind = 'compile_commands.json' | 'compile_flags.txt' | 'go:generate' | 'none';

/** Where a compile's project flags came from: shown by `bpfdev verify`, the host report and hover. */
export interface FlagsSource {
  kind: FlagsSourceKind;
  /** The file that held them (absent for `none`). */
  path?: string;
  /** 1-based line of the `//go:generate` directive. */
  line?: number;
  /** The flags taken, paths made absolute. */
  flags: string[];
  /** What the description held that we did not take, each with why. */
  dropped: DroppedFlag[];
  /** Descriptions found on the way that could not be read (broken JSON, an entry without a file). */
  errors?: string[];
}

export interface DroppedFlag {
  flag: string;
  reason: string;
}

export interface ProjectFlags {
  flags: string[];
  dropped: DroppedFlag[];
}

/** Options whose value is a directory or file, resolved against the command's directory. */
const PATH_OPTIONS = new Set(['-I', '-isystem', '-idirafter', '-iquote', '-include', '-imacros']);
/** Options that take the next word as their value, and that we drop with it. */
const DROPPED_WITH_VALUE: Record<string, string> = {
  '-o': 'we choose the output',
  '-target': 'always -target bpf',
  '-MF': 'dependency files are the build\'s business',
  '-MT': 'dependency files are the build\'s business',
  '-MQ': 'dependency files are the build\'s business',
  '-MJ': 'compilation database output',
  '-x': 'the source is C',
  '-arch': 'always -target bpf',
  '-Xclang': 'compiler-internal option',
  '-Xlinker': 'nothing is linked',
  '-Xassembler': 'nothing is assembled separately',
  '-Xpreprocessor': 'compiler-internal option',
  '-mllvm': 'backend-internal option',
  '-isysroot': 'the target\'s headers come from its own description',
  '--sysroot': 'the target\'s headers come from its own description',
  '-iprefix': 'unsupported include form',
  '-iwithprefix': 'unsupported include form',
  '-iwithprefixbefore': 'unsupported include form',
  '-include-pch': 'we manage precompiled headers',
  '-L': 'nothing is linked',
  '-main-file-name': 'compiler-internal option',
};
const DROPPED_ALONE: Record<string, string> = {
  '-c': 'we choose the action', '-S': 'we choose the action', '-E': 'we choose the action', '-v': 'output we do not read',
  '-M': 'dependency files are the build\'s business', '-MM': 'dependency files are the build\'s business',
  '-MD': 'dependency files are the build\'s business', '-MMD': 'dependency files are the build\'s business',
  '-MP': 'dependency files are the build\'s business', '-MG': 'dependency files are the build\'s business',
  '-pipe': 'no effect here', '-pthread': 'nothing is linked', '-shared': 'nothing is linked', '-static': 'nothing is linked',
  '-Werror': 'a warning stays a warning in the editor; the verdict is the verifier\'s',
  '-Qunused-arguments': 'no effect here',
};
const KEPT_ALONE = new Set(['-nostdinc', '-nostdlibinc', '-nobuiltininc', '-w', '-pedantic', '-ansi', '-trigraphs']);
/** -f switches that would break how we read clang's output or write files we do not expect. */
const DROPPED_F = /^-f(no-)?(color-diagnostics|caret-diagnostics|diagnostics-|message-length|pic$|PIC$|pie$|PIE$|stack-protector|sanitize|profile|coverage|lto|syntax-only|modules|cf-protection|save-optimization-record|time-trace|crash-diagnostics|ms-|debug-types-section|split-)/;

/**
 * The flags of `args` (one compile command's arguments, compiler name excluded) that our
 * compile takes, with relative paths resolved against `directory` (the command's working
 * directory, absolute).
 */
export function projectCompileFlags(args: readonly string[], directory: string): ProjectFlags {
  const flags: string[] = [];
  const dropped: DroppedFlag[] = [];
  const drop = (flag: string, reason: string) => dropped.push({ flag, reason });
  for (let index = 0; index < args.length; index++) {
    const arg = args[index];
    if (arg === '--') {
      for (const input of args.slice(index + 1)) drop(input, 'an input file');
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      drop(arg, arg.startsWith('@') ? 'response files are not read' : 'an input file, or the compiler');
      continue;
    }
    const pathOption = [...PATH_OPTIONS].find((option) => arg === option || (arg.startsWith(option) && !isLongerOption(arg, option)));
    if (pathOption) {
      const value = arg === pathOption ? args[++index] : arg.slice(pathOption.length);
      if (value === undefined) drop(arg, 'no value');
      else if (value.startsWith('=') || value.startsWith('$')) drop(`${pathOption}${value}`, 'a sysroot-relative or unexpanded path');
      else flags.push(pathOption, resolvePath(directory, value));
      continue;
    }
    if (arg === '-D' || arg === '-U') {
      const value = args[++index];
      if (value === undefined) drop(arg, 'no value');
      else pushMacro(arg, value, flags, drop);
      continue;
    }
    if (/^-[DU]./.test(arg)) {
      pushMacro(arg.slice(0, 2), arg.slice(2), flags, drop);
      continue;
    }
    if (arg in DROPPED_WITH_VALUE) {
      const value = args[++index];
      drop(value === undefined ? arg : `${arg} ${value}`, DROPPED_WITH_VALUE[arg]);
      continue;
    }
    if (arg in DROPPED_ALONE) {
      drop(arg, DROPPED_ALONE[arg]);
      continue;
    }
    if (KEPT_ALONE.has(arg) || /^--?std=/.test(arg)) {
      flags.push(arg);
    } else if (arg.startsWith('-W')) {
      if (/^-W[lpa],/.test(arg)) drop(arg, 'passed to another tool');
      else flags.push(arg);
    } else if (arg.startsWith('-f')) {
      if (DROPPED_F.test(arg)) drop(arg, 'conflicts with how bpfdev compiles and reads clang\'s output');
      else flags.push(arg);
    } else if (/^-mcpu=(v\d+|generic|probe)$/.test(arg)) {
      flags.push(arg);
    } else if (/^-x./.test(arg)) {
      drop(arg, 'the source is C');
    } else if (/^-(O|g)/.test(arg)) {
      drop(arg, 'always -g -O2: BTF and CO-RE need debug info, the verifier optimised code');
    } else if (/^-M/.test(arg)) {
      drop(arg, 'dependency files are the build\'s business');
    } else if (/^--?target=/.test(arg) || /^-m/.test(arg)) {
      drop(arg, 'always -target bpf');
    } else {
      drop(arg, 'not a flag bpfdev passes on');
    }
  }
  return { flags, dropped };
}

/** `-isystemfoo` is -isystem with a value, but `-include-pch` is not -include: only known longer options count. */
function isLongerOption(arg: string, option: string): boolean {
  return option === '-include' && arg.startsWith('-include-pch') || option === '-I' && arg.startsWith('-I-');
}

function pushMacro(option: string, value: string, flags: string[], drop: (flag: string, reason: string) => void): void {
  // The target's arch is ours to set (bpf_tracing.h's PT_REGS); a project's own value would contradict it on another target.
  if (/^__TARGET_ARCH_/.test(value)) drop(`${option}${value}`, 'set for the target');
  else flags.push(`${option}${value}`);
}

export interface IncludeDirs {
  /** -iquote: for `#include "x"` only, after the source's own directory. */
  quote: string[];
  /** -I and -isystem, in order. */
  angled: string[];
  /** -idirafter: after the system directories. */
  after: string[];
  /** -include / -imacros: read before the source. */
  forced: string[];
  /** -nostdinc and friends: clang's system directories are not searched. */
  noStdInc: boolean;
}

/** The include-search facts of a flag list as projectCompileFlags returns it (`-I dir` pairs). */
export function includeDirs(flags: readonly string[]): IncludeDirs {
  const dirs: IncludeDirs = { quote: [], angled: [], after: [], forced: [], noStdInc: false };
  for (let index = 0; index < flags.length; index++) {
    const flag = flags[index];
    const value = flags[index + 1];
    if (flag === '-nostdinc' || flag === '-nostdlibinc') dirs.noStdInc = true;
    if (!PATH_OPTIONS.has(flag) || value === undefined) continue;
    index++;
    if (flag === '-iquote') dirs.quote.push(value);
    else if (flag === '-I' || flag === '-isystem') dirs.angled.push(value);
    else if (flag === '-idirafter') dirs.after.push(value);
    else dirs.forced.push(value);
  }
  return dirs;
}

/** POSIX path resolution without Node's `path` (core is pure): `value` against the absolute `base`. */
export function resolvePath(base: string, value: string): string {
  return normalizePath(value.startsWith('/') ? value : `${base}/${value}`);
}

export function normalizePath(value: string): string {
  const parts: string[] = [];
  for (const part of value.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return `/${parts.join('/')}`;
}

export function baseName(value: string): string {
  return value.slice(value.lastIndexOf('/') + 1);
}

export function dirName(value: string): string {
  const at = value.lastIndexOf('/');
  return at <= 0 ? '/' : value.slice(0, at);
}

/** One line naming where a compile's project flags came from, for the CLI, hover and logs. */
export function describeFlagsSource(source: FlagsSource): string {
  if (source.kind === 'none') return 'no build description found (compile_commands.json, compile_flags.txt, bpf2go go:generate): bpfdev\'s flags only';
  const where = `${source.path ?? ''}${source.line ? `:${source.line}` : ''}`;
  const taken = source.flags.length ? source.flags.join(' ') : 'no flags bpfdev uses';
  return `flags from ${source.kind === 'go:generate' ? 'go:generate in ' : ''}${where}: ${taken}`;
}
