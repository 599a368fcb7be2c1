/**
 * Index of the kernel's function symbols from /proc/kallsyms, tagged with what the attach code
 * needs to know: can ftrace patch it (available_filter_functions), may kprobes touch it
 * (kprobes/blacklist), does BTF describe it (fentry/fexit need a BTF FUNC).
 *
 * A kernel has ~120k text symbols, so the index is a sorted array with parallel typed arrays
 * instead of objects: building stays well under our 300 ms budget and prefix queries are a
 * binary search plus a short scan.
 */
import { lowerBound } from '../tracefs/catalog';

export interface ParseError {
  line: number;
  message: string;
}

/** What the target kernel can do; `undefined` means "not probed", and no diagnostic relies on it. */
export interface KernelCapabilities {
  /** CONFIG_KPROBES and CONFIG_KPROBE_EVENTS: tracefs has `kprobe_events`. */
  kprobes?: boolean;
  /** /sys/kernel/btf/vmlinux exists. */
  btf?: boolean;
  /** fentry/fexit trampolines attach (needs BTF plus direct-call ftrace support on the arch). */
  fentry?: boolean;
}

export interface KallsymsOptions {
  /** Text of tracing/available_filter_functions; lines may end with ` [module]`. */
  availableFilterFunctions?: string;
  /** Text of debugfs kprobes/blacklist: `0xSTART-0xEND\tname` per line. */
  kprobeBlacklist?: string;
  /** Names the vmlinux/module BTF has a FUNC for; a Set works. */
  btfFunctions?: { has(name: string): boolean };
  capabilities?: KernelCapabilities;
}

export interface KernelSymbol {
  name: string;
  /** Hex without `0x`, as kallsyms prints it; all zeros when read without CAP_SYSLOG. */
  address: string;
  /** kallsyms type letter: `T`/`t` text, `W`/`w` weak text. */
  type: string;
  module?: string;
  /** How many kallsyms entries share this name (static functions in different files). */
  count: number;
  /** `undefined` when available_filter_functions was not supplied. */
  traceable?: boolean;
  /** `undefined` when kprobes/blacklist was not supplied. */
  blacklisted?: boolean;
  /** `undefined` when no BTF names were supplied. */
  hasBtf?: boolean;
}

export interface SymbolSearchResult {
  names: string[];
  /** More matches existed than `limit`. */
  truncated: boolean;
}

export interface KallsymsIndex {
  readonly size: number;
  readonly capabilities: KernelCapabilities;
  /** Which tag sources were supplied, so callers can tell "not traceable" from "unknown". */
  readonly sources: { traceable: boolean; blacklist: boolean; btf: boolean };
  /** Lines that did not parse, plus counts of what was deliberately skipped. */
  readonly errors: readonly ParseError[];
  readonly skipped: { nonText: number; paddingSymbols: number };
  /** Sorted unique names. */
  readonly names: readonly string[];
  has(name: string): boolean;
  get(name: string): KernelSymbol | undefined;
  withPrefix(prefix: string, limit?: number): SymbolSearchResult;
  /** Exact match first, then prefix matches, then substring matches, up to `limit`. */
  search(query: string, limit?: number): SymbolSearchResult;
  /** Names within a small edit distance of `name`, closest first. */
  suggest(name: string, limit?: number): string[];
}

const TRACEABLE = 1;
const BLACKLISTED = 2;
const HAS_BTF = 4;
// Weak symbols (W/w) are kept: in kallsyms they are overridable functions (`abort`, arch hooks)
// that kprobes and fentry attach to like any other.
const TEXT_TYPES = 'TtWw';

interface RawSymbol {
  name: string;
  address: string;
  type: string;
  module: string | undefined;
}

/** Parses every line, keeping text symbols only; odd lines become errors. */
export function parseKallsyms(text: string): { symbols: RawSymbol[]; errors: ParseError[]; nonText: number } {
  const symbols: RawSymbol[] = [];
  const errors: ParseError[] = [];
  let nonText = 0;
  let start = 0;
  let lineNumber = 0;
  // A manual scan: split('\n') plus regex per line costs ~3x more on 120k lines.
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    lineNumber++;
    const line = text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end);
    start = end + 1;
    if (line.length === 0) continue;
    const firstSpace = line.indexOf(' ');
    const secondSpace = firstSpace === -1 ? -1 : line.indexOf(' ', firstSpace + 1);
    if (firstSpace <= 0 || secondSpace !== firstSpace + 2 || secondSpace + 1 >= line.length) {
      errors.push({ line: lineNumber, message: `expected "address type name [module]": "${clip(line)}"` });
      continue;
    }
    const address = line.slice(0, firstSpace);
    if (!isHex(address)) {
      errors.push({ line: lineNumber, message: `address is not hex: "${clip(line)}"` });
      continue;
    }
    const type = line[firstSpace + 1];
    if (!TEXT_TYPES.includes(type)) {
      nonText++;
      continue;
    }
    const rest = line.slice(secondSpace + 1);
    const tab = rest.indexOf('\t');
    let name = rest;
    let module: string | undefined;
    if (tab !== -1) {
      name = rest.slice(0, tab);
      const moduleText = rest.slice(tab + 1).trim();
      if (moduleText.startsWith('[') && moduleText.endsWith(']')) module = moduleText.slice(1, -1);
      else errors.push({ line: lineNumber, message: `module column is not "[name]": "${clip(line)}"` });
    }
    if (name === '' || name.includes(' ')) {
      errors.push({ line: lineNumber, message: `bad symbol name: "${clip(line)}"` });
      continue;
    }
    symbols.push({ name, address, type, module });
  }
  return { symbols, errors, nonText };
}

export function buildKallsymsIndex(kallsymsText: string, options: KallsymsOptions = {}): KallsymsIndex {
  const parsed = parseKallsyms(kallsymsText);
  const errors = [...parsed.errors];
  let paddingSymbols = 0;

  // `__pfx_*` are alignment-padding labels in front of each function (CONFIG_CALL_PADDING); never attach points.
  const kept = parsed.symbols.filter((symbol) => {
    if (symbol.name.startsWith('__pfx_')) {
      paddingSymbols++;
      return false;
    }
    return true;
  });
  sortByName(kept);

  const names: string[] = [];
  const firstOf: RawSymbol[] = [];
  const counts: number[] = [];
  for (const symbol of kept) {
    if (names.length > 0 && names[names.length - 1] === symbol.name) {
      counts[counts.length - 1]++;
      continue;
    }
    names.push(symbol.name);
    firstOf.push(symbol);
    counts.push(1);
  }

  const flags = new Uint8Array(names.length);
  const traceableNames = options.availableFilterFunctions !== undefined ? parseNameList(options.availableFilterFunctions) : undefined;
  const blacklist = options.kprobeBlacklist !== undefined ? parseKprobeBlacklist(options.kprobeBlacklist) : undefined;
  if (blacklist) errors.push(...blacklist.errors);
  const blacklistRanges = usableRanges(blacklist ? blacklist.entries : []);
  for (let index = 0; index < names.length; index++) {
    const name = names[index];
    let bits = 0;
    if (traceableNames?.has(name)) bits |= TRACEABLE;
    if (blacklist && (blacklist.names.has(name) || inRanges(blacklistRanges, firstOf[index].address))) bits |= BLACKLISTED;
    if (options.btfFunctions?.has(name)) bits |= HAS_BTF;
    flags[index] = bits;
  }

  const sources = {
    traceable: traceableNames !== undefined,
    blacklist: blacklist !== undefined,
    btf: options.btfFunctions !== undefined,
  };

  const indexOf = (name: string): number => {
    const position = lowerBound(names, name);
    return position < names.length && names[position] === name ? position : -1;
  };

  let haystack: Haystack | undefined;
  const withPrefix = (prefix: string, limit = Infinity): SymbolSearchResult => {
    const result: string[] = [];
    let position = lowerBound(names, prefix);
    for (; position < names.length && names[position].startsWith(prefix); position++) {
      if (result.length >= limit) return { names: result, truncated: true };
      result.push(names[position]);
    }
    return { names: result, truncated: false };
  };

  return {
    size: names.length,
    capabilities: options.capabilities ?? {},
    sources,
    errors,
    skipped: { nonText: parsed.nonText, paddingSymbols },
    names,
    has: (name) => indexOf(name) !== -1,
    get: (name) => {
      const position = indexOf(name);
      if (position === -1) return undefined;
      const raw = firstOf[position];
      const bits = flags[position];
      return {
        name,
        address: raw.address,
        type: raw.type,
        ...(raw.module !== undefined ? { module: raw.module } : {}),
        count: counts[position],
        ...(sources.traceable ? { traceable: (bits & TRACEABLE) !== 0 } : {}),
        ...(sources.blacklist ? { blacklisted: (bits & BLACKLISTED) !== 0 } : {}),
        ...(sources.btf ? { hasBtf: (bits & HAS_BTF) !== 0 } : {}),
      };
    },
    withPrefix,
    search: (query, limit = 200) => searchNames(names, query, limit, withPrefix, () => (haystack ??= buildHaystack(names))),
    suggest: (name, limit = 3) => suggestSimilar(names, name, limit),
  };
}

/**
 * Sorts in place by name. Bucketing on the first three characters first halves the time of one
 * big sort: kernel names share long prefixes (`__x64_sys_`, `bpf_`), which makes each string
 * comparison in a single sort slow. Concatenating the buckets in key order is the global order,
 * because two names from different buckets already differ (or end) within their keys.
 */
function sortByName(symbols: RawSymbol[]): void {
  const buckets = new Map<string, RawSymbol[]>();
  for (const symbol of symbols) {
    const key = symbol.name.slice(0, 3);
    const bucket = buckets.get(key);
    if (bucket) bucket.push(symbol);
    else buckets.set(key, [symbol]);
  }
  const keys = [...buckets.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let position = 0;
  for (const key of keys) {
    const bucket = buckets.get(key)!;
    if (bucket.length > 1) bucket.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const symbol of bucket) symbols[position++] = symbol;
  }
}

function searchNames(
  names: readonly string[],
  query: string,
  limit: number,
  withPrefix: (prefix: string, limit?: number) => SymbolSearchResult,
  haystack: () => Haystack,
): SymbolSearchResult {
  const prefixed = withPrefix(query, limit);
  if (prefixed.truncated || query === '') return { names: prefixed.names, truncated: prefixed.truncated || (query === '' && names.length > limit) };
  // Substring matches fill the rest: typing "unlink" should still offer do_unlinkat.
  const result = prefixed.names;
  const { text, starts } = haystack();
  let from = 0;
  for (;;) {
    const hit = text.indexOf(query, from);
    if (hit === -1) return { names: result, truncated: false };
    const index = upperBoundNumber(starts, hit) - 1;
    const name = names[index];
    if (hit !== starts[index]) {
      if (result.length >= limit) return { names: result, truncated: true };
      result.push(name);
    }
    // One entry per name, even when the query occurs in it twice.
    from = index + 1 < starts.length ? starts[index + 1] : text.length;
  }
}

/**
 * All names joined by newlines: one `indexOf` over a flat string is ~10x faster than calling
 * `includes` on 60k small strings that are slices of the kallsyms text.
 */
interface Haystack {
  text: string;
  /** Offset of each name in `text`. */
  starts: Int32Array;
}

function buildHaystack(names: readonly string[]): Haystack {
  const starts = new Int32Array(names.length);
  let offset = 0;
  names.forEach((name, index) => {
    starts[index] = offset;
    offset += name.length + 1;
  });
  return { text: names.join('\n'), starts };
}

function upperBoundNumber(sorted: Int32Array, key: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle] <= key) low = middle + 1;
    else high = middle;
  }
  return low;
}

const NAME_CHARACTERS = 'abcdefghijklmnopqrstuvwxyz0123456789_';

/**
 * Candidates come from two-character prefix buckets (binary-searched ranges of the sorted list):
 * the name's own first two characters, plus the buckets a typo in the first or second character,
 * a missing first character or an extra first character would have moved it out of. The full
 * 120k list is never run through the edit distance.
 */
export function suggestSimilar(sorted: readonly string[], name: string, limit = 3): string[] {
  if (name.length < 2) return [];
  const maxDistance = Math.max(1, Math.min(3, Math.floor(name.length / 4)));
  const buckets = new Set<string>([name.slice(0, 2), name.slice(1, 3)]);
  for (const character of NAME_CHARACTERS) {
    buckets.add(character + name[1]);
    buckets.add(name[0] + character);
    buckets.add(character + name[0]);
  }
  const scored: { name: string; distance: number }[] = [];
  for (const bucket of buckets) {
    if (bucket.length < 2) continue;
    for (let position = lowerBound(sorted, bucket); position < sorted.length && sorted[position].startsWith(bucket); position++) {
      const candidate = sorted[position];
      if (candidate === name || Math.abs(candidate.length - name.length) > maxDistance) continue;
      const distance = boundedEditDistance(name, candidate, maxDistance);
      if (distance <= maxDistance) scored.push({ name: candidate, distance });
    }
  }
  // Buckets are disjoint (distinct two-character prefixes), so no candidate is scored twice.
  scored.sort((a, b) => a.distance - b.distance || (a.name < b.name ? -1 : 1));
  return scored.slice(0, limit).map((entry) => entry.name);
}

/** Levenshtein distance, giving up (returning max+1) once every cell in a row exceeds `max`. */
export function boundedEditDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let previous = new Array<number>(b.length + 1);
  let current = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) previous[j] = j;
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    let rowMin = current[0];
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
      if (current[j] < rowMin) rowMin = current[j];
    }
    if (rowMin > max) return max + 1;
    [previous, current] = [current, previous];
  }
  return previous[b.length];
}

/** available_filter_functions: one name per line, optionally ` [module]`. */
function parseNameList(text: string): Set<string> {
  const names = new Set<string>();
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const line = text.slice(start, end);
    start = end + 1;
    const space = line.indexOf(' ');
    const name = (space === -1 ? line : line.slice(0, space)).trim();
    if (name !== '') names.add(name);
  }
  return names;
}

export interface BlacklistEntry {
  /** 16-digit lowercase hex, comparable as strings; empty when the kernel hid addresses. */
  start: string;
  end: string;
  name: string;
  module?: string;
}

export function parseKprobeBlacklist(text: string): { entries: BlacklistEntry[]; names: Set<string>; errors: ParseError[] } {
  const entries: BlacklistEntry[] = [];
  const names = new Set<string>();
  const errors: ParseError[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '') return;
    const match = /^0x([0-9a-fA-F]+)-0x([0-9a-fA-F]+)\s+(\S+)(?:\s+\[([^\]]+)\])?$/.exec(line);
    if (!match) {
      errors.push({ line: index + 1, message: `kprobes/blacklist: expected "0xSTART-0xEND\\tname": "${clip(line)}"` });
      return;
    }
    const entry: BlacklistEntry = { start: padAddress(match[1]), end: padAddress(match[2]), name: match[3] };
    if (match[4] !== undefined) entry.module = match[4];
    entries.push(entry);
    names.add(entry.name);
  });
  return { entries, names, errors };
}

/**
 * Ranges matter because the blacklist also lists whole sections (entry text, noinstr) under the
 * name of their first symbol; they are useless when the kernel printed zero addresses.
 * `maxEnd[i]` is the furthest end among the first i+1 ranges, so nested ranges need no scan.
 */
interface RangeTable {
  starts: string[];
  maxEnd: string[];
}

function usableRanges(entries: BlacklistEntry[]): RangeTable {
  const ranges = entries
    .filter((entry) => entry.start < entry.end && !/^0+$/.test(entry.start))
    .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const starts: string[] = [];
  const maxEnd: string[] = [];
  for (const range of ranges) {
    const previous = maxEnd.length > 0 ? maxEnd[maxEnd.length - 1] : '';
    starts.push(range.start);
    maxEnd.push(range.end > previous ? range.end : previous);
  }
  return { starts, maxEnd };
}

function inRanges(table: RangeTable, rawAddress: string): boolean {
  if (table.starts.length === 0) return false;
  const address = padAddress(rawAddress);
  if (/^0+$/.test(address)) return false;
  // Count of ranges starting at or before the address; any of them reaching past it contains it.
  let low = 0;
  let high = table.starts.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (table.starts[middle] <= address) low = middle + 1;
    else high = middle;
  }
  return low > 0 && address < table.maxEnd[low - 1];
}

function padAddress(hex: string): string {
  const lower = hex.toLowerCase();
  return lower.length >= 16 ? lower : '0'.repeat(16 - lower.length) + lower;
}

function isHex(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    const digit = code >= 48 && code <= 57;
    const lower = code >= 97 && code <= 102;
    const upper = code >= 65 && code <= 70;
    if (!digit && !lower && !upper) return false;
  }
  return text.length > 0;
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
