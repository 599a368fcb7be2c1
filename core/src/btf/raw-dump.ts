/**
 * A plain-text listing of every type in a blob, one line per type and one indented line per
 * member, in the layout of `bpftool btf dump file X` (format raw). Tools and people already
 * read that layout, and matching it line for line lets tests use bpftool as the oracle.
 */

import type { Btf } from './reader';
import { BtfKind, btfKindName } from './types';

function quoted(name: string): string {
  return `'${name === '' ? '(anon)' : name}'`;
}

/** Lines for the blob's own types (for split BTF, from its first id on), each ending in '\n'. */
export function dumpBtfRaw(btf: Btf): string {
  const lines: string[] = [];
  for (let id = btf.startId; id < btf.typeCount; id++) dumpType(btf, id, lines);
  return lines.length ? lines.join('\n') + '\n' : '';
}

function dumpType(btf: Btf, id: number, lines: string[]): void {
  const type = btf.typeById(id);
  if (!type) return;
  const head = `[${id}] ${btfKindName(type.kind)} ${quoted(type.name)}`;
  switch (type.kind) {
    case BtfKind.Int: {
      const encoding = type.signed ? 'SIGNED' : type.char ? 'CHAR' : type.bool ? 'BOOL' : '(none)';
      lines.push(`${head} size=${type.size} bits_offset=${type.bitOffset} nr_bits=${type.bits} encoding=${encoding}`);
      break;
    }
    case BtfKind.Ptr: case BtfKind.Typedef: case BtfKind.Volatile: case BtfKind.Const: case BtfKind.Restrict:
    case BtfKind.TypeTag:
      lines.push(`${head} type_id=${type.type}`);
      break;
    case BtfKind.Array:
      lines.push(`${head} type_id=${type.elemType} index_type_id=${type.indexType} nr_elems=${type.nelems}`);
      break;
    case BtfKind.Struct: case BtfKind.Union:
      lines.push(`${head} size=${type.size} vlen=${type.members.length}`);
      for (const member of type.members) {
        const bitfield = member.bitfieldSize ? ` bitfield_size=${member.bitfieldSize}` : '';
        lines.push(`\t${quoted(member.name)} type_id=${member.type} bits_offset=${member.bitOffset}${bitfield}`);
      }
      break;
    case BtfKind.Enum: case BtfKind.Enum64: {
      lines.push(`${head} encoding=${type.signed ? 'SIGNED' : 'UNSIGNED'} size=${type.size} vlen=${type.values.length}`);
      const suffix = type.kind === BtfKind.Enum64 ? (type.signed ? 'LL' : 'ULL') : '';
      for (const value of type.values) lines.push(`\t${quoted(value.name)} val=${value.value}${suffix}`);
      break;
    }
    case BtfKind.Fwd:
      lines.push(`${head} fwd_kind=${type.union ? 'union' : 'struct'}`);
      break;
    case BtfKind.Func:
      lines.push(`${head} type_id=${type.type} linkage=${type.linkage}`);
      break;
    case BtfKind.FuncProto:
      lines.push(`${head} ret_type_id=${type.returnType} vlen=${type.params.length + (type.variadic ? 1 : 0)}`);
      for (const param of type.params) lines.push(`\t${quoted(param.name)} type_id=${param.type}`);
      if (type.variadic) lines.push(`\t'(anon)' type_id=0`);
      break;
    case BtfKind.Var:
      lines.push(`${head} type_id=${type.type}, linkage=${type.linkage}`);
      break;
    case BtfKind.Datasec:
      lines.push(`${head} size=${type.size} vlen=${type.vars.length}`);
      for (const v of type.vars) {
        lines.push(`\ttype_id=${v.type} offset=${v.offset} size=${v.size} (${btfKindName(btf.kindOf(v.type))} ${quoted(btf.nameOf(v.type))})`);
      }
      break;
    case BtfKind.Float:
      lines.push(`${head} size=${type.size}`);
      break;
    case BtfKind.DeclTag:
      lines.push(`${head} type_id=${type.type} component_idx=${type.componentIdx}`);
      break;
    default:
      lines.push(head);
  }
}
