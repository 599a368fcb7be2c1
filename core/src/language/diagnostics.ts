/**
 * Checks each SEC() string against the target kernel: does the attach point exist, may this
 * program type attach there, and can this kernel run the program type at all. These are the
 * failures that otherwise only show up at load/attach time, often as a bare -ENOENT or -EINVAL.
 */
import { boundedEditDistance, suggestSimilar } from '../kallsyms/index';
import { DATA_SECTIONS, SECTION_DEFS, SectionDef } from '../sections/definitions';
import { SectionPart } from '../sections/parse';
import { KernelCatalog, capabilitiesOf, helperByName, helperVerdict, kfuncRefusal, iterTargets, lsmHookNames, rawTracepointNames, syscallNames } from './catalog';
import { BpfDocument, SectionUse, parseBpfDocument, tokensBefore } from './document';

export type Severity = 'error' | 'warning' | 'information' | 'hint';

export interface DiagnosticFix {
  title: string;
  newText: string;
  range: { start: number; end: number };
}

export interface Diagnostic {
  range: { start: number; end: number };
  severity: Severity;
  code: string;
  message: string;
  fix?: DiagnosticFix;
}

const KPROBE_BASED = new Set(['kprobe', 'kretprobe', 'ksyscall', 'kretsyscall']);
const TRAMPOLINE_BASED = new Set(['fentry', 'fexit', 'fmod_ret', 'fentry.s', 'fexit.s', 'fmod_ret.s']);

export function doValidate(text: string | BpfDocument, catalog: KernelCatalog): Diagnostic[] {
  const document = typeof text === 'string' ? parseBpfDocument(text) : text;
  const diagnostics: Diagnostic[] = [];
  for (const section of document.sections) {
    if (section.unterminated) continue;
    validateSection(section, catalog, diagnostics);
    validateHelperCalls(document, section, catalog, diagnostics);
  }
  validateKfuncDeclarations(document, catalog, diagnostics);
  if (catalog.snapshot) return diagnostics.map((diagnostic) => asSnapshotNote(diagnostic, catalog.snapshot ?? ''));
  return diagnostics;
}

/**
 * A snapshot is some other machine's kernel: what it lacks says nothing about the user's. Kept
 * as information naming the snapshot, so the hint survives without claiming a fault. Syntax
 * errors (unknown section, missing target) do not depend on the kernel and keep their severity.
 */
const KERNEL_FACTS = new Set([
  'no-kprobes', 'no-btf', 'fentry-unsupported', 'needs-newer-libbpf', 'unknown-tracepoint-category', 'unknown-tracepoint',
  'unknown-raw-tracepoint', 'unknown-function', 'no-pattern-match', 'unknown-syscall', 'unknown-lsm-hook', 'unknown-iter-target',
  'kprobe-blacklisted', 'not-traceable', 'function-without-btf', 'helper-not-in-kernel', 'helper-not-for-program-type', 'kfunc-not-in-kernel', 'kfunc-not-for-program-type',
]);

function asSnapshotNote(diagnostic: Diagnostic, snapshot: string): Diagnostic {
  if (!KERNEL_FACTS.has(diagnostic.code) || diagnostic.severity === 'information' || diagnostic.severity === 'hint') return diagnostic;
  return { ...diagnostic, severity: 'information', message: `${diagnostic.message} (from ${snapshot}, not your kernel: connect a target to check)` };
}

/**
 * `extern ... name(...) __ksym;` declares a kfunc; one the target's BTF lacks fails to load
 * (or, declared __weak, resolves to 0 and the verifier rejects the call). Checked once the BTF is parsed.
 */
function validateKfuncDeclarations(document: BpfDocument, catalog: KernelCatalog, out: Diagnostic[]): void {
  const names = catalog.kfuncs?.names();
  if (!names || names.length === 0) return;
  const tokens = document.tokens;
  for (let index = 0; index < tokens.length; index++) {
    if (tokens[index].text !== 'extern') continue;
    let name: BpfDocument['tokens'][number] | undefined;
    let ksym = false;
    let end = index + 1;
    for (; end < tokens.length && tokens[end].text !== ';' && tokens[end].text !== '{'; end++) {
      if (tokens[end].text === '(' && !name && tokens[end - 1].kind === 'identifier') name = tokens[end - 1];
      if (tokens[end].text === '__ksym') ksym = true;
    }
    index = end;
    if (!name || !ksym || catalog.kfuncs?.get(name.text)) continue;
    const suggestion = suggestSimilar(names as string[], name.text, 1)[0];
    out.push({
      range: { start: name.start, end: name.end },
      severity: 'error',
      code: 'kfunc-not-in-kernel',
      message: `${catalog.snapshot ?? 'the target kernel'}'s BTF has no kfunc ${name.text}${suggestion ? `; did you mean "${suggestion}"?` : ''}`,
      ...(suggestion ? { fix: { title: `Change to "${suggestion}"`, newText: suggestion, range: { start: name.start, end: name.end } } } : {}),
    });
  }
}

/** Helper calls in a program's body the target's verifier would refuse for this program type. */
function validateHelperCalls(document: BpfDocument, section: SectionUse, catalog: KernelCatalog, out: Diagnostic[]): void {
  const program = section.program;
  const programType = section.parsed.def?.programType;
  if (!catalog.helperAvailability || !program || program.bodyStart === undefined || program.bodyEnd === undefined || !programType) return;
  const tokens = document.tokens;
  let index = tokensBefore(tokens, program.bodyStart);
  for (; index < tokens.length && tokens[index].start < program.bodyEnd; index++) {
    const token = tokens[index];
    if (token.kind !== 'identifier' || tokens[index + 1]?.text !== '(') continue;
    const helper = helperByName(catalog, token.text);
    if (!helper) {
      const refused = kfuncRefusal(catalog, programType, token.text);
      if (refused) out.push({ range: { start: token.start, end: token.end }, severity: 'error', code: 'kfunc-not-for-program-type', message: refused });
      continue;
    }
    const verdict = helperVerdict(catalog, programType, helper);
    if (verdict && !verdict.allowed) out.push({ range: { start: token.start, end: token.end }, severity: 'error', code: verdict.code, message: verdict.reason });
  }
}

function validateSection(section: SectionUse, catalog: KernelCatalog, out: Diagnostic[]): void {
  const at = (start: number, end: number) => ({ start: section.contentStart + start, end: section.contentStart + end });
  const parsed = section.parsed;
  for (const error of parsed.errors) {
    const diagnostic: Diagnostic = {
      range: at(error.start, error.end),
      severity: error.code === 'missing-target' ? 'warning' : 'error',
      code: error.code,
      message: error.message,
    };
    if (error.code === 'unknown-section') {
      const suggestion = closest(parsed.prefix, sectionNames());
      const skip = parsed.autoload ? 0 : 1;
      if (suggestion) diagnostic.fix = { title: `Change to "${suggestion}"`, newText: suggestion, range: at(skip, skip + parsed.prefix.length) };
    }
    if (error.code === 'unexpected-target') {
      diagnostic.fix = { title: `Remove "${section.text.slice(error.start)}"`, newText: '', range: at(error.start, error.end) };
    }
    out.push(diagnostic);
  }
  const def = parsed.def;
  if (!def) return;
  if (def.newerThanLibbpf && catalog.libbpfVersion && compareVersions(catalog.libbpfVersion, def.newerThanLibbpf) <= 0) {
    const major = catalog.libbpfVersion.split('.').slice(0, 2).join('.');
    out.push({
      range: at(parsed.autoload ? 0 : 1, (parsed.autoload ? 0 : 1) + def.prefix.length),
      severity: 'error',
      code: 'needs-newer-libbpf',
      message: `libbpf ${major}, which loads this object, does not know SEC("${def.prefix}"); it needs a newer libbpf`,
    });
  }
  checkCapabilities(def, section, catalog, out);
  if (parsed.errors.length > 0 || !parsed.target) return;
  checkTarget(def, section, catalog, out);
}

function checkCapabilities(def: SectionDef, section: SectionUse, catalog: KernelCatalog, out: Diagnostic[]): void {
  const capabilities = capabilitiesOf(catalog);
  const prefixStart = section.contentStart + (section.parsed.autoload ? 0 : 1);
  const prefixRange = { start: prefixStart, end: prefixStart + def.prefix.length };
  if (KPROBE_BASED.has(def.prefix) && capabilities.kprobes === false) {
    out.push({
      range: prefixRange,
      severity: 'error',
      code: 'no-kprobes',
      message: 'this kernel has no kprobe support (no tracing/kprobe_events): the program will load but cannot attach. Use a tracepoint (tp/...) or raw_tp/ if one covers this point.',
    });
  }
  const needsBtf = def.programType === 'BPF_PROG_TYPE_TRACING' || def.programType === 'BPF_PROG_TYPE_LSM' || def.prefix.startsWith('struct_ops');
  if (needsBtf && capabilities.btf === false) {
    out.push({
      range: prefixRange,
      severity: 'error',
      code: 'no-btf',
      message: `this kernel has no BTF (/sys/kernel/btf/vmlinux), which ${def.prefix} programs need to load`,
    });
  } else if (TRAMPOLINE_BASED.has(def.prefix) && capabilities.fentry === false) {
    const diagnostic: Diagnostic = {
      range: prefixRange,
      severity: 'error',
      code: 'fentry-unsupported',
      message: `${def.prefix} programs do not attach on this kernel (no BPF trampoline support)`,
    };
    const functionName = section.parsed.target?.name?.text;
    if (functionName && capabilities.kprobes !== false && (def.prefix.startsWith('fentry') || def.prefix.startsWith('fexit'))) {
      const replacement = def.prefix.startsWith('fentry') ? 'kprobe' : 'kretprobe';
      diagnostic.fix = { title: `Use ${replacement}/${functionName}`, newText: replacement, range: prefixRange };
    }
    out.push(diagnostic);
  }
}

/** `what` may hold `%s` for the quoted name; `candidates` is either the pool to pick a "did you mean" from, or an already chosen suggestion. */
type MissingReporter = (part: SectionPart, code: string, what: string, candidates: readonly string[] | string | undefined, partial?: string) => void;

function checkTarget(def: SectionDef, section: SectionUse, catalog: KernelCatalog, out: Diagnostic[]): void {
  const target = section.parsed.target;
  if (!target) return;
  const rangeOf = (part: SectionPart) => ({ start: section.contentStart + part.start, end: section.contentStart + part.end });
  const missing: MissingReporter = (part, code, what, candidates, partial) => {
    const message = partial
      ? `"${part.text}" is not among the tracepoints known without reading tracefs (${partial}); it may still exist`
      : what.includes('%s') ? what.replace('%s', `"${part.text}"`) : `${what} "${part.text}" does not exist on the target kernel`;
    // A partial catalog cannot prove absence: say what it knows, as information.
    const diagnostic: Diagnostic = { range: rangeOf(part), severity: partial ? 'information' : 'error', code, message };
    const suggestion =
      typeof candidates === 'string' || candidates === undefined ? candidates : suggestSimilar(sortedCopy(candidates), part.text, 1)[0];
    if (suggestion) {
      diagnostic.message += `; did you mean "${suggestion}"?`;
      diagnostic.fix = { title: `Change to "${suggestion}"`, newText: suggestion, range: rangeOf(part) };
    }
    out.push(diagnostic);
  };

  switch (def.target) {
    case 'tracepoint': {
      const tracepoints = catalog.tracepoints;
      if (!tracepoints || !target.category || !target.event) return;
      if (!tracepoints.hasCategory(target.category.text)) {
        missing(target.category, 'unknown-tracepoint-category', 'tracepoint category', tracepoints.categories(), catalog.tracepointsPartial);
      } else if (!tracepoints.get(target.category.text, target.event.text)) {
        missing(target.event, 'unknown-tracepoint', `tracepoint category "${target.category.text}" has no event %s`, tracepoints.events(target.category.text), catalog.tracepointsPartial);
      }
      return;
    }
    case 'raw-tracepoint': {
      if (!target.event || (!catalog.tracepoints && !catalog.kallsyms)) return;
      const names = rawTracepointNames(catalog);
      if (!sortedHas(names, target.event.text)) missing(target.event, 'unknown-raw-tracepoint', 'raw tracepoint', names);
      return;
    }
    case 'kernel-function':
      checkKernelFunction(def, section, catalog, out, missing);
      return;
    case 'kernel-function-pattern': {
      const kallsyms = catalog.kallsyms;
      if (!kallsyms || !target.name) return;
      const pattern = target.name.text;
      if (!/[*?]/.test(pattern)) {
        if (!kallsyms.has(pattern)) missing(target.name, 'unknown-function', 'kernel function', kallsyms.suggest(pattern, 1)[0]);
        return;
      }
      const matcher = globToRegExp(pattern);
      if (!kallsyms.names.some((name) => matcher.test(name))) {
        out.push({ range: rangeOf(target.name), severity: 'error', code: 'no-pattern-match', message: `no kernel function matches "${pattern}"` });
      }
      return;
    }
    case 'syscall': {
      if (!target.name || (!catalog.kallsyms && !catalog.tracepoints)) return;
      const names = syscallNames(catalog);
      if (names.length > 0 && !sortedHas(names, target.name.text)) missing(target.name, 'unknown-syscall', 'syscall', names);
      return;
    }
    case 'lsm-hook': {
      if (!target.name || !catalog.kallsyms) return;
      const hooks = lsmHookNames(catalog);
      if (hooks.length > 0 && !sortedHas(hooks, target.name.text)) missing(target.name, 'unknown-lsm-hook', 'LSM hook', hooks);
      return;
    }
    case 'uprobe': {
      const userSpace = catalog.userSpace;
      if (!userSpace || !target.binary || !target.name) return;
      const binary = target.binary.text;
      const problem = userSpace.problem?.(binary);
      if (problem) {
        out.push({ range: rangeOf(target.binary), severity: 'error', code: 'unknown-binary', message: problem });
        return;
      }
      // `malloc@GLIBC_2.2.5` names a versioned symbol; a bare address needs no symbol.
      const symbol = target.name.text.split('@')[0];
      const functions = userSpace.functions?.(binary);
      if (!functions || /^(?:0x[0-9a-fA-F]+|\d+)$/.test(symbol) || sortedHas(functions, symbol)) return;
      missing(target.name, 'unknown-uprobe-symbol', `${binary} has no function symbol %s (in .symtab or .dynsym)`, functions);
      return;
    }
    case 'usdt': {
      const userSpace = catalog.userSpace;
      if (!userSpace || !target.binary || !target.provider || !target.name) return;
      const problem = userSpace.problem?.(target.binary.text);
      if (problem) {
        out.push({ range: rangeOf(target.binary), severity: 'error', code: 'unknown-binary', message: problem });
        return;
      }
      const probes = userSpace.usdtProbes?.(target.binary.text);
      if (!probes || probes.some((probe) => probe.provider === target.provider?.text && probe.name === target.name?.text)) return;
      const labels = [...new Set(probes.map((probe) => `${probe.provider}:${probe.name}`))].sort();
      const wanted = `${target.provider.text}:${target.name.text}`;
      const suggestion = suggestSimilar(labels, wanted, 1)[0];
      out.push({
        range: { start: rangeOf(target.provider).start, end: rangeOf(target.name).end },
        severity: 'error',
        code: 'unknown-usdt-probe',
        message: `${target.binary.text} has no USDT probe "${wanted}" in .note.stapsdt${labels.length === 0 ? ' (it has none)' : ''}${suggestion ? `; did you mean "${suggestion}"?` : ''}`,
        ...(suggestion ? { fix: { title: `Change to "${suggestion}"`, newText: suggestion, range: { start: rangeOf(target.provider).start, end: rangeOf(target.name).end } } } : {}),
      });
      return;
    }
    case 'iter-target': {
      if (!target.name || !catalog.kallsyms) return;
      const targets = iterTargets(catalog);
      if (!targets.includes(target.name.text)) missing(target.name, 'unknown-iter-target', 'iterator target', targets);
      return;
    }
    default:
      return;
  }
}

function checkKernelFunction(
  def: SectionDef,
  section: SectionUse,
  catalog: KernelCatalog,
  out: Diagnostic[],
  missing: MissingReporter,
): void {
  const kallsyms = catalog.kallsyms;
  const name = section.parsed.target?.name;
  if (!kallsyms || !name) return;
  const range = { start: section.contentStart + name.start, end: section.contentStart + name.end };
  const symbol = kallsyms.get(name.text);
  if (!symbol) {
    missing(name, 'unknown-function', 'kernel function', kallsyms.suggest(name.text, 1)[0]);
    return;
  }
  const isKprobe = def.prefix === 'kprobe' || def.prefix === 'kretprobe';
  const isTrampoline = TRAMPOLINE_BASED.has(def.prefix);
  if (isKprobe && symbol.blacklisted) {
    out.push({ range, severity: 'error', code: 'kprobe-blacklisted', message: `${name.text} is in the kprobes blacklist; the kernel refuses probes on it` });
  }
  if (symbol.traceable === false) {
    if (isTrampoline) {
      out.push({
        range,
        severity: 'error',
        code: 'not-traceable',
        message: `${name.text} is not in available_filter_functions: it has no ftrace call site, so ${def.prefix} cannot attach (notrace or inlined)`,
      });
    } else if (isKprobe && !symbol.blacklisted) {
      out.push({
        range,
        severity: 'information',
        code: 'not-traceable',
        message: `${name.text} is not in available_filter_functions; a kprobe still works through a breakpoint, unless the function is notrace/noinstr`,
      });
    }
  }
  if (isTrampoline && symbol.hasBtf === false) {
    out.push({ range, severity: 'error', code: 'function-without-btf', message: `the kernel's BTF has no FUNC for ${name.text}, so ${def.prefix} cannot resolve it` });
  }
}

function sectionNames(): string[] {
  const names = SECTION_DEFS.map((def) => def.prefix);
  for (const data of DATA_SECTIONS) if (!data.name.endsWith('.')) names.push(data.name);
  return names;
}

/** Closest among a few dozen names: the list is small, so plain edit distance over all of it. */
function closest(name: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const candidate of candidates) {
    const distance = boundedEditDistance(name, candidate, bestDistance - 1);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

const sortedCopies = new WeakMap<readonly string[], string[]>();

/** suggestSimilar needs sorted input; most callers pass sorted lists already, so check before copying. */
function sortedCopy(list: readonly string[]): string[] {
  const cached = sortedCopies.get(list);
  if (cached) return cached;
  let sorted = true;
  for (let index = 1; index < list.length && sorted; index++) if (list[index - 1] > list[index]) sorted = false;
  const result = sorted ? (list as string[]) : [...list].sort();
  sortedCopies.set(list, result);
  return result;
}

function sortedHas(sorted: readonly string[], name: string): boolean {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle] < name) low = middle + 1;
    else high = middle;
  }
  return sorted[low] === name;
}

/** Compares dotted versions by their first two numbers (1.1.2 counts as 1.1). */
function compareVersions(a: string, b: string): number {
  const [aMajor = 0, aMinor = 0] = a.split('.').map(Number);
  const [bMajor = 0, bMinor = 0] = b.split('.').map(Number);
  return aMajor - bMajor || aMinor - bMinor;
}

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}
