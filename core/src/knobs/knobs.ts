/**
 * Run knobs: the globals in `.rodata` (`const volatile`), `.data` and `.bss` that a program's
 * user space sets before load (issue #11). libbpf creates each of these sections as a map whose
 * initial contents are the section's bytes in the object, so setting a knob is writing its
 * bytes into a copy of the object; the loader needs no change.
 *
 * Where a variable lives comes from the ELF symbol table: clang leaves the offsets in the
 * object's BTF DATASECs at 0 (libbpf fills them in at open time from the same symbols).
 * `.bss` has no bytes in the object (SHT_NOBITS), so its knobs are listed but cannot be set
 * this way; the error says so.
 */
import { parseBtf, Btf } from '../btf/reader';
import { BtfKind, BtfType } from '../btf/types';
import { ElfFile, ElfSection, parseElf } from '../elf/reader';
import { decodeRecordChecked, DecodedValue, recordLayout } from '../events/decode';

export interface Knob {
  name: string;
  /** `.rodata`, `.data`, `.bss`, or one of their `.name` variants. */
  section: string;
  /** C spelling of the type, qualifiers dropped: `unsigned long long`, `char[16]`, `enum mode`. */
  type: string;
  size: number;
  /** Offset in the section. */
  offset: number;
  /** The value in the object (zeros for `.bss`); undefined when it could not be read. */
  value?: DecodedValue;
  /** What `--set` accepts for it, for error messages and pickers: `integer 0..255`, `true|false`, `text, at most 15 bytes`. */
  accepts: string;
  /** False for `.bss` (no bytes in the object) and for types a command line cannot spell. */
  settable: boolean;
  /** Why not, when not settable. */
  reason?: string;
  /** Enumerators, for enum knobs. */
  choices?: string[];
}

export interface KnobList {
  knobs: Knob[];
  errors: string[];
}

interface Located extends Knob {
  typeId: number;
  /** File offset of the knob's bytes; undefined for `.bss`. */
  fileOffset?: number;
}

const SHT_NOBITS = 8;
const DATA_SECTION = /^\.(rodata|data|bss)(\..+)?$/;

export function listKnobs(object: Uint8Array): KnobList {
  const { knobs, errors } = locateKnobs(object);
  return { knobs: knobs.map(({ typeId: _typeId, fileOffset: _fileOffset, ...knob }) => knob), errors };
}

function locateKnobs(object: Uint8Array): { knobs: Located[]; errors: string[]; btf?: Btf; elf?: ElfFile } {
  const { elf, errors: elfErrors } = parseElf(object);
  const errors = elfErrors.map((error) => error.message);
  if (!elf) return { knobs: [], errors };
  const btfSection = elf.sections.find((section) => section.name === '.BTF');
  if (!btfSection || btfSection.offset + btfSection.size > object.length) {
    errors.push('the object has no .BTF section (build it with clang -g)');
    return { knobs: [], errors };
  }
  const parsed = parseBtf(object.subarray(btfSection.offset, btfSection.offset + btfSection.size));
  if (!parsed.btf) return { knobs: [], errors: [...errors, ...parsed.errors] };
  const btf = parsed.btf;
  const symbols = objectSymbols(object, elf);
  const knobs: Located[] = [];
  for (let id = 1; id < btf.typeCount; id++) {
    const datasec = btf.typeById(id);
    if (datasec?.kind !== BtfKind.Datasec || !DATA_SECTION.test(datasec.name)) continue;
    const sectionIndex = elf.sections.findIndex((section) => section.name === datasec.name);
    const section: ElfSection | undefined = elf.sections[sectionIndex];
    if (!section) continue;
    for (const entry of datasec.vars) {
      const variable = btf.typeById(entry.type);
      if (variable?.kind !== BtfKind.Var) continue;
      const offset = symbols.get(`${sectionIndex}:${variable.name}`) ?? entry.offset;
      const size = btf.sizeOf(variable.type) ?? entry.size;
      const nobits = section.type === SHT_NOBITS;
      const fileOffset = nobits || offset + size > section.size ? undefined : section.offset + offset;
      const bytes = fileOffset === undefined ? (nobits ? new Uint8Array(size) : undefined) : object.subarray(fileOffset, fileOffset + size);
      const described = describe(btf, variable.type);
      const value = bytes ? readValue(btf, variable.type, bytes) : undefined;
      knobs.push({
        name: variable.name, section: datasec.name, type: typeText(btf, variable.type), size, offset,
        ...(value !== undefined ? { value } : {}),
        accepts: described.accepts,
        settable: !nobits && described.settable && fileOffset !== undefined,
        ...(nobits ? { reason: `${datasec.name} has no bytes in the object (SHT_NOBITS): move it to .data (a non-zero initializer, or SEC(".data")) or make it const volatile` }
          : !described.settable ? { reason: described.accepts } : {}),
        ...(described.choices ? { choices: described.choices } : {}),
        typeId: variable.type, ...(fileOffset !== undefined ? { fileOffset } : {}),
      });
    }
  }
  // What users set most first: .rodata (const volatile), then .data, then .bss; in section order within.
  const rank = (name: string) => ['.rodata', '.data', '.bss'].findIndex((prefix) => name === prefix || name.startsWith(prefix + '.'));
  knobs.sort((a, b) => rank(a.section) - rank(b.section) || a.section.localeCompare(b.section) || a.offset - b.offset);
  return { knobs, errors, btf, elf };
}

/** `section index:name` → offset, for the object's data symbols. */
function objectSymbols(object: Uint8Array, elf: ElfFile): Map<string, number> {
  const symbols = new Map<string, number>();
  const table = elf.sections.find((section) => section.type === 2);
  if (!table || elf.class !== 64) return symbols;
  const strings = elf.sections[table.link];
  if (!strings || table.offset + table.size > object.length || strings.offset + strings.size > object.length) return symbols;
  const view = new DataView(object.buffer, object.byteOffset, object.byteLength);
  const little = elf.littleEndian;
  const stride = table.entrySize || 24;
  for (let at = table.offset; at + 24 <= table.offset + table.size; at += stride) {
    const nameOffset = view.getUint32(at, little);
    const sectionIndex = view.getUint16(at + 6, little);
    const value = Number(view.getBigUint64(at + 8, little));
    if (nameOffset === 0 || nameOffset >= strings.size) continue;
    let end = strings.offset + nameOffset;
    while (end < strings.offset + strings.size && object[end] !== 0) end++;
    let name = '';
    for (let index = strings.offset + nameOffset; index < end; index++) name += String.fromCharCode(object[index]);
    symbols.set(`${sectionIndex}:${name}`, value);
  }
  return symbols;
}

/** `const volatile` says how the program reads it, not what to type: the listing drops it, inside arrays too. */
function typeText(btf: Btf, id: number): string {
  return btf.formatType(unqualified(btf, id)).replace(/\b(const|volatile)\s+/g, '');
}

function unqualified(btf: Btf, id: number): number {
  let current = id;
  for (let guard = 0; guard < 32; guard++) {
    const type = btf.typeById(current);
    if (type?.kind !== BtfKind.Const && type?.kind !== BtfKind.Volatile && type?.kind !== BtfKind.Restrict) return current;
    current = type.type;
  }
  return current;
}

function readValue(btf: Btf, typeId: number, bytes: Uint8Array): DecodedValue | undefined {
  const { layout } = recordLayout(btf, typeId);
  if (!layout) return undefined;
  const { fields } = decodeRecordChecked(layout, bytes);
  const root = layout.root;
  return root.kind === 'struct' || root.kind === 'union' ? fields : fields.value;
}

type Shape =
  | { kind: 'int'; size: number; signed: boolean; bool: boolean }
  | { kind: 'enum'; size: number; signed: boolean; values: { name: string; value: bigint }[] }
  | { kind: 'chars'; length: number }
  | { kind: 'other' };

function shape(btf: Btf, typeId: number): Shape {
  const type: BtfType | undefined = btf.typeById(btf.resolve(typeId));
  if (type?.kind === BtfKind.Int && type.bits === type.size * 8 && type.size <= 8) return { kind: 'int', size: type.size, signed: type.signed, bool: type.bool };
  if (type?.kind === BtfKind.Enum || type?.kind === BtfKind.Enum64) {
    return { kind: 'enum', size: type.size, signed: type.signed, values: type.values.map((value) => ({ name: value.name, value: BigInt(value.value) })) };
  }
  if (type?.kind === BtfKind.Array) {
    const element = btf.typeById(btf.resolve(type.elemType));
    if (element?.kind === BtfKind.Int && element.size === 1) return { kind: 'chars', length: type.nelems };
  }
  return { kind: 'other' };
}

function range(size: number, signed: boolean): [bigint, bigint] {
  const bits = BigInt(size * 8);
  return signed ? [-(1n << (bits - 1n)), (1n << (bits - 1n)) - 1n] : [0n, (1n << bits) - 1n];
}

function describe(btf: Btf, typeId: number): { accepts: string; settable: boolean; choices?: string[] } {
  const found = shape(btf, typeId);
  switch (found.kind) {
    case 'int': {
      if (found.bool) return { accepts: 'true|false', settable: true };
      const [low, high] = range(found.size, found.signed);
      return { accepts: `integer ${low}..${high}`, settable: true };
    }
    case 'enum': return { accepts: `one of ${found.values.map((value) => value.name).join('|')} (or a number)`, settable: true, choices: found.values.map((value) => value.name) };
    case 'chars': return { accepts: `text, at most ${found.length - 1} bytes`, settable: true };
    case 'other': return { accepts: `a ${typeText(btf, typeId)} cannot be set from text`, settable: false };
  }
}

export interface KnobSetting {
  name: string;
  value: string;
}

/** `NAME=VALUE` as given on a command line. */
export function parseKnobSetting(text: string): KnobSetting | { error: string } {
  const equals = text.indexOf('=');
  if (equals <= 0) return { error: `--set wants NAME=VALUE, not "${text}"` };
  return { name: text.slice(0, equals).trim(), value: text.slice(equals + 1) };
}

export interface ApplyResult {
  /** The patched copy; undefined when any setting was refused. */
  object?: Uint8Array;
  errors: string[];
  /** What was set, for a log line: `target_pid=1234 (.rodata)`. */
  applied: string[];
}

/** A copy of the object with each setting written into its section; all settings are checked first. */
export function applyKnobs(object: Uint8Array, settings: KnobSetting[]): ApplyResult {
  const { knobs, errors: listErrors, btf, elf } = locateKnobs(object);
  if (!btf || !elf) return { errors: listErrors.length ? listErrors : ['cannot read the object'], applied: [] };
  const errors: string[] = [];
  const writes: { at: number; bytes: Uint8Array }[] = [];
  const applied: string[] = [];
  for (const setting of settings) {
    const knob = knobs.find((candidate) => candidate.name === setting.name);
    if (!knob) {
      errors.push(`no knob named "${setting.name}"; ${availableList(knobs)}`);
      continue;
    }
    if (!knob.settable || knob.fileOffset === undefined) {
      errors.push(`${knob.name} (${knob.type}, ${knob.section}) cannot be set: ${knob.reason ?? 'not in the object'}`);
      continue;
    }
    const encoded = encodeValue(btf, knob.typeId, knob.size, setting.value, elf.littleEndian);
    if ('error' in encoded) {
      errors.push(`${knob.name} (${knob.type}): ${encoded.error}; it accepts ${knob.accepts}`);
      continue;
    }
    writes.push({ at: knob.fileOffset, bytes: encoded.bytes });
    applied.push(`${knob.name}=${setting.value} (${knob.section})`);
  }
  if (errors.length) return { errors, applied: [] };
  const copy = object.slice();
  for (const write of writes) copy.set(write.bytes, write.at);
  return { object: copy, errors: [], applied };
}

function availableList(knobs: Knob[]): string {
  if (knobs.length === 0) return 'the object has no .rodata, .data or .bss globals';
  return `available: ${knobs.map((knob) => `${knob.name} (${knob.type}, ${knob.section}${knob.settable ? '' : ', not settable'})`).join(', ')}`;
}

function parseInteger(text: string): bigint | undefined {
  const trimmed = text.trim();
  if (!/^[-+]?(0x[0-9a-f]+|0b[01]+|0o[0-7]+|\d+)$/i.test(trimmed)) return undefined;
  const negative = trimmed.startsWith('-');
  const magnitude = BigInt(trimmed.replace(/^[-+]/, ''));
  return negative ? -magnitude : magnitude;
}

function encodeValue(btf: Btf, typeId: number, size: number, text: string, little: boolean): { bytes: Uint8Array } | { error: string } {
  const found = shape(btf, typeId);
  const bytes = new Uint8Array(size);
  switch (found.kind) {
    case 'int': {
      let value: bigint | undefined;
      if (found.bool) value = /^(true|yes|on|1)$/i.test(text.trim()) ? 1n : /^(false|no|off|0)$/i.test(text.trim()) ? 0n : undefined;
      else value = parseInteger(text);
      if (value === undefined) return { error: `"${text}" is not ${found.bool ? 'a boolean' : 'an integer'}` };
      const [low, high] = range(found.size, found.signed);
      if (value < low || value > high) return { error: `${text} is out of range` };
      writeInteger(bytes, value, found.size, little);
      return { bytes };
    }
    case 'enum': {
      const named = found.values.find((candidate) => candidate.name === text.trim());
      const value = named?.value ?? parseInteger(text);
      if (value === undefined) return { error: `"${text}" is not an enumerator` };
      const [low, high] = range(found.size, found.signed || value < 0n);
      if (value < low || value > high) return { error: `${text} is out of range` };
      writeInteger(bytes, value, found.size, little);
      return { bytes };
    }
    case 'chars': {
      const encoded = utf8(text);
      if (encoded.length > found.length - 1) return { error: `"${text}" is ${encoded.length} bytes, longer than ${found.length - 1}` };
      bytes.set(encoded);
      return { bytes };
    }
    case 'other': return { error: 'this type cannot be set from text' };
  }
}

function writeInteger(bytes: Uint8Array, value: bigint, size: number, little: boolean): void {
  let unsigned = BigInt.asUintN(size * 8, value);
  for (let index = 0; index < size; index++) {
    bytes[little ? index : size - 1 - index] = Number(unsigned & 0xffn);
    unsigned >>= 8n;
  }
}

/** UTF-8 bytes of a string (core has no TextEncoder). */
function utf8(text: string): Uint8Array {
  const out: number[] = [];
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code < 0x80) out.push(code);
    else if (code < 0x800) out.push(0xc0 | (code >> 6), 0x80 | (code & 0x3f));
    else if (code < 0x10000) out.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
    else out.push(0xf0 | (code >> 18), 0x80 | ((code >> 12) & 0x3f), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
  }
  return Uint8Array.from(out);
}
