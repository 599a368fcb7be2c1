/**
 * Tracepoints of a kernel whose tracefs cannot be read (it is root-only, mode 700): names and
 * record layouts reconstructed from what any user can read, the kernel's BTF and /proc/kallsyms
 * (names only, addresses zeroed, but in address order). Issue #9.
 *
 * What each source gives, and so what is exact and what is a guess:
 * - `btf_trace_<event>` typedefs: every tracepoint of vmlinux, exact. A tracepoint with a
 *   `__bpf_trace_<name>` FUNC but no `trace_event_raw_<name>` struct is a bare DECLARE_TRACE
 *   (raw_tp only, no tracefs event).
 * - `struct trace_event_raw_<class>`: the record of every event of that class, exact offsets and
 *   sizes. An event whose name is a class uses it. For the other events (DEFINE_EVENT) BTF does
 *   not say which class they belong to: the candidates are the classes whose `__bpf_trace_<class>`
 *   prototype equals the event's, and the pick among several is a guess (the reference
 *   catalog's field names, then a class name that prefixes the event name, then the class whose
 *   code sits nearest the event's `__traceiter_` in kallsyms order).
 * - The category (TRACE_SYSTEM) is in neither source. It is taken from a reference catalog
 *   (another kernel's, e.g. the bundled snapshot: categories rarely change), else from the
 *   nearest neighbour in kallsyms order whose category is known (one object file usually
 *   defines one system), else from the event name's first word.
 * - `syscalls/sys_enter_*`: the syscall list is the arch's `__<arch>_sys_*` symbols (kept to the
 *   reference's list when there is one, because kallsyms also lists stubs that have no event);
 *   the header offsets come from BTF's `struct syscall_trace_enter/exit`, argument names and types
 *   from the reference (the syscall ABI), else they are unknown.
 * - ftrace's own events and module tracepoints (module BTF is not read) are missing.
 */
import type { Btf } from '../btf/reader';
import { BtfKind } from '../btf/types';
import type { TracepointCatalog, TracepointCatalogEntry } from './catalog';
import { eventFields, TracepointField, TracepointFormat } from './format';

/** A catalog of another kernel (or this kernel, earlier) that lends categories and syscall arguments. */
export interface TracepointReference {
  /** For notes: "the catalog of 6.18.44-fc-v509". */
  name: string;
  tracepoints: TracepointCatalog;
}

export type CategorySource = 'reference' | 'neighbour' | 'name' | 'fixed';
export type LayoutSource = 'own-class' | 'only-candidate' | 'guessed-class' | 'syscall' | 'none';

export interface BtfTracepoint extends TracepointCatalogEntry {
  categorySource: CategorySource;
  layoutSource: LayoutSource;
  /** The `trace_event_raw_<class>` the layout was read from. */
  className?: string;
}

export interface BtfTracepointResult {
  entries: BtfTracepoint[];
  /** DECLARE_TRACE tracepoints: raw_tp targets without a tracefs event. */
  bare: string[];
  /** One line on what is approximate, for the catalog's partial-source note. */
  summary: string;
  errors: string[];
}

const ARCH_SYSCALL = /^__(?:x64|arm64|s390x|riscv|powerpc|loongarch64|mips)_sys_(\w+)$/;
const RAW_PREFIX = 'trace_event_raw_';
const TYPEDEF_PREFIX = 'btf_trace_';
const PROBE_PREFIX = '__bpf_trace_';
const ITER_PREFIX = '__traceiter_';

export function tracepointsFromBtf(btf: Btf, kallsyms: string, reference?: TracepointReference): BtfTracepointResult {
  const errors: string[] = [];
  const eventProtos = new Map<string, number>();
  const classStructs = new Map<string, number>();
  const probeProtos = new Map<string, number>();
  for (let id = btf.startId; id < btf.typeCount; id++) {
    const kind = btf.kindOf(id);
    if (kind !== BtfKind.Typedef && kind !== BtfKind.Struct && kind !== BtfKind.Func) continue;
    const name = btf.nameOf(id);
    if (kind === BtfKind.Typedef && name.startsWith(TYPEDEF_PREFIX)) {
      const proto = pointedProto(btf, id);
      if (proto !== undefined) eventProtos.set(name.slice(TYPEDEF_PREFIX.length), proto);
    } else if (kind === BtfKind.Struct && name.startsWith(RAW_PREFIX)) {
      classStructs.set(name.slice(RAW_PREFIX.length), id);
    } else if (kind === BtfKind.Func && name.startsWith(PROBE_PREFIX)) {
      const func = btf.typeById(id);
      if (func?.kind === BtfKind.Func) probeProtos.set(name.slice(PROBE_PREFIX.length), func.type);
    }
  }
  if (eventProtos.size === 0) errors.push('the BTF has no btf_trace_* typedefs (kernel without CONFIG_BPF_EVENTS?): no tracepoints from BTF');

  const order = kallsymsOrder(kallsyms);
  const classesByProto = new Map<string, string[]>();
  for (const [className, proto] of probeProtos) {
    if (!classStructs.has(className)) continue;
    const key = protoKey(btf, proto);
    const list = classesByProto.get(key);
    if (list) list.push(className);
    else classesByProto.set(key, [className]);
  }

  const commonFields = traceEntryFields(btf);
  const events: { event: string; className?: string; layoutSource: LayoutSource }[] = [];
  const bare: string[] = [];
  for (const [event, proto] of eventProtos) {
    if (classStructs.has(event)) {
      events.push({ event, className: event, layoutSource: 'own-class' });
      continue;
    }
    if (probeProtos.has(event)) {
      bare.push(event);
      continue;
    }
    const candidates = classesByProto.get(protoKey(btf, proto)) ?? [];
    if (candidates.length === 0) {
      events.push({ event, layoutSource: 'none' });
      continue;
    }
    const referenceFields = referenceFieldNames(reference, event);
    const className = pickClass(candidates, event, order, (candidate) =>
      referenceFields !== undefined && fieldNamesOf(btf, classStructs.get(candidate)!).join() === referenceFields);
    events.push({ event, className, layoutSource: candidates.length === 1 ? 'only-candidate' : 'guessed-class' });
  }

  const categories = assignCategories(events.map(({ event }) => event), order, reference);
  const entries: BtfTracepoint[] = events.map(({ event, className, layoutSource }) => {
    const { category, source } = categories.get(event)!;
    const entry: BtfTracepoint = { category, event, categorySource: source, layoutSource };
    if (className) {
      entry.className = className;
      const guess = layoutSource === 'guessed-class' ? '; the class is a guess among events with the same prototype' : '';
      entry.format = classLayout(btf, classStructs.get(className)!, event, commonFields, reference?.tracepoints.get(category, event)?.format,
        `BTF struct ${RAW_PREFIX}${className} (tracefs not readable${guess})`);
    }
    return entry;
  });
  entries.push(...syscallTracepoints(btf, kallsyms, commonFields, reference, errors));
  entries.sort((a, b) => (a.category < b.category ? -1 : a.category > b.category ? 1 : a.event < b.event ? -1 : a.event > b.event ? 1 : 0));

  const count = (predicate: (entry: BtfTracepoint) => boolean) => entries.filter(predicate).length;
  const summary = `${entries.length} tracepoints from BTF and kallsyms (tracefs not readable): ` +
    `categories of ${count((entry) => entry.categorySource === 'neighbour' || entry.categorySource === 'name')} guessed` +
    `${reference ? `, the rest from ${reference.name}` : ''}; ` +
    `layouts of ${count((entry) => entry.layoutSource === 'guessed-class')} guessed among same-prototype classes, ` +
    `${count((entry) => entry.layoutSource === 'none')} unknown; ftrace and module tracepoints missing`;
  return { entries, bare: bare.sort(), summary, errors };
}

/** The FUNC_PROTO a `btf_trace_*` typedef points at. */
function pointedProto(btf: Btf, typedefId: number): number | undefined {
  const typedef = btf.typeById(typedefId);
  if (typedef?.kind !== BtfKind.Typedef) return undefined;
  const pointer = btf.typeById(btf.resolve(typedef.type));
  if (pointer?.kind !== BtfKind.Ptr) return undefined;
  const proto = btf.resolve(pointer.type);
  return btf.kindOf(proto) === BtfKind.FuncProto ? proto : undefined;
}

/** Parameter types (not names: the probe and the typedef may name the `void *` differently). */
function protoKey(btf: Btf, protoId: number): string {
  const proto = btf.typeById(protoId);
  return proto?.kind === BtfKind.FuncProto ? proto.params.map((param) => param.type).join(',') : '';
}

/** Line index of each kallsyms name (first occurrence), vmlinux lines only: kallsyms is in address order even when addresses print as 0. */
function kallsymsOrder(text: string): Map<string, number> {
  const order = new Map<string, number>();
  let line = 0;
  for (let at = 0; at < text.length; line++) {
    let end = text.indexOf('\n', at);
    if (end < 0) end = text.length;
    const row = text.slice(at, end);
    at = end + 1;
    if (row.includes('[')) continue;
    const name = row.slice(row.lastIndexOf(' ') + 1).trim();
    if ((name.startsWith(ITER_PREFIX) || name.startsWith(PROBE_PREFIX)) && !order.has(name)) order.set(name, line);
  }
  return order;
}

function pickClass(candidates: string[], event: string, order: Map<string, number>, matchesReference: (candidate: string) => boolean): string {
  if (candidates.length === 1) return candidates[0];
  const at = order.get(ITER_PREFIX + event);
  const distance = (candidate: string) => {
    const position = order.get(PROBE_PREFIX + candidate);
    return at === undefined || position === undefined ? Number.MAX_SAFE_INTEGER : Math.abs(position - at);
  };
  const prefix = (candidate: string) => {
    const stem = candidate.replace(/_(?:template|class|tmpl|event|events|evt)$/, '');
    return event.startsWith(stem) ? stem.length : 0;
  };
  const scored = candidates.map((candidate) => ({ candidate, reference: matchesReference(candidate) ? 1 : 0, prefix: prefix(candidate), distance: distance(candidate) }));
  scored.sort((a, b) => b.reference - a.reference || b.prefix - a.prefix || a.distance - b.distance || (a.candidate < b.candidate ? -1 : 1));
  return scored[0].candidate;
}

function referenceFieldNames(reference: TracepointReference | undefined, event: string): string | undefined {
  const home = reference?.tracepoints.findByEventName(event)[0];
  const format = home?.format;
  return format ? eventFields(format).map((field) => field.name).join() : undefined;
}

function fieldNamesOf(btf: Btf, structId: number): string[] {
  const type = btf.typeById(structId);
  if (type?.kind !== BtfKind.Struct) return [];
  return type.members.filter((member) => member.name !== 'ent' && member.name !== '__data').map((member) => dynamicName(member.name)?.name ?? member.name);
}

function assignCategories(events: string[], order: Map<string, number>, reference: TracepointReference | undefined): Map<string, { category: string; source: CategorySource }> {
  const result = new Map<string, { category: string; source: CategorySource }>();
  for (const event of events) {
    const home = reference?.tracepoints.findByEventName(event)[0];
    if (home) result.set(event, { category: home.category, source: 'reference' });
  }
  // Neighbours in address order: the events of one object file, which usually share a system.
  const sequence = events.filter((event) => order.has(ITER_PREFIX + event)).sort((a, b) => order.get(ITER_PREFIX + a)! - order.get(ITER_PREFIX + b)!);
  const known = sequence.map((event) => result.get(event)?.category);
  for (let index = 0; index < sequence.length; index++) {
    const event = sequence[index];
    if (known[index] !== undefined) continue;
    let previous = index - 1;
    while (previous >= 0 && known[previous] === undefined) previous--;
    let next = index + 1;
    while (next < sequence.length && known[next] === undefined) next++;
    const options = [previous >= 0 ? previous : -1, next < sequence.length ? next : -1].filter((at) => at >= 0);
    if (options.length === 0) continue;
    options.sort((a, b) => commonPrefix(sequence[b], event) - commonPrefix(sequence[a], event));
    result.set(event, { category: known[options[0]]!, source: 'neighbour' });
  }
  for (const event of events) {
    if (!result.has(event)) result.set(event, { category: event.split('_')[0] || event, source: 'name' });
  }
  return result;
}

function commonPrefix(a: string, b: string): number {
  let length = 0;
  while (length < a.length && length < b.length && a[length] === b[length]) length++;
  return length;
}

/** `struct trace_entry` as the `common_*` fields every record starts with. */
function traceEntryFields(btf: Btf): TracepointField[] {
  const entry = btf.findByName('trace_entry', BtfKind.Struct);
  if (entry?.kind !== BtfKind.Struct) return [];
  return entry.members.map((member) => ({ ...scalarField(btf, member.type, `common_${member.name}`, member.bitOffset / 8), common: true }));
}

/** GCC's DWARF spelling of C's integer types (`long unsigned int`), as sources and tracefs write them. */
const INT_SPELLING: [RegExp, string][] = [
  [/\blong long unsigned int\b/g, 'unsigned long long'], [/\blong long int\b/g, 'long long'],
  [/\blong unsigned int\b/g, 'unsigned long'], [/\blong int\b/g, 'long'],
  [/\bshort unsigned int\b/g, 'unsigned short'], [/\bshort int\b/g, 'short'],
];

function typeText(btf: Btf, typeId: number): string {
  let text = btf.formatType(typeId);
  for (const [pattern, spelling] of INT_SPELLING) text = text.replace(pattern, spelling);
  return text;
}

function scalarField(btf: Btf, typeId: number, name: string, offset: number): TracepointField {
  const resolved = btf.typeById(btf.resolve(typeId));
  const field: TracepointField = { name, type: typeText(btf, typeId), offset, size: btf.sizeOf(typeId) ?? 0, signed: isSigned(btf, typeId), common: false };
  if (resolved?.kind === BtfKind.Array) {
    field.type = typeText(btf, resolved.elemType);
    field.arrayLength = resolved.nelems;
    field.signed = isSigned(btf, resolved.elemType);
  }
  return field;
}

function isSigned(btf: Btf, typeId: number): boolean {
  const type = btf.typeById(btf.resolve(typeId));
  return (type?.kind === BtfKind.Int || type?.kind === BtfKind.Enum || type?.kind === BtfKind.Enum64) && type.signed;
}

/** `__data_loc_<name>` / `__rel_loc_<name>`: the u32 locator TP_STRUCT__entry makes of `__string`, `__dynamic_array`, ... */
function dynamicName(member: string): { name: string; kind: 'data_loc' | 'rel_loc' } | undefined {
  const match = /^__(data|rel)_loc_(\w+)$/.exec(member);
  return match ? { name: match[2], kind: match[1] === 'data' ? 'data_loc' : 'rel_loc' } : undefined;
}

function classLayout(
  btf: Btf, structId: number, event: string, common: TracepointField[], referenceFormat: TracepointFormat | undefined, derivedFrom: string,
): TracepointFormat {
  const type = btf.typeById(structId);
  const fields: TracepointField[] = [...common];
  if (type?.kind === BtfKind.Struct) {
    for (const member of type.members) {
      // `ent` is the common header (listed above); `__data` marks where dynamic payloads start.
      if (member.name === 'ent' || member.name === '__data') continue;
      const dynamic = dynamicName(member.name);
      if (!dynamic) {
        fields.push(scalarField(btf, member.type, member.name, member.bitOffset / 8));
        continue;
      }
      // BTF keeps only the locator; the payload's type is known when a reference lists the field.
      const known = referenceFormat?.fields.find((field) => field.name === dynamic.name && field.dynamic?.kind === dynamic.kind);
      fields.push({
        name: dynamic.name, offset: member.bitOffset / 8, size: btf.sizeOf(member.type) ?? 4, signed: false, common: false,
        type: known?.type ?? `__${dynamic.kind} (payload type not in BTF)`,
        dynamic: known?.dynamic ?? { kind: dynamic.kind, elementType: 'payload', isArray: true },
      });
    }
  }
  return { name: event, fields, derivedFrom };
}

function syscallTracepoints(btf: Btf, kallsyms: string, common: TracepointField[], reference: TracepointReference | undefined, errors: string[]): BtfTracepoint[] {
  const enter = btf.findByName('syscall_trace_enter', BtfKind.Struct);
  const exit = btf.findByName('syscall_trace_exit', BtfKind.Struct);
  if (enter?.kind !== BtfKind.Struct || exit?.kind !== BtfKind.Struct) {
    errors.push('the BTF has no struct syscall_trace_enter/exit (kernel without CONFIG_FTRACE_SYSCALLS?): no syscalls tracepoints');
    return [];
  }
  const memberOffset = (struct: typeof enter, name: string) => (struct.members.find((member) => member.name === name)?.bitOffset ?? 0) / 8;
  const names = new Set<string>();
  for (const line of kallsyms.split('\n')) {
    if (line.includes('[')) continue;
    const match = ARCH_SYSCALL.exec(line.slice(line.lastIndexOf(' ') + 1).trim());
    if (match) names.add(match[1]);
  }
  const referenceEvents = reference?.tracepoints.events('syscalls') ?? [];
  // kallsyms also lists compat and not-implemented stubs, which have no event: a reference knows which do.
  const listed = referenceEvents.length > 0 ? [...names].filter((name) => referenceEvents.includes(`sys_enter_${name}`)) : [...names];
  const nr = (offset: number): TracepointField => ({ name: '__syscall_nr', type: 'int', offset, size: 4, signed: true, common: false });
  const argsAt = memberOffset(enter, 'args');
  const entries: BtfTracepoint[] = [];
  for (const name of listed) {
    const known = reference?.tracepoints.get('syscalls', `sys_enter_${name}`)?.format;
    const args = known ? eventFields(known).filter((field) => field.name !== '__syscall_nr') : undefined;
    entries.push({
      category: 'syscalls', event: `sys_enter_${name}`, categorySource: 'fixed', layoutSource: 'syscall',
      format: {
        name: `sys_enter_${name}`,
        // Each argument is one unsigned long in the record, whatever its C type.
        fields: [...common, nr(memberOffset(enter, 'nr')), ...(args ?? []).map((field, index) => ({ ...field, offset: argsAt + 8 * index, size: 8 }))],
        derivedFrom: args
          ? `BTF struct syscall_trace_enter, argument names and types from ${reference!.name} (tracefs not readable)`
          : 'BTF struct syscall_trace_enter; argument names unknown (tracefs not readable): read args at offset ' + argsAt,
      },
    });
    const ret = exit.members.find((member) => member.name === 'ret');
    entries.push({
      category: 'syscalls', event: `sys_exit_${name}`, categorySource: 'fixed', layoutSource: 'syscall',
      format: {
        name: `sys_exit_${name}`,
        fields: [...common, nr(memberOffset(exit, 'nr')), ...(ret ? [scalarField(btf, ret.type, 'ret', ret.bitOffset / 8)] : [])],
        derivedFrom: 'BTF struct syscall_trace_exit (tracefs not readable)',
      },
    });
  }
  return entries;
}
