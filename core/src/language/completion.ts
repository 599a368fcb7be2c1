/**
 * Completion inside SEC() strings, on `ctx->` in programs, and for BPF helper names.
 * Offsets are UTF-16 code-unit offsets into the document text, as LSP positions resolve to.
 */
import { KernelSymbol } from '../kallsyms/index';
import { DATA_SECTIONS, SECTION_DEFS, SectionDef } from '../sections/definitions';
import { findSectionDef } from '../sections/parse';
import { eventFields, fieldDeclaration, formatOrigin } from '../tracefs/format';
import {
  ITER_TARGETS,
  KernelCatalog,
  helperByName,
  helperVerdict,
  kfuncRefusal,
  kfuncReleasePairs,
  iterTargets,
  lsmHookNames,
  rawTracepointNames,
  syscallNames,
} from './catalog';
import { BpfDocument, SectionUse, isInCommentOrLiteral, parseBpfDocument, programAt, sectionAt } from './document';
import { completeMember } from './members';
import { kfuncDocumentation, kfuncSignature } from './kfuncs';
import { programSignatureFor, prototypeText } from './signature';

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
  /** Why the item would fail on the target (a helper this program type may not call); editors strike it through. */
  deprecated?: string;
  /** Set on items whose documentation/edits `resolveCompletionItem` fills in later; opaque to the server. */
  data?: CompletionData;
}

/** What `resolveCompletionItem` needs to finish an item whose details were deferred. */
export type CompletionData =
  | { kind: 'kernel-function'; sectionPrefix: string; name: string }
  | { kind: 'tracepoint'; category: string; event: string }
  | { kind: 'lsm-hook'; name: string }
  | { kind: 'helper'; name: string }
  | { kind: 'kfunc'; name: string };

export interface CompletionList {
  items: CompletionItem[];
  /** More items exist than were returned; ask again as the user types. */
  isIncomplete: boolean;
}

export interface CompletionOptions {
  /** Cap for long lists (kernel functions); default 200. */
  limit?: number;
  /**
   * How many items of a long list get their documentation (BTF prototype, tracepoint layout,
   * helper docs) and signature edit right away; the rest carry `data` for
   * `resolveCompletionItem`. Formatting a prototype costs ~0.1 ms and parsing a format file
   * more, so doing all 200 eagerly would dominate completion latency and the response size.
   * Default 20; a server whose client resolves items passes 0.
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
  return completeMember(document, offset, catalog) ?? completeHelper(document, offset, catalog, options.eagerResolve ?? 20) ?? EMPTY;
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
      return completeTracepoint(typed, targetStart, offset, catalog, limit, eager);
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
      return fromSortedNames(lsmHookNames(catalog), typed, range, limit, (hook, index) => {
        const item: Partial<CompletionItem> & { kind: CompletionKind } = { kind: 'function', detail: 'LSM hook' };
        const data: CompletionData = { kind: 'lsm-hook', name: hook };
        if (index < eager) addDeferredDetails(item, data, section, catalog);
        else item.data = data;
        return item;
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

function completeTracepoint(typed: string, targetStart: number, offset: number, catalog: KernelCatalog, limit: number, eager: number): CompletionList {
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
  return fromSortedNames(tracepoints.events(category), eventTyped, range, limit, (event, index) => {
    // The layout needs the format file parsed: only for the first few, the rest on resolve.
    const item: Partial<CompletionItem> & { kind: CompletionKind } = { kind: 'event', detail: `${category}:${event}` };
    const data: CompletionData = { kind: 'tracepoint', category, event };
    if (index < eager) addDeferredDetails(item, data, undefined, catalog);
    else item.data = data;
    return item;
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
    if (index < eager) addDeferredDetails(item, data, section, catalog);
    else item.data = data;
    return item;
  });
  return { items, isIncomplete: found.truncated };
}

/** What an item's `data` stands for: documentation, detail, the program-signature edit. */
function addDeferredDetails(item: Partial<CompletionItem>, data: CompletionData, section: SectionUse | undefined, catalog: KernelCatalog): void {
  switch (data.kind) {
    case 'kernel-function':
      addFunctionDetails(item, data, section, catalog);
      return;
    case 'tracepoint': {
      const format = catalog.tracepoints?.get(data.category, data.event)?.format;
      if (!format) return;
      const fields = eventFields(format);
      item.detail = `${formatOrigin(format)} · ${fields.length} fields`;
      item.documentation = codeBlock(fields.map((field) => `${fieldDeclaration(field)};`).join('\n'));
      return;
    }
    case 'lsm-hook': {
      const proto = catalog.btf?.funcPrototype(`bpf_lsm_${data.name}`);
      if (proto) item.documentation = codeBlock(prototypeText(data.name, proto));
      return;
    }
    case 'helper': {
      const helper = helperByName(catalog, data.name);
      if (helper) item.documentation = helper.doc;
      return;
    }
    case 'kfunc': {
      const kfunc = catalog.kfuncs?.get(data.name);
      if (kfunc) item.documentation = kfuncDocumentation(kfunc, kfuncReleasePairs(catalog), catalog.snapshot);
      return;
    }
  }
}

/** BTF prototype as documentation, and the edit turning the program's declaration into the matching macro. */
function addFunctionDetails(
  item: Partial<CompletionItem>,
  data: Extract<CompletionData, { kind: 'kernel-function' }>,
  section: SectionUse | undefined,
  catalog: KernelCatalog,
): void {
  const proto = catalog.btf?.funcPrototype(data.name);
  if (proto) item.documentation = codeBlock(prototypeText(data.name, proto));
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
  if (!data) return item;
  const resolved: CompletionItem = { ...item };
  delete resolved.data;
  // Only the signature edit needs the document; the rest does not parse it.
  const section = data.kind === 'kernel-function' || data.kind === 'lsm-hook'
    ? sectionAt(typeof text === 'string' ? parseBpfDocument(text) : text, item.range.start)
    : undefined;
  addDeferredDetails(resolved, data, section, catalog);
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
  describe: (name: string, index: number) => Partial<CompletionItem> & { kind: CompletionKind },
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
    ...describe(name, index),
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
// bpf_* helpers

function completeHelper(document: BpfDocument, offset: number, catalog: KernelCatalog, eager: number): CompletionList | undefined {
  const word = /[A-Za-z_]\w*$/.exec(document.text.slice(Math.max(0, offset - 128), offset))?.[0] ?? '';
  if (word.length < 2) return undefined;
  // Helpers only for words heading to `bpf_`, so we do not crowd other completions; kfuncs
  // (bpf_*, scx_bpf_*, crash_kexec...) also anywhere in a program's body.
  const headingToBpf = 'bpf_'.startsWith(word) || word.startsWith('bpf_');
  const program = programAt(document, offset);
  if (!headingToBpf && !program) return undefined;
  const range = { start: offset - word.length, end: offset };
  const programType = program?.parsed.def?.programType;
  const kfuncs = completeKfuncs(word, range, catalog, eager, programType);
  if (!catalog.helpers || !headingToBpf) return kfuncs.items.length > 0 || kfuncs.isIncomplete ? kfuncs : undefined;
  const items = catalog.helpers
    .filter((helper) => helper.name.startsWith(word))
    .map((helper, index): CompletionItem => {
      const verdict = helperVerdict(catalog, programType, helper);
      const refused = verdict && !verdict.allowed ? verdict.reason : undefined;
      return {
        label: helper.name,
        kind: 'function',
        detail: refused ? `not allowed here: ${refused}` : helper.signature,
        // Helper docs run to a few KB each; ~200 of them make `bpf_` lists heavy.
        ...(index < eager ? { documentation: helper.doc } : { data: { kind: 'helper', name: helper.name } }),
        insertText: helper.name,
        // Kept (struck through, with the reason) rather than hidden, but after every helper that works.
        sortText: `${refused ? 1 : 0}${helper.name}`,
        range,
        ...(refused ? { deprecated: refused } : {}),
      };
    });
  return { items: [...items, ...kfuncs.items], isIncomplete: kfuncs.isIncomplete };
}

/** kfuncs starting with `word`; incomplete while the BTF is still being parsed, so the editor asks again. */
function completeKfuncs(word: string, range: { start: number; end: number }, catalog: KernelCatalog, eager: number, programType: string | undefined): CompletionList {
  const lookup = catalog.kfuncs;
  if (!lookup) return EMPTY;
  const names = lookup.names();
  if (!names) return { items: [], isIncomplete: true };
  const items: CompletionItem[] = [];
  for (let index = lowerBoundOf(names, word); index < names.length && names[index].startsWith(word); index++) {
    const kfunc = lookup.get(names[index]);
    if (!kfunc) continue;
    const refused = kfuncRefusal(catalog, programType, kfunc.name);
    const item: CompletionItem = {
      label: kfunc.name, kind: 'function', detail: refused ? `not allowed here: ${refused}` : `kfunc: ${kfuncSignature(kfunc)}`,
      insertText: kfunc.name, sortText: `${refused ? 1 : 0}${kfunc.name}`, range, ...(refused ? { deprecated: refused } : {}),
    };
    if (items.length < eager) item.documentation = kfuncDocumentation(kfunc, kfuncReleasePairs(catalog), catalog.snapshot);
    else item.data = { kind: 'kfunc', name: kfunc.name };
    items.push(item);
  }
  return { items, isIncomplete: false };
}

function codeBlock(code: string): string {
  return '```c\n' + code + '\n```';
}

function pad(index: number): string {
  return String(index).padStart(5, '0');
}
