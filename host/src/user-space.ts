/**
 * The user-space side of uprobe/USDT completion for one target: the binaries and libraries
 * there (one command lists them all), and each binary's function symbols and USDT probes, read
 * from its ELF when first asked. Answers are synchronous for the language service: undefined
 * while a read is under way (the list is marked incomplete), and `onChange` fires when it lands.
 * Symbol tables are cached by build id, which stays the same for one file on every host.
 */
import * as path from 'node:path';
import type { ElfFunctionSymbol, UsdtProbe } from '../../core/src/elf/reader';
import type { UserSpaceCatalog, UserSpaceSymbol } from '../../core/src/language/catalog';
import { summarizeElfOffThread } from './elf-worker';
import type { Target } from './target';

/**
 * Executables on PATH and shared libraries in the usual library dirs, one path a line. libbpf
 * resolves a bare name the same way (PATH for programs, library dirs for `*.so*`).
 */
const LIST_SCRIPT = [
  'IFS=:',
  'for d in $PATH; do [ -d "$d" ] && find "$d" -maxdepth 1 \\( -type f -o -type l \\) -perm -u+x 2>/dev/null; done',
  'm=$(uname -m)',
  'for d in /lib /lib64 /usr/lib /usr/lib64 /usr/local/lib /lib/$m-linux-gnu /usr/lib/$m-linux-gnu; do',
  '  [ -d "$d" ] && find "$d" -maxdepth 1 -name "*.so*" 2>/dev/null',
  'done',
  'exit 0',
].join('\n');

interface BinaryInfo {
  path: string;
  buildId?: string;
  functions: string[];
  symbols: Map<string, ElfFunctionSymbol>;
  usdt: UsdtProbe[];
}

/** Shared by every target: the same build id is the same file. */
const byBuildId = new Map<string, BinaryInfo>();

export class TargetUserSpace implements UserSpaceCatalog {
  private list: string[] | undefined;
  private listing: Promise<void> | undefined;
  private readonly binariesByKey = new Map<string, BinaryInfo | { problem: string } | 'loading'>();

  constructor(private readonly target: Target, private readonly onChange: () => void = () => {}) {}

  /** Starts the listing now, so the first `uprobe/` completion finds it ready. */
  prefetch(): Promise<void> {
    this.listing ??= this.target.exec(['sh', '-c', LIST_SCRIPT], { timeoutMs: 15_000 }).then((result) => {
      const paths = new Set(result.stdout.toString('utf8').split('\n').filter((line) => line.startsWith('/')));
      this.list = [...paths].sort();
      this.onChange();
    }, () => {
      this.list = [];
      this.onChange();
    });
    return this.listing;
  }

  binaries(typed: string): string[] | undefined {
    if (!this.list) {
      void this.prefetch();
      return undefined;
    }
    if (typed.startsWith('/')) return this.list.filter((candidate) => candidate.startsWith(typed));
    return this.list.filter((candidate) => path.posix.basename(candidate).startsWith(typed));
  }

  functions(binary: string): string[] | undefined {
    return this.info(binary)?.functions;
  }

  usdtProbes(binary: string): { provider: string; name: string; args?: string }[] | undefined {
    return this.info(binary)?.usdt.map((probe) => ({ provider: probe.provider, name: probe.name, args: probe.args }));
  }

  symbol(binary: string, name: string): UserSpaceSymbol | undefined {
    const info = this.info(binary);
    const symbol = info?.symbols.get(name);
    if (!info || !symbol) return undefined;
    return {
      name, address: symbol.address, size: symbol.size, table: symbol.table, path: info.path,
      ...(symbol.fileOffset !== undefined ? { fileOffset: symbol.fileOffset } : {}),
      ...(info.buildId ? { buildId: info.buildId } : {}),
    };
  }

  problem(binary: string): string | undefined {
    const entry = this.binariesByKey.get(binary);
    return typeof entry === 'object' && 'problem' in entry ? entry.problem : undefined;
  }

  /** Waits for a binary's symbols (tests, and the server's prefetch of binaries the document names). */
  async load(binary: string): Promise<void> {
    this.info(binary);
    while (this.binariesByKey.get(binary) === 'loading') await new Promise((resolve) => setImmediate(resolve));
  }

  private info(binary: string): BinaryInfo | undefined {
    const entry = this.binariesByKey.get(binary);
    if (entry === 'loading') return undefined;
    if (entry) return 'problem' in entry ? undefined : entry;
    this.binariesByKey.set(binary, 'loading');
    void this.read(binary).then((result) => {
      this.binariesByKey.set(binary, result);
      this.onChange();
    });
    return undefined;
  }

  private async read(binary: string): Promise<BinaryInfo | { problem: string }> {
    const resolved = await this.resolve(binary);
    if (!resolved) return { problem: `no "${binary}" on ${this.target.name} (not on PATH nor in the library dirs)` };
    let bytes: Buffer;
    try {
      bytes = await this.target.readFile(resolved);
    } catch (error) {
      return { problem: `cannot read ${resolved} on ${this.target.name}: ${(error as Error).message}` };
    }
    const summary = await summarizeElfOffThread(bytes);
    if (summary.error) return { problem: `${resolved} is not an ELF file a uprobe can attach to: ${summary.error}` };
    const buildId = summary.buildId;
    const cached = buildId ? byBuildId.get(buildId) : undefined;
    if (cached) return { ...cached, path: resolved };
    const symbols = new Map<string, ElfFunctionSymbol>();
    // .symtab first: it has the local functions too, and its sizes are the linker's.
    for (const symbol of [...summary.functions].sort((a, b) => (a.table === b.table ? 0 : a.table === '.symtab' ? -1 : 1))) {
      if (!symbols.has(symbol.name)) symbols.set(symbol.name, symbol);
    }
    const info: BinaryInfo = { path: resolved, ...(buildId ? { buildId } : {}), functions: [...symbols.keys()].sort(), symbols, usdt: summary.usdt };
    if (buildId) byBuildId.set(buildId, info);
    return info;
  }

  private async resolve(binary: string): Promise<string | undefined> {
    if (binary.startsWith('/')) return binary;
    await this.prefetch();
    return this.list?.find((candidate) => path.posix.basename(candidate) === binary);
  }
}
