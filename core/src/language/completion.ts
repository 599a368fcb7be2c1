/**
 * Completion inside SEC() strings, on `ctx->` in programs, and for BPF helper names.
 * Offsets are UTF-16 code-unit offsets into the document text, as LSP positions resolve to.
 */
import { KernelSymbol } from '../kallsyms/index';
import { DATA_SECTIONS, SECTION_DEFS, SectionDef } from '../sections/definitions';
import { findSectionDef } from '../sections/parse';
import { TracepointField, eventFields, fieldDeclaration } from '../tracefs/format';
import {
  ITER_TARGETS,
  KernelCatalog,
  iterTargets,
  lsmHookNames,
  rawTracepointNames,
  syscallNames,
} from './catalog';
import { BpfDocument, ProgramParameter, SectionUse, isInCommentOrLiteral, parseBpfDocument, programAt, sectionAt } from './document';
import { programSignatureFor } from './signature';

/** LSP CompletionItemKind names; the server maps them to the protocol's numbers. */
export type CompletionKind = 'module' | 'folder' | 'file' | 'event' | 'function' | 'field' | 'keyword' | 'constant' | 'struct';

export interface TextEdit {
  start: number;
  end: number;
  newText: string;
}

export interface CompletionItem {
  label: string;
  kind: CompletionKind;
  detail?: string;
  /** Markdown. */
  documentation?: string;
  insertText: string;
  sortText: string;
  filterText?: string;
  /** The document range the item replaces; SEC strings contain `/` and `:`, which editors do not treat as word characters. */
  range: { start: number; end: number };
  /** Edits elsewhere in the document, e.g. rewriting the program's parameter list to match the chosen function. */
  additionalTextEdits?: TextEdit[];
  /** The editor should ask for completions again after inserting (a category was chosen, events come next). */
  retrigger?: boolean;
  /** Set on items whose documentation/edits `resolveCompletionItem` fills in later; opaque to the server. */
  data?: CompletionData;
}

/** What `resolveCompletionItem` needs to finish a kernel-function item. */
export interface CompletionData {
  kind: 'kernel-function';
  sectionPrefix: string;
  name: string;
}

export interface CompletionList {
  items: CompletionItem[];
  /** More items exist than were returned; ask again as the user types. */
  isIncomplete: boolean;
}

export interface CompletionOptions {
  /** Cap for long lists (kernel functions); default 200. */
  limit?: number;
  /**
   * How many kernel-function items get their BTF prototype and signature edit right away; the
   * rest carry `data` for `resolveCompletionItem`. Formatting prototypes costs ~0.1 ms per item,
   * so doing all 200 eagerly would dominate completion latency. Default 20.
   */
  eagerResolve?: number;
}

const EMPTY: CompletionList = { items: [], isIncomplete: false };

export function doComplete(
  text: string | BpfDocument,
  offset: number,
  catalog: KernelCatalog,
  options: CompletionOptions = {},
): CompletionList {
  const document = typeof text === 'string' ? parseBpfDocument(text) : text;
  const limit = options.limit ?? 200;
  const section = sectionAt(document, offset);
  if (section) return completeSection(section, offset, catalog, limit, options.eagerResolve ?? 20);
  if (isInCommentOrLiteral(document, offset)) return EMPTY;
  return completeMember(document, offset, catalog) ?? completeHelper(document, offset, catalog) ?? EMPTY;
}

// ---------------------------------------------------------------------------------------------
// SEC("...")

function completeSection(section: SectionUse, offset: number, catalog: KernelCatalog, limit: number, eager: number): CompletionList {
  let typed = section.text.slice(0, offset - section.contentStart);
  let start = section.contentStart;
  // `?` (do not autoload) sits before the prefix and takes no part in completion.
  if (typed.startsWith('?')) {
    typed = typed.slice(1);
    start++;
  }
  const def = findSectionDef(typed);
  if (def && def.target !== 'none' && typed.length > def.prefix.length) {
    const targetStart = start + def.prefix.length + 1;
    return completeTarget(def, typed.slice(def.prefix.length + 1), targetStart, offset, section, catalog, limit, eager);
  }
  return completePrefix(typed, start, offset);
}

function completePrefix(typed: string, start: number, offset: number): CompletionList {
  const range = { start, end: offset };
  const items: CompletionItem[] = [];
  SECTION_DEFS.forEach((def, index) => {
    const label = def.target === 'none' ? def.prefix : `${def.prefix}/`;
    if (!label.startsWith(typed) && !(def.target !== 'none' && def.prefix === typed)) return;
    items.push({
      label,
      kind: def.target === 'none' ? 'constant' : 'module',
      detail: def.programType + (def.aliasOf ? ` (same as ${def.aliasOf})` : ''),
      documentation: sectionDocumentation(def),
      insertText: label,
      // Canonical names before aliases, both in table order, which groups related sections.
      sortText: `${def.aliasOf ? 1 : 0}${pad(index)}`,
      range,
      ...(def.target !== 'none' ? { retrigger: true } : {}),
    });
  });
  for (const data of DATA_SECTIONS) {
    if (data.name.endsWith('.') || !data.name.startsWith(typed) || typed === '') continue;
    items.push({ label: data.name, kind: 'keyword', detail: 'data section', documentation: data.doc, insertText: data.name, sortText: `2${data.name}`, range });
  }
  return { items, isIncomplete: false };
}

export function sectionDocumentation(def: SectionDef): string {
  const lines = [def.doc, '', `Program type \`${def.programType}\``];
  if (def.attachType) lines.push(`attach type \`${def.attachType}\``);
  lines.push(`ctx: \`${def.ctxType}\``);
  if (def.sleepable) lines.push('sleepable');
  if (def.example) lines.push('', `Example: \`SEC("${def.example}")\``);
  return lines.join('  \n');
}

function completeTarget(
  def: SectionDef,
  typed: string,
  targetStart: number,
  offset: number,
  section: SectionUse,
  catalog: KernelCatalog,
  limit: number,
  eager: number,
): CompletionList {
  const range = { start: targetStart, end: offset };
  switch (def.target) {
    case 'tracepoint':
      return completeTracepoint(typed, targetStart, offset, catalog, limit);
    case 'raw-tracepoint':
      return fromSortedNames(rawTracepointNames(catalog), typed, range, limit, (name) => ({
        kind: 'event',
        detail: rawTracepointDetail(catalog, name),
      }));
    case 'kernel-function':
    case 'kernel-function-pattern':
      return completeKernelFunction(def, typed, range, section, catalog, limit, eager);
    case 'syscall':
      return fromSortedNames(syscallNames(catalog), typed, range, limit, () => ({ kind: 'function', detail: 'syscall' }));
    case 'lsm-hook':
      return fromSortedNames(lsmHookNames(catalog), typed, range, limit, (hook) => {
        const proto = catalog.btf?.funcPrototype(`bpf_lsm_${hook}`);
        return {
          kind: 'function',
          detail: 'LSM hook',
          ...(proto ? { documentation: codeBlock(`${proto.ret} ${hook}(${proto.args.map((arg) => `${arg.type} ${arg.name}`.trim()).join(', ')})`) } : {}),
        };
      });
    case 'iter-target':
      return fromSortedNames(iterTargets(catalog), typed, range, limit, (target) => ({
        kind: 'struct',
        detail: `struct bpf_iter__${target}`,
        documentation: `Visits ${ITER_TARGETS[target] ?? target}.`,
      }));
    case 'uprobe':
    case 'uprobe-pattern':
    case 'usdt':
      return completeUserSpace(def, typed, targetStart, offset, catalog, limit);
    default:
      return EMPTY;
  }
}

function completeTracepoint(typed: string, targetStart: number, offset: number, catalog: KernelCatalog, limit: number): CompletionList {
  const tracepoints = catalog.tracepoints;
  if (!tracepoints) return EMPTY;
  const slash = typed.indexOf('/');
  if (slash === -1) {
    const items = tracepoints.categoriesWithPrefix(typed).map((category, index): CompletionItem => ({
      label: category,
      kind: 'folder',
      detail: `${tracepoints.events(category).length} tracepoints`,
      insertText: `${category}/`,
      filterText: category,
      sortText: pad(index),
      range: { start: targetStart, end: offset },
      retrigger: true,
    }));
    return { items, isIncomplete: false };
  }
  const category = typed.slice(0, slash);
  const eventTyped = typed.slice(slash + 1);
  const range = { start: targetStart + slash + 1, end: offset };
  return fromSortedNames(tracepoints.events(category), eventTyped, range, limit, (event) => {
    const format = tracepoints.get(category, event)?.format;
    if (!format) return { kind: 'event', detail: `${category}:${event}` };
    const fields = eventFields(format);
    return {
      kind: 'event',
      detail: `ID ${format.id} · ${fields.length} fields`,
      documentation: codeBlock(fields.map((field) => `${fieldDeclaration(field)};`).join('\n')),
    };
  });
}

function rawTracepointDetail(catalog: KernelCatalog, name: string): string {
  const homes = catalog.tracepoints?.findByEventName(name) ?? [];
  return homes.length > 0 ? homes.map((home) => `${home.category}:${home.event}`).join(', ') : 'bare tracepoint (no tracefs event)';
}

function completeKernelFunction(
  def: SectionDef,
  typed: string,
  range: { start: number; end: number },
  section: SectionUse,
  catalog: KernelCatalog,
  limit: number,
  eager: number,
): CompletionList {
  const kallsyms = catalog.kallsyms;
  if (!kallsyms) return EMPTY;
  const found = kallsyms.search(typed, limit);
  const items = found.names.map((name, index): CompletionItem => {
    const symbol = kallsyms.get(name);
    const item: CompletionItem = {
      label: name,
      kind: 'function',
      detail: symbol ? symbolTags(symbol).join(' · ') || 'kernel function' : 'kernel function',
      insertText: name,
      // Exact and prefix matches first (search returns them first), then the rest, stable by name.
      sortText: `${name === typed ? 0 : name.startsWith(typed) ? 1 : 2}${pad(index)}`,
      range,
    };
    const data: CompletionData = { kind: 'kernel-function', sectionPrefix: def.prefix, name };
    if (index < eager) addFunctionDetails(item, data, section, catalog);
    else item.data = data;
    return item;
  });
  return { items, isIncomplete: found.truncated };
}

/** BTF prototype as documentation, and the edit turning the program's declaration into the matching macro. */
function addFunctionDetails(item: CompletionItem, data: CompletionData, section: SectionUse | undefined, catalog: KernelCatalog): void {
  const proto = catalog.btf?.funcPrototype(data.name);
  if (proto) item.documentation = codeBlock(`${proto.ret} ${data.name}(${proto.args.map((arg) => `${arg.type} ${arg.name}`.trim()).join(', ')})`);
  const program = section?.program;
  const def = findSectionDef(data.sectionPrefix);
  if (program && def?.target === 'kernel-function') {
    const signature = programSignatureFor(`${def.prefix}/${data.name}`, catalog, program.name);
    if (signature) item.additionalTextEdits = [{ start: program.signatureStart, end: program.signatureEnd, newText: signature }];
  }
}

/**
 * Fills in what `doComplete` deferred (documentation, signature edit) for one item, for the
 * LSP completionItem/resolve request. `text` must be the document the item was computed on.
 */
export function resolveCompletionItem(text: string | BpfDocument, item: CompletionItem, catalog: KernelCatalog): CompletionItem {
  const data = item.data;
  if (!data || data.kind !== 'kernel-function') return item;
  const document = typeof text === 'string' ? parseBpfDocument(text) : text;
  const resolved: CompletionItem = { ...item };
  delete resolved.data;
  addFunctionDetails(resolved, data, sectionAt(document, item.range.start), catalog);
  return resolved;
}

export function symbolTags(symbol: KernelSymbol): string[] {
  const tags: string[] = [];
  if (symbol.module) tags.push(`module ${symbol.module}`);
  if (symbol.traceable === true) tags.push('traceable');
  if (symbol.traceable === false) tags.push('not in available_filter_functions');
  if (symbol.blacklisted) tags.push('kprobe-blacklisted');
  if (symbol.hasBtf === true) tags.push('BTF');
  if (symbol.hasBtf === false) tags.push('no BTF');
  if (symbol.count > 1) tags.push(`${symbol.count} symbols with this name`);
  return tags;
}

function completeUserSpace(
  def: SectionDef,
  typed: string,
  targetStart: number,
  offset: number,
  catalog: KernelCatalog,
  limit: number,
): CompletionList {
  const userSpace = catalog.userSpace;
  if (!userSpace) return EMPTY;
  const colon = typed.indexOf(':');
  if (colon === -1) {
    const binaries = userSpace.binaries?.(typed);
    if (!binaries) return { items: [], isIncomplete: userSpace.binaries !== undefined };
    const items = binaries.slice(0, limit).map((binary, index): CompletionItem => ({
      label: binary,
      kind: 'file',
      insertText: `${binary}:`,
      filterText: binary,
      sortText: pad(index),
      range: { start: targetStart, end: offset },
      retrigger: true,
    }));
    return { items, isIncomplete: binaries.length > limit };
  }
  const binary = typed.slice(0, colon);
  const rest = typed.slice(colon + 1);
  const range = { start: targetStart + colon + 1, end: offset };
  if (def.target === 'usdt') {
    const probes = userSpace.usdtProbes?.(binary);
    if (!probes) return { items: [], isIncomplete: userSpace.usdtProbes !== undefined };
    const labels = [...new Set(probes.map((probe) => `${probe.provider}:${probe.name}`))].sort();
    return fromSortedNames(labels, rest, range, limit, (label) => {
      const probe = probes.find((candidate) => `${candidate.provider}:${candidate.name}` === label);
      return { kind: 'event', detail: probe?.args ? `args: ${probe.args}` : 'USDT probe' };
    });
  }
  const functions = userSpace.functions?.(binary);
  if (!functions) return { items: [], isIncomplete: userSpace.functions !== undefined };
  return fromSortedNames([...functions].sort(), rest, range, limit, () => ({ kind: 'function', detail: binary }));
}

/**
 * Items from a sorted name list: the exact match and prefix matches first (never cut before
 * anything else), then substring matches, capped at `limit`.
 */
function fromSortedNames(
  sorted: readonly string[],
  typed: string,
  range: { start: number; end: number },
  limit: number,
  describe: (name: string) => Partial<CompletionItem> & { kind: CompletionKind },
): CompletionList {
  const chosen: string[] = [];
  let truncated = false;
  let position = lowerBoundOf(sorted, typed);
  for (; position < sorted.length && sorted[position].startsWith(typed); position++) {
    if (chosen.length >= limit) {
      truncated = true;
      break;
    }
    chosen.push(sorted[position]);
  }
  if (!truncated && typed !== '') {
    for (const name of sorted) {
      if (name.startsWith(typed) || !name.includes(typed)) continue;
      if (chosen.length >= limit) {
        truncated = true;
        break;
      }
      chosen.push(name);
    }
  }
  const items = chosen.map((name, index): CompletionItem => ({
    label: name,
    insertText: name,
    sortText: `${name === typed ? 0 : name.startsWith(typed) ? 1 : 2}${pad(index)}`,
    range,
    ...describe(name),
  }));
  return { items, isIncomplete: truncated };
}

function lowerBoundOf(sorted: readonly string[], key: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle] < key) low = middle + 1;
    else high = middle;
  }
  return low;
}

// ---------------------------------------------------------------------------------------------
// ctx-> and other parameter members

const MEMBER_ACCESS = /([A-Za-z_]\w*)\s*->\s*(\w*)$/;

function completeMember(document: BpfDocument, offset: number, catalog: KernelCatalog): CompletionList | undefined {
  const before = document.text.slice(Math.max(0, offset - 256), offset);
  const match = MEMBER_ACCESS.exec(before);
  if (!match) return undefined;
  const [, variable, partial] = match;
  const range = { start: offset - partial.length, end: offset };
  const use = programAt(document, offset);
  const program = use?.program;
  if (!use || !program) return undefined;
  const param = program.params.find((candidate) => candidate.name === variable);
  const isContext = param ? program.params[0] === param : variable === 'ctx';

  const parsed = use.parsed;
  const btfMembers = param ? membersFromBtf(param, catalog) : undefined;
  if (btfMembers) return { items: btfMembers.map((member, index) => memberItem(member.name, member.type, index, range)), isIncomplete: false };

  if (isContext && (parsed.def?.target === 'tracepoint') && parsed.target?.category && parsed.target.event) {
    const format = catalog.tracepoints?.get(parsed.target.category.text, parsed.target.event.text)?.format;
    if (!format) return undefined;
    const items = eventFields(format).map((field, index) => fieldItem(field, index, range));
    return { items, isIncomplete: false };
  }
  return undefined;
}

/** `struct foo *` parameters whose struct BTF knows; our generated ctx structs are not in BTF and fall through. */
function membersFromBtf(param: ProgramParameter, catalog: KernelCatalog): { name: string; type: string }[] | undefined {
  const match = /^(?:const\s+)?(?:struct|union)\s+([A-Za-z_]\w*)\s*\*$/.exec(param.type);
  if (!match || !catalog.btf) return undefined;
  const members = catalog.btf.structMembers(match[1]);
  return members && members.length > 0 ? members : undefined;
}

function memberItem(name: string, type: string, index: number, range: { start: number; end: number }): CompletionItem {
  return { label: name, kind: 'field', detail: type, insertText: name, sortText: pad(index), range };
}

function fieldItem(field: TracepointField, index: number, range: { start: number; end: number }): CompletionItem {
  const item: CompletionItem = {
    label: field.name,
    kind: 'field',
    detail: `${fieldDeclaration(field)} · offset ${field.offset}, size ${field.size}`,
    insertText: field.name,
    sortText: pad(index),
    range,
  };
  if (field.dynamic) {
    const base = field.dynamic.kind === 'data_loc' ? '(void *)ctx' : `(void *)&ctx->${field.name} + sizeof(ctx->${field.name})`;
    item.documentation =
      `Dynamic field: the record holds a u32 whose low 16 bits locate the ${field.dynamic.elementType} data ` +
      `and whose high 16 bits give its length. Read it with\n` +
      codeBlock(`unsigned int loc = ctx->${field.name};\nvoid *data = ${base} + (loc & 0xffff);`);
  }
  return item;
}

// ---------------------------------------------------------------------------------------------
// bpf_* helpers

function completeHelper(document: BpfDocument, offset: number, catalog: KernelCatalog): CompletionList | undefined {
  if (!catalog.helpers) return undefined;
  const word = /[A-Za-z_]\w*$/.exec(document.text.slice(Math.max(0, offset - 128), offset))?.[0] ?? '';
  // Only offer helpers for words that are heading to `bpf_`, so we do not crowd other completions.
  if (word.length < 2 || !('bpf_'.startsWith(word) || word.startsWith('bpf_'))) return undefined;
  const range = { start: offset - word.length, end: offset };
  const items = catalog.helpers
    .filter((helper) => helper.name.startsWith(word))
    .map((helper): CompletionItem => ({
      label: helper.name,
      kind: 'function',
      detail: helper.signature,
      documentation: helper.doc,
      insertText: helper.name,
      sortText: helper.name,
      range,
    }));
  return { items, isIncomplete: false };
}

function codeBlock(code: string): string {
  return '```c\n' + code + '\n```';
}

function pad(index: number): string {
  return String(index).padStart(5, '0');
}
