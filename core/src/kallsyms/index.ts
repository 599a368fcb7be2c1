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
  /** fentry/fexit trampolines attach; only a load attempt can tell (the loader's `probe` makes one). */
  fentry?: boolean;
  /** Why the fentry probe failed, as the loader put it (`... EPERM (Operation not permitted)`). */
  fentryReason?: string;
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
  readonly sources: KallsymsSources;
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
  /** The compact tables behind the index, for a cache (see kallsymsIndexFromTables). */
  tables(): KallsymsTables;
}

export interface KallsymsSources {
  traceable: boolean;
  blacklist: boolean;
  btf: boolean;
}

/**
 * Everything an index needs, in a form that costs little to store and to load: the sorted
 * unique names as ONE newline-joined string (also the substring-search haystack), a flag byte
 * per name, and the rare extras (duplicate counts, modules) as sparse pairs. No addresses:
 * KASLR moves them on every boot, so a cache keyed by kernel build could not keep them.
 */
export interface KallsymsTables {
  /** Sorted unique names joined by `\n`. */
  joinedNames: string;
  /** One byte per name: the FLAG_* bits. */
  flags: Uint8Array;
  /** `[nameIndex, count]` for names that occur more than once. */
  duplicates: [number, number][];
  /** Module names; `moduleOf` points into this. */
  modules: string[];
  /** `[nameIndex, moduleIndex]` for module symbols. */
  moduleOf: [number, number][];
  sources: KallsymsSources;
  capabilities: KernelCapabilities;
  errors: ParseError[];
  skipped: { nonText: number; paddingSymbols: number };
}

export const FLAG_TRACEABLE = 1;
export const FLAG_BLACKLISTED = 2;
export const FLAG_HAS_BTF = 4;
/** Lower-case type letter: a local (static) symbol. */
export const FLAG_LOCAL = 8;
/** `W`/`w`: a weak symbol. */
export const FLAG_WEAK = 16;

/** At most this many parse errors are kept: a garbage input must not cost megabytes of messages. */
const MAX_ERRORS = 100;

interface RawSymbol {
  name: string;
  address: string;
  type: string;
  module: string | undefined;
}

/**
 * Parses every line, keeping text symbols only; odd lines become errors. Weak symbols (W/w) are
 * kept: in kallsyms they are overridable functions (`abort`, arch hooks) that kprobes and fentry
 * attach to like any other.
 */
export function parseKallsyms(text: string): { symbols: RawSymbol[]; errors: ParseError[]; nonText: number } {
  const symbols: RawSymbol[] = [];
  const errors: ParseError[] = [];
  let nonText = 0;
  scanKallsyms(text, (nameStart, nameEnd, type, module, lineStart, addressEnd) => {
    symbols.push({ name: text.slice(nameStart, nameEnd), address: text.slice(lineStart, addressEnd), type, module });
  }, errors, () => nonText++);
  return { symbols, errors, nonText };
}

/**
 * The line scanner behind parseKallsyms and the index build. It works on offsets into the text
 * and slices nothing but modules: 120k lines of garbage strings would otherwise cost more in GC
 * than the parsing itself. Name and address are handed over as offsets.
 */
function scanKallsyms(
  text: string,
  onSymbol: (nameStart: number, nameEnd: number, type: string, module: string | undefined, lineStart: number, addressEnd: number) => void,
  errors: ParseError[],
  onNonText: () => void,
): void {
  let start = 0;
  let lineNumber = 0;
  const error = (message: string, from: number, to: number) => {
    if (errors.length < MAX_ERRORS) errors.push({ line: lineNumber, message: message.replace('%s', clip(text.slice(from, to))) });
  };
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    lineNumber++;
    const lineStart = start;
    const lineEnd = end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    start = end + 1;
    if (lineEnd === lineStart) continue;
    const firstSpace = spaceWithin(text, lineStart, lineEnd);
    const secondSpace = firstSpace === -1 ? -1 : spaceWithin(text, firstSpace + 1, lineEnd);
    if (firstSpace <= lineStart || secondSpace !== firstSpace + 2 || secondSpace + 1 >= lineEnd) {
      error('expected "address type name [module]": "%s"', lineStart, lineEnd);
      continue;
    }
    if (!isHexRange(text, lineStart, firstSpace)) {
      error('address is not hex: "%s"', lineStart, lineEnd);
      continue;
    }
    const typeCode = text.charCodeAt(firstSpace + 1);
    // T t W w: text symbols, weak ones included.
    if (typeCode !== 84 && typeCode !== 116 && typeCode !== 87 && typeCode !== 119) {
      onNonText();
      continue;
    }
    // Bounded by hand: indexOf would run past the line (to the end of the text when no line has a tab).
    let nameEnd = secondSpace + 1;
    let spaceInName = false;
    for (; nameEnd < lineEnd; nameEnd++) {
      const code = text.charCodeAt(nameEnd);
      if (code === 9) break;
      if (code === 32) spaceInName = true;
    }
    let module: string | undefined;
    if (nameEnd < lineEnd) {
      const moduleText = text.slice(nameEnd + 1, lineEnd).trim();
      if (moduleText.startsWith('[') && moduleText.endsWith(']')) module = moduleText.slice(1, -1);
      else error('module column is not "[name]": "%s"', lineStart, lineEnd);
    }
    if (nameEnd === secondSpace + 1 || spaceInName) {
      error('bad symbol name: "%s"', lineStart, lineEnd);
      continue;
    }
    onSymbol(secondSpace + 1, nameEnd, text[firstSpace + 1], module, lineStart, firstSpace);
  }
}

/** Builds the compact tables from kallsyms text and the tag sources. */
export function buildKallsymsTables(kallsymsText: string, options: KallsymsOptions = {}): KallsymsTables {
  const errors: ParseError[] = [];
  let nonText = 0;
  let paddingSymbols = 0;
  // One slot per distinct name, in text order; what kallsyms says about the name's first entry.
  const slotOf = new Map<string, number>();
  const slotType: string[] = [];
  const slotModule: (string | undefined)[] = [];
  const slotAddress: number[] = [];
  const slotCount: number[] = [];
  scanKallsyms(kallsymsText, (nameStart, nameEnd, type, module, lineStart, addressEnd) => {
    // `__pfx_*` are alignment-padding labels in front of each function (CONFIG_CALL_PADDING); never attach points.
    // Half of all text symbols are: checked before slicing.
    if (kallsymsText.startsWith('__pfx_', nameStart)) {
      paddingSymbols++;
      return;
    }
    const name = kallsymsText.slice(nameStart, nameEnd);
    const slot = slotOf.get(name);
    if (slot !== undefined) {
      slotCount[slot]++;
      return;
    }
    slotOf.set(name, slotType.length);
    slotType.push(type);
    slotModule.push(module);
    slotAddress.push(lineStart | 0, addressEnd | 0);
    slotCount.push(1);
  }, errors, () => nonText++);
  const names = sortNames([...slotOf.keys()]);

  const flags = new Uint8Array(names.length);
  const traceableNames = options.availableFilterFunctions !== undefined ? parseNameList(options.availableFilterFunctions) : undefined;
  const blacklist = options.kprobeBlacklist !== undefined ? parseKprobeBlacklist(options.kprobeBlacklist) : undefined;
  if (blacklist) errors.push(...blacklist.errors.slice(0, Math.max(0, MAX_ERRORS - errors.length)));
  const blacklistRanges = usableRanges(blacklist ? blacklist.entries : []);
  const modules: string[] = [];
  const moduleIds = new Map<string, number>();
  const moduleOf: [number, number][] = [];
  const duplicates: [number, number][] = [];
  for (let index = 0; index < names.length; index++) {
    const name = names[index];
    const slot = slotOf.get(name)!;
    const type = slotType[slot];
    let bits = 0;
    if (traceableNames?.has(name)) bits |= FLAG_TRACEABLE;
    if (blacklist && (blacklist.names.has(name)
      || inRanges(blacklistRanges, kallsymsText.slice(slotAddress[2 * slot], slotAddress[2 * slot + 1])))) bits |= FLAG_BLACKLISTED;
    if (options.btfFunctions?.has(name)) bits |= FLAG_HAS_BTF;
    if (type === 't' || type === 'w') bits |= FLAG_LOCAL;
    if (type === 'W' || type === 'w') bits |= FLAG_WEAK;
    flags[index] = bits;
    if (slotCount[slot] > 1) duplicates.push([index, slotCount[slot]]);
    const module = slotModule[slot];
    if (module !== undefined) {
      let id = moduleIds.get(module);
      if (id === undefined) {
        id = modules.length;
        // Names are re-split from the joined string below, but module names would otherwise stay slices of the whole text.
        modules.push(flatCopy(module));
        moduleIds.set(module, id);
      }
      moduleOf.push([index, id]);
    }
  }

  return {
    joinedNames: names.join('\n'),
    flags,
    duplicates,
    modules,
    moduleOf,
    sources: {
      traceable: traceableNames !== undefined,
      blacklist: blacklist !== undefined,
      btf: options.btfFunctions !== undefined,
    },
    capabilities: options.capabilities ?? {},
    errors,
    skipped: { nonText, paddingSymbols },
  };
}

export function buildKallsymsIndex(kallsymsText: string, options: KallsymsOptions = {}): KallsymsIndex {
  return kallsymsIndexFromTables(buildKallsymsTables(kallsymsText, options));
}

/**
 * An index over tables (freshly built or loaded from a cache). Only the name array is derived
 * here, by one split of the joined string, so loading costs a few milliseconds.
 */
export function kallsymsIndexFromTables(tables: KallsymsTables): KallsymsIndex {
  const { joinedNames, flags, sources } = tables;
  const names: string[] = joinedNames === '' ? [] : joinedNames.split('\n');
  const counts = new Map<number, number>(tables.duplicates);
  const moduleOf = new Map<number, number>(tables.moduleOf);

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
    capabilities: tables.capabilities,
    sources,
    errors: tables.errors,
    skipped: tables.skipped,
    names,
    has: (name) => indexOf(name) !== -1,
    get: (name) => {
      const position = indexOf(name);
      if (position === -1) return undefined;
      const bits = flags[position];
      const letter = bits & FLAG_WEAK ? 'W' : 'T';
      const module = moduleOf.get(position);
      return {
        name,
        type: bits & FLAG_LOCAL ? letter.toLowerCase() : letter,
        ...(module !== undefined ? { module: tables.modules[module] } : {}),
        count: counts.get(position) ?? 1,
        ...(sources.traceable ? { traceable: (bits & FLAG_TRACEABLE) !== 0 } : {}),
        ...(sources.blacklist ? { blacklisted: (bits & FLAG_BLACKLISTED) !== 0 } : {}),
        ...(sources.btf ? { hasBtf: (bits & FLAG_HAS_BTF) !== 0 } : {}),
      };
    },
    withPrefix,
    search: (query, limit = 200) => searchNames(names, query, limit, withPrefix, () => (haystack ??= buildHaystack(names, joinedNames))),
    suggest: (name, limit = 3) => suggestSimilar(names, name, limit),
    tables: () => tables,
  };
}

/**
 * A flat copy of a short string. V8 keeps substrings as views into their parent (for 13+
 * characters), so names sliced from the fetched text would pin all ~10 MB of it.
 */
function flatCopy(text: string): string {
  return text.length < 13 ? text : (' ' + text).slice(1);
}

/**
 * Sorts names in code-unit order (as `<` compares). Bucketing on the first four characters and
 * sorting each bucket with the built-in comparison is ~2x faster than one big sort: kernel names
 * share long prefixes (`__x64_sys_`, `bpf_`), which makes each comparison slow, and a JS
 * comparator costs a call per comparison. Concatenating the buckets in key order is the global
 * order, because names from different buckets already differ (or end) within their keys.
 */
function sortNames(names: string[]): string[] {
  const buckets = new Map<string, string[]>();
  for (const name of names) {
    const key = name.slice(0, 4);
    const bucket = buckets.get(key);
    if (bucket) bucket.push(name);
    else buckets.set(key, [name]);
  }
  const sorted: string[] = [];
  for (const key of [...buckets.keys()].sort()) {
    const bucket = buckets.get(key)!;
    if (bucket.length > 1) bucket.sort();
    for (const name of bucket) sorted.push(name);
  }
  return sorted;
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

function buildHaystack(names: readonly string[], joined: string): Haystack {
  const starts = new Int32Array(names.length);
  let offset = 0;
  names.forEach((name, index) => {
    starts[index] = offset;
    offset += name.length + 1;
  });
  return { text: joined, starts };
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

/** Two reusable rows: suggestSimilar calls this for thousands of candidates per keystroke. */
let rowA = new Int32Array(64);
let rowB = new Int32Array(64);

/**
 * Levenshtein distance when it is at most `max`, else `max + 1`. Only the diagonal band
 * |i - j| <= max can hold such values, so only it is computed (O(max * length)); the row gives
 * up as soon as every cell in it exceeds `max`.
 */
export function boundedEditDistance(a: string, b: string, max: number): number {
  const n = a.length;
  const m = b.length;
  const over = max + 1;
  if (Math.abs(n - m) > max) return over;
  if (m + 2 > rowA.length) {
    rowA = new Int32Array(2 * (m + 2));
    rowB = new Int32Array(2 * (m + 2));
  }
  let previous = rowA;
  let current = rowB;
  for (let j = 0; j <= m; j++) previous[j] = j <= max ? j : over;
  previous[m + 1] = over;
  for (let i = 1; i <= n; i++) {
    const from = Math.max(1, i - max);
    const to = Math.min(m, i + max);
    current[0] = i <= max ? i : over;
    // Cells just outside the band read as "too far", for this row and the next.
    if (from > 1) current[from - 1] = over;
    current[to + 1] = over;
    let rowMin = current[0];
    const code = a.charCodeAt(i - 1);
    for (let j = from; j <= to; j++) {
      let value = previous[j - 1] + (code === b.charCodeAt(j - 1) ? 0 : 1);
      const up = previous[j] + 1;
      const left = current[j - 1] + 1;
      if (up < value) value = up;
      if (left < value) value = left;
      current[j] = value;
      if (value < rowMin) rowMin = value;
    }
    if (rowMin > max) return over;
    const swap = previous;
    previous = current;
    current = swap;
  }
  return previous[m] > max ? over : previous[m];
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

/** indexOf(' ') that stops at `to`: on lines without spaces, indexOf would scan the rest of the text. */
function spaceWithin(text: string, from: number, to: number): number {
  for (let index = from; index < to; index++) if (text.charCodeAt(index) === 32) return index;
  return -1;
}

function isHexRange(text: string, from: number, to: number): boolean {
  for (let index = from; index < to; index++) {
    const code = text.charCodeAt(index);
    const digit = code >= 48 && code <= 57;
    const lower = code >= 97 && code <= 102;
    const upper = code >= 65 && code <= 70;
    if (!digit && !lower && !upper) return false;
  }
  return to > from;
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
