/**
 * Turns a kernel's BTF into a self-contained C header (`vmlinux.h`), for hosts without
 * bpftool. What the header must achieve:
 *  - every named struct/union/enum/typedef, each declared before anything that needs it;
 *  - the same memory layout as the kernel's types, checked member by member, so programs that
 *    read fields without CO-RE (tracepoint records, XDP/TC contexts) get the right offsets;
 *  - CO-RE by default: all records carry preserve_access_index through a clang pragma;
 *  - the kernel's kfuncs (FUNCs tagged `bpf_kfunc`) declared as weak .ksyms externs, as newer
 *    bpftool writes them, so programs call them without declaring them.
 *
 * Ordering. A definition needs complete types for what it holds by value, but only a
 * declaration for what it reaches through a pointer. Tags named through a pointer at file
 * scope or in a member list are declared implicitly by C; only those named inside a
 * prototype's parameter list get prototype scope, so those get an explicit `struct x;` first.
 * Typedef names cannot be forward-declared, so a typedef is always printed before its first use.
 *
 * Layout. For each struct we replay C's layout rules over the members as this header prints
 * them. Where the kernel's offsets are larger (alignment attributes, explicit padding) we add
 * unnamed bitfields, which take space without being addressable or raising the alignment;
 * where they are smaller the struct is printed packed.
 */

import type { Btf } from './reader';
import { formatDeclaration, FormatOptions } from './c-decl';
import { BtfComposite, BtfEnum, BtfEnum64, BtfKind, BtfMember } from './types';

export interface VmlinuxHeaderOptions {
  /** Include guard macro; bpftool's dumps use __VMLINUX_H__, which programs sometimes test. */
  guard?: string;
}

/**
 * Bumped whenever the generated text changes for the same BTF, so cached headers made by an
 * older generator are not reused (they are cached per kernel build, across versions of us).
 */
export const VMLINUX_GENERATOR_VERSION = 3;

/** The declaration tag the kernel's BTF puts on every function BPF programs may call (a kfunc). */
export const KFUNC_DECL_TAG = 'bpf_kfunc';
/** Tag on kfuncs (and helpers) that preserve caller-saved registers they do not use. */
const FASTCALL_DECL_TAG = 'bpf_fastcall';
/** Defined by a program before vmlinux.h to leave out the kfunc declarations (bpftool's opt-out). */
export const NO_KFUNC_PROTOTYPES_MACRO = 'BPF_NO_KFUNC_PROTOTYPES';

/**
 * FUNC ids the BTF tags as kfuncs, first of each name, in id order. A kfunc's FUNC is tagged
 * as a whole (component -1); tags on one parameter say nothing about the function.
 */
export function kfuncIds(btf: Btf): number[] {
  return [...taggedFuncs(btf, KFUNC_DECL_TAG).values()];
}

/** FUNC ids tagged `bpf_fastcall`. */
export function fastcallFuncIds(btf: Btf): Set<number> {
  return new Set(taggedFuncs(btf, FASTCALL_DECL_TAG).values());
}

function taggedFuncs(btf: Btf, tag: string): Map<string, number> {
  const byName = new Map<string, number>();
  const found: number[] = [];
  for (let id = 1; id < btf.typeCount; id++) {
    if (btf.kindOf(id) !== BtfKind.DeclTag || btf.nameOf(id) !== tag) continue;
    const decl = btf.typeById(id);
    if (decl?.kind !== BtfKind.DeclTag || decl.componentIdx !== -1 || btf.kindOf(decl.type) !== BtfKind.Func) continue;
    found.push(decl.type);
  }
  for (const id of found.sort((a, b) => a - b)) {
    const name = btf.nameOf(id);
    if (name !== '' && !byName.has(name)) byName.set(name, id);
  }
  return byName;
}

export function generateVmlinuxH(btf: Btf, options: VmlinuxHeaderOptions = {}): string {
  return new HeaderWriter(btf).write(options.guard ?? '__VMLINUX_H__');
}

const enum Progress { None = 0, Started = 1, Done = 2 }

/** A member as laid out: padding to put before it, and its bitfield width (0 = none). */
interface PlacedMember {
  member: BtfMember;
  padBits: number;
  bitfield: number;
}

interface Layout {
  packed: boolean;
  /** Extra alignment attribute, used for unions whose size only alignment can explain. */
  alignAttr: number;
  /** Alignment of the type as this header prints it, in bytes. */
  align: number;
  members: PlacedMember[];
  trailingPadBits: number;
}

/**
 * Compilers provide this typedef themselves; redefining it is an error. On the BPF target it
 * is a plain pointer, unlike the kernel's 24-byte x86-64 array, so layout uses the pointer size
 * and pads the difference.
 */
const BUILTIN_VA_LIST = '__builtin_va_list';
const BPF_VA_LIST_SIZE = 8;

class HeaderWriter {
  private readonly out: string[] = [];
  private readonly progress: Uint8Array;
  private readonly declared: Uint8Array;
  private readonly anonymousEnumShown: Uint8Array;
  private readonly names: string[];
  private readonly enumeratorNames = new Map<number, string[]>();
  private readonly layouts = new Map<number, Layout>();
  private readonly layoutsInProgress = new Set<number>();
  private readonly formatByIndent: FormatOptions[] = [];

  constructor(private readonly btf: Btf) {
    const count = btf.typeCount;
    this.progress = new Uint8Array(count);
    this.declared = new Uint8Array(count);
    this.anonymousEnumShown = new Uint8Array(count);
    this.names = new Array<string>(count);
    this.assignNames();
  }

  write(guard: string): string {
    const { btf } = this;
    this.out.push(
      `#ifndef ${guard}\n#define ${guard}\n\n`,
      '#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n',
      '#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n',
      '#endif\n\n',
    );
    const referenced = this.referencedIds();
    for (let id = 1; id < btf.typeCount; id++) {
      switch (btf.kindOf(id)) {
        case BtfKind.Struct: case BtfKind.Union:
          if (btf.nameOf(id) !== '') this.define(id);
          break;
        case BtfKind.Enum: case BtfKind.Enum64:
          // An anonymous enum nobody refers to exists for its constants: print it on its own.
          if (btf.nameOf(id) !== '' || !referenced[id]) this.defineEnum(id);
          break;
        case BtfKind.Typedef:
          this.typedef(id);
          break;
        case BtfKind.Fwd:
          this.forward(id);
          break;
        default:
          break;
      }
    }
    // Anonymous enums only reachable from types we never print (function prototypes, variables)
    // still carry constants that programs use.
    for (let id = 1; id < btf.typeCount; id++) {
      const kind = btf.kindOf(id);
      if ((kind === BtfKind.Enum || kind === BtfKind.Enum64) && btf.nameOf(id) === '' && !this.anonymousEnumShown[id]) {
        this.defineEnum(id);
      }
    }
    this.out.push('#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute pop\n#endif\n\n');
    this.kfuncDeclarations();
    this.out.push(`#endif /* ${guard} */\n`);
    return this.out.join('');
  }

  /**
   * `extern <prototype> __weak __ksym;` for each kfunc, as newer bpftool writes them, so
   * programs call kfuncs without declaring them. Weak: a kfunc the running kernel lacks
   * resolves to 0 instead of failing the load, so bpf_ksym_exists() can test for it.
   * The attributes are spelled out, not macros, so no header that defines __ksym/__weak
   * later sees a conflicting definition. A program that declares a kfunc itself with the
   * kernel's types redeclares it compatibly; one whose types differ defines
   * BPF_NO_KFUNC_PROTOTYPES (C has no way to let its declaration win over ours).
   */
  private kfuncDeclarations(): void {
    const { btf } = this;
    const kfuncs = kfuncIds(btf);
    if (kfuncs.length === 0) return;
    const fastcall = new Set(taggedFuncs(btf, FASTCALL_DECL_TAG).values());
    this.out.push(
      `#ifndef ${NO_KFUNC_PROTOTYPES_MACRO}\n`,
      '#if __has_attribute(bpf_fastcall)\n#define __bpfdev_kfunc_fastcall __attribute__((bpf_fastcall))\n',
      '#else\n#define __bpfdev_kfunc_fastcall\n#endif\n\n',
    );
    for (const id of kfuncs) {
      const func = btf.typeById(id);
      if (func?.kind !== BtfKind.Func) continue;
      this.require(func.type, false, true);
      const fast = fastcall.has(id) ? ' __bpfdev_kfunc_fastcall' : '';
      this.out.push(`extern ${this.declaration(id, this.nameOf(id), 0)}${fast} __attribute__((weak)) __attribute__((section(".ksyms")));\n`);
    }
    this.out.push('\n#undef __bpfdev_kfunc_fastcall\n', `#endif /* ${NO_KFUNC_PROTOTYPES_MACRO} */\n\n`);
  }

  // ---- names ----

  /**
   * C has one namespace for tags (struct/union/enum) and one for ordinary identifiers
   * (typedefs, enumerators). BTF can hold two different types or constants with one name
   * (from different compilation units); later ones get a ___N suffix, as in bpftool's dumps.
   */
  private assignNames(): void {
    const { btf } = this;
    const tags = new Map<string, number>();
    const identifiers = new Map<string, number>();
    const unique = (seen: Map<string, number>, name: string): string => {
      const count = (seen.get(name) ?? 0) + 1;
      seen.set(name, count);
      return count === 1 ? name : `${name}___${count}`;
    };
    const firstDefinition = new Map<string, number>();
    for (let id = 1; id < btf.typeCount; id++) {
      const kind = btf.kindOf(id);
      switch (kind) {
        case BtfKind.Struct: case BtfKind.Union: case BtfKind.Enum: case BtfKind.Enum64: {
          const name = btf.nameOf(id);
          if (name !== '') {
            this.names[id] = unique(tags, name);
            const key = `${kind}:${name}`;
            if (!firstDefinition.has(key)) firstDefinition.set(key, id);
          }
          if (kind === BtfKind.Enum || kind === BtfKind.Enum64) {
            const type = btf.typeById(id) as BtfEnum | BtfEnum64;
            this.enumeratorNames.set(id, type.values.map((value) => unique(identifiers, value.name)));
          }
          break;
        }
        case BtfKind.Typedef:
          this.names[id] = unique(identifiers, btf.nameOf(id));
          break;
        default:
          break;
      }
    }
    // A forward declaration of a type that is also defined names that definition.
    for (let id = 1; id < btf.typeCount; id++) {
      if (btf.kindOf(id) !== BtfKind.Fwd) continue;
      const fwd = btf.typeById(id);
      if (fwd?.kind !== BtfKind.Fwd) continue;
      const definition = firstDefinition.get(`${fwd.union ? BtfKind.Union : BtfKind.Struct}:${fwd.name}`);
      this.names[id] = definition !== undefined ? this.names[definition] : unique(tags, fwd.name);
    }
  }

  private nameOf(id: number): string {
    return this.names[id] ?? this.btf.nameOf(id);
  }

  /** Ids that some printable type expression refers to (functions and variables excluded). */
  private referencedIds(): Uint8Array {
    const { btf } = this;
    const referenced = new Uint8Array(btf.typeCount);
    for (let id = 1; id < btf.typeCount; id++) {
      const kind = btf.kindOf(id);
      if (kind === BtfKind.Func || kind === BtfKind.Var || kind === BtfKind.DeclTag || kind === BtfKind.Datasec) continue;
      if (kind === BtfKind.Struct || kind === BtfKind.Union) {
        for (const member of (btf.typeById(id) as BtfComposite).members) referenced[member.type] = 1;
        continue;
      }
      for (let edge = 0; ; edge++) {
        const next = btf.referenceEdge(id, edge);
        if (next < 0) break;
        referenced[next] = 1;
      }
    }
    return referenced;
  }

  // ---- ordering ----

  /**
   * Makes sure everything that printing a use of `id` needs is already printed.
   * @param complete the use needs a complete type (held by value), not just a declared one
   * @param inPrototype the use is inside a parameter list, where an undeclared tag would be local
   * @param enclosing the struct/union whose body the use is printed in (its tag is in scope there), or 0
   */
  private require(id: number, complete: boolean, inPrototype: boolean, enclosing = 0): void {
    const { btf } = this;
    const type = btf.typeById(id);
    if (!type) return;
    switch (type.kind) {
      case BtfKind.Ptr:
        this.require(type.type, false, inPrototype, enclosing);
        break;
      case BtfKind.Const: case BtfKind.Volatile: case BtfKind.Restrict: case BtfKind.TypeTag:
        this.require(type.type, complete, inPrototype, enclosing);
        break;
      case BtfKind.Array:
        this.require(type.elemType, true, inPrototype, enclosing);
        break;
      case BtfKind.Typedef:
        this.typedef(id);
        if (complete) this.require(type.type, true, inPrototype);
        break;
      case BtfKind.Struct: case BtfKind.Union:
        if (type.name === '') {
          for (const member of type.members) this.require(member.type, true, inPrototype, enclosing);
        } else if (complete) {
          this.define(id);
        } else if (inPrototype && id !== enclosing) {
          this.forward(id);
        }
        break;
      case BtfKind.Enum: case BtfKind.Enum64:
        // Enums cannot be forward-declared in standard C, and they depend on nothing.
        if (type.name !== '') this.defineEnum(id);
        break;
      case BtfKind.Fwd:
        if (inPrototype) this.forward(id);
        break;
      case BtfKind.FuncProto:
        this.require(type.returnType, false, true, enclosing);
        for (const param of type.params) this.require(param.type, false, true, enclosing);
        break;
      default:
        break;
    }
  }

  private forward(id: number): void {
    if (this.declared[id] || this.progress[id] === Progress.Done) return;
    this.declared[id] = 1;
    const type = this.btf.typeById(id);
    const keyword = type?.kind === BtfKind.Union || (type?.kind === BtfKind.Fwd && type.union) ? 'union' : 'struct';
    this.out.push(`${keyword} ${this.nameOf(id)};\n\n`);
  }

  private typedef(id: number): void {
    if (this.progress[id] !== Progress.None) return;
    this.progress[id] = Progress.Started;
    const type = this.btf.typeById(id);
    if (type?.kind !== BtfKind.Typedef) return;
    if (type.name === BUILTIN_VA_LIST) {
      this.progress[id] = Progress.Done;
      return;
    }
    this.require(type.type, false, false);
    this.out.push(`typedef ${this.declaration(type.type, this.nameOf(id), 0)};\n\n`);
    this.progress[id] = Progress.Done;
  }

  private define(id: number): void {
    if (this.progress[id] !== Progress.None) return;
    this.progress[id] = Progress.Started;
    const type = this.btf.typeById(id) as BtfComposite;
    for (const member of type.members) this.require(member.type, true, false, id);
    const keyword = type.kind === BtfKind.Struct ? 'struct' : 'union';
    this.out.push(`${keyword} ${this.nameOf(id)} ${this.compositeBody(id, 0)};\n\n`);
    this.progress[id] = Progress.Done;
  }

  private defineEnum(id: number): void {
    if (this.progress[id] !== Progress.None) return;
    this.progress[id] = Progress.Done;
    const name = this.btf.nameOf(id) === '' ? '' : `${this.nameOf(id)} `;
    if (name === '') this.anonymousEnumShown[id] = 1;
    // An enum without values is BTF's forward declaration (`enum x;`): C rejects an empty body.
    if ((this.btf.typeById(id) as BtfEnum | BtfEnum64).values.length === 0) {
      if (name !== '') this.out.push(`enum ${name.trimEnd()};\n\n`);
      return;
    }
    this.out.push(`enum ${name}${this.enumBody(id, 0)};\n\n`);
  }

  // ---- printing ----

  private declaration(id: number, name: string, indent: number): string {
    return formatDeclaration(this.btf, id, name, this.formatOptions(indent));
  }

  private formatOptions(indent: number): FormatOptions {
    let options = this.formatByIndent[indent];
    if (!options) {
      options = {
        paramNames: false,
        typeName: (id) => this.nameOf(id),
        anonymousType: (id) => this.anonymousType(id, indent),
      };
      this.formatByIndent[indent] = options;
    }
    return options;
  }

  private anonymousType(id: number, indent: number): string {
    const type = this.btf.typeById(id);
    if (type?.kind === BtfKind.Enum || type?.kind === BtfKind.Enum64) {
      // A second copy of the body would redefine its constants: use an integer of the same size.
      if (this.anonymousEnumShown[id] || type.values.length === 0) return integerSpelling(printedEnumSize(type), type.signed);
      return `enum ${this.enumBody(id, indent)}`;
    }
    return `${type?.kind === BtfKind.Union ? 'union' : 'struct'} ${this.compositeBody(id, indent)}`;
  }

  private compositeBody(id: number, indent: number): string {
    const layout = this.layout(id);
    const inner = '\t'.repeat(indent + 1);
    let text = '{\n';
    let bitPos = 0;
    const type = this.btf.typeById(id) as BtfComposite;
    const isUnion = type.kind === BtfKind.Union;
    for (const placed of layout.members) {
      if (placed.padBits) text += padding(bitPos, placed.padBits, inner);
      const { member } = placed;
      text += `${inner}${this.declaration(member.type, member.name, indent + 1)}`;
      text += placed.bitfield ? `: ${placed.bitfield};\n` : ';\n';
      if (!isUnion) bitPos = member.bitOffset + (placed.bitfield || this.printedSize(member.type) * 8);
    }
    if (layout.trailingPadBits) text += padding(bitPos, layout.trailingPadBits, inner);
    text += `${'\t'.repeat(indent)}}`;
    if (layout.packed) text += ' __attribute__((packed))';
    if (layout.alignAttr) text += ` __attribute__((aligned(${layout.alignAttr})))`;
    return text;
  }

  private enumBody(id: number, indent: number): string {
    const type = this.btf.typeById(id) as BtfEnum | BtfEnum64;
    if (type.name === '') this.anonymousEnumShown[id] = 1;
    const names = this.enumeratorNames.get(id)!;
    const inner = '\t'.repeat(indent + 1);
    let text = '{\n';
    type.values.forEach((value, index) => {
      text += `${inner}${names[index]} = ${enumLiteral(type, value.value)},\n`;
    });
    text += `${'\t'.repeat(indent)}}`;
    if (type.size < naturalEnumSize(type)) text += ' __attribute__((packed))';
    return text;
  }

  // ---- layout ----

  /** Bytes the printed type takes; equals the BTF size except for enums C cannot size exactly. */
  private printedSize(id: number): number {
    const { btf } = this;
    const type = btf.typeById(id);
    if (!type) return 0;
    switch (type.kind) {
      case BtfKind.Int: case BtfKind.Float: case BtfKind.Struct: case BtfKind.Union:
        return type.size;
      case BtfKind.Enum: case BtfKind.Enum64:
        return printedEnumSize(type);
      case BtfKind.Ptr:
        return 8;
      case BtfKind.Array:
        return this.printedSize(type.elemType) * type.nelems;
      case BtfKind.Typedef:
        return type.name === BUILTIN_VA_LIST ? BPF_VA_LIST_SIZE : this.printedSize(type.type);
      case BtfKind.Const: case BtfKind.Volatile: case BtfKind.Restrict: case BtfKind.TypeTag:
        return this.printedSize(type.type);
      default:
        return 0;
    }
  }

  /** Alignment in bytes of the printed type, following the x86-64/BPF ABI clang uses. */
  private alignOf(id: number): number {
    const type = this.btf.typeById(id);
    if (!type) return 1;
    switch (type.kind) {
      case BtfKind.Int: case BtfKind.Float:
        return Math.min(type.size, 16) || 1;
      case BtfKind.Enum: case BtfKind.Enum64:
        return printedEnumSize(type);
      case BtfKind.Ptr:
        return 8;
      case BtfKind.Array:
        return this.alignOf(type.elemType);
      case BtfKind.Typedef:
        return type.name === BUILTIN_VA_LIST ? BPF_VA_LIST_SIZE : this.alignOf(type.type);
      case BtfKind.Const: case BtfKind.Volatile: case BtfKind.Restrict: case BtfKind.TypeTag:
        return this.alignOf(type.type);
      case BtfKind.Struct: case BtfKind.Union:
        return this.layout(id).align;
      default:
        return 1;
    }
  }

  /** Bitfield width of a member: from the kflag encoding, or the legacy one kept in the INT. */
  private bitfieldOf(member: BtfMember): { bits: number; offset: number } {
    if (member.bitfieldSize) return { bits: member.bitfieldSize, offset: member.bitOffset };
    const base = this.btf.typeById(this.btf.resolve(member.type));
    if (base?.kind === BtfKind.Int && base.bits !== base.size * 8) {
      return { bits: base.bits, offset: member.bitOffset + base.bitOffset };
    }
    return { bits: 0, offset: member.bitOffset };
  }

  private layout(id: number): Layout {
    let layout = this.layouts.get(id);
    if (layout) return layout;
    const type = this.btf.typeById(id) as BtfComposite;
    if (this.layoutsInProgress.has(id)) {
      // Only a struct that contains itself by value gets here, which no compiler emits.
      return { packed: false, alignAttr: 0, align: 1, members: [], trailingPadBits: 0 };
    }
    this.layoutsInProgress.add(id);
    if (type.kind === BtfKind.Union) layout = this.unionLayout(type);
    else layout = this.structLayout(type, false) ?? this.structLayout(type, true) ?? this.looseLayout(type);
    this.layoutsInProgress.delete(id);
    this.layouts.set(id, layout);
    return layout;
  }

  /** Replays C struct layout; null if the BTF offsets cannot be reached with this packing. */
  private structLayout(type: BtfComposite, packed: boolean): Layout | null {
    let pos = 0;
    let align = 1;
    const members: PlacedMember[] = [];
    for (const member of type.members) {
      const { bits, offset } = this.bitfieldOf(member);
      const memberAlign = packed ? 1 : this.alignOf(member.type);
      if (offset < pos) return null;
      let natural: number;
      if (bits === 0) {
        if (offset % (memberAlign * 8) !== 0) return null;
        natural = roundUp(pos, memberAlign * 8);
      } else {
        // A bitfield may not straddle a storage unit of its type unless the struct is packed.
        const unit = this.printedSize(member.type) * 8;
        if (!packed && unit && Math.floor(offset / unit) !== Math.floor((offset + bits - 1) / unit)) return null;
        natural = packed || !unit || Math.floor(pos / unit) === Math.floor((pos + bits - 1) / unit) ? pos : roundUp(pos, unit);
      }
      members.push({ member: bits && !member.bitfieldSize ? { ...member, bitOffset: offset } : member, padBits: natural === offset ? 0 : offset - pos, bitfield: bits });
      align = Math.max(align, memberAlign);
      pos = offset + (bits || this.printedSize(member.type) * 8);
    }
    const size = type.size * 8;
    if (pos > size) return null;
    if (!packed && size % (align * 8) !== 0) return null;
    const end = packed ? pos : roundUp(pos, align * 8);
    return { packed, alignAttr: 0, align: packed ? 1 : align, members, trailingPadBits: end === size ? 0 : size - pos };
  }

  /** Last resort for members that overlap: print them in order and accept the difference. */
  private looseLayout(type: BtfComposite): Layout {
    return {
      packed: true, alignAttr: 0, align: 1, trailingPadBits: 0,
      members: type.members.map((member) => ({ member, padBits: 0, bitfield: this.bitfieldOf(member).bits })),
    };
  }

  private unionLayout(type: BtfComposite): Layout {
    let bits = 0;
    let align = 1;
    const members: PlacedMember[] = type.members.map((member) => {
      const bitfield = this.bitfieldOf(member).bits;
      bits = Math.max(bits, bitfield || this.printedSize(member.type) * 8);
      align = Math.max(align, this.alignOf(member.type));
      return { member, padBits: 0, bitfield };
    });
    const bytes = Math.ceil(bits / 8);
    const size = type.size;
    if (roundUp(bytes, align) === size) return { packed: false, alignAttr: 0, align, members, trailingPadBits: 0 };
    if (size < roundUp(bytes, align)) return { packed: true, alignAttr: 0, align: 1, members, trailingPadBits: 0 };
    // Larger than its members: only an alignment attribute (cacheline-aligned unions) explains it.
    for (let alignAttr = align * 2; alignAttr <= 4096; alignAttr *= 2) {
      if (roundUp(bytes, alignAttr) === size) return { packed: false, alignAttr, align: alignAttr, members, trailingPadBits: 0 };
    }
    return { packed: false, alignAttr: 0, align, members, trailingPadBits: 0 };
  }
}

function roundUp(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple;
}

/** More padding than any real type has (16 MiB); only damaged BTF asks for it. */
const MAX_PADDING_BITS = 1 << 27;

/** Unnamed bitfields from `from` for `bits` bits; each stays inside one 64-bit unit so none moves. */
function padding(from: number, bits: number, indent: string): string {
  if (bits > MAX_PADDING_BITS) return `${indent}/* ${bits / 8} bytes of padding omitted: implausible size */\n`;
  let text = '';
  let pos = from;
  const end = from + bits;
  while (pos < end) {
    const chunk = Math.min(end - pos, 64 - (pos % 64));
    text += `${indent}long: ${chunk};\n`;
    pos += chunk;
  }
  return text;
}

/** The size clang gives an enum with these values and no attributes. */
function naturalEnumSize(type: BtfEnum | BtfEnum64): number {
  for (const { value } of type.values) {
    const big = BigInt(value);
    if (big < -0x80000000n || big > 0xffffffffn) return 8;
  }
  return 4;
}

/** The size clang gives the enum as printed (packed when BTF says it is smaller than natural). */
function printedEnumSize(type: BtfEnum | BtfEnum64): number {
  const natural = naturalEnumSize(type);
  if (type.size >= natural) return natural;
  let min = 0n;
  let max = 0n;
  for (const { value } of type.values) {
    const big = BigInt(value);
    if (big < min) min = big;
    if (big > max) max = big;
  }
  for (const size of [1, 2, 4]) {
    const bits = BigInt(size * 8);
    const fitsSigned = min >= -(1n << (bits - 1n)) && max < 1n << (bits - 1n);
    const fitsUnsigned = min >= 0n && max < 1n << bits;
    if (fitsSigned || fitsUnsigned) return size;
  }
  return natural;
}

function integerSpelling(size: number, signed: boolean): string {
  const base = size === 1 ? 'char' : size === 2 ? 'short' : size === 4 ? 'int' : 'long long';
  return `${signed ? 'signed' : 'unsigned'} ${base}`;
}

function enumLiteral(type: BtfEnum | BtfEnum64, value: number | bigint): string {
  if (type.kind === BtfKind.Enum) return String(value);
  const big = BigInt(value);
  if (!type.signed) return `${big}ULL`;
  // -2^63 has no literal spelling: its magnitude does not fit a signed long long.
  if (big === -(1n << 63n)) return '(-9223372036854775807LL - 1)';
  return `${big}LL`;
}
