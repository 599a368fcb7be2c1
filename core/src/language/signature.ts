/**
 * Program signatures generated from the attach target: `BPF_KPROBE(name, int dfd, struct
 * filename *name)` saves looking up a prototype and getting register order wrong, and
 * `BPF_PROG(...)` must list the arguments in exactly the kernel's order.
 */
import { parseSection } from '../sections/parse';
import { eventFields, fieldDeclaration } from '../tracefs/format';
import { BtfFunctionPrototype, BtfParameter, KernelCatalog, helperByName, kfuncReleasePairs } from './catalog';
import { kfuncDocumentation } from './kfuncs';
import { BpfDocument, Token } from './document';

/** Registers every supported architecture can pass arguments in; BPF_KPROBE reads no further. */
const KPROBE_MAX_ARGS = 5;
/** BPF_PROG unpacks at most this many u64 slots. */
const BPF_PROG_MAX_ARGS = 12;

export function programSignatureFor(sectionText: string, catalog: KernelCatalog, programName?: string): string | undefined {
  const parsed = parseSection(sectionText);
  const def = parsed.def;
  const target = parsed.target;
  if (!def?.programMacro) return undefined;
  const targetName = target?.name?.text ?? target?.event?.text;
  const name = programName ?? (targetName ? `handle_${targetName.replace(/\W/g, '_')}` : 'handle');
  const btf = catalog.btf;

  switch (def.prefix) {
    case 'kprobe': {
      const proto = targetName ? btf?.funcPrototype(targetName) : undefined;
      if (!proto) return undefined;
      return macroCall('BPF_KPROBE', name, proto.args.slice(0, KPROBE_MAX_ARGS).map(declare));
    }
    case 'kretprobe': {
      const proto = targetName ? btf?.funcPrototype(targetName) : undefined;
      if (!proto) return undefined;
      return macroCall('BPF_KRETPROBE', name, isVoid(proto.ret) ? [] : [declare({ name: 'ret', type: proto.ret })]);
    }
    case 'ksyscall': {
      const format = targetName ? catalog.tracepoints?.get('syscalls', `sys_enter_${targetName}`)?.format : undefined;
      if (!format) return undefined;
      const args = eventFields(format)
        .filter((field) => field.name !== '__syscall_nr')
        .map((field) => fieldDeclaration(field));
      return macroCall('BPF_KSYSCALL', name, args.slice(0, KPROBE_MAX_ARGS));
    }
    case 'kretsyscall':
      return macroCall('BPF_KRETPROBE', name, ['long ret']);
    case 'fentry':
    case 'fentry.s':
    case 'fexit':
    case 'fexit.s':
    case 'fmod_ret':
    case 'fmod_ret.s': {
      const proto = targetName ? btf?.funcPrototype(targetName) : undefined;
      if (!proto) return undefined;
      const args = proto.args.map(declare);
      // fexit also sees the return value; fmod_ret sees the value the previous program chose.
      if (def.prefix.startsWith('fexit') && !isVoid(proto.ret)) args.push(declare({ name: 'ret', type: proto.ret }));
      if (def.prefix.startsWith('fmod_ret')) args.push('int ret');
      return macroCall('BPF_PROG', name, args.slice(0, BPF_PROG_MAX_ARGS));
    }
    case 'lsm':
    case 'lsm.s':
    case 'lsm_cgroup': {
      const proto = targetName ? btf?.funcPrototype(`bpf_lsm_${targetName}`) : undefined;
      if (!proto) return undefined;
      // The trailing `ret` is the verdict of the previous BPF LSM program on this hook.
      const args = proto.args.map(declare);
      if (!isVoid(proto.ret)) args.push(declare({ name: 'ret', type: proto.ret }));
      return macroCall('BPF_PROG', name, args.slice(0, BPF_PROG_MAX_ARGS));
    }
    case 'tp_btf': {
      const proto = targetName ? btf?.funcPrototype(`btf_trace_${targetName}`) : undefined;
      if (!proto) return undefined;
      return macroCall('BPF_PROG', name, proto.args.slice(1).map(declare).slice(0, BPF_PROG_MAX_ARGS));
    }
    case 'uprobe':
    case 'uprobe.s':
      return macroCall('BPF_UPROBE', name, []);
    case 'uretprobe':
    case 'uretprobe.s':
      return macroCall('BPF_URETPROBE', name, ['long ret']);
    default:
      return undefined;
  }
}

/** `ssize_t vfs_read(struct file *file, char *buf, ...)`: a prototype as C declares it. */
export function prototypeText(name: string, proto: BtfFunctionPrototype): string {
  return `${proto.ret} ${name}(${proto.args.map(declare).join(', ') || 'void'})`;
}

function macroCall(macro: string, name: string, args: string[]): string {
  return `${macro}(${[name, ...args].join(', ')})`;
}

function isVoid(type: string): boolean {
  return type.trim() === 'void' || type.trim() === '';
}

/** Declaration of one argument; unnamed BTF arguments get positional names. */
function declare(param: BtfParameter, index = 0): string {
  const name = param.name || `arg${index}`;
  const type = param.type.trim();
  // Function pointer (`void (*)(int)`) and array types put the name inside the declarator.
  const pointerToFunction = type.indexOf('(*)');
  if (pointerToFunction !== -1) return `${type.slice(0, pointerToFunction + 2)}${name}${type.slice(pointerToFunction + 2)}`;
  const bracket = type.indexOf('[');
  if (bracket !== -1) return `${type.slice(0, bracket).trimEnd()} ${name}${type.slice(bracket)}`;
  return type.endsWith('*') ? `${type}${name}` : `${type} ${name}`;
}

export interface SignatureHelp {
  /** The helper's prototype. */
  label: string;
  documentation: string;
  /** Offsets into `label` of each parameter, as LSP `ParameterInformation.label` tuples. */
  parameters: { label: [number, number] }[];
  activeParameter: number;
}

/** Signature help for a helper call around `offset`, e.g. `bpf_probe_read_user(dst, |`. */
export function helperSignatureHelp(document: BpfDocument, offset: number, catalog: KernelCatalog): SignatureHelp | undefined {
  const call = enclosingCall(document.tokens, offset);
  if (!call) return undefined;
  const helper = helperByName(catalog, call.name);
  if (!helper) {
    const kfunc = catalog.kfuncs?.get(call.name);
    if (!kfunc) return undefined;
    const label = prototypeText(kfunc.name, kfunc.prototype);
    return { label, documentation: kfuncDocumentation(kfunc, kfuncReleasePairs(catalog), catalog.snapshot), parameters: parameterRanges(label), activeParameter: call.argumentIndex };
  }
  return {
    label: helper.signature,
    documentation: helper.doc,
    parameters: parameterRanges(helper.signature),
    activeParameter: call.argumentIndex,
  };
}

/** The innermost `name(` whose parenthesis is still open at `offset`, with the comma count. */
function enclosingCall(tokens: Token[], offset: number): { name: string; argumentIndex: number } | undefined {
  let end = tokens.findIndex((token) => token.start >= offset);
  if (end === -1) end = tokens.length;
  let depth = 0;
  let commas = 0;
  for (let index = end - 1; index >= 0; index--) {
    const text = tokens[index].text;
    if (text === ')' || text === ']' || text === '}') depth++;
    else if (text === '(' || text === '[' || text === '{') {
      if (depth === 0) {
        const before = tokens[index - 1];
        if (text !== '(' || !before || before.kind !== 'identifier') return undefined;
        return { name: before.text, argumentIndex: commas };
      }
      depth--;
    } else if (text === ',' && depth === 0) commas++;
    else if (text === ';' && depth === 0) return undefined;
  }
  return undefined;
}

/** Offsets of each top-level comma-separated parameter inside the outermost parentheses. */
export function parameterRanges(signature: string): { label: [number, number] }[] {
  const open = signature.indexOf('(');
  const close = signature.lastIndexOf(')');
  if (open === -1 || close <= open) return [];
  const inner = signature.slice(open + 1, close);
  if (inner.trim() === '' || inner.trim() === 'void') return [];
  const ranges: { label: [number, number] }[] = [];
  let depth = 0;
  let start = open + 1;
  for (let index = open + 1; index <= close; index++) {
    const char = signature[index];
    if (char === '(') depth++;
    else if (char === ')' && index !== close) depth--;
    if ((char === ',' && depth === 0) || index === close) {
      let from = start;
      let to = index;
      while (from < to && signature[from] === ' ') from++;
      while (to > from && signature[to - 1] === ' ') to--;
      ranges.push({ label: [from, to] });
      start = index + 1;
    }
  }
  return ranges;
}
