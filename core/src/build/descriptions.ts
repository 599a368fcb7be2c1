/**
 * Readers for the three build descriptions a BPF project may carry (issue #9): a JSON
 * compilation database (clangd's and CMake's compile_commands.json), clangd's compile_flags.txt,
 * and cilium/ebpf's `//go:generate … bpf2go … -- FLAGS` lines. Each takes the file's text and
 * returns the compile arguments for one source, never throwing on a malformed file: a broken
 * description is reported, and the compile goes on without it.
 */
import { splitShellWords } from './shell-words';
import { normalizePath, resolvePath } from './project-flags';

export interface CompileCommand {
  /** Absolute working directory of the command. */
  directory: string;
  /** The source, absolute. */
  file: string;
  /** The command's arguments, the compiler first. */
  arguments: string[];
}

export interface Parsed<T> {
  value: T;
  errors: string[];
}

/**
 * The entries of a compile_commands.json. Both forms of an entry are read: `arguments` (a
 * list) and `command` (one shell-escaped string); `directory` and `file` may be relative, to
 * the database's own directory and to `directory` respectively.
 */
export function parseCompileCommands(text: string, databaseDir: string): Parsed<CompileCommand[]> {
  const errors: string[] = [];
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { value: [], errors: [`not JSON: ${(error as Error).message}`] };
  }
  if (!Array.isArray(json)) return { value: [], errors: ['not a list of compile commands'] };
  const entries: CompileCommand[] = [];
  json.forEach((item: unknown, index) => {
    const entry = item as { directory?: unknown; file?: unknown; arguments?: unknown; command?: unknown } | null;
    if (!entry || typeof entry !== 'object' || typeof entry.file !== 'string') {
      errors.push(`entry ${index}: no "file"`);
      return;
    }
    const directory = resolvePath(databaseDir, typeof entry.directory === 'string' ? entry.directory : '.');
    let args: string[];
    if (Array.isArray(entry.arguments) && entry.arguments.every((arg) => typeof arg === 'string')) {
      args = entry.arguments as string[];
    } else if (typeof entry.command === 'string') {
      const split = splitShellWords(entry.command);
      if (split.error) errors.push(`entry ${index}: ${split.error} in "command"`);
      args = split.words;
    } else {
      errors.push(`entry ${index}: neither "arguments" nor "command"`);
      return;
    }
    entries.push({ directory, file: resolvePath(directory, entry.file), arguments: args });
  });
  return { value: entries, errors };
}

/** The database's command for `source` (absolute), the first when the build compiles it more than once. */
export function compileCommandFor(entries: readonly CompileCommand[], source: string): CompileCommand | undefined {
  const wanted = normalizePath(source);
  return entries.find((entry) => entry.file === wanted);
}

/**
 * clangd's compile_flags.txt: one argument per line, for every source below its directory;
 * relative paths are relative to that directory.
 */
export function parseCompileFlagsTxt(text: string): string[] {
  return text.split('\n').map((line) => line.replace(/\r$/, '').trim()).filter((line) => line !== '');
}

export interface Bpf2goDirective {
  /** 1-based line of the `//go:generate` comment. */
  line: number;
  /** The C source it compiles, resolved against the Go file's directory. */
  source: string;
  /** `-cflags` value then the words after `--`: bpf2go passes both to clang. */
  args: string[];
  /** Words that name environment variables `go generate` would expand: we cannot know their value. */
  unexpanded: string[];
}

/** Options of bpf2go that stand alone; every other option takes the next word (or `=value`). */
const BPF2GO_BOOLEANS = new Set(['-no-strip', '-no-global-types', '-help', '-h']);

/**
 * cilium/ebpf's bpf2go directives in one Go file: `//go:generate [go run|go tool] …bpf2go
 * [options] <ident> <source.c> [-- clang flags]`. `go generate` splits the line at spaces,
 * honouring double quotes, and expands `$VAR`: words with a `$` are reported, not guessed.
 */
export function parseBpf2goDirectives(goText: string, goDir: string): Bpf2goDirective[] {
  const directives: Bpf2goDirective[] = [];
  goText.split('\n').forEach((rawLine, index) => {
    const line = rawLine.replace(/\r$/, '');
    if (!line.startsWith('//go:generate ')) return;
    const words = splitShellWords(line.slice('//go:generate '.length)).words;
    const tool = words.findIndex((word) => /(^|\/)bpf2go(@\S*)?$/.test(word));
    if (tool < 0) return;
    const rest = words.slice(tool + 1);
    const separator = rest.indexOf('--');
    const options = separator < 0 ? rest : rest.slice(0, separator);
    const positional: string[] = [];
    let cflags: string[] = [];
    const unexpanded: string[] = [];
    for (let at = 0; at < options.length; at++) {
      const word = options[at];
      if (!word.startsWith('-')) {
        positional.push(word);
        continue;
      }
      const name = word.replace(/^--?/, '-').replace(/=.*$/, '');
      if (BPF2GO_BOOLEANS.has(name)) continue;
      const value = word.includes('=') ? word.slice(word.indexOf('=') + 1) : options[++at];
      if (name === '-cflags' && value !== undefined) {
        if (value.includes('$')) unexpanded.push(value);
        else cflags = splitShellWords(value).words;
      }
    }
    // bpf2go's positionals are the Go identifier stem, then the source file.
    const sourceWord = positional[1] ?? positional.find((word) => word.endsWith('.c'));
    if (!sourceWord) return;
    const after = separator < 0 ? [] : rest.slice(separator + 1);
    unexpanded.push(...after.filter((word) => word.includes('$')));
    directives.push({
      line: index + 1,
      source: resolvePath(goDir, sourceWord),
      args: [...cflags, ...after.filter((word) => !word.includes('$'))],
      unexpanded,
    });
  });
  return directives;
}

/** The directive among several that compiles `source` (absolute). */
export function bpf2goDirectiveFor(directives: readonly Bpf2goDirective[], source: string): Bpf2goDirective | undefined {
  const wanted = normalizePath(source);
  return directives.find((directive) => directive.source === wanted);
}
