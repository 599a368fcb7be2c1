/**
 * Reader for raw BTF blobs: /sys/kernel/btf/vmlinux, module BTF (split on top of vmlinux) and
 * the .BTF section of objects clang builds. Layout facts come from the kernel's BTF
 * documentation: a 24-byte header, then a type section of 32-bit words and a string section.
 *
 * vmlinux BTF is ~5 MB with >100k types, so parsing copies the type section once into a
 * Uint32Array (swapping bytes for big-endian blobs), records where each type starts, and
 * decodes strings and type objects only when asked.
 */

import { asciiText, decodeCString } from './strings';
import { formatDeclaration, formatSignature, FormatOptions } from './c-decl';
import {
  BtfFunction, BtfKind, BtfLinkage, BtfMember, BtfMemberInfo, BtfType, BTF_MAX_KIND,
} from './types';

export interface BtfParseResult {
  /** null when the blob is not usable; `errors` then says why. */
  btf: Btf | null;
  errors: string[];
}

const MAGIC = 0xeb9f;
const HEADER_MIN = 24;
const MAX_ERRORS = 20;
/** The kernel refuses types larger than this (BTF_MAX_SIZE). */
const MAX_TYPE_SIZE = 512 * 1024 * 1024;
const LINKAGES: BtfLinkage[] = ['static', 'global', 'extern'];

/** Trailing 32-bit words that follow the 3-word common part, per kind. */
function extraWords(kind: number, vlen: number): number {
  switch (kind) {
    case BtfKind.Int: case BtfKind.Var: case BtfKind.DeclTag: return 1;
    case BtfKind.Array: return 3;
    case BtfKind.Struct: case BtfKind.Union: case BtfKind.Datasec: case BtfKind.Enum64: return 3 * vlen;
    case BtfKind.Enum: case BtfKind.FuncProto: return 2 * vlen;
    default: return 0;
  }
}

/**
 * Parses a raw BTF blob. With `base`, the blob is split BTF (as in /sys/kernel/btf/<module>):
 * its type ids continue after the base's last id and its string offsets after the base's
 * string section. Never throws: malformed input yields `btf: null` and a list of errors.
 */
export function parseBtf(bytes: Uint8Array, base?: Btf): BtfParseResult {
  const errors: string[] = [];
  try {
    const btf = parseUnchecked(bytes, base, errors);
    return { btf: errors.length === 0 ? btf : null, errors };
  } catch (error) {
    // Only a bug in this file can get here; report it rather than break the caller.
    errors.push(`internal error while parsing BTF: ${String(error)}`);
    return { btf: null, errors };
  }
}

function parseUnchecked(bytes: Uint8Array, base: Btf | undefined, errors: string[]): Btf | null {
  if (bytes.length < HEADER_MIN) {
    errors.push(`BTF is ${bytes.length} bytes, shorter than the ${HEADER_MIN}-byte header`);
    return null;
  }
  let littleEndian: boolean;
  if (bytes[0] === (MAGIC & 0xff) && bytes[1] === MAGIC >> 8) littleEndian = true;
  else if (bytes[0] === MAGIC >> 8 && bytes[1] === (MAGIC & 0xff)) littleEndian = false;
  else {
    errors.push(`bad BTF magic 0x${hex2(bytes[0])}${hex2(bytes[1])} (expected 0xeb9f in either byte order)`);
    return null;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = bytes[2];
  if (version !== 1) {
    errors.push(`unsupported BTF version ${version}`);
    return null;
  }
  const hdrLen = view.getUint32(4, littleEndian);
  const typeOff = view.getUint32(8, littleEndian);
  const typeLen = view.getUint32(12, littleEndian);
  const strOff = view.getUint32(16, littleEndian);
  const strLen = view.getUint32(20, littleEndian);
  if (hdrLen < HEADER_MIN || hdrLen > bytes.length) {
    errors.push(`bad BTF header length ${hdrLen} (blob is ${bytes.length} bytes)`);
    return null;
  }
  const typeStart = hdrLen + typeOff;
  const strStart = hdrLen + strOff;
  if (typeStart + typeLen > bytes.length) {
    errors.push(`type section [${typeStart}, ${typeStart + typeLen}) runs past the end of the ${bytes.length}-byte blob`);
  }
  if (strStart + strLen > bytes.length) {
    errors.push(`string section [${strStart}, ${strStart + strLen}) runs past the end of the ${bytes.length}-byte blob`);
  }
  if (typeOff % 4 !== 0 || typeLen % 4 !== 0) errors.push(`type section offset ${typeOff} / length ${typeLen} not 4-byte aligned`);
  if (typeOff < strOff + strLen && strOff < typeOff + typeLen) errors.push('type and string sections overlap');
  if (errors.length) return null;

  const strings = bytes.slice(strStart, strStart + strLen);
  if (!base && (strLen === 0 || strings[0] !== 0)) {
    errors.push('string section must start with an empty string');
    return null;
  }
  if (strLen > 0 && strings[strLen - 1] !== 0) {
    errors.push('string section does not end with a NUL byte');
    return null;
  }

  const words = new Uint32Array(typeLen / 4);
  const raw = new DataView(bytes.buffer, bytes.byteOffset + typeStart, typeLen);
  for (let i = 0; i < words.length; i++) words[i] = raw.getUint32(i * 4, littleEndian);

  const startId = base ? base.typeCount : 1;
  const strBase = base ? base.stringsLength : 0;
  const offsets = scanTypes(words, startId, errors);
  if (!offsets) return null;

  const btf = new Btf(words, offsets, strings, startId, strBase, littleEndian, base);
  validate(btf, errors);
  return errors.length ? null : btf;
}

function hex2(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}

/** Walks the type section once, recording the word index at which each type starts. */
function scanTypes(words: Uint32Array, startId: number, errors: string[]): Uint32Array | null {
  // Each type takes at least 3 words, which bounds the count.
  let offsets = new Uint32Array(Math.floor(words.length / 3) + 1);
  let count = 0;
  let at = 0;
  while (at < words.length) {
    const id = startId + count;
    if (at + 3 > words.length) {
      errors.push(`type ${id} at byte ${at * 4} is truncated (type section ends at ${words.length * 4})`);
      return null;
    }
    const info = words[at + 1];
    const kind = (info >>> 24) & 0x1f;
    if (kind === 0 || kind > BTF_MAX_KIND) {
      errors.push(`type ${id} has unknown kind ${kind}`);
      return null;
    }
    const end = at + 3 + extraWords(kind, info & 0xffff);
    if (end > words.length) {
      errors.push(`type ${id} (${kindLabel(kind)}) at byte ${at * 4} is truncated (type section ends at ${words.length * 4})`);
      return null;
    }
    offsets[count++] = at;
    at = end;
  }
  offsets = offsets.slice(0, count);
  return offsets;
}

function kindLabel(kind: number): string {
  return BtfKind[kind] ?? `kind ${kind}`;
}

/** Checks that what the offsets point at makes sense: names, sizes, references, no cycles. */
function validate(btf: Btf, errors: string[]): void {
  let dropped = 0;
  const report = (message: string): void => {
    if (errors.length < MAX_ERRORS) errors.push(message);
    else dropped++;
  };
  const words = btf.words;
  const total = btf.typeCount;
  const checkName = (id: number, offset: number, what: string): void => {
    if (!btf.hasString(offset)) report(`type ${id}: ${what} name offset ${offset} is outside the string section`);
  };
  const checkRef = (id: number, ref: number, what: string): void => {
    if (ref >= total) report(`type ${id}: ${what} refers to type ${ref}, but the last type is ${total - 1}`);
  };
  for (let index = 0; index < btf.offsets.length; index++) {
    const id = btf.startId + index;
    const at = btf.offsets[index];
    const info = words[at + 1];
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    const sizeOrType = words[at + 2];
    checkName(id, words[at], kindLabel(kind));
    switch (kind) {
      case BtfKind.Int: {
        const encoding = words[at + 3];
        const bits = encoding & 0xff;
        const offset = (encoding >>> 16) & 0xff;
        if (![1, 2, 4, 8, 16].includes(sizeOrType)) report(`type ${id}: INT size ${sizeOrType} is not 1, 2, 4, 8 or 16`);
        if (bits === 0 || bits > 128 || offset + bits > sizeOrType * 8) report(`type ${id}: INT bits ${bits} at offset ${offset} do not fit in ${sizeOrType} bytes`);
        break;
      }
      case BtfKind.Ptr: case BtfKind.Typedef: case BtfKind.Volatile: case BtfKind.Const:
      case BtfKind.Restrict: case BtfKind.TypeTag:
        checkRef(id, sizeOrType, kindLabel(kind));
        break;
      case BtfKind.Array:
        checkRef(id, words[at + 3], 'array element');
        checkRef(id, words[at + 4], 'array index');
        if (words[at + 3] === 0) report(`type ${id}: array of void`);
        break;
      case BtfKind.Struct: case BtfKind.Union: {
        if (sizeOrType > MAX_TYPE_SIZE) report(`type ${id}: size ${sizeOrType} exceeds the kernel's limit of ${MAX_TYPE_SIZE}`);
        const kflag = info >>> 31 === 1;
        for (let i = 0; i < vlen; i++) {
          const m = at + 3 + i * 3;
          checkName(id, words[m], 'member');
          checkRef(id, words[m + 1], `member ${i}`);
          const offset = kflag ? words[m + 2] & 0xffffff : words[m + 2];
          if (offset > sizeOrType * 8) report(`type ${id}: member ${i} starts at bit ${offset}, past the ${sizeOrType}-byte size`);
        }
        break;
      }
      case BtfKind.Enum: case BtfKind.Enum64:
        if (![1, 2, 4, 8].includes(sizeOrType)) report(`type ${id}: enum size ${sizeOrType} is not 1, 2, 4 or 8`);
        for (let i = 0; i < vlen; i++) checkName(id, words[at + 3 + i * (kind === BtfKind.Enum ? 2 : 3)], 'enumerator');
        break;
      case BtfKind.Func:
        if (vlen > 2) report(`type ${id}: FUNC linkage ${vlen} is unknown`);
        checkRef(id, sizeOrType, 'FUNC');
        if (sizeOrType < total && btf.kindOf(sizeOrType) !== BtfKind.FuncProto) report(`type ${id}: FUNC refers to type ${sizeOrType}, which is not a FUNC_PROTO`);
        break;
      case BtfKind.FuncProto:
        checkRef(id, sizeOrType, 'return');
        for (let i = 0; i < vlen; i++) {
          const p = at + 3 + i * 2;
          checkName(id, words[p], 'parameter');
          checkRef(id, words[p + 1], `parameter ${i}`);
        }
        break;
      case BtfKind.Var:
        checkRef(id, sizeOrType, 'VAR');
        if (words[at + 3] > 2) report(`type ${id}: VAR linkage ${words[at + 3]} is unknown`);
        break;
      case BtfKind.Datasec:
        for (let i = 0; i < vlen; i++) checkRef(id, words[at + 3 + i * 3], `section variable ${i}`);
        break;
      case BtfKind.Float:
        if (![2, 4, 8, 12, 16].includes(sizeOrType)) report(`type ${id}: FLOAT size ${sizeOrType} is unusual`);
        break;
      case BtfKind.DeclTag:
        checkRef(id, sizeOrType, 'DECL_TAG');
        if ((words[at + 3] | 0) < -1) report(`type ${id}: DECL_TAG component index ${words[at + 3] | 0} is negative`);
        break;
      default:
        break;
    }
  }
  if (errors.length === 0) findReferenceCycle(btf, report);
  if (dropped) errors.push(`... and ${dropped} more errors`);
}

/**
 * Type expressions must be finite trees: a chain of pointers/typedefs/modifiers/prototypes
 * that comes back to itself has no C spelling and would make every printer loop. Named
 * structs, unions and enums end a chain (that is how C breaks recursion), anonymous ones do not.
 */
function findReferenceCycle(btf: Btf, report: (message: string) => void): void {
  const own = btf.offsets.length;
  const color = new Uint8Array(own); // 0 unseen, 1 on the stack, 2 finished
  const stackIds = new Int32Array(own + 1);
  const stackEdge = new Int32Array(own + 1);
  for (let root = 0; root < own; root++) {
    if (color[root]) continue;
    let depth = 0;
    stackIds[0] = btf.startId + root;
    stackEdge[0] = 0;
    color[root] = 1;
    while (depth >= 0) {
      const id = stackIds[depth];
      const edge = stackEdge[depth]++;
      const next = btf.referenceEdge(id, edge);
      if (next === -1) {
        color[id - btf.startId] = 2;
        depth--;
        continue;
      }
      const index = next - btf.startId;
      if (index < 0) continue; // base types were checked when the base was parsed
      if (color[index] === 1) {
        report(`type ${next} (${kindLabel(btf.kindOf(next))}) refers back to itself through type ${id}`);
        return;
      }
      if (color[index] === 0) {
        color[index] = 1;
        depth++;
        stackIds[depth] = next;
        stackEdge[depth] = 0;
      }
    }
  }
}

export interface MemberListOptions {
  /** Also look through one level of pointer, as `ptr->` completion needs. */
  throughPointer?: boolean;
  /** List the members of anonymous struct/union members in their place (C lets you name them directly). */
  flattenAnonymous?: boolean;
}

/** See Btf.toTransfer(). */
export interface BtfTransfer {
  words: Uint32Array;
  offsets: Uint32Array;
  strings: Uint8Array;
  startId: number;
  stringBase: number;
  littleEndian: boolean;
  nameTable: Int32Array;
  /** The string section as one string when it is ASCII: building it takes the receiving thread 0.1–0.3 s, copying it ~1 ms. */
  asciiStrings: string | null;
}

/** FNV-1a over UTF-16 code units: the same on both sides of a transfer. */
function nameHash(name: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    hash ^= name.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** A parsed BTF blob. All ids are global: for split BTF, ids below `startId` live in the base. */
export class Btf {
  private readonly typeCache: (BtfType | undefined)[] = [];
  private readonly stringCache = new Map<number, string>();
  /** The whole string section as one JS string when it is pure ASCII (it is for kernels). */
  private asciiStrings: string | null | undefined;
  private nameIndex: Map<string, number[]> | undefined;
  /** Open-addressing table of own type indexes by name hash, built elsewhere (a worker) and adopted whole. */
  private nameTable: Int32Array | undefined;
  private functionList: BtfFunction[] | undefined;

  /** @internal Use parseBtf(). */
  constructor(
    /** @internal The type section as host-order words. */
    readonly words: Uint32Array,
    /** @internal Word index of each own type. */
    readonly offsets: Uint32Array,
    private readonly strings: Uint8Array,
    /** First type id defined by this blob (1 for a base blob). */
    readonly startId: number,
    private readonly stringBase: number,
    /** Byte order of the blob this was read from. */
    readonly littleEndian: boolean,
    readonly base?: Btf,
  ) {}

  /** Number of type ids, counting void (id 0) and the base's types: valid ids are 0 .. typeCount-1. */
  get typeCount(): number {
    return this.startId + this.offsets.length;
  }

  /** Size of the string space up to and including this blob's strings (split BTF starts after it). */
  get stringsLength(): number {
    return this.stringBase + this.strings.length;
  }

  /** @internal */
  hasString(offset: number): boolean {
    if (offset < this.stringBase) return this.base ? this.base.hasString(offset) : false;
    return offset - this.stringBase < this.strings.length;
  }

  /** The string at `offset` in the (combined base + own) string space; '' if out of range. */
  stringAt(offset: number): string {
    if (offset < this.stringBase) return this.base ? this.base.stringAt(offset) : '';
    const start = offset - this.stringBase;
    if (start >= this.strings.length) return '';
    if (this.asciiStrings === undefined) this.asciiStrings = asciiText(this.strings);
    if (this.asciiStrings !== null) {
      // Slicing one big string is far cheaper than decoding 100k small ones.
      const end = this.asciiStrings.indexOf('\0', start);
      return this.asciiStrings.slice(start, end < 0 ? undefined : end);
    }
    let text = this.stringCache.get(offset);
    if (text === undefined) {
      text = decodeCString(this.strings, start, this.strings.length);
      this.stringCache.set(offset, text);
    }
    return text;
  }

  /** The kind of `id` (Void for 0 and for ids out of range). */
  kindOf(id: number): BtfKind {
    if (id < this.startId) return id > 0 && this.base ? this.base.kindOf(id) : BtfKind.Void;
    const at = this.offsets[id - this.startId];
    return at === undefined ? BtfKind.Void : ((this.words[at + 1] >>> 24) & 0x1f) as BtfKind;
  }

  /** The name of `id` without decoding the whole type; '' for anonymous types. */
  nameOf(id: number): string {
    if (id < this.startId) return id > 0 && this.base ? this.base.nameOf(id) : '';
    const at = this.offsets[id - this.startId];
    return at === undefined ? '' : this.stringAt(this.words[at]);
  }

  /** @internal Successive type references of `id` that form C type expressions; -1 past the last. */
  referenceEdge(id: number, edge: number): number {
    const at = this.offsets[id - this.startId];
    const info = this.words[at + 1];
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    switch (kind) {
      case BtfKind.Ptr: case BtfKind.Typedef: case BtfKind.Volatile: case BtfKind.Const:
      case BtfKind.Restrict: case BtfKind.TypeTag: case BtfKind.Func: case BtfKind.Var:
      case BtfKind.DeclTag:
        return edge === 0 ? this.words[at + 2] : -1;
      case BtfKind.Array:
        return edge === 0 ? this.words[at + 3] : -1;
      case BtfKind.FuncProto:
        if (edge === 0) return this.words[at + 2];
        return edge <= vlen ? this.words[at + 3 + (edge - 1) * 2 + 1] : -1;
      case BtfKind.Struct: case BtfKind.Union:
        if (this.words[at] !== 0) return -1;
        return edge < vlen ? this.words[at + 3 + edge * 3 + 1] : -1;
      default:
        return -1;
    }
  }

  /** The decoded type, or undefined for an id out of range. Results are cached. */
  typeById(id: number): BtfType | undefined {
    if (!Number.isInteger(id) || id < 0 || id >= this.typeCount) return undefined;
    if (id === 0) return { id: 0, kind: BtfKind.Void, name: 'void' };
    if (id < this.startId) return this.base?.typeById(id);
    const index = id - this.startId;
    let type = this.typeCache[index];
    if (!type) {
      type = this.decode(id, this.offsets[index]);
      this.typeCache[index] = type;
    }
    return type;
  }

  private decode(id: number, at: number): BtfType {
    const w = this.words;
    const name = this.stringAt(w[at]);
    const info = w[at + 1];
    const kind = ((info >>> 24) & 0x1f) as BtfKind;
    const vlen = info & 0xffff;
    const kflag = info >>> 31 === 1;
    const sizeOrType = w[at + 2];
    switch (kind) {
      case BtfKind.Int: {
        const encoding = w[at + 3];
        const flags = (encoding >>> 24) & 0x0f;
        return {
          id, kind, name, size: sizeOrType, signed: (flags & 1) !== 0, char: (flags & 2) !== 0,
          bool: (flags & 4) !== 0, bitOffset: (encoding >>> 16) & 0xff, bits: encoding & 0xff,
        };
      }
      case BtfKind.Ptr: case BtfKind.Typedef: case BtfKind.Volatile: case BtfKind.Const:
      case BtfKind.Restrict:
        return { id, kind, name, type: sizeOrType };
      case BtfKind.TypeTag:
        return { id, kind, name, type: sizeOrType };
      case BtfKind.Array:
        return { id, kind, name, elemType: w[at + 3], indexType: w[at + 4], nelems: w[at + 5] };
      case BtfKind.Struct: case BtfKind.Union: {
        const members: BtfMember[] = new Array(vlen);
        for (let i = 0; i < vlen; i++) {
          const m = at + 3 + i * 3;
          const offset = w[m + 2];
          members[i] = {
            name: this.stringAt(w[m]),
            type: w[m + 1],
            // With kflag the offset word packs the bitfield size in its top byte.
            bitOffset: kflag ? offset & 0xffffff : offset,
            bitfieldSize: kflag ? offset >>> 24 : 0,
          };
        }
        return { id, kind, name, size: sizeOrType, members };
      }
      case BtfKind.Enum: {
        const values = new Array<{ name: string; value: number }>(vlen);
        for (let i = 0; i < vlen; i++) {
          const raw = w[at + 3 + i * 2 + 1];
          values[i] = { name: this.stringAt(w[at + 3 + i * 2]), value: kflag ? raw | 0 : raw >>> 0 };
        }
        // kflag marks a signed enum.
        return { id, kind, name, size: sizeOrType, signed: kflag, values };
      }
      case BtfKind.Enum64: {
        const values = new Array<{ name: string; value: bigint }>(vlen);
        for (let i = 0; i < vlen; i++) {
          const e = at + 3 + i * 3;
          const bits = (BigInt(w[e + 2]) << 32n) | BigInt(w[e + 1]);
          values[i] = { name: this.stringAt(w[e]), value: kflag ? BigInt.asIntN(64, bits) : bits };
        }
        return { id, kind, name, size: sizeOrType, signed: kflag, values };
      }
      case BtfKind.Fwd:
        return { id, kind, name, union: kflag };
      case BtfKind.Func:
        return { id, kind, name, type: sizeOrType, linkage: LINKAGES[vlen] ?? 'static' };
      case BtfKind.FuncProto: {
        const params = [];
        let variadic = false;
        for (let i = 0; i < vlen; i++) {
          const p = at + 3 + i * 2;
          if (i === vlen - 1 && w[p] === 0 && w[p + 1] === 0) variadic = true;
          else params.push({ name: this.stringAt(w[p]), type: w[p + 1] });
        }
        return { id, kind, name, returnType: sizeOrType, params, variadic };
      }
      case BtfKind.Var:
        return { id, kind, name, type: sizeOrType, linkage: LINKAGES[w[at + 3]] ?? 'static' };
      case BtfKind.Datasec: {
        const vars = [];
        for (let i = 0; i < vlen; i++) {
          const v = at + 3 + i * 3;
          vars.push({ type: w[v], offset: w[v + 1], size: w[v + 2] });
        }
        return { id, kind, name, size: sizeOrType, vars };
      }
      case BtfKind.Float:
        return { id, kind, name, size: sizeOrType };
      case BtfKind.DeclTag:
        return { id, kind, name, type: sizeOrType, componentIdx: w[at + 3] | 0 };
      default:
        return { id, kind: BtfKind.Void, name };
    }
  }

  /**
   * Types called `name`, optionally only of `kind`, in id order: this blob's own types first,
   * then the base's. A name often has a FWD as well as its definition, so pass the kind
   * (e.g. BtfKind.Struct) when you want the definition.
   */
  findAllByName(name: string, kind?: BtfKind): BtfType[] {
    const found: BtfType[] = [];
    for (const id of this.idsNamed(name)) {
      if (kind === undefined || this.kindOf(id) === kind) found.push(this.typeById(id)!);
    }
    if (this.base) found.push(...this.base.findAllByName(name, kind));
    return found;
  }

  /** The first type called `name` (of `kind`, if given). */
  findByName(name: string, kind?: BtfKind): BtfType | undefined {
    for (const id of this.idsNamed(name)) {
      if (kind === undefined || this.kindOf(id) === kind) return this.typeById(id);
    }
    return this.base?.findByName(name, kind);
  }

  /** Own type ids called `name`, in id order. */
  private idsNamed(name: string): readonly number[] {
    const table = this.nameTable;
    if (!table) {
      this.nameIndex ??= this.buildNameIndex();
      return this.nameIndex.get(name) ?? [];
    }
    const ids: number[] = [];
    const mask = table.length - 1;
    // Same-name types were inserted in id order along one probe sequence, so they come out in order.
    for (let slot = nameHash(name) & mask; table[slot] !== -1; slot = (slot + 1) & mask) {
      const index = table[slot];
      if (this.stringAt(this.words[this.offsets[index]]) === name) ids.push(this.startId + index);
    }
    return ids;
  }

  /**
   * Everything a Btf is made of, as transferable typed arrays plus a name table, so a worker
   * can parse and index and the receiving thread rebuilds it in O(1) (fromTransfer).
   * Base BTF only: split BTF needs its base on the same thread.
   */
  toTransfer(): BtfTransfer | undefined {
    if (this.base) return undefined;
    let named = 0;
    for (let i = 0; i < this.offsets.length; i++) if (this.words[this.offsets[i]] !== 0) named++;
    let size = 1;
    while (size < named * 2) size <<= 1;
    const table = new Int32Array(size).fill(-1);
    const mask = size - 1;
    for (let i = 0; i < this.offsets.length; i++) {
      const nameOff = this.words[this.offsets[i]];
      if (nameOff === 0) continue;
      let slot = nameHash(this.stringAt(nameOff)) & mask;
      while (table[slot] !== -1) slot = (slot + 1) & mask;
      table[slot] = i;
    }
    if (this.asciiStrings === undefined) this.asciiStrings = asciiText(this.strings);
    return {
      words: this.words, offsets: this.offsets, strings: this.strings, startId: this.startId, stringBase: this.stringBase,
      littleEndian: this.littleEndian, nameTable: table, asciiStrings: this.asciiStrings,
    };
  }

  static fromTransfer(transfer: BtfTransfer): Btf {
    const btf = new Btf(transfer.words, transfer.offsets, transfer.strings, transfer.startId, transfer.stringBase, transfer.littleEndian);
    btf.nameTable = transfer.nameTable;
    btf.asciiStrings = transfer.asciiStrings;
    return btf;
  }

  private buildNameIndex(): Map<string, number[]> {
    const index = new Map<string, number[]>();
    for (let i = 0; i < this.offsets.length; i++) {
      const nameOff = this.words[this.offsets[i]];
      if (nameOff === 0) continue;
      const name = this.stringAt(nameOff);
      const ids = index.get(name);
      if (ids) ids.push(this.startId + i);
      else index.set(name, [this.startId + i]);
    }
    return index;
  }

  /** Every FUNC of this blob (not the base's) with its prototype, in id order. */
  functions(): BtfFunction[] {
    if (this.functionList) return this.functionList;
    const list: BtfFunction[] = [];
    for (let i = 0; i < this.offsets.length; i++) {
      const at = this.offsets[i];
      if (((this.words[at + 1] >>> 24) & 0x1f) !== BtfKind.Func) continue;
      const fn = this.typeById(this.startId + i);
      if (fn?.kind !== BtfKind.Func) continue;
      const proto = this.typeById(fn.type);
      if (proto?.kind !== BtfKind.FuncProto) continue;
      list.push({
        id: fn.id, name: fn.name, linkage: fn.linkage, protoId: proto.id, returnType: proto.returnType,
        params: proto.params, variadic: proto.variadic,
      });
    }
    this.functionList = list;
    return list;
  }

  /** Follows typedefs, const/volatile/restrict and type tags to the type they name. */
  resolve(id: number): number {
    for (let hops = 0; hops < 1000; hops++) {
      switch (this.kindOf(id)) {
        case BtfKind.Typedef: case BtfKind.Volatile: case BtfKind.Const: case BtfKind.Restrict:
        case BtfKind.TypeTag: {
          const type = this.typeById(id) as { type: number };
          id = type.type;
          break;
        }
        default:
          return id;
      }
    }
    return id;
  }

  /** Size in bytes of a value of type `id`, as C's sizeof would give it; undefined if it has none. */
  sizeOf(id: number): number | undefined {
    id = this.resolve(id);
    const type = this.typeById(id);
    if (!type) return undefined;
    switch (type.kind) {
      case BtfKind.Int: case BtfKind.Float: case BtfKind.Struct: case BtfKind.Union:
      case BtfKind.Enum: case BtfKind.Enum64: case BtfKind.Datasec:
        return type.size;
      case BtfKind.Ptr:
        return 8;
      case BtfKind.Array: {
        const elem = this.sizeOf(type.elemType);
        return elem === undefined ? undefined : elem * type.nelems;
      }
      default:
        return undefined;
    }
  }

  /**
   * C text for type `id`: `const char *`, `struct task_struct *`, `int (*)(void *)`; with
   * `name`, a declaration of it: `char comm[16]`. For a FUNC, its signature.
   */
  formatType(id: number, name = '', options?: FormatOptions): string {
    return formatDeclaration(this, id, name, options);
  }

  /** `int do_sys_openat2(int dfd, const char *filename, struct open_how *how)` for a FUNC id. */
  formatFuncSignature(funcId: number): string {
    return formatSignature(this, funcId);
  }

  /**
   * Members of the struct/union that `id` names, looking through typedefs and qualifiers
   * (and one pointer with `throughPointer`). undefined when `id` is not such a type.
   */
  membersOf(id: number, options: MemberListOptions = {}): BtfMemberInfo[] | undefined {
    let target = this.resolve(id);
    if (options.throughPointer && this.kindOf(target) === BtfKind.Ptr) {
      target = this.resolve((this.typeById(target) as { type: number }).type);
    }
    const type = this.typeById(target);
    if (type?.kind !== BtfKind.Struct && type?.kind !== BtfKind.Union) return undefined;
    const list: BtfMemberInfo[] = [];
    this.collectMembers(type.members, 0, options.flattenAnonymous === true, list, 0);
    return list;
  }

  private collectMembers(members: BtfMember[], baseOffset: number, flatten: boolean, list: BtfMemberInfo[], depth: number): void {
    for (const member of members) {
      const bitOffset = baseOffset + member.bitOffset;
      if (flatten && member.name === '' && depth < 64) {
        const inner = this.typeById(this.resolve(member.type));
        if (inner?.kind === BtfKind.Struct || inner?.kind === BtfKind.Union) {
          this.collectMembers(inner.members, bitOffset, flatten, list, depth + 1);
          continue;
        }
      }
      list.push({
        name: member.name, type: member.type, typeText: this.formatType(member.type), bitOffset,
        bitfieldSize: member.bitfieldSize,
      });
    }
  }
}
