/**
 * Assembles the language service's KernelCatalog from what a target gave us: the raw text of
 * kallsyms, tracefs formats and tag files plus the loader's probe (one fetch, see
 * host/src/catalog/fetch.ts), and the BTF. Pure: the same inputs from a cache, a live host or the
 * bundled snapshot build the same catalog.
 *
 * Two steps, so the expensive one runs once per kernel build:
 *   inputs ──buildPrebuiltCatalog──▶ PrebuiltCatalog (plain JSON, cached on disk)
 *          ──catalogFromPrebuilt──▶ KernelCatalog (a few ms: one split, a few maps, no parsing)
 */
import type { Btf } from '../btf/reader';
import { fastcallFuncIds, kfuncIds } from '../btf/c-header';
import { BtfKind } from '../btf/types';
import type { KfuncInfo, KfuncLookup } from '../language/kfuncs';
import { all as allHelpers } from '../helpers/index';
import { buildKallsymsTables, KallsymsTables, kallsymsIndexFromTables, KernelCapabilities } from '../kallsyms/index';
import type { BtfLookup, HelperAvailability, HelperInfo, KernelCatalog } from '../language/catalog';
import { tracepointsFromBtf, TracepointReference } from '../tracefs/btf-tracepoints';
import { buildTracepointCatalog, TracepointCatalogEntry } from '../tracefs/catalog';
import type { TracepointFormat } from '../tracefs/format';

export interface CatalogInputs {
  kallsyms: string;
  availableFilterFunctions?: string;
  kprobeBlacklist?: string;
  /** `category/event` → format file text. */
  formats: Map<string, string>;
  capabilities: KernelCapabilities;
  /** From the loader's probe: the libbpf the loader is built on ("1.1"). */
  libbpfVersion?: string;
  loaderVersion?: string;
  /** From the loader's probe (as root only): libbpf program type name ("xdp") → helper IDs it may call. */
  helpers?: ProbedHelpers;
  /** From the loader's probe (as root): kfunc → libbpf program type names that may call it. */
  kfuncTypes?: Record<string, string[]>;
}

/** The probe's helper table as it travels and is cached: plain JSON. */
export interface ProbedHelpers {
  byType: Record<string, number[]>;
  probedBelow: number;
  /** IDs the kernel does not know at all. */
  unknown: number[];
}

export interface CatalogOrigin {
  /** A live target, its disk cache, or the bundled snapshot. */
  source: 'live' | 'cache' | 'snapshot';
  target: string;
  kernel: string;
  buildMs: number;
}

export interface KernelCatalogWithProvenance extends KernelCatalog {
  origin: CatalogOrigin;
  btf?: LazyBtfLookup;
}

/**
 * Section delimiter of the fetch script's output. Chosen so no kernel file line can equal it:
 * kallsyms lines start with an address, format files with a keyword, tag files with a name.
 */
export const SECTION_MARK = '@@bpfdev-section ';

/** The byte the loader puts before each JSON event line (loader/README.md). */
const EVENT_MARK = '\x1e';

/** Splits the fetch script's output (sections + `head`'s `==> file <==` headers) into inputs. */
export function parseFetchOutput(text: string): { inputs: CatalogInputs; errors: string[] } {
  const sections = new Map<string, string>();
  const errors: string[] = [];
  let at = 0;
  while (at < text.length) {
    const start = text.indexOf(SECTION_MARK, at);
    if (start < 0) break;
    const nameEnd = text.indexOf('\n', start);
    const name = text.slice(start + SECTION_MARK.length, nameEnd < 0 ? text.length : nameEnd).trim();
    const next = text.indexOf(`\n${SECTION_MARK}`, nameEnd);
    sections.set(name, nameEnd < 0 ? '' : text.slice(nameEnd + 1, next < 0 ? text.length : next + 1));
    at = next < 0 ? text.length : next + 1;
  }
  if (!sections.has('kallsyms')) errors.push('the host returned no /proc/kallsyms');
  // What the host could not read (no root): skipped, and said.
  for (const note of (sections.get('notes') ?? '').split('\n')) if (note.trim()) errors.push(note.trim());
  const formats = new Map<string, string>();
  const formatText = sections.get('formats') ?? '';
  // `head` prints "==> category/event/format <==" before each file.
  const header = /^==> (?:events\/)?([^/\n]+)\/([^/\n]+)\/format <==$/gm;
  let match: RegExpExecArray | null;
  let previous: { key: string; bodyStart: number } | undefined;
  while ((match = header.exec(formatText))) {
    if (previous) formats.set(previous.key, formatText.slice(previous.bodyStart, match.index));
    previous = { key: `${match[1]}/${match[2]}`, bodyStart: match.index + match[0].length + 1 };
  }
  if (previous) formats.set(previous.key, formatText.slice(previous.bodyStart));
  const flag = (name: string) => {
    const value = sections.get(name)?.trim();
    return value === 'yes' ? true : value === 'no' ? false : undefined;
  };
  const capabilities: KernelCapabilities = { kprobes: flag('kprobes'), btf: flag('btf') };
  const probe = parseProbe(sections.get('probe'));
  if (probe.error) errors.push(probe.error);
  // The loader's probe made real load attempts; the shell checks above only looked at files.
  if (probe.kprobes !== undefined) capabilities.kprobes = probe.kprobes;
  if (probe.btf !== undefined) capabilities.btf = probe.btf;
  if (probe.fentry !== undefined) capabilities.fentry = probe.fentry;
  if (probe.fentryReason) capabilities.fentryReason = probe.fentryReason;
  return {
    inputs: {
      kallsyms: sections.get('kallsyms') ?? '',
      ...(sections.get('filter')?.trim() ? { availableFilterFunctions: sections.get('filter') } : {}),
      ...(sections.get('blacklist')?.trim() ? { kprobeBlacklist: sections.get('blacklist') } : {}),
      formats,
      capabilities,
      ...(probe.libbpf ? { libbpfVersion: probe.libbpf } : {}),
      ...(probe.loaderVersion ? { loaderVersion: probe.loaderVersion } : {}),
      ...(probe.helpers ? { helpers: probe.helpers } : {}),
      ...(probe.kfuncTypes ? { kfuncTypes: probe.kfuncTypes } : {}),
    },
    errors,
  };
}

interface ProbeFacts {
  kprobes?: boolean;
  btf?: boolean;
  fentry?: boolean;
  fentryReason?: string;
  libbpf?: string;
  loaderVersion?: string;
  helpers?: ProbedHelpers;
  kfuncTypes?: Record<string, string[]>;
  error?: string;
}

/** The `probe` event among the loader's output lines; fields of the wrong type are ignored. */
export function parseProbe(text: string | undefined): ProbeFacts {
  if (text === undefined) return {};
  const line = text.split('\n').find((candidate) => candidate.startsWith(EVENT_MARK));
  if (!line) return { error: `the loader's probe printed no event${text.trim() ? `: ${clip(text.trim())}` : ''}` };
  let value: unknown;
  try {
    value = JSON.parse(line.slice(1));
  } catch (error) {
    return { error: `the loader's probe printed malformed JSON: ${String(error)}` };
  }
  if (!isRecord(value) || value.event !== 'probe') return { error: `the loader printed no probe event: ${clip(line.slice(1))}` };
  const facts: ProbeFacts = {};
  if (typeof value.kprobes === 'boolean') facts.kprobes = value.kprobes;
  if (typeof value.btf === 'boolean') facts.btf = value.btf;
  // Without root the trial fentry load fails with EPERM on any kernel: that says nothing about the kernel.
  const privileged = value.euid === undefined || value.euid === 0;
  if (typeof value.fentry === 'boolean' && privileged) facts.fentry = value.fentry;
  if (typeof value.fentryReason === 'string' && privileged) facts.fentryReason = value.fentryReason;
  if (typeof value.libbpf === 'string') facts.libbpf = value.libbpf;
  if (typeof value.loaderVersion === 'string') facts.loaderVersion = value.loaderVersion;
  const helpers = probedHelpers(value.helpers, value.helpersProbedBelow, value.helpersUnknown);
  if (helpers && privileged) facts.helpers = helpers;
  if (isRecord(value.kfuncTypes) && privileged && Object.values(value.kfuncTypes).every((types) => Array.isArray(types) && types.every((type) => typeof type === 'string'))) {
    facts.kfuncTypes = value.kfuncTypes as Record<string, string[]>;
  }
  return facts;
}

function probedHelpers(byType: unknown, probedBelow: unknown, unknown: unknown): ProbedHelpers | undefined {
  if (!isRecord(byType) || typeof probedBelow !== 'number' || !Array.isArray(unknown) || !unknown.every((id) => Number.isInteger(id))) return undefined;
  const result: ProbedHelpers = { byType: {}, probedBelow, unknown: unknown as number[] };
  for (const [type, ids] of Object.entries(byType)) {
    if (Array.isArray(ids) && ids.every((id) => Number.isInteger(id))) result.byType[type] = ids as number[];
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// The prebuilt (cacheable) form

/** Bump whenever PrebuiltCatalog or what goes into it changes: older caches are then rebuilt. */
export const PREBUILT_FORMAT_VERSION = 3;
const PREBUILT_FORMAT = 'bpfdev-kernel-catalog';

/**
 * Everything the catalog needs, as plain JSON: `JSON.parse` of it is native-fast and the rest is
 * one string split. Format files stay raw text (parsed on first use); BTF is not in it (the
 * prototypes are read from the kernel's own BTF when first asked for).
 */
export interface PrebuiltCatalog {
  format: typeof PREBUILT_FORMAT;
  version: number;
  /** Where and when the inputs came from (the bundled snapshot records more, see its README). */
  provenance: Record<string, string>;
  kallsyms: {
    /** Sorted unique names joined by `\n`. */
    names: string;
    /** One character per name: `0` + the FLAG_* bits (all below 32, so no JSON escaping). */
    flags: string;
    /** Flat `[nameIndex, count, ...]` for names kallsyms lists more than once. */
    duplicates: number[];
    modules: string[];
    /** Flat `[nameIndex, moduleIndex, ...]`. */
    moduleOf: number[];
    sources: KallsymsTables['sources'];
    skipped: KallsymsTables['skipped'];
    errors: KallsymsTables['errors'];
  };
  /** `[category, event, format text]` per tracepoint. */
  tracepoints: [string, string, string][];
  /**
   * Tracepoints reconstructed from BTF and kallsyms because tracefs was not readable
   * (tracepointsFromBtf); `tracepoints` is then empty. Never cached: a privileged read does better.
   */
  derivedTracepoints?: { summary: string; entries: [string, string, TracepointFormat | null][] };
  capabilities: KernelCapabilities;
  libbpfVersion?: string;
  loaderVersion?: string;
  helpers?: ProbedHelpers;
  kfuncTypes?: Record<string, string[]>;
}

const FLAG_CHAR_BASE = 48;

/**
 * The expensive step: parse and sort kallsyms, tag names from the tag files and the BTF's
 * function names. `btfFunctions` undefined means "no BTF", not "nothing has BTF".
 */
export function buildPrebuiltCatalog(
  inputs: CatalogInputs,
  btfFunctions: ReadonlySet<string> | undefined,
  provenance: Record<string, string> = {},
): PrebuiltCatalog {
  const capabilities: KernelCapabilities = { ...inputs.capabilities, btf: inputs.capabilities.btf ?? btfFunctions !== undefined };
  const tables = buildKallsymsTables(inputs.kallsyms, {
    ...(inputs.availableFilterFunctions ? { availableFilterFunctions: inputs.availableFilterFunctions } : {}),
    ...(inputs.kprobeBlacklist ? { kprobeBlacklist: inputs.kprobeBlacklist } : {}),
    ...(btfFunctions ? { btfFunctions } : {}),
    capabilities,
  });
  const tracepoints: [string, string, string][] = [];
  for (const [key, formatText] of inputs.formats) {
    const slash = key.indexOf('/');
    tracepoints.push([key.slice(0, slash), key.slice(slash + 1), formatText]);
  }
  return {
    format: PREBUILT_FORMAT,
    version: PREBUILT_FORMAT_VERSION,
    provenance,
    kallsyms: {
      names: tables.joinedNames,
      flags: encodeFlags(tables.flags),
      duplicates: tables.duplicates.flat(),
      modules: tables.modules,
      moduleOf: tables.moduleOf.flat(),
      sources: tables.sources,
      skipped: tables.skipped,
      errors: tables.errors,
    },
    tracepoints,
    capabilities,
    ...(inputs.libbpfVersion ? { libbpfVersion: inputs.libbpfVersion } : {}),
    ...(inputs.loaderVersion ? { loaderVersion: inputs.loaderVersion } : {}),
    ...(inputs.helpers ? { helpers: inputs.helpers } : {}),
    ...(inputs.kfuncTypes ? { kfuncTypes: inputs.kfuncTypes } : {}),
  };
}

/** The cheap step, run on every load: from the prebuilt form to the catalog the service queries. */
export function catalogFromPrebuilt(prebuilt: PrebuiltCatalog, btf?: LazyBtfLookup): KernelCatalog & { btf?: LazyBtfLookup } {
  const { kallsyms } = prebuilt;
  const tables: KallsymsTables = {
    joinedNames: kallsyms.names,
    flags: decodeFlags(kallsyms.flags),
    duplicates: pairs(kallsyms.duplicates),
    modules: kallsyms.modules,
    moduleOf: pairs(kallsyms.moduleOf),
    sources: kallsyms.sources,
    capabilities: prebuilt.capabilities,
    errors: kallsyms.errors,
    skipped: kallsyms.skipped,
  };
  const entries = prebuilt.tracepoints.map(([category, event, formatText]): TracepointCatalogEntry => ({ category, event, formatText }));
  const derived = prebuilt.tracepoints.length === 0 ? prebuilt.derivedTracepoints : undefined;
  if (derived) {
    for (const [category, event, format] of derived.entries) entries.push({ category, event, ...(format ? { format } : {}) });
  }
  return {
    tracepoints: buildTracepointCatalog(entries),
    ...(derived ? { tracepointsPartial: derived.summary } : {}),
    kallsyms: kallsymsIndexFromTables(tables),
    ...(btf ? { btf, kfuncs: btf.kfuncs } : {}),
    helpers: helperInfos(),
    capabilities: prebuilt.capabilities,
    ...(prebuilt.libbpfVersion ? { libbpfVersion: prebuilt.libbpfVersion } : {}),
    ...(prebuilt.helpers ? { helperAvailability: helperAvailability(prebuilt.helpers, prebuilt.kfuncTypes) } : {}),
  };
}

/** libbpf names program types by their enum suffix in lower case ("sched_cls"); sections use the enum name. */
export function helperAvailability(probed: ProbedHelpers, kfuncTypes?: Record<string, string[]>): HelperAvailability {
  const byProgramType = new Map<string, ReadonlySet<number>>();
  for (const [type, ids] of Object.entries(probed.byType)) byProgramType.set(`BPF_PROG_TYPE_${type.toUpperCase()}`, new Set(ids));
  const kfuncs = new Map<string, ReadonlySet<string>>();
  for (const [name, types] of Object.entries(kfuncTypes ?? {})) kfuncs.set(name, new Set(types.map((type) => `BPF_PROG_TYPE_${type.toUpperCase()}`)));
  return { byProgramType, probedBelow: probed.probedBelow, unknown: new Set(probed.unknown), ...(kfuncTypes ? { kfuncTypes: kfuncs } : {}) };
}

/**
 * Checks that a parsed cache/snapshot file is a PrebuiltCatalog of this version. Never throws:
 * a stale, truncated or foreign file yields a reason, and the caller rebuilds.
 */
export function validatePrebuiltCatalog(value: unknown): { prebuilt?: PrebuiltCatalog; error?: string } {
  if (!isRecord(value) || value.format !== PREBUILT_FORMAT) return { error: 'not a bpfdev kernel catalog' };
  if (value.version !== PREBUILT_FORMAT_VERSION) return { error: `catalog format version ${String(value.version)}, this build reads ${PREBUILT_FORMAT_VERSION}` };
  const kallsyms = value.kallsyms;
  if (!isRecord(kallsyms) || typeof kallsyms.names !== 'string' || typeof kallsyms.flags !== 'string') return { error: 'catalog has no kallsyms tables' };
  const nameCount = kallsyms.names === '' ? 0 : countOf(kallsyms.names, '\n') + 1;
  if (kallsyms.flags.length !== nameCount) return { error: `catalog has ${nameCount} names but ${kallsyms.flags.length} flags` };
  for (const key of ['duplicates', 'moduleOf'] as const) {
    const list = kallsyms[key];
    if (!Array.isArray(list) || list.length % 2 !== 0 || !list.every((item) => Number.isInteger(item) && item >= 0)) return { error: `catalog kallsyms.${key} is not a list of index pairs` };
  }
  const modules = kallsyms.modules;
  if (!Array.isArray(modules) || !modules.every((item) => typeof item === 'string')) return { error: 'catalog kallsyms.modules is not a list of names' };
  const moduleOf = kallsyms.moduleOf as number[];
  for (let index = 0; index < moduleOf.length; index += 2) {
    if (moduleOf[index] >= nameCount || moduleOf[index + 1] >= modules.length) return { error: 'catalog kallsyms.moduleOf points past its tables' };
  }
  if (!isRecord(kallsyms.sources) || !isRecord(kallsyms.skipped) || !Array.isArray(kallsyms.errors)) return { error: 'catalog kallsyms tables are incomplete' };
  const tracepoints = value.tracepoints;
  if (!Array.isArray(tracepoints) || !tracepoints.every((entry) => Array.isArray(entry) && entry.length === 3 && entry.every((part) => typeof part === 'string'))) {
    return { error: 'catalog tracepoints are not [category, event, format] triples' };
  }
  if (!isRecord(value.capabilities) || !isRecord(value.provenance)) return { error: 'catalog has no capabilities or provenance' };
  const derived = value.derivedTracepoints;
  if (derived !== undefined && (!isRecord(derived) || typeof derived.summary !== 'string' || !Array.isArray(derived.entries))) {
    return { error: 'catalog derivedTracepoints is malformed' };
  }
  const helpers = value.helpers;
  if (helpers !== undefined && (!isRecord(helpers) || !probedHelpers(helpers.byType, helpers.probedBelow, helpers.unknown))) return { error: 'catalog helpers table is malformed' };
  const kfuncTypes = value.kfuncTypes;
  if (kfuncTypes !== undefined && (!isRecord(kfuncTypes) || !Object.values(kfuncTypes).every((types) => Array.isArray(types) && types.every((type) => typeof type === 'string')))) {
    return { error: 'catalog kfuncTypes is malformed' };
  }
  return { prebuilt: value as unknown as PrebuiltCatalog };
}

function encodeFlags(flags: Uint8Array): string {
  let text = '';
  // Chunks keep the argument list of fromCharCode bounded.
  for (let start = 0; start < flags.length; start += 8192) {
    text += String.fromCharCode(...Array.from(flags.subarray(start, start + 8192), (bits) => bits + FLAG_CHAR_BASE));
  }
  return text;
}

function decodeFlags(text: string): Uint8Array {
  const flags = new Uint8Array(text.length);
  for (let index = 0; index < text.length; index++) flags[index] = (text.charCodeAt(index) - FLAG_CHAR_BASE) & 0xff;
  return flags;
}

function pairs(flat: number[]): [number, number][] {
  const result: [number, number][] = [];
  for (let index = 0; index + 1 < flat.length; index += 2) result.push([flat[index], flat[index + 1]]);
  return result;
}

function countOf(text: string, character: string): number {
  let count = 0;
  for (let at = text.indexOf(character); at !== -1; at = text.indexOf(character, at + 1)) count++;
  return count;
}

/**
 * Names of BTF FUNCs, for the hasBtf tags. Reads kind and name straight from the type table:
 * decoding each type (as `btf.functions()` does) costs ~3x more for ~60k functions.
 */
export function btfFunctionNames(btf: Btf): Set<string> {
  const names = new Set<string>();
  for (let id = btf.startId; id < btf.typeCount; id++) {
    if (btf.kindOf(id) === BtfKind.Func) names.add(btf.nameOf(id));
  }
  return names;
}

/**
 * Fills `derivedTracepoints` when the fetch read no tracefs format (no privileges): names and
 * layouts from the BTF and the raw kallsyms text (its line order matters), categories and
 * syscall arguments lent by `reference`. Returns notes on what it could not do.
 */
export function addBtfTracepoints(prebuilt: PrebuiltCatalog, btf: Btf, kallsyms: string, reference?: TracepointReference): string[] {
  if (prebuilt.tracepoints.length > 0) return [];
  const derived = tracepointsFromBtf(btf, kallsyms, reference);
  prebuilt.derivedTracepoints = {
    summary: derived.summary,
    entries: derived.entries.map((entry) => [entry.category, entry.event, entry.format ?? null]),
  };
  return derived.errors;
}

/** Convenience for tests and tools: inputs → catalog in one call. */
export function buildKernelCatalog(inputs: CatalogInputs, btf: Btf | undefined): KernelCatalog {
  const prebuilt = buildPrebuiltCatalog(inputs, btf ? btfFunctionNames(btf) : undefined);
  return catalogFromPrebuilt(prebuilt, btf ? LazyBtfLookup.of(btf) : undefined);
}

let helperList: HelperInfo[] | undefined;
function helperInfos(): HelperInfo[] {
  helperList ??= allHelpers().map((helper) => ({ name: helper.name, signature: helper.signature, doc: helper.doc, id: helper.id }));
  return helperList;
}

// ---------------------------------------------------------------------------------------------
// BTF, read when first asked

/**
 * BTF answers for the language service, parsed on the first question rather than at load:
 * vmlinux BTF takes a few hundred ms to parse and index, and most keystrokes never need it.
 * The server may call `load()` when idle so that the first hover does not pay for it.
 */
export class LazyBtfLookup implements BtfLookup {
  private btf: Btf | undefined;
  private kfuncTable: Map<string, KfuncInfo> | undefined;
  private kfuncNames: string[] | undefined;

  /**
   * kfuncs, once the BTF is parsed: asking never triggers the parse (a keystroke must not pay
   * for it), the server's warm-up does. The table is built on first use, in a few ms.
   */
  readonly kfuncs: KfuncLookup = {
    names: () => this.kfuncTableIfLoaded() && this.kfuncNames,
    get: (name) => this.kfuncTableIfLoaded()?.get(name),
  };

  private kfuncTableIfLoaded(): Map<string, KfuncInfo> | undefined {
    if (this.kfuncTable || !this.loaded || !this.btf) return this.kfuncTable;
    const btf = this.btf;
    const fastcall = fastcallFuncIds(btf);
    const table = new Map<string, KfuncInfo>();
    for (const id of kfuncIds(btf)) {
      const name = btf.nameOf(id);
      const prototype = this.lookup?.funcPrototype(name);
      if (prototype) table.set(name, { name, prototype, fastcall: fastcall.has(id) });
    }
    this.kfuncTable = table;
    this.kfuncNames = [...table.keys()].sort();
    return table;
  }
  private lookup: BtfLookup | undefined;
  private source: (() => { btf: Btf | null; errors: string[] }) | undefined;
  /** Why BTF is unavailable, once a load was attempted. */
  readonly errors: string[] = [];

  /** Resolves once the BTF bytes are at hand (at once, unless built with `deferred`). */
  readonly ready: Promise<void>;
  private waiting = false;

  constructor(parse: () => { btf: Btf | null; errors: string[] }) {
    this.source = parse;
    this.ready = Promise.resolve();
  }

  /**
   * For a catalog served from the cache of a remote host: its BTF travels after the catalog,
   * so completions start at once and prototypes/members join when the bytes arrive.
   */
  static deferred(bytes: Promise<Uint8Array | undefined>, parse: (bytes: Uint8Array) => { btf: Btf | null; errors: string[] }): LazyBtfLookup {
    const lookup = new LazyBtfLookup(() => ({ btf: null, errors: [] }));
    lookup.waiting = true;
    lookup.source = undefined;
    (lookup as { ready: Promise<void> }).ready = bytes.then((value) => {
      lookup.source = () => (value ? parse(value) : { btf: null, errors: ['the target has no usable BTF'] });
    }, (error: Error) => {
      lookup.source = () => ({ btf: null, errors: [`the target's BTF could not be read: ${error.message}`] });
    }).finally(() => { lookup.waiting = false; });
    return lookup;
  }

  /**
   * Parsed elsewhere (a worker thread: host/src/btf-worker.ts): until `parse` answers, questions
   * get no BTF answer instead of blocking for the parse, and nothing here ever parses.
   */
  static offThread(
    bytes: Promise<Uint8Array | undefined>,
    parse: (bytes: Uint8Array) => Promise<{ btf: Btf | null; errors: string[]; kfuncs?: KfuncInfo[] }>,
  ): LazyBtfLookup {
    const lookup = new LazyBtfLookup(() => ({ btf: null, errors: [] }));
    lookup.waiting = true;
    lookup.source = undefined;
    (lookup as { ready: Promise<void> }).ready = bytes
      .then((value) => (value ? parse(value) : { btf: null, errors: ['the target has no usable BTF'] }))
      .then((result) => {
        lookup.errors.push(...result.errors);
        if (result.btf) {
          lookup.btf = result.btf;
          lookup.lookup = btfLookup(result.btf);
          if ('kfuncs' in result && result.kfuncs) {
            lookup.kfuncTable = new Map(result.kfuncs.map((kfunc) => [kfunc.name, kfunc]));
            lookup.kfuncNames = [...lookup.kfuncTable.keys()].sort();
          }
        }
      }, (error: Error) => {
        lookup.errors.push(`the target's BTF could not be read: ${error.message}`);
      })
      .finally(() => { lookup.waiting = false; });
    return lookup;
  }

  static of(btf: Btf): LazyBtfLookup {
    const lookup = new LazyBtfLookup(() => ({ btf, errors: [] }));
    lookup.load();
    return lookup;
  }

  get loaded(): boolean {
    return !this.waiting && this.source === undefined;
  }

  /** Parses now (once); later calls return at once. */
  load(): Btf | undefined {
    if (this.source) {
      const parse = this.source;
      // Dropping the closure also drops the raw bytes it holds when parsing failed.
      this.source = undefined;
      const result = parse();
      this.errors.push(...result.errors);
      if (result.btf) {
        this.btf = result.btf;
        this.lookup = btfLookup(result.btf);
      }
    }
    return this.btf;
  }

  /**
   * Builds the reader's name index (it does so on its first lookup by name; any name will do),
   * so the next question is answered in well under a millisecond. Call after load(), in a task
   * of its own: each of the two steps blocks for ~0.1 s on vmlinux BTF.
   */
  index(): void {
    this.load()?.findByName('task_struct');
  }

  funcPrototype(name: string) {
    this.load();
    return this.lookup?.funcPrototype(name);
  }

  structMembers(typeName: string) {
    this.load();
    return this.lookup?.structMembers(typeName);
  }
}

/** BTF questions the language service asks, answered from our reader. */
export function btfLookup(btf: Btf): BtfLookup {
  return {
    funcPrototype(name) {
      const func = btf.findByName(name, BtfKind.Func);
      let protoId: number | undefined;
      if (func?.kind === BtfKind.Func) protoId = func.type;
      else {
        // `btf_trace_<event>` is a typedef of a pointer to the raw tracepoint's prototype.
        const typedef = btf.findByName(name, BtfKind.Typedef);
        if (typedef?.kind === BtfKind.Typedef) {
          const pointer = btf.typeById(btf.resolve(typedef.type));
          if (pointer?.kind === BtfKind.Ptr) protoId = btf.resolve(pointer.type);
        }
      }
      const proto = protoId === undefined ? undefined : btf.typeById(protoId);
      if (proto?.kind !== BtfKind.FuncProto) return undefined;
      return {
        args: proto.params.map((param) => ({ name: param.name, type: btf.formatType(param.type) })),
        ret: proto.returnType === 0 ? 'void' : btf.formatType(proto.returnType),
      };
    },
    structMembers(typeName) {
      const type = btf.findByName(typeName, BtfKind.Struct) ?? btf.findByName(typeName, BtfKind.Union) ?? btf.findByName(typeName, BtfKind.Typedef);
      if (!type) return undefined;
      return btf.membersOf(type.id, { flattenAnonymous: true })?.map((member) => ({ name: member.name, type: member.typeText }));
    },
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function clip(text: string): string {
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}
