/**
 * What the language service knows about the target kernel. Every member is optional so the
 * service degrades gracefully: without kallsyms there is no function completion, without BTF no
 * prototypes, and so on. The server assembles one per target from the host's reads.
 *
 * The BTF and helper members are interfaces rather than imports so this module does not depend
 * on how core/src/btf and core/src/helpers represent things internally.
 */
import { KallsymsIndex, KernelCapabilities } from '../kallsyms/index';
import { TracepointCatalog } from '../tracefs/catalog';
import { KfuncLookup, releasePairs } from './kfuncs';

export interface BtfParameter {
  /** May be empty: BTF keeps no names for some prototypes. */
  name: string;
  /** C type text as it would be written in a declaration: `struct filename *`, `void (*)(int)`. */
  type: string;
}

export interface BtfFunctionPrototype {
  args: BtfParameter[];
  /** C type text of the return value, `void` for none. */
  ret: string;
}

export interface BtfLookup {
  /**
   * Prototype of a kernel function (a BTF FUNC). For `btf_trace_<tracepoint>` it should resolve
   * the typedef of the raw tracepoint's function pointer, whose first argument is the `void *`
   * the kernel passes internally (the service drops it).
   */
  funcPrototype(name: string): BtfFunctionPrototype | undefined;
  /** Members of `struct <typeName>` (or a union), without the `struct ` keyword in the name. */
  structMembers(typeName: string): BtfParameter[] | undefined;
}

export interface HelperInfo {
  name: string;
  /** C prototype: `long bpf_probe_read_user(void *dst, __u32 size, const void *unsafe_ptr)`. */
  signature: string;
  /** Markdown. */
  doc: string;
  /** Helper ID (the BPF_FUNC_* value). */
  id: number;
}

/** User-space side of uprobes/USDT; answers come from ELF files the host read. */
export interface UserSpaceCatalog {
  /** Binary paths or library names completing `typed`; undefined while the host is still looking. */
  binaries?(typed: string): string[] | undefined;
  /** Function symbols of a binary; undefined while not loaded yet (the service then marks the list incomplete). */
  functions?(binary: string): string[] | undefined;
  usdtProbes?(binary: string): { provider: string; name: string; args?: string }[] | undefined;
  /** One function symbol, for hover; undefined when unknown or not loaded yet. */
  symbol?(binary: string, name: string): UserSpaceSymbol | undefined;
  /** Why the binary could not be read (missing, not ELF); undefined when it was, or is still loading. */
  problem?(binary: string): string | undefined;
}

export interface UserSpaceSymbol {
  name: string;
  address: number;
  size: number;
  fileOffset?: number;
  table: '.symtab' | '.dynsym';
  /** The resolved path on the target (`libc.so.6` → `/usr/lib/x86_64-linux-gnu/libc.so.6`). */
  path: string;
  buildId?: string;
}

/** What the target's verifier said about helper calls (the loader's probe, one load per type and helper). */
export interface HelperAvailability {
  /** `BPF_PROG_TYPE_XDP` → helper IDs that type may call. A type not in the map was not probed: unknown. */
  byProgramType: ReadonlyMap<string, ReadonlySet<number>>;
  /** IDs at or above this were not probed (the loader's UAPI is older than our helper catalog). */
  probedBelow: number;
  /** IDs the kernel does not know at all ("invalid func"): a helper newer than the kernel. */
  unknown: ReadonlySet<number>;
  /**
   * kfunc → program types (of those in byProgramType) that may call it, asked of the verifier the
   * same way. A kfunc missing here got an unclear verdict: unknown.
   */
  kfuncTypes?: ReadonlyMap<string, ReadonlySet<string>>;
}

export interface KernelCatalog {
  /**
   * Set when this catalog describes a bundled snapshot rather than the user's kernel ("a bundled
   * snapshot of 6.18.0"): nothing missing from it proves the user's kernel lacks it, so the
   * service reports such findings as information that names the snapshot, never as errors.
   */
  snapshot?: string;
  helperAvailability?: HelperAvailability;
  /** kfuncs from the target's BTF. */
  kfuncs?: KfuncLookup;
  tracepoints?: TracepointCatalog;
  /**
   * Set when `tracepoints` was reconstructed from a partial source (BTF and kallsyms, because
   * tracefs was not readable): says so. A name missing from it may still exist, so the service
   * never reports one as an error.
   */
  tracepointsPartial?: string;
  kallsyms?: KallsymsIndex;
  btf?: BtfLookup;
  helpers?: readonly HelperInfo[];
  /** Overrides `kallsyms.capabilities` when set. */
  capabilities?: KernelCapabilities;
  userSpace?: UserSpaceCatalog;
  /** Version of the libbpf that will load the object (our static loader: "1.1.2"); enables "section needs a newer libbpf". */
  libbpfVersion?: string;
}

export function capabilitiesOf(catalog: KernelCatalog): KernelCapabilities {
  return { ...(catalog.kallsyms?.capabilities ?? {}), ...(catalog.capabilities ?? {}) };
}

/** Lists the service derives from the raw catalogs, computed once per catalog object. */
interface Derived {
  syscalls?: string[];
  lsmHooks?: string[];
  iterTargets?: string[];
  rawTracepoints?: string[];
  helpersByName?: Map<string, HelperInfo>;
  kfuncReleases?: Map<string, string[]>;
}

const derivedCache = new WeakMap<object, Derived>();
const NO_SOURCE = {};

function derivedFor(key: object): Derived {
  let derived = derivedCache.get(key);
  if (!derived) {
    derived = {};
    derivedCache.set(key, derived);
  }
  return derived;
}

const pairCache = new WeakMap<object, WeakMap<object, Derived>>();

/** Cache for lists merged from kallsyms and tracefs: valid while both objects stay the same. */
function derivedForPair(catalog: KernelCatalog): Derived {
  const first = catalog.kallsyms ?? NO_SOURCE;
  const second = catalog.tracepoints ?? NO_SOURCE;
  let inner = pairCache.get(first);
  if (!inner) {
    inner = new WeakMap();
    pairCache.set(first, inner);
  }
  let derived = inner.get(second);
  if (!derived) {
    derived = {};
    inner.set(second, derived);
  }
  return derived;
}

/** Architecture-specific syscall entry prefixes (`__x64_sys_openat`, `__arm64_sys_openat`, ...). */
const SYSCALL_SYMBOL = /^__(?:x64|ia32|arm64|s390x|s390|riscv|powerpc|powerpc64|loongarch64|mips)_sys_(\w+)$/;

/** Sorted syscall names, from arch-prefixed kallsyms entries and syscalls:sys_enter_* tracepoints. */
export function syscallNames(catalog: KernelCatalog): string[] {
  const derived = derivedForPair(catalog);
  if (derived.syscalls) return derived.syscalls;
  const names = new Set<string>();
  const kallsyms = catalog.kallsyms;
  if (kallsyms) {
    for (const name of kallsyms.withPrefix('__').names) {
      const match = SYSCALL_SYMBOL.exec(name);
      if (match) names.add(match[1]);
    }
  }
  for (const event of catalog.tracepoints?.eventsWithPrefix('syscalls', 'sys_enter_') ?? []) {
    names.add(event.slice('sys_enter_'.length));
  }
  derived.syscalls = [...names].sort();
  return derived.syscalls;
}

/**
 * LSM hook names. A BPF LSM program attaches to `bpf_lsm_<hook>`; kernels without BPF LSM still
 * list `security_<hook>` wrappers, which name (almost) the same hooks.
 */
export function lsmHookNames(catalog: KernelCatalog): string[] {
  const kallsyms = catalog.kallsyms;
  if (!kallsyms) return [];
  const derived = derivedFor(kallsyms);
  if (derived.lsmHooks) return derived.lsmHooks;
  let hooks = kallsyms.withPrefix('bpf_lsm_').names.map((name) => name.slice('bpf_lsm_'.length));
  if (hooks.length === 0) hooks = kallsyms.withPrefix('security_').names.map((name) => name.slice('security_'.length));
  derived.lsmHooks = [...new Set(hooks)].filter((hook) => /^\w+$/.test(hook)).sort();
  return derived.lsmHooks;
}

/** Iterator targets with what each visits; the kernel registers each as a `bpf_iter_<target>` function. */
export const ITER_TARGETS: Readonly<Record<string, string>> = {
  task: 'every task (thread) in the system',
  task_file: 'every open file of every task',
  task_vma: 'every memory mapping of every task',
  bpf_map: 'every BPF map',
  bpf_map_elem: 'every element of one BPF map (given at attach)',
  bpf_prog: 'every loaded BPF program',
  bpf_link: 'every BPF link',
  bpf_sk_storage_map: 'every socket-local storage element of a map',
  sockmap: 'every socket in a sockmap/sockhash',
  tcp: 'every TCP socket',
  udp: 'every UDP socket',
  unix: 'every unix socket',
  netlink: 'every netlink socket',
  ipv6_route: 'every IPv6 route',
  cgroup: 'cgroups in a hierarchy, in a chosen walk order',
  ksym: 'every kernel symbol (like /proc/kallsyms)',
  kmem_cache: 'every slab cache',
  dmabuf: 'every DMA buffer',
};

/** Known iterator targets the kernel actually has (all of them when kallsyms is unknown). */
export function iterTargets(catalog: KernelCatalog): string[] {
  const kallsyms = catalog.kallsyms;
  const all = Object.keys(ITER_TARGETS).sort();
  if (!kallsyms) return all;
  const derived = derivedFor(kallsyms);
  derived.iterTargets ??= all.filter((target) => kallsyms.has(`bpf_iter_${target}`));
  return derived.iterTargets;
}

/**
 * Raw tracepoint names: every tracefs event plus bare tracepoints (DECLARE_TRACE without an
 * event), which only show up as `__traceiter_<name>` text symbols.
 */
export function rawTracepointNames(catalog: KernelCatalog): string[] {
  const derived = derivedForPair(catalog);
  if (derived.rawTracepoints) return derived.rawTracepoints;
  const names = new Set<string>(catalog.tracepoints?.eventNames() ?? []);
  for (const name of catalog.kallsyms?.withPrefix('__traceiter_').names ?? []) names.add(name.slice('__traceiter_'.length));
  derived.rawTracepoints = [...names].sort();
  return derived.rawTracepoints;
}

export function helperByName(catalog: KernelCatalog, name: string): HelperInfo | undefined {
  const helpers = catalog.helpers;
  if (!helpers) return undefined;
  const derived = derivedFor(helpers);
  derived.helpersByName ??= new Map(helpers.map((helper) => [helper.name, helper]));
  return derived.helpersByName.get(name);
}

export type HelperVerdict =
  | { allowed: true }
  | { allowed: false; code: 'helper-not-in-kernel' | 'helper-not-for-program-type'; reason: string };

/**
 * May a program of `programType` call `helper` on the target? Undefined when the probe did not
 * cover that type or helper: the service then says nothing rather than guess.
 */
export function helperVerdict(catalog: KernelCatalog, programType: string | undefined, helper: HelperInfo): HelperVerdict | undefined {
  const availability = catalog.helperAvailability;
  if (!availability || helper.id >= availability.probedBelow) return undefined;
  const allowed = programType === undefined ? undefined : availability.byProgramType.get(programType);
  if (allowed?.has(helper.id)) return { allowed: true };
  const where = catalog.snapshot ? catalog.snapshot : 'the target kernel';
  if (availability.unknown.has(helper.id)) {
    return { allowed: false, code: 'helper-not-in-kernel', reason: `${where} has no helper ${helper.name} (#${helper.id}) for any program type` };
  }
  if (!allowed) return undefined;
  const type = programType?.replace(/^BPF_PROG_TYPE_/, '') ?? '';
  return { allowed: false, code: 'helper-not-for-program-type', reason: `on ${where}, ${type} programs cannot call ${helper.name} (#${helper.id})` };
}

/** Release kfuncs by the type they release, computed once per kfunc table (empty until the BTF is parsed). */
export function kfuncReleasePairs(catalog: KernelCatalog): ReadonlyMap<string, readonly string[]> {
  const lookup = catalog.kfuncs;
  const names = lookup?.names();
  if (!lookup || !names) return new Map();
  const derived = derivedFor(lookup);
  derived.kfuncReleases ??= releasePairs(names.map((name) => lookup.get(name)).filter((kfunc) => kfunc !== undefined));
  return derived.kfuncReleases;
}

/** Why a program of `programType` may not call kfunc `name` on the target; undefined when it may or nobody knows. */
export function kfuncRefusal(catalog: KernelCatalog, programType: string | undefined, name: string): string | undefined {
  const availability = catalog.helperAvailability;
  const types = availability?.kfuncTypes?.get(name);
  if (!availability || !types || !programType || !availability.byProgramType.has(programType) || types.has(programType)) return undefined;
  return `on ${catalog.snapshot ?? 'the target kernel'}, ${programType.replace(/^BPF_PROG_TYPE_/, '')} programs cannot call kfunc ${name}`;
}
