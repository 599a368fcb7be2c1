/**
 * The data model of BTF (the kernel's BPF Type Format), as the reader hands it out.
 * Numbering and field meanings follow the kernel's UAPI description of the format
 * (Documentation/bpf/btf.rst); the shapes here are ours.
 */

/** BTF_KIND_* numbers, as they appear in bits 24..28 of a type's `info` word. */
export enum BtfKind {
  Void = 0,
  Int = 1,
  Ptr = 2,
  Array = 3,
  Struct = 4,
  Union = 5,
  Enum = 6,
  Fwd = 7,
  Typedef = 8,
  Volatile = 9,
  Const = 10,
  Restrict = 11,
  Func = 12,
  FuncProto = 13,
  Var = 14,
  Datasec = 15,
  Float = 16,
  DeclTag = 17,
  TypeTag = 18,
  Enum64 = 19,
}

export const BTF_MAX_KIND = BtfKind.Enum64;

const KIND_NAMES = [
  'VOID', 'INT', 'PTR', 'ARRAY', 'STRUCT', 'UNION', 'ENUM', 'FWD', 'TYPEDEF', 'VOLATILE', 'CONST',
  'RESTRICT', 'FUNC', 'FUNC_PROTO', 'VAR', 'DATASEC', 'FLOAT', 'DECL_TAG', 'TYPE_TAG', 'ENUM64',
];

/** The spelling bpftool and the kernel docs use (`STRUCT`, `FUNC_PROTO`, ...). */
export function btfKindName(kind: BtfKind): string {
  return KIND_NAMES[kind] ?? `UNKNOWN(${kind})`;
}

/** FUNC linkage (kept in the FUNC's vlen) and VAR linkage. */
export type BtfLinkage = 'static' | 'global' | 'extern';

interface TypeCommon {
  id: number;
  /** '' for anonymous types. */
  name: string;
}

export interface BtfVoid extends TypeCommon { kind: BtfKind.Void }

export interface BtfInt extends TypeCommon {
  kind: BtfKind.Int;
  /** Bytes of storage. */
  size: number;
  signed: boolean;
  char: boolean;
  bool: boolean;
  /** Legacy bitfield encoding: value starts this many bits into the storage. Usually 0. */
  bitOffset: number;
  /** Significant bits; less than size*8 only for legacy-encoded bitfields. */
  bits: number;
}

/** Kinds that are just "a reference to another type". */
export interface BtfRef extends TypeCommon {
  kind: BtfKind.Ptr | BtfKind.Typedef | BtfKind.Volatile | BtfKind.Const | BtfKind.Restrict;
  type: number;
}

export interface BtfTypeTag extends TypeCommon {
  kind: BtfKind.TypeTag;
  type: number;
}

export interface BtfArray extends TypeCommon {
  kind: BtfKind.Array;
  elemType: number;
  indexType: number;
  nelems: number;
}

export interface BtfMember {
  /** '' for an anonymous struct/union member. */
  name: string;
  type: number;
  bitOffset: number;
  /** 0 unless the member is a bitfield. */
  bitfieldSize: number;
}

export interface BtfComposite extends TypeCommon {
  kind: BtfKind.Struct | BtfKind.Union;
  size: number;
  members: BtfMember[];
}

export interface BtfEnum extends TypeCommon {
  kind: BtfKind.Enum;
  size: number;
  signed: boolean;
  values: { name: string; value: number }[];
}

export interface BtfEnum64 extends TypeCommon {
  kind: BtfKind.Enum64;
  size: number;
  signed: boolean;
  values: { name: string; value: bigint }[];
}

export interface BtfFwd extends TypeCommon {
  kind: BtfKind.Fwd;
  /** A forward declaration of a union (kflag set) rather than a struct. */
  union: boolean;
}

export interface BtfFunc extends TypeCommon {
  kind: BtfKind.Func;
  /** The FUNC_PROTO id. */
  type: number;
  linkage: BtfLinkage;
}

export interface BtfParam {
  /** Often '' in prototypes of function pointers. */
  name: string;
  type: number;
}

export interface BtfFuncProto extends TypeCommon {
  kind: BtfKind.FuncProto;
  returnType: number;
  params: BtfParam[];
  /** The prototype ends with `...` (encoded as a last parameter of type 0 with no name). */
  variadic: boolean;
}

export interface BtfVar extends TypeCommon {
  kind: BtfKind.Var;
  type: number;
  linkage: BtfLinkage;
}

export interface BtfDatasec extends TypeCommon {
  kind: BtfKind.Datasec;
  size: number;
  vars: { type: number; offset: number; size: number }[];
}

export interface BtfFloat extends TypeCommon {
  kind: BtfKind.Float;
  size: number;
}

export interface BtfDeclTag extends TypeCommon {
  kind: BtfKind.DeclTag;
  type: number;
  /** -1 when the tag applies to the type itself, else the member/parameter index. */
  componentIdx: number;
}

export type BtfType =
  | BtfVoid | BtfInt | BtfRef | BtfTypeTag | BtfArray | BtfComposite | BtfEnum | BtfEnum64 | BtfFwd
  | BtfFunc | BtfFuncProto | BtfVar | BtfDatasec | BtfFloat | BtfDeclTag;

/** A kernel function with its prototype already resolved, for completion and hover. */
export interface BtfFunction {
  id: number;
  name: string;
  linkage: BtfLinkage;
  protoId: number;
  returnType: number;
  params: BtfParam[];
  variadic: boolean;
}

/** One struct/union member as an editor shows it. */
export interface BtfMemberInfo {
  /** '' for an anonymous struct/union member when not flattened. */
  name: string;
  type: number;
  /** C text of the member's type, e.g. `struct task_struct *`, `char[16]`. */
  typeText: string;
  /** From the start of the outermost struct the listing was asked for. */
  bitOffset: number;
  bitfieldSize: number;
}
