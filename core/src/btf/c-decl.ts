/**
 * Spells BTF types as C declarations. C declarators read inside-out (`int (*fn)(void)`), so
 * the printer walks from the outermost type inwards while growing the declarator text around
 * the name, and puts the base type in front at the end.
 */

import type { Btf } from './reader';
import { BtfKind } from './types';

export interface FormatOptions {
  /** Print parameter names in prototypes (default true). The header omits them: they can clash with typedef names. */
  paramNames?: boolean;
  /** Spelling of the tag or typedef name of `id`; the header uses it for its ___N renames. */
  typeName?: (id: number) => string;
  /** Spelling of an anonymous struct/union/enum; default `struct {...}` and so on. */
  anonymousType?: (id: number) => string;
}

const ANONYMOUS_KEYWORD: Partial<Record<BtfKind, string>> = {
  [BtfKind.Struct]: 'struct',
  [BtfKind.Union]: 'union',
  [BtfKind.Enum]: 'enum',
  [BtfKind.Enum64]: 'enum',
};

/** Deeper than any C type a compiler emits; stops runaway recursion on hostile input. */
const MAX_DEPTH = 512;

interface Context {
  btf: Btf;
  paramNames: boolean;
  typeName: (id: number) => string;
  anonymousType: (id: number) => string;
}

function makeContext(btf: Btf, options: FormatOptions = {}): Context {
  return {
    btf,
    paramNames: options.paramNames ?? true,
    typeName: options.typeName ?? ((id) => btf.nameOf(id)),
    anonymousType: options.anonymousType ?? ((id) => `${ANONYMOUS_KEYWORD[btf.kindOf(id)] ?? 'struct'} {...}`),
  };
}

/** `type name` for any type id; a FUNC gives its signature. */
export function formatDeclaration(btf: Btf, id: number, name: string, options?: FormatOptions): string {
  const ctx = makeContext(btf, options);
  const type = btf.typeById(id);
  if (!type) return `<bad type ${id}>`;
  if (type.kind === BtfKind.Func) return declare(ctx, type.type, name || type.name, [], 0);
  if (type.kind === BtfKind.Var) return declare(ctx, type.type, name || type.name, [], 0);
  return declare(ctx, id, name, [], 0);
}

/** `ret name(params)` for a FUNC id; for a FUNC_PROTO, the prototype without a name. */
export function formatSignature(btf: Btf, funcId: number): string {
  const type = btf.typeById(funcId);
  if (type?.kind === BtfKind.Func) return declare(makeContext(btf), type.type, type.name, [], 0);
  if (type?.kind === BtfKind.FuncProto) return declare(makeContext(btf), funcId, '', [], 0);
  return `<not a function: type ${funcId}>`;
}

function withBase(base: string, qualifiers: string[], inner: string): string {
  const head = qualifiers.length ? `${qualifiers.join(' ')} ${base}` : base;
  if (inner === '') return head;
  return inner.startsWith('[') ? head + inner : `${head} ${inner}`;
}

/** Skips qualifiers and type tags, which do not change how a declarator must be parenthesised. */
function unqualified(btf: Btf, id: number): number {
  for (let hops = 0; hops < MAX_DEPTH; hops++) {
    const kind = btf.kindOf(id);
    if (kind !== BtfKind.Const && kind !== BtfKind.Volatile && kind !== BtfKind.Restrict && kind !== BtfKind.TypeTag) return id;
    id = (btf.typeById(id) as { type: number }).type;
  }
  return id;
}

/** The qualifier keywords of a C spelling, by kind. */
const QUALIFIER: Partial<Record<BtfKind, string>> = {
  [BtfKind.Const]: 'const',
  [BtfKind.Volatile]: 'volatile',
  [BtfKind.Restrict]: 'restrict',
};

/**
 * @param inner the declarator built so far (name, `*name`, `(*name)[4]`, ...)
 * @param qualifiers qualifiers that apply to type `id` itself
 */
function declare(ctx: Context, id: number, inner: string, qualifiers: string[], depth: number): string {
  const { btf } = ctx;
  if (depth > MAX_DEPTH) return withBase('void', [], inner);
  const type = btf.typeById(id);
  if (!type) return withBase(`<bad type ${id}>`, qualifiers, inner);
  switch (type.kind) {
    case BtfKind.Void:
      return withBase('void', qualifiers, inner);
    case BtfKind.Int: case BtfKind.Float:
      return withBase(type.name, qualifiers, inner);
    case BtfKind.Typedef:
      return withBase(ctx.typeName(id), qualifiers, inner);
    case BtfKind.Struct: case BtfKind.Union: {
      if (type.name === '') return withBase(ctx.anonymousType(id), qualifiers, inner);
      return withBase(`${type.kind === BtfKind.Struct ? 'struct' : 'union'} ${ctx.typeName(id)}`, qualifiers, inner);
    }
    case BtfKind.Enum: case BtfKind.Enum64:
      if (type.name === '') return withBase(ctx.anonymousType(id), qualifiers, inner);
      return withBase(`enum ${ctx.typeName(id)}`, qualifiers, inner);
    case BtfKind.Fwd:
      return withBase(`${type.union ? 'union' : 'struct'} ${ctx.typeName(id)}`, qualifiers, inner);
    case BtfKind.Const: case BtfKind.Volatile: case BtfKind.Restrict: {
      const word = QUALIFIER[type.kind]!;
      const next = qualifiers.includes(word) ? qualifiers : [...qualifiers, word];
      return declare(ctx, type.type, inner, next, depth + 1);
    }
    case BtfKind.TypeTag:
      return declare(ctx, type.type, inner, qualifiers, depth + 1);
    case BtfKind.Ptr: {
      // Qualifiers met above a pointer qualify the pointer itself: `char *const p`.
      let pointer = qualifiers.length ? `*${qualifiers.join(' ')}${inner ? ' ' + inner : ''}` : `*${inner}`;
      const targetKind = btf.kindOf(unqualified(btf, type.type));
      if (targetKind === BtfKind.Array || targetKind === BtfKind.FuncProto) pointer = `(${pointer})`;
      return declare(ctx, type.type, pointer, [], depth + 1);
    }
    case BtfKind.Array:
      // A qualified array is an array of qualified elements, so the qualifiers move inwards.
      return declare(ctx, type.elemType, `${inner}[${type.nelems}]`, qualifiers, depth + 1);
    case BtfKind.FuncProto: {
      const params = type.params.map((param) => declare(ctx, param.type, ctx.paramNames ? param.name : '', [], depth + 1));
      if (type.variadic && params.length) params.push('...');
      const list = params.length ? params.join(', ') : type.variadic ? '' : 'void';
      return declare(ctx, type.returnType, `${inner}(${list})`, [], depth + 1);
    }
    case BtfKind.Func: case BtfKind.Var:
      return declare(ctx, type.type, inner || type.name, qualifiers, depth + 1);
    case BtfKind.Datasec:
      return withBase(`/* section ${type.name} */`, [], inner);
    case BtfKind.DeclTag:
      return declare(ctx, type.type, inner, qualifiers, depth + 1);
  }
}
