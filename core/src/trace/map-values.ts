/**
 * Turns the raw bytes of map keys and values into text a person reads, using the BTF types the
 * map was declared with (`__type(key, ...)`, `__type(value, ...)`, or a datasec for globals),
 * and recognizes maps that hold log2 histograms. Without BTF, bytes stay hex.
 */
import type { Btf } from '../btf/reader';
import { BtfKind, BtfType } from '../btf/types';
import type { MapDump } from './map-dump';
import { hexToBytes, perCpuSlices } from './map-dump';
import { renderLog2Histogram } from './histogram';

export interface FormatValueOptions {
  /** Arrays longer than this show their first elements and a count of the rest. */
  maxArrayElements?: number;
}

const DEFAULT_MAX_ARRAY = 32;
const MAX_DEPTH = 16;

/** Bytes as space-separated hex pairs: what a value without BTF looks like. */
export function formatHex(bytes: Uint8Array): string {
  let text = '';
  for (let index = 0; index < bytes.length; index++) text += (index ? ' ' : '') + bytes[index]!.toString(16).padStart(2, '0');
  return text;
}

/**
 * The value of `bytes` read as BTF type `typeId`, e.g. `{pid: 1234, comm: "bash"}`. Never
 * throws: bytes shorter than the type show what is there and `<short>` for the rest.
 */
export function formatValue(btf: Btf | undefined, typeId: number, bytes: Uint8Array, options: FormatValueOptions = {}): string {
  if (!btf || !typeId || !btf.typeById(typeId)) return formatHex(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return formatAt(btf, typeId, view, 0, btf.littleEndian, options.maxArrayElements ?? DEFAULT_MAX_ARRAY, 0);
}

/**
 * The integer `bytes` hold when `typeId` is an integer, enum or pointer (through typedefs and
 * qualifiers); without BTF, little-endian unsigned when the size is 1, 2, 4 or 8 bytes.
 */
export function integerValue(btf: Btf | undefined, typeId: number, bytes: Uint8Array): bigint | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (!btf || !typeId) return [1, 2, 4, 8].includes(bytes.length) ? readInteger(view, 0, bytes.length, false, true) : undefined;
  const type = btf.typeById(btf.resolve(typeId));
  if (!type) return undefined;
  if (type.kind === BtfKind.Int && type.bits === type.size * 8) return readInteger(view, 0, type.size, type.signed, btf.littleEndian);
  if (type.kind === BtfKind.Enum || type.kind === BtfKind.Enum64) return readInteger(view, 0, type.size, type.signed, btf.littleEndian);
  return undefined;
}

function readInteger(view: DataView, offset: number, size: number, signed: boolean, littleEndian: boolean): bigint | undefined {
  if (offset + size > view.byteLength) return undefined;
  switch (size) {
    case 1: return BigInt(signed ? view.getInt8(offset) : view.getUint8(offset));
    case 2: return BigInt(signed ? view.getInt16(offset, littleEndian) : view.getUint16(offset, littleEndian));
    case 4: return BigInt(signed ? view.getInt32(offset, littleEndian) : view.getUint32(offset, littleEndian));
    case 8: return signed ? view.getBigInt64(offset, littleEndian) : view.getBigUint64(offset, littleEndian);
    case 16: {
      const low = view.getBigUint64(offset + (littleEndian ? 0 : 8), littleEndian);
      const high = view.getBigUint64(offset + (littleEndian ? 8 : 0), littleEndian);
      const value = (high << 64n) | low;
      return signed ? BigInt.asIntN(128, value) : value;
    }
    default: return undefined;
  }
}

/** A bitfield's bits, counted from the start of the containing struct (little- or big-endian layout). */
function readBits(view: DataView, bitOffset: number, bits: number, signed: boolean, littleEndian: boolean): bigint | undefined {
  const firstByte = Math.floor(bitOffset / 8);
  const lastByte = Math.floor((bitOffset + bits - 1) / 8);
  if (lastByte >= view.byteLength) return undefined;
  let value = 0n;
  if (littleEndian) {
    for (let index = lastByte; index >= firstByte; index--) value = (value << 8n) | BigInt(view.getUint8(index));
    value >>= BigInt(bitOffset - firstByte * 8);
  } else {
    for (let index = firstByte; index <= lastByte; index++) value = (value << 8n) | BigInt(view.getUint8(index));
    value >>= BigInt((lastByte + 1) * 8 - (bitOffset + bits));
  }
  value &= (1n << BigInt(bits)) - 1n;
  return signed ? BigInt.asIntN(bits, value) : value;
}

function isCharType(btf: Btf, id: number): boolean {
  const type = btf.typeById(btf.resolve(id));
  return type?.kind === BtfKind.Int && type.size === 1 && (type.char || /char/.test(type.name));
}

function quoteBytes(view: DataView, offset: number, length: number): string {
  let text = '';
  for (let index = 0; index < length && offset + index < view.byteLength; index++) {
    const code = view.getUint8(offset + index);
    if (code === 0) break;
    if (code === 0x22 || code === 0x5c) text += `\\${String.fromCharCode(code)}`;
    else if (code >= 0x20 && code < 0x7f) text += String.fromCharCode(code);
    else text += `\\x${code.toString(16).padStart(2, '0')}`;
  }
  return `"${text}"`;
}

function formatAt(btf: Btf, id: number, view: DataView, offset: number, littleEndian: boolean, maxArray: number, depth: number): string {
  const type: BtfType | undefined = btf.typeById(btf.resolve(id));
  if (!type || depth > MAX_DEPTH) return '?';
  switch (type.kind) {
    case BtfKind.Int: {
      if (type.bits !== type.size * 8 || type.bitOffset) {
        const value = readBits(view, offset * 8 + type.bitOffset, type.bits, type.signed, littleEndian);
        return value === undefined ? '<short>' : value.toString();
      }
      const value = readInteger(view, offset, type.size, type.signed, littleEndian);
      if (value === undefined) return '<short>';
      if (type.bool) return value ? 'true' : 'false';
      return value.toString();
    }
    case BtfKind.Enum: case BtfKind.Enum64: {
      const value = readInteger(view, offset, type.size, type.signed, littleEndian);
      if (value === undefined) return '<short>';
      const named = (type.values as { name: string; value: number | bigint }[]).find((entry) => BigInt(entry.value) === value);
      return named ? named.name : value.toString();
    }
    case BtfKind.Ptr: {
      const size = view.byteLength - offset >= 8 ? 8 : 4;
      const value = readInteger(view, offset, size, false, littleEndian);
      return value === undefined ? '<short>' : `0x${value.toString(16)}`;
    }
    case BtfKind.Float: {
      if (offset + type.size > view.byteLength) return '<short>';
      if (type.size === 4) return String(view.getFloat32(offset, littleEndian));
      if (type.size === 8) return String(view.getFloat64(offset, littleEndian));
      return formatHex(new Uint8Array(view.buffer, view.byteOffset + offset, Math.min(type.size, view.byteLength - offset)));
    }
    case BtfKind.Array: {
      const elementSize = btf.sizeOf(type.elemType) ?? 0;
      if (isCharType(btf, type.elemType)) return quoteBytes(view, offset, type.nelems);
      if (elementSize === 0) return '[]';
      const shown = Math.min(type.nelems, maxArray);
      const parts: string[] = [];
      for (let index = 0; index < shown; index++) {
        parts.push(formatAt(btf, type.elemType, view, offset + index * elementSize, littleEndian, maxArray, depth + 1));
      }
      if (type.nelems > shown) parts.push(`… ${type.nelems - shown} more`);
      return `[${parts.join(', ')}]`;
    }
    case BtfKind.Struct: case BtfKind.Union: {
      const parts = type.members.map((member) => {
        const value = member.bitfieldSize
          ? bitfieldText(btf, member.type, view, offset * 8 + member.bitOffset, member.bitfieldSize, littleEndian)
          : formatAt(btf, member.type, view, offset + member.bitOffset / 8, littleEndian, maxArray, depth + 1);
        return member.name ? `${member.name}: ${value}` : value;
      });
      return `{${parts.join(', ')}}`;
    }
    case BtfKind.Datasec: {
      const parts = type.vars.map((variable) => {
        const declared = btf.typeById(variable.type);
        const name = declared?.name ?? '?';
        const valueType = declared?.kind === BtfKind.Var ? declared.type : variable.type;
        return `${name}: ${formatAt(btf, valueType, view, offset + variable.offset, littleEndian, maxArray, depth + 1)}`;
      });
      return `{${parts.join(', ')}}`;
    }
    case BtfKind.Var:
      return formatAt(btf, type.type, view, offset, littleEndian, maxArray, depth + 1);
    default: {
      const size = btf.sizeOf(type.id) ?? 0;
      return formatHex(new Uint8Array(view.buffer, view.byteOffset + offset, Math.max(0, Math.min(size, view.byteLength - offset))));
    }
  }
}

function bitfieldText(btf: Btf, id: number, view: DataView, bitOffset: number, bits: number, littleEndian: boolean): string {
  const type = btf.typeById(btf.resolve(id));
  const signed = (type?.kind === BtfKind.Int || type?.kind === BtfKind.Enum) && type.signed;
  const value = readBits(view, bitOffset, bits, signed, littleEndian);
  if (value === undefined) return '<short>';
  if (type?.kind === BtfKind.Enum) return type.values.find((entry) => BigInt(entry.value) === value)?.name ?? value.toString();
  return value.toString();
}

// ---------------------------------------------------------------------------------------------
// Histograms

/**
 * How a map holds log2 histograms:
 * - `slot-keyed`: the whole map is one histogram, its integer key is the slot and its integer
 *   value the count (an array map `hist[log2(v)]++`);
 * - `slots-array`: each value holds a histogram, an array of integer counts (`struct hist {
 *   u32 slots[N]; }` per key, as in many libbpf tools), at `offset` bytes into the value.
 * Slot i counts the values whose base-2 log is i, with 0 in slot 0: [2^i, 2^(i+1)).
 */
export type HistogramShape =
  | { kind: 'slot-keyed'; keySigned: boolean; valueSigned: boolean }
  | { kind: 'slots-array'; offset: number; elementSize: number; slots: number; signed: boolean; field: string };

const HISTOGRAM_NAME = /hist|log2|slot|bucket/i;
const INTEGER_MAP_TYPES = new Set(['array', 'percpu_array', 'hash', 'percpu_hash', 'lru_hash', 'lru_percpu_hash']);

/** Whether (and how) a dumped map holds log2 histograms; undefined when it does not look like one. */
export function histogramShape(map: MapDump, btf: Btf | undefined): HistogramShape | undefined {
  if (!map.type || !INTEGER_MAP_TYPES.has(map.type)) return undefined;
  const keyType = btf && map.btfKeyTypeId ? btf.typeById(btf.resolve(map.btfKeyTypeId)) : undefined;
  const valueType = btf && map.btfValueTypeId ? btf.typeById(btf.resolve(map.btfValueTypeId)) : undefined;
  if (valueType && btf) {
    const array = slotsArrayIn(btf, valueType, map.name);
    if (array) return array;
  }
  if (!HISTOGRAM_NAME.test(map.name)) return undefined;
  const integerKey = keyType ? keyType.kind === BtfKind.Int : [4, 8].includes(map.keySize ?? 0);
  const integerValue = valueType ? valueType.kind === BtfKind.Int : [4, 8].includes(map.valueSize ?? 0);
  if (!integerKey || !integerValue) return undefined;
  return {
    kind: 'slot-keyed',
    keySigned: keyType?.kind === BtfKind.Int && keyType.signed,
    valueSigned: valueType?.kind === BtfKind.Int && valueType.signed,
  };
}

function slotsArrayIn(btf: Btf, valueType: BtfType, mapName: string): HistogramShape | undefined {
  const asSlots = (arrayId: number, offset: number, field: string): HistogramShape | undefined => {
    const array = btf.typeById(btf.resolve(arrayId));
    if (array?.kind !== BtfKind.Array || array.nelems < 2 || array.nelems > 128) return undefined;
    const element = btf.typeById(btf.resolve(array.elemType));
    if (element?.kind !== BtfKind.Int || element.char || ![2, 4, 8].includes(element.size)) return undefined;
    return { kind: 'slots-array', offset, elementSize: element.size, slots: array.nelems, signed: element.signed, field };
  };
  if (valueType.kind === BtfKind.Array) return HISTOGRAM_NAME.test(mapName) ? asSlots(valueType.id, 0, '') : undefined;
  if (valueType.kind !== BtfKind.Struct) return undefined;
  const structNamed = HISTOGRAM_NAME.test(valueType.name) || HISTOGRAM_NAME.test(mapName);
  for (const member of valueType.members) {
    if (member.bitfieldSize || member.bitOffset % 8) continue;
    if (!HISTOGRAM_NAME.test(member.name) && !structNamed) continue;
    const shape = asSlots(member.type, member.bitOffset / 8, member.name);
    if (shape) return shape;
  }
  return undefined;
}

/** A value's bytes summed over CPUs for per-CPU maps, as one slice per CPU otherwise one. */
function valueSlices(map: MapDump, value: Uint8Array): Uint8Array[] {
  if (map.percpu && map.cpus && map.valueSize) return perCpuSlices(value, map.valueSize, map.cpus);
  return [value];
}

export interface MapHistogram {
  /** The key's text for `slots-array` maps (one histogram per entry); undefined for `slot-keyed`. */
  key?: string;
  counts: number[];
}

/** The histograms a map holds, counts summed over CPUs. */
export function mapHistograms(map: MapDump, shape: HistogramShape, btf: Btf | undefined): MapHistogram[] {
  const littleEndian = btf?.littleEndian ?? true;
  if (shape.kind === 'slot-keyed') {
    const counts: number[] = [];
    for (const entry of map.entries) {
      const key = integerValue(btf, map.btfKeyTypeId ?? 0, hexToBytes(entry.key));
      if (key === undefined || key < 0n || key > 255n) continue;
      let total = 0;
      for (const slice of valueSlices(map, hexToBytes(entry.value))) {
        total += Number(integerValue(btf, map.btfValueTypeId ?? 0, slice) ?? 0n);
      }
      const slot = Number(key);
      while (counts.length <= slot) counts.push(0);
      counts[slot] = (counts[slot] ?? 0) + total;
    }
    return [{ counts }];
  }
  return map.entries.map((entry) => {
    const counts = new Array<number>(shape.slots).fill(0);
    for (const slice of valueSlices(map, hexToBytes(entry.value))) {
      const view = new DataView(slice.buffer, slice.byteOffset, slice.byteLength);
      for (let slot = 0; slot < shape.slots; slot++) {
        const value = readInteger(view, shape.offset + slot * shape.elementSize, shape.elementSize, shape.signed, littleEndian);
        if (value !== undefined) counts[slot]! += Number(value);
      }
    }
    return { key: formatValue(btf, map.btfKeyTypeId ?? 0, hexToBytes(entry.key)), counts };
  });
}

export interface MapEntryText {
  key: string;
  value: string;
}

/**
 * Every entry of a dumped map as text: integers of per-CPU maps summed over CPUs, other per-CPU
 * values listed per CPU.
 */
export function formatMapEntries(map: MapDump, btf: Btf | undefined, options: FormatValueOptions = {}): MapEntryText[] {
  const keyType = map.btfKeyTypeId ?? 0;
  const valueType = map.btfValueTypeId ?? 0;
  return map.entries.map((entry) => {
    const key = formatValue(btf, keyType, hexToBytes(entry.key), options);
    const slices = valueSlices(map, hexToBytes(entry.value));
    if (slices.length === 1) return { key, value: formatValue(btf, valueType, slices[0]!, options) };
    const integers = slices.map((slice) => integerValue(btf, valueType, slice));
    if (integers.every((value) => value !== undefined)) {
      return { key, value: `${integers.reduce((sum, value) => sum! + value!, 0n)!.toString()} (sum of ${slices.length} CPUs)` };
    }
    return { key, value: slices.map((slice, cpu) => `cpu${cpu}: ${formatValue(btf, valueType, slice, options)}`).join('; ') };
  });
}

/** Whether values of this type are a global-data section (`.bss`, `.data`, `.rodata`). */
export function isDatasec(btf: Btf | undefined, typeId: number): boolean {
  return Boolean(btf && typeId && btf.typeById(typeId)?.kind === BtfKind.Datasec);
}

/**
 * The variables of a global-data map (`.bss`, `.data`, `.rodata`: its value type is a
 * datasec), each with its value; undefined when the value type is not a datasec.
 */
export function datasecVariables(btf: Btf | undefined, typeId: number, bytes: Uint8Array, options: FormatValueOptions = {}): MapEntryText[] | undefined {
  const type = btf && typeId ? btf.typeById(typeId) : undefined;
  if (!btf || type?.kind !== BtfKind.Datasec) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return type.vars.map((variable) => {
    const declared = btf.typeById(variable.type);
    const valueType = declared?.kind === BtfKind.Var ? declared.type : variable.type;
    return {
      key: declared?.name ?? '?',
      value: formatAt(btf, valueType, view, variable.offset, btf.littleEndian, options.maxArrayElements ?? DEFAULT_MAX_ARRAY, 0),
    };
  });
}

/**
 * A whole dumped map as text, for "Show as Text": histograms drawn as bars the way bpftrace
 * prints them (`@name:` then one line per slot), globals as `name = value`, other maps as
 * `key: value` lines.
 */
export function renderMapText(map: MapDump, btf: Btf | undefined): string {
  const count = `${map.entries.length}${map.truncated ? '+' : ''} ${map.entries.length === 1 ? 'entry' : 'entries'}`;
  const lines = [`${map.name} (${map.type ?? 'map'}, ${count})`];
  if (map.error) lines.push(`  ${map.error}`);
  const shape = histogramShape(map, btf);
  if (shape) {
    for (const histogram of mapHistograms(map, shape, btf)) {
      const text = renderLog2Histogram(histogram.counts);
      lines.push('', `@${map.name}${histogram.key === undefined ? '' : `[${histogram.key}]`}:`, text || '  (all slots empty)');
    }
    return lines.join('\n');
  }
  const globals = isDatasec(btf, map.btfValueTypeId ?? 0);
  for (const entry of globals ? map.entries : []) {
    for (const variable of datasecVariables(btf, map.btfValueTypeId ?? 0, hexToBytes(entry.value)) ?? []) lines.push(`${variable.key} = ${variable.value}`);
  }
  if (!globals) for (const entry of formatMapEntries(map, btf)) lines.push(`${entry.key}: ${entry.value}`);
  if (map.truncated) lines.push(`… more entries not read (raise bpfdev.maps.maxEntries to see them)`);
  return lines.join('\n');
}
