/**
 * The GNU build id (`.note.gnu.build-id`): the linker's hash of a binary's contents, the same on
 * every machine that has this exact file. Symbol tables are cached under it.
 */
import type { ElfFile } from './reader';

const NT_GNU_BUILD_ID = 3;

/** Lower-case hex, or undefined when the file has no (well-formed) build id note. */
export function gnuBuildId(bytes: Uint8Array, elf: ElfFile): string | undefined {
  const section = elf.sections.find((candidate) => candidate.name === '.note.gnu.build-id');
  if (!section || section.offset + section.size > bytes.length || section.size < 16) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset + section.offset, section.size);
  const nameSize = view.getUint32(0, elf.littleEndian);
  const descSize = view.getUint32(4, elf.littleEndian);
  const type = view.getUint32(8, elf.littleEndian);
  const descStart = 12 + Math.ceil(nameSize / 4) * 4;
  if (type !== NT_GNU_BUILD_ID || descSize === 0 || descStart + descSize > section.size) return undefined;
  let hex = '';
  for (let index = 0; index < descSize; index++) hex += view.getUint8(descStart + index).toString(16).padStart(2, '0');
  return hex;
}
