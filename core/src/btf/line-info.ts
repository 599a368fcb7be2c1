/**
 * The source files named by a BPF object's BTF line info (`.BTF.ext`), for objects built by
 * the user's own build (`bpfdev verify prog.o`). The kernel's verifier log prints only the base
 * name of a line's file (`; code @ prog.bpf.c:13`); the object holds the full path clang saw
 * (the compilation directory joined with the name it was given), which is how a diagnostic
 * reaches the right file. Input is an untrusted file: problems become `errors`, never exceptions.
 */
import { parseElf } from '../elf/reader';
import { decodeCString } from './strings';

export interface LineInfoSection {
  /** ELF section of the programs, e.g. `tracepoint/syscalls/sys_enter_openat`. */
  section: string;
  /** Source file of the section's first instruction: the file its program is written in. */
  firstFile?: string;
  /** Every file the section's line info names, in order of first appearance. */
  files: string[];
}

export interface ObjectLineInfo {
  sections: LineInfoSection[];
  /** Every file named anywhere, in order of first appearance. */
  files: string[];
  errors: string[];
}

const BTF_MAGIC = 0xeb9f;
const BTF_HEADER_MIN = 24;
/** magic, version, flags, hdr_len, then func_info and line_info offset/length. */
const EXT_HEADER_MIN = 24;
/** insn_off, file_name_off, line_off, line_col: the record size every libbpf accepts as a minimum. */
const LINE_RECORD_MIN = 16;

/** Line info of an ELF object (`.BTF` for the strings, `.BTF.ext` for the records). */
export function objectLineInfo(bytes: Uint8Array): ObjectLineInfo {
  const { elf, errors: elfErrors } = parseElf(bytes);
  const errors = elfErrors.map((error) => error.message);
  const section = (name: string) => elf?.sections.find((candidate) => candidate.name === name);
  const btf = section('.BTF');
  const ext = section('.BTF.ext');
  if (!btf || !ext) {
    if (elf) errors.push(`the object has no ${btf ? '.BTF.ext' : '.BTF'} section (was it built with clang -g?)`);
    return { sections: [], files: [], errors };
  }
  const slice = (where: { offset: number; size: number }) =>
    (where.offset + where.size <= bytes.length ? bytes.subarray(where.offset, where.offset + where.size) : undefined);
  const btfBytes = slice(btf);
  const extBytes = slice(ext);
  if (!btfBytes || !extBytes) {
    errors.push('.BTF or .BTF.ext runs past the end of the file');
    return { sections: [], files: [], errors };
  }
  const parsed = parseLineInfo(btfBytes, extBytes);
  return { ...parsed, errors: [...errors, ...parsed.errors] };
}

/** Line info from the raw `.BTF` and `.BTF.ext` blobs. */
export function parseLineInfo(btf: Uint8Array, ext: Uint8Array): ObjectLineInfo {
  const errors: string[] = [];
  const sections: LineInfoSection[] = [];
  const files: string[] = [];
  const endian = byteOrder(btf);
  if (endian === undefined || btf.length < BTF_HEADER_MIN) return { sections, files, errors: ['.BTF: bad magic or short header'] };
  const btfView = new DataView(btf.buffer, btf.byteOffset, btf.byteLength);
  const strStart = btfView.getUint32(4, endian) + btfView.getUint32(16, endian);
  const strEnd = strStart + btfView.getUint32(20, endian);
  if (strEnd > btf.length) return { sections, files, errors: ['.BTF: the string section runs past its end'] };
  const string = (offset: number) => (strStart + offset < strEnd ? decodeCString(btf, strStart + offset, strEnd) : undefined);

  if (byteOrder(ext) !== endian || ext.length < EXT_HEADER_MIN) return { sections, files, errors: ['.BTF.ext: bad magic or short header'] };
  const view = new DataView(ext.buffer, ext.byteOffset, ext.byteLength);
  const headerLength = view.getUint32(4, endian);
  const start = headerLength + view.getUint32(16, endian);
  const end = start + view.getUint32(20, endian);
  if (headerLength < EXT_HEADER_MIN || end > ext.length) return { sections, files, errors: ['.BTF.ext: line info runs past its end'] };
  if (end - start < 4) return { sections, files, errors };
  const recordSize = view.getUint32(start, endian);
  if (recordSize < LINE_RECORD_MIN) return { sections, files, errors: [`.BTF.ext: line info record size ${recordSize} is below ${LINE_RECORD_MIN}`] };

  let at = start + 4;
  while (at + 8 <= end) {
    const name = string(view.getUint32(at, endian));
    const count = view.getUint32(at + 4, endian);
    at += 8;
    if (name === undefined || count * recordSize > end - at) {
      errors.push(`.BTF.ext: a line info block at offset ${at - 8} is malformed`);
      break;
    }
    const entry: LineInfoSection = { section: name, files: [] };
    for (let index = 0; index < count; index++, at += recordSize) {
      const file = string(view.getUint32(at + 4, endian));
      if (!file) continue;
      entry.firstFile ??= file;
      if (!entry.files.includes(file)) entry.files.push(file);
      if (!files.includes(file)) files.push(file);
    }
    sections.push(entry);
  }
  return { sections, files, errors };
}

function byteOrder(bytes: Uint8Array): boolean | undefined {
  if (bytes.length < 2) return undefined;
  if (bytes[0] === (BTF_MAGIC & 0xff) && bytes[1] === BTF_MAGIC >> 8) return true;
  if (bytes[0] === BTF_MAGIC >> 8 && bytes[1] === (BTF_MAGIC & 0xff)) return false;
  return undefined;
}
