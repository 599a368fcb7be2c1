/**
 * kfuncs: kernel functions BPF programs call directly, found in the target's BTF (FUNCs tagged
 * `bpf_kfunc`, the same enumeration vmlinux.h declares them from). The kernel keeps each kfunc's
 * flags (acquire, release, sleepable, trusted args) in its kfunc ID sets, which it does not
 * export (the program types allowed come from the loader's probe instead, see
 * catalog.kfuncRefusal); what BTF does carry is explained here: the
 * `bpf_fastcall` tag, the argument-name suffixes the verifier acts on, and acquire/release pairs
 * read off the prototypes.
 */
import { BtfFunctionPrototype, BtfParameter } from './catalog';
import { prototypeText } from './signature';

export interface KfuncInfo {
  name: string;
  prototype: BtfFunctionPrototype;
  /** Tagged `bpf_fastcall`: keeps caller-saved registers it does not use. */
  fastcall: boolean;
}

export interface KfuncLookup {
  /** Sorted kfunc names; undefined while the BTF is still being parsed (never blocks for it). */
  names(): readonly string[] | undefined;
  get(name: string): KfuncInfo | undefined;
}

/** Argument-name suffixes the verifier gives a meaning to (kernel facts, see its kfunc docs). */
const ARGUMENT_SUFFIXES: [string, string][] = [
  ['__szk', 'a constant size of the memory the previous argument points to'],
  ['__sz', 'the size of the memory the previous argument points to'],
  ['__k', 'must be a constant the verifier knows (a BTF type id, a size)'],
  ['__ign', 'not checked by the verifier'],
  ['__uninit', 'may point to uninitialized memory: the kfunc initializes it'],
  ['__opt', 'optional: may be NULL (with a size of 0)'],
  ['__nullable', 'may be NULL'],
  ['__refcounted_kptr', 'a refcounted object from bpf_obj_new'],
  ['__str', 'a constant string (in read-only map data, e.g. a string literal)'],
  ['__irq_flag', 'the IRQ flags slot a matching irq-save kfunc filled'],
  ['__prog', 'filled in by the verifier; pass NULL'],
  ['__map', 'a map'],
];

const RELEASE_NAME = /_(?:release|put|drop)$/;

function pointee(type: string): string | undefined {
  const match = /^(?:const\s+)?((?:struct|union)\s+\w+)\s*\*$/.exec(type.trim());
  return match?.[1];
}

/** `struct task_struct` → release kfuncs taking it as their first argument. */
export function releasePairs(kfuncs: Iterable<KfuncInfo>): Map<string, string[]> {
  const pairs = new Map<string, string[]>();
  for (const kfunc of kfuncs) {
    const first = kfunc.prototype.args[0];
    const type = first ? pointee(first.type) : undefined;
    if (!type || !RELEASE_NAME.test(kfunc.name) || kfunc.prototype.ret !== 'void') continue;
    pairs.set(type, [...(pairs.get(type) ?? []), kfunc.name]);
  }
  return pairs;
}

export function kfuncSignature(kfunc: KfuncInfo): string {
  // `struct task_struct *bpf_task_from_pid(...)`, as C and vmlinux.h write it.
  return prototypeText(kfunc.name, kfunc.prototype).replace(/^(.*\*) /, '$1');
}

/** Markdown: what this kfunc's BTF says about how to call it. */
export function kfuncDocumentation(kfunc: KfuncInfo, releases: ReadonlyMap<string, readonly string[]>, origin?: string): string {
  const lines: string[] = [`kfunc (BTF \`bpf_kfunc\`${origin ? `, from ${origin}` : ''}): call it directly; vmlinux.h declares it \`__weak __ksym\`.`];
  const returned = pointee(kfunc.prototype.ret);
  const releasedBy = returned ? releases.get(returned) : undefined;
  if (releasedBy && !releasedBy.includes(kfunc.name)) {
    lines.push(`- **acquire** (from its prototype): returns a reference to \`${returned}\` that may be NULL; check it, then pass it to ${releasedBy.map((name) => `\`${name}\``).join(' or ')} (or store it as a kptr) on every path, or the verifier rejects the program as leaking it.`);
  }
  const first = kfunc.prototype.args[0];
  if (RELEASE_NAME.test(kfunc.name) && first && pointee(first.type) && kfunc.prototype.ret === 'void') {
    lines.push(`- **release** (from its name and prototype): ends the reference the program holds on \`${pointee(first.type)}\`; it must not be used afterwards.`);
  }
  if (kfunc.fastcall) lines.push('- **bpf_fastcall**: keeps the caller-saved registers it does not use, so calls cost less spilling.');
  for (const [index, arg] of kfunc.prototype.args.entries()) {
    const meaning = suffixMeaning(arg);
    if (meaning) lines.push(`- argument ${index + 1} \`${arg.name}\`: ${meaning}`);
  }
  lines.push('', 'Sleepable-only and trusted-argument rules and the program types that may call it live in the kernel\'s kfunc ID sets, which BTF does not export: the verifier names them when a call breaks them.');
  return lines.join('\n');
}

function suffixMeaning(arg: BtfParameter): string | undefined {
  for (const [suffix, meaning] of ARGUMENT_SUFFIXES) if (arg.name.endsWith(suffix)) return meaning;
  return undefined;
}
