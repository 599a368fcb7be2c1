/**
 * Minimal ELF reader for uprobe/USDT targets: section headers, function symbols and
 * `.note.stapsdt` probes. Input is untrusted bytes (any file a user points a uprobe at), so every
 * read is bounds-checked and problems become `errors` instead of exceptions.
 */

export interface ElfError {
  message: string;
}

export interface ElfSection {
  name: string;
  type: number;
  flags: number;
  address: number;
  offset: number;
  size: number;
  link: number;
  info: number;
  entrySize: number;
}

export interface ElfFunctionSymbol {
  name: string;
  /** Virtual address (st_value). */
  address: number;
  size: number;
  /** File offset of the code, which is what a uprobe attaches to; undefined if no section holds it. */
  fileOffset?: number;
  binding: 'local' | 'global' | 'weak' | 'other';
  /** `.symtab` survives only in unstripped binaries; `.dynsym` is always there for shared objects. */
  table: '.symtab' | '.dynsym';
  /** STT_GNU_IFUNC resolvers (memcpy in glibc): probing them hits the resolver, not the implementation. */
  indirect: boolean;
}

/** Addresses are as the file stores them: final for executables and libraries, unrelocated in `.o` files. */
export interface UsdtProbe {
  provider: string;
  name: string;
  /** Argument spec such as `-4@%edi 8@%rsi`; empty when the probe has no arguments. */
  args: string;
  /** Address of the probe's nop instruction, as recorded (before prelink adjustment). */
  pc: number;
  /** Address of `.stapsdt.base` as recorded, used to correct pc when the binary was prelinked. */
  base: number;
  /** Semaphore address, 0 when the probe has none. */
  semaphore: number;
}

export interface ElfFile {
  class: 32 | 64;
  littleEndian: boolean;
  /** ET_EXEC 2, ET_DYN 3, ... */
  type: number;
  machine: number;
  sections: ElfSection[];
  functions: ElfFunctionSymbol[];
  usdtProbes: UsdtProbe[];
}

export interface ElfParseResult {
  elf?: ElfFile;
  errors: ElfError[];
}

const SHT_SYMTAB = 2;
const SHT_NOTE = 7;
const SHT_NOBITS = 8;
const SHT_DYNSYM = 11;
const STT_FUNC = 2;
const STT_GNU_IFUNC = 10;
const SHN_UNDEF = 0;
const SHN_LORESERVE = 0xff00;
const SHN_XINDEX = 0xffff;
const NT_STAPSDT = 3;
/** A guard against section tables that claim millions of entries in a tiny file. */
const MAX_SECTIONS = 65536;

class Reader {
  readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly littleEndian: boolean,
    readonly is64: boolean,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  fits(offset: number, length: number): boolean {
    return Number.isSafeInteger(offset) && offset >= 0 && length >= 0 && offset + length <= this.bytes.length;
  }
  u8(offset: number): number {
    return this.view.getUint8(offset);
  }
  u16(offset: number): number {
    return this.view.getUint16(offset, this.littleEndian);
  }
  u32(offset: number): number {
    return this.view.getUint32(offset, this.littleEndian);
  }
  /** 64-bit values become numbers; above 2^53 they lose precision, which only garbage input reaches. */
  u64(offset: number): number {
    const low = this.view.getUint32(offset + (this.littleEndian ? 0 : 4), this.littleEndian);
    const high = this.view.getUint32(offset + (this.littleEndian ? 4 : 0), this.littleEndian);
    return high * 0x100000000 + low;
  }
  /** Address-sized field: 8 bytes in ELF64, 4 in ELF32. */
  addr(offset: number): number {
    return this.is64 ? this.u64(offset) : this.u32(offset);
  }
}

export function parseElf(bytes: Uint8Array): ElfParseResult {
  const errors: ElfError[] = [];
  try {
    return parseElfUnchecked(bytes, errors);
  } catch (error) {
    // Every read is range-checked first; this only guards against a missed check.
    errors.push({ message: `ELF parse aborted: ${error instanceof Error ? error.message : String(error)}` });
    return { errors };
  }
}

function parseElfUnchecked(bytes: Uint8Array, errors: ElfError[]): ElfParseResult {
  if (bytes.length < 16 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    errors.push({ message: 'not an ELF file (bad magic)' });
    return { errors };
  }
  const elfClass = bytes[4];
  const dataEncoding = bytes[5];
  if (elfClass !== 1 && elfClass !== 2) {
    errors.push({ message: `unknown ELF class ${elfClass}` });
    return { errors };
  }
  if (dataEncoding !== 1 && dataEncoding !== 2) {
    errors.push({ message: `unknown ELF data encoding ${dataEncoding}` });
    return { errors };
  }
  const is64 = elfClass === 2;
  const reader = new Reader(bytes, dataEncoding === 1, is64);
  const headerSize = is64 ? 64 : 52;
  if (!reader.fits(0, headerSize)) {
    errors.push({ message: 'truncated ELF header' });
    return { errors };
  }
  const type = reader.u16(16);
  const machine = reader.u16(18);
  const sectionTableOffset = is64 ? reader.u64(40) : reader.u32(32);
  const sectionEntrySize = reader.u16(is64 ? 58 : 46);
  let sectionCount = reader.u16(is64 ? 60 : 48);
  let namesIndex = reader.u16(is64 ? 62 : 50);

  const elf: ElfFile = { class: is64 ? 64 : 32, littleEndian: reader.littleEndian, type, machine, sections: [], functions: [], usdtProbes: [] };
  if (sectionTableOffset === 0) {
    errors.push({ message: 'no section header table' });
    return { elf, errors };
  }
  const minimumEntrySize = is64 ? 64 : 40;
  if (sectionEntrySize < minimumEntrySize) {
    errors.push({ message: `section header entry size ${sectionEntrySize} is too small` });
    return { elf, errors };
  }
  // With more than SHN_LORESERVE sections the real counts live in section 0 (extended numbering).
  if (reader.fits(sectionTableOffset, sectionEntrySize)) {
    const first = readSectionHeader(reader, sectionTableOffset);
    if (sectionCount === 0) sectionCount = first.size;
    if (namesIndex === SHN_XINDEX) namesIndex = first.link;
  }
  if (sectionCount > MAX_SECTIONS || !reader.fits(sectionTableOffset, sectionCount * sectionEntrySize)) {
    errors.push({ message: `section header table (${sectionCount} entries at ${sectionTableOffset}) lies outside the file` });
    return { elf, errors };
  }
  const headers: RawSection[] = [];
  for (let index = 0; index < sectionCount; index++) headers.push(readSectionHeader(reader, sectionTableOffset + index * sectionEntrySize));

  const names = headers[namesIndex];
  for (const header of headers) {
    header.name = names ? readString(reader, names, header.nameOffset, errors) ?? '' : '';
  }
  elf.sections = headers.map(({ nameOffset, ...section }) => section);

  for (let index = 0; index < headers.length; index++) {
    const header = headers[index];
    if (header.type === SHT_SYMTAB || header.type === SHT_DYNSYM) {
      readFunctions(reader, headers, header, header.type === SHT_SYMTAB ? '.symtab' : '.dynsym', elf.functions, errors);
    } else if (header.type === SHT_NOTE && header.name === '.note.stapsdt') {
      readUsdtNotes(reader, header, elf.usdtProbes, errors);
    }
  }
  return { elf, errors };
}

type RawSection = ElfSection & { nameOffset: number };

function readSectionHeader(reader: Reader, at: number): RawSection {
  if (reader.is64) {
    return {
      name: '',
      nameOffset: reader.u32(at),
      type: reader.u32(at + 4),
      flags: reader.u64(at + 8),
      address: reader.u64(at + 16),
      offset: reader.u64(at + 24),
      size: reader.u64(at + 32),
      link: reader.u32(at + 40),
      info: reader.u32(at + 44),
      entrySize: reader.u64(at + 56),
    };
  }
  return {
    name: '',
    nameOffset: reader.u32(at),
    type: reader.u32(at + 4),
    flags: reader.u32(at + 8),
    address: reader.u32(at + 12),
    offset: reader.u32(at + 16),
    size: reader.u32(at + 20),
    link: reader.u32(at + 24),
    info: reader.u32(at + 28),
    entrySize: reader.u32(at + 36),
  };
}

function readString(reader: Reader, table: ElfSection, offset: number, errors: ElfError[]): string | undefined {
  if (table.type === SHT_NOBITS || offset >= table.size || !reader.fits(table.offset, table.size)) {
    if (errors.length < 100) errors.push({ message: `string at ${offset} lies outside its string table` });
    return undefined;
  }
  const end = table.offset + table.size;
  let cursor = table.offset + offset;
  const start = cursor;
  while (cursor < end && reader.bytes[cursor] !== 0) cursor++;
  return decodeUtf8(reader.bytes, start, cursor);
}

function readFunctions(
  reader: Reader,
  headers: ElfSection[],
  table: ElfSection,
  tableName: '.symtab' | '.dynsym',
  out: ElfFunctionSymbol[],
  errors: ElfError[],
): void {
  const entrySize = reader.is64 ? 24 : 16;
  if (table.entrySize !== 0 && table.entrySize < entrySize) {
    errors.push({ message: `${tableName}: entry size ${table.entrySize} is too small` });
    return;
  }
  const stride = table.entrySize || entrySize;
  if (!reader.fits(table.offset, table.size)) {
    errors.push({ message: `${tableName} lies outside the file` });
    return;
  }
  const strings = headers[table.link];
  if (!strings) {
    errors.push({ message: `${tableName}: string table index ${table.link} does not exist` });
    return;
  }
  const count = Math.floor(table.size / stride);
  for (let index = 1; index < count; index++) {
    const at = table.offset + index * stride;
    const nameOffset = reader.u32(at);
    const info = reader.u8(at + (reader.is64 ? 4 : 12));
    const sectionIndex = reader.u16(at + (reader.is64 ? 6 : 14));
    const value = reader.is64 ? reader.u64(at + 8) : reader.u32(at + 4);
    const size = reader.is64 ? reader.u64(at + 16) : reader.u32(at + 8);
    const symbolType = info & 0xf;
    if (symbolType !== STT_FUNC && symbolType !== STT_GNU_IFUNC) continue;
    if (sectionIndex === SHN_UNDEF) continue;
    const name = readString(reader, strings, nameOffset, errors);
    if (!name) continue;
    const bindingValue = info >> 4;
    const symbol: ElfFunctionSymbol = {
      name,
      address: value,
      size,
      binding: bindingValue === 0 ? 'local' : bindingValue === 1 ? 'global' : bindingValue === 2 ? 'weak' : 'other',
      table: tableName,
      indirect: symbolType === STT_GNU_IFUNC,
    };
    const home = sectionIndex < SHN_LORESERVE ? headers[sectionIndex] : undefined;
    if (home && home.type !== SHT_NOBITS && value >= home.address && value < home.address + home.size) {
      symbol.fileOffset = value - home.address + home.offset;
    }
    out.push(symbol);
  }
}

/**
 * Each stapsdt note: namesz/descsz/type header, "stapsdt\0" padded to 4, then a descriptor of
 * three address-sized words (pc, base, semaphore) and three NUL-terminated strings.
 */
function readUsdtNotes(reader: Reader, section: ElfSection, out: UsdtProbe[], errors: ElfError[]): void {
  if (!reader.fits(section.offset, section.size)) {
    errors.push({ message: '.note.stapsdt lies outside the file' });
    return;
  }
  const end = section.offset + section.size;
  const addressSize = reader.is64 ? 8 : 4;
  let cursor = section.offset;
  while (cursor + 12 <= end) {
    const nameSize = reader.u32(cursor);
    const descSize = reader.u32(cursor + 4);
    const noteType = reader.u32(cursor + 8);
    const nameStart = cursor + 12;
    const descStart = nameStart + align4(nameSize);
    const next = descStart + align4(descSize);
    if (nameSize > section.size || descSize > section.size || next > end) {
      errors.push({ message: `.note.stapsdt: note at ${cursor - section.offset} runs past the section` });
      return;
    }
    const owner = decodeUtf8(reader.bytes, nameStart, nameStart + Math.max(0, nameSize - 1));
    if (owner === 'stapsdt' && noteType === NT_STAPSDT) {
      if (descSize < addressSize * 3 + 3) {
        errors.push({ message: `.note.stapsdt: descriptor of ${descSize} bytes is too short` });
      } else {
        const strings = splitStrings(reader.bytes, descStart + addressSize * 3, descStart + descSize, 3);
        if (strings.length < 2) {
          errors.push({ message: '.note.stapsdt: descriptor lacks provider or name' });
        } else {
          out.push({
            provider: strings[0],
            name: strings[1],
            args: strings[2] ?? '',
            pc: reader.addr(descStart),
            base: reader.addr(descStart + addressSize),
            semaphore: reader.addr(descStart + addressSize * 2),
          });
        }
      }
    }
    cursor = next;
  }
}

function align4(value: number): number {
  return (value + 3) & ~3;
}

function splitStrings(bytes: Uint8Array, start: number, end: number, limit: number): string[] {
  const strings: string[] = [];
  let cursor = start;
  while (cursor < end && strings.length < limit) {
    let stop = cursor;
    while (stop < end && bytes[stop] !== 0) stop++;
    if (stop === end) break;
    strings.push(decodeUtf8(bytes, cursor, stop));
    cursor = stop + 1;
  }
  return strings;
}

/** UTF-8 to string without TextDecoder (core has no DOM/node typings); bad sequences become U+FFFD. */
export function decodeUtf8(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let result = '';
  let cursor = start;
  while (cursor < end) {
    const first = bytes[cursor];
    if (first < 0x80) {
      result += String.fromCharCode(first);
      cursor++;
      continue;
    }
    const length = first >= 0xf0 && first < 0xf8 ? 4 : first >= 0xe0 ? 3 : first >= 0xc0 ? 2 : 0;
    if (length === 0 || cursor + length > end || (length === 4 && first >= 0xf5)) {
      result += '\ufffd';
      cursor++;
      continue;
    }
    let codePoint = first & (0xff >> (length + 1));
    let valid = true;
    for (let index = 1; index < length; index++) {
      const continuation = bytes[cursor + index];
      if ((continuation & 0xc0) !== 0x80) {
        valid = false;
        break;
      }
      codePoint = (codePoint << 6) | (continuation & 0x3f);
    }
    if (!valid || codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff)) {
      result += '\ufffd';
      cursor++;
      continue;
    }
    result += String.fromCodePoint(codePoint);
    cursor += length;
  }
  return result;
}

/** Function names a uprobe can target, deduplicated across .symtab and .dynsym, sorted. */
export function uprobeTargets(elf: ElfFile): string[] {
  return [...new Set(elf.functions.map((symbol) => symbol.name))].sort();
}
