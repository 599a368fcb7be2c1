/**
 * Decoding ring-buffer and perf-event records with the program's own types (issue #11).
 *
 * A layout is computed once per map from BTF and is plain data (no reference to the Btf
 * object), so it can cross the LSP channel and a worker boundary; decoding a record then is a
 * walk of that tree over a DataView, cheap enough for 200k records/s. Records come from the
 * kernel, which copies whatever the program wrote: a record shorter or longer than the type is
 * decoded as far as it goes and the difference reported, never thrown.
 */
import type { Btf } from '../btf/reader';
import { BtfKind, BtfType } from '../btf/types';
import { decodeUtf8 } from '../elf/reader';

/** 64-bit integers beyond 2^53 are decimal strings, so JSON round-trips them exactly. */
export type DecodedValue = number | string | boolean | null | DecodedValue[] | { [field: string]: DecodedValue };

export type FieldLayout =
  | { kind: 'int'; size: number; signed: boolean; bool?: boolean }
  /** `bitOffset` counts from the start of the enclosing composite, as BTF does. */
  | { kind: 'bitfield'; bitOffset: number; bits: number; signed: boolean }
  | { kind: 'float'; size: number }
  | { kind: 'pointer'; size: number }
  /** `names` maps the value's decimal text to its enumerator. */
  | { kind: 'enum'; size: number; signed: boolean; names: Record<string, string> }
  /**
   * A char array: text up to the first NUL. `binary` for unsigned char / u8 arrays, which hold
   * text (`u8 comm[16]`) as often as bytes (addresses, hashes): those are text only when what is
   * before the NUL is printable, else numbers.
   */
  | { kind: 'chars'; length: number; binary?: boolean }
  | { kind: 'array'; element: FieldLayout; count: number; stride: number }
  | { kind: 'struct' | 'union'; size: number; fields: FieldSlot[] }
  /** Something a record cannot usefully hold (function, void, forward declaration): shown as hex. */
  | { kind: 'opaque'; size: number };

export interface FieldSlot {
  name: string;
  /** Byte offset in the enclosing composite (bitfields carry their own bit offset). */
  offset: number;
  layout: FieldLayout;
}

export interface RecordLayout {
  /** C spelling, e.g. `struct event` or `event_t`. */
  typeName: string;
  size: number;
  /** Top-level field names (anonymous members flattened), in order: the columns of a table. */
  columns: string[];
  root: FieldLayout;
  /** BTF is little-endian on x86/arm64 and big-endian on s390x; records are in the target's order. */
  littleEndian: boolean;
}

export interface DecodeResult {
  fields: { [field: string]: DecodedValue };
  /** Why the record did not match the layout exactly (short, long); empty when it did. */
  problems: string[];
}

const MAX_DEPTH = 32;

/** The layout of a record type, or why the type cannot describe records. */
export function recordLayout(btf: Btf, typeId: number): { layout?: RecordLayout; error?: string } {
  const type = btf.typeById(typeId);
  if (!type) return { error: `no BTF type with id ${typeId}` };
  const typeName = btf.formatType(typeId);
  const size = btf.sizeOf(typeId);
  if (size === undefined || size === 0) return { error: `${typeName} has no size (a forward declaration or void?)` };
  const root = fieldLayout(btf, typeId, 0);
  const columns = root.kind === 'struct' || root.kind === 'union' ? root.fields.map((field) => field.name) : ['value'];
  return { layout: { typeName, size, columns, root, littleEndian: btf.littleEndian } };
}

function fieldLayout(btf: Btf, id: number, depth: number): FieldLayout {
  const resolved = btf.resolve(id);
  const type = btf.typeById(resolved);
  const size = btf.sizeOf(resolved) ?? 0;
  if (!type || depth > MAX_DEPTH) return { kind: 'opaque', size };
  switch (type.kind) {
    case BtfKind.Int:
      // A legacy-encoded bitfield inside the int itself; member bitfields are handled by the composite.
      if (type.bits !== type.size * 8 || type.bitOffset !== 0) return { kind: 'bitfield', bitOffset: type.bitOffset, bits: type.bits, signed: type.signed };
      return { kind: 'int', size: type.size, signed: type.signed, ...(type.bool ? { bool: true } : {}) };
    case BtfKind.Float: return { kind: 'float', size: type.size };
    case BtfKind.Ptr: return { kind: 'pointer', size: size || 8 };
    case BtfKind.Enum: case BtfKind.Enum64: {
      const names: Record<string, string> = {};
      for (const value of type.values) names[String(value.value)] ??= value.name;
      return { kind: 'enum', size: type.size, signed: type.signed, names };
    }
    case BtfKind.Array: {
      const element = fieldLayout(btf, type.elemType, depth + 1);
      const elemType = btf.typeById(btf.resolve(type.elemType));
      if (elemType?.kind === BtfKind.Int && elemType.size === 1 && !elemType.bool) {
        return { kind: 'chars', length: type.nelems, ...(elemType.signed || elemType.char || elemType.name === 'char' ? {} : { binary: true }) };
      }
      return { kind: 'array', element, count: type.nelems, stride: btf.sizeOf(type.elemType) ?? 0 };
    }
    case BtfKind.Struct: case BtfKind.Union:
      return { kind: type.kind === BtfKind.Struct ? 'struct' : 'union', size: type.size, fields: compositeFields(btf, type, depth) };
    default:
      return { kind: 'opaque', size };
  }
}

function compositeFields(btf: Btf, type: BtfType & { kind: BtfKind.Struct | BtfKind.Union }, depth: number): FieldSlot[] {
  const fields: FieldSlot[] = [];
  for (const member of type.members) {
    let layout = member.bitfieldSize
      ? { kind: 'bitfield' as const, bitOffset: member.bitOffset, bits: member.bitfieldSize, signed: isSigned(btf, member.type) }
      : fieldLayout(btf, member.type, depth + 1);
    // Bitfields count bits from the composite's start, the legacy int encoding's included.
    if (layout.kind === 'bitfield' && !member.bitfieldSize) layout = shiftBits(layout, member.bitOffset);
    const offset = layout.kind === 'bitfield' ? 0 : Math.floor(member.bitOffset / 8);
    if (!member.name && (layout.kind === 'struct' || layout.kind === 'union')) {
      // C lets an anonymous member's fields be named as the parent's own: show them that way.
      for (const inner of layout.fields) {
        fields.push(inner.layout.kind === 'bitfield' ? { ...inner, layout: shiftBits(inner.layout, offset * 8) } : { ...inner, offset: inner.offset + offset });
      }
      continue;
    }
    fields.push({ name: member.name || `<anon${fields.length}>`, offset, layout });
  }
  return fields;
}

function shiftBits(layout: FieldLayout, bits: number): FieldLayout {
  return layout.kind === 'bitfield' ? { ...layout, bitOffset: layout.bitOffset + bits } : layout;
}

function isSigned(btf: Btf, id: number): boolean {
  const type = btf.typeById(btf.resolve(id));
  return (type?.kind === BtfKind.Int || type?.kind === BtfKind.Enum || type?.kind === BtfKind.Enum64) && type.signed;
}

/** Decodes one record; see `decodeRecordChecked` for what did not fit. */
export function decodeRecord(layout: RecordLayout, bytes: Uint8Array): { [field: string]: DecodedValue } {
  return decodeRecordChecked(layout, bytes).fields;
}

export function decodeRecordChecked(layout: RecordLayout, bytes: Uint8Array): DecodeResult {
  const problems: string[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const reader = new Reader(view, layout.littleEndian);
  let fields: { [field: string]: DecodedValue };
  const root = layout.root;
  if (root.kind === 'struct' || root.kind === 'union') {
    fields = {};
    const missing: string[] = [];
    for (const slot of root.fields) {
      if (!fits(slot, bytes.length)) { missing.push(slot.name); continue; }
      fields[slot.name] = reader.value(slot.layout, slot.offset, 0);
    }
    if (missing.length) problems.push(`record is ${bytes.length} bytes, ${layout.typeName} is ${layout.size}: ${missing.join(', ')} not in it`);
  } else {
    fields = bytes.length >= layout.size ? { value: reader.value(root, 0, 0) } : {};
    if (bytes.length < layout.size) problems.push(`record is ${bytes.length} bytes, ${layout.typeName} is ${layout.size}`);
  }
  // perf samples come padded to 8 bytes (less than 8 extra is that padding); more is payload a
  // program appends after the struct (xdp-tutorial's packet bytes) or a wrong type.
  if (bytes.length >= layout.size + 8) problems.push(`${bytes.length - layout.size} byte(s) after ${layout.typeName}`);
  return { fields, problems };
}

function fits(slot: FieldSlot, length: number): boolean {
  if (slot.layout.kind === 'bitfield') return Math.ceil((slot.layout.bitOffset + slot.layout.bits) / 8) <= length;
  return slot.offset + layoutSize(slot.layout) <= length;
}

export function layoutSize(layout: FieldLayout): number {
  switch (layout.kind) {
    case 'bitfield': return Math.ceil(layout.bits / 8);
    case 'chars': return layout.length;
    case 'array': return layout.count * layout.stride;
    default: return layout.size;
  }
}

const TWO_53 = 2n ** 53n;

/** Text a person would type: no control bytes but tab and newline (UTF-8 sequences allowed). */
function printable(bytes: Uint8Array, end: number): boolean {
  if (end === 0) return bytes.every((byte) => byte === 0);
  for (let index = 0; index < end; index++) {
    const byte = bytes[index];
    if ((byte < 0x20 && byte !== 0x09 && byte !== 0x0a) || byte === 0x7f) return false;
  }
  return true;
}

class Reader {
  constructor(private readonly view: DataView, private readonly little: boolean) {}

  value(layout: FieldLayout, at: number, base: number): DecodedValue {
    switch (layout.kind) {
      case 'int': {
        const raw = this.integer(at, layout.size, layout.signed);
        return layout.bool ? raw !== 0 : raw;
      }
      case 'bitfield': return this.bitfield(base, layout.bitOffset, layout.bits, layout.signed);
      case 'float': return layout.size === 4 ? this.view.getFloat32(at, this.little) : layout.size === 8 ? this.view.getFloat64(at, this.little) : this.hex(at, layout.size);
      case 'pointer': {
        const value = layout.size === 8 ? this.view.getBigUint64(at, this.little) : BigInt(this.view.getUint32(at, this.little));
        return `0x${value.toString(16)}`;
      }
      case 'enum': {
        const raw = this.integer(at, layout.size, layout.signed);
        return layout.names[String(raw)] ?? raw;
      }
      case 'chars': return this.text(at, layout.length, layout.binary ?? false);
      case 'array': {
        const values: DecodedValue[] = [];
        for (let index = 0; index < layout.count; index++) values.push(this.value(layout.element, at + index * layout.stride, at + index * layout.stride));
        return values;
      }
      case 'struct': case 'union': {
        const object: { [field: string]: DecodedValue } = {};
        for (const slot of layout.fields) object[slot.name] = this.value(slot.layout, at + slot.offset, at);
        return object;
      }
      case 'opaque': return this.hex(at, layout.size);
    }
  }

  /** Numbers when exact, decimal strings past 2^53 (u64 counters, timestamps in ns are fine). */
  private integer(at: number, size: number, signed: boolean): number | string {
    switch (size) {
      case 1: return signed ? this.view.getInt8(at) : this.view.getUint8(at);
      case 2: return signed ? this.view.getInt16(at, this.little) : this.view.getUint16(at, this.little);
      case 4: return signed ? this.view.getInt32(at, this.little) : this.view.getUint32(at, this.little);
      case 8: {
        const value = signed ? this.view.getBigInt64(at, this.little) : this.view.getBigUint64(at, this.little);
        return value < TWO_53 && value > -TWO_53 ? Number(value) : value.toString();
      }
      default: {
        // __int128: assemble the bytes in the record's order.
        let value = 0n;
        for (let index = 0; index < size; index++) {
          const byte = BigInt(this.view.getUint8(at + (this.little ? size - 1 - index : index)));
          value = (value << 8n) | byte;
        }
        if (signed && value >= 1n << BigInt(size * 8 - 1)) value -= 1n << BigInt(size * 8);
        return value < TWO_53 && value > -TWO_53 ? Number(value) : value.toString();
      }
    }
  }

  private bitfield(base: number, bitOffset: number, bits: number, signed: boolean): number | string {
    // Gather the bytes that hold the field; BTF bit offsets count in the target's byte order.
    const first = base + Math.floor(bitOffset / 8);
    const span = Math.ceil(((bitOffset % 8) + bits) / 8);
    let word = 0n;
    for (let index = 0; index < span; index++) {
      const byte = BigInt(this.view.getUint8(first + (this.little ? span - 1 - index : index)));
      word = (word << 8n) | byte;
    }
    const shift = this.little ? BigInt(bitOffset % 8) : BigInt(span * 8 - (bitOffset % 8) - bits);
    let value = (word >> shift) & ((1n << BigInt(bits)) - 1n);
    if (signed && value >= 1n << BigInt(bits - 1)) value -= 1n << BigInt(bits);
    return value < TWO_53 && value > -TWO_53 ? Number(value) : value.toString();
  }

  private text(at: number, length: number, binary: boolean): string | number[] {
    const bytes = new Uint8Array(this.view.buffer, this.view.byteOffset + at, length);
    let end = 0;
    while (end < length && bytes[end] !== 0) end++;
    if (binary && !printable(bytes, end)) return Array.from(bytes);
    // Spread arguments have a limit; long buffers take the general path.
    let ascii = end <= 4096;
    for (let index = 0; index < end && ascii; index++) ascii = bytes[index] < 0x80;
    // comm and paths are nearly always ASCII: one call instead of a character at a time.
    if (ascii) return String.fromCharCode.apply(null, bytes.subarray(0, end) as unknown as number[]);
    // Kernel strings (comm, filenames) are bytes: UTF-8 when valid, U+FFFD where not.
    return decodeUtf8(bytes, 0, end);
  }

  private hex(at: number, size: number): string {
    let text = '';
    for (let index = 0; index < size; index++) text += this.view.getUint8(at + index).toString(16).padStart(2, '0');
    return text;
  }
}

/** `key=value` text for a decoded record, the CLI's human mode (`map: pid=1 comm=bash`). */
export function formatFields(fields: { [field: string]: DecodedValue }): string {
  return Object.entries(fields).map(([name, value]) => `${name}=${formatValue(value)}`).join(' ');
}

function formatValue(value: DecodedValue): string {
  if (typeof value === 'string') return /^[\x21-\x7e]*$/.test(value) && value !== '' ? value : JSON.stringify(value);
  if (value === null || typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return `[${value.map(formatValue).join(',')}]`;
  return `{${Object.entries(value).map(([name, inner]) => `${name}=${formatValue(inner)}`).join(' ')}}`;
}
