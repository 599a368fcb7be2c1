/**
 * Emits a C struct whose layout matches a tracepoint's format file, for the "insert ctx struct"
 * code action. Field types are rewritten when the printed type would not reproduce the printed
 * offset/size: syscall tracepoints print `int dfd` with size 8, kernel typedefs such as `umode_t`
 * are unknown without vmlinux.h, and enums have no fixed size in C.
 *
 * The output only needs `__u8`..`__s64`, which both <linux/types.h> and vmlinux.h provide.
 */
import { TracepointField, TracepointFormat } from './format';

export interface CtxStructOptions {
  /** Defaults to `<event>_ctx`, which does not collide with vmlinux.h's `trace_event_raw_*`. */
  structName?: string;
  /** Used only in the leading comment. */
  category?: string;
  /**
   * `fields` spells out the common header (works without vmlinux.h); `trace_entry` uses
   * vmlinux.h's `struct trace_entry ent;` when the header has the standard layout.
   */
  commonHeader?: 'fields' | 'trace_entry';
}

const BUILTIN_SIZES = new Map<string, number>([
  ['char', 1], ['signed char', 1], ['unsigned char', 1],
  ['short', 2], ['short int', 2], ['signed short', 2], ['unsigned short', 2], ['unsigned short int', 2],
  ['int', 4], ['signed', 4], ['signed int', 4], ['unsigned', 4], ['unsigned int', 4],
  ['long', 8], ['long int', 8], ['signed long', 8], ['unsigned long', 8], ['unsigned long int', 8],
  ['long long', 8], ['long long int', 8], ['unsigned long long', 8], ['unsigned long long int', 8],
  ['__u8', 1], ['__s8', 1], ['__u16', 2], ['__s16', 2], ['__u32', 4], ['__s32', 4], ['__u64', 8], ['__s64', 8],
]);

/** The header every record starts with, as `struct trace_entry` lays it out. */
const STANDARD_COMMON_HEADER = [
  { name: 'common_type', offset: 0, size: 2 },
  { name: 'common_flags', offset: 2, size: 1 },
  { name: 'common_preempt_count', offset: 3, size: 1 },
  { name: 'common_pid', offset: 4, size: 4 },
];

export function tracepointCtxStruct(format: TracepointFormat, options: CtxStructOptions = {}): string {
  const structName = options.structName ?? `${format.name.replace(/\W/g, '_')}_ctx`;
  const fields = [...format.fields].sort((a, b) => a.offset - b.offset);
  const lines: string[] = [];
  const where = options.category ? `${options.category}/${format.name}` : format.name;
  lines.push(format.id !== undefined
    ? `/* Record of tracepoint ${where} (ID ${format.id}), laid out as this kernel's tracefs format file says. */`
    : `/* Record of tracepoint ${where}, laid out from ${format.derivedFrom ?? 'a reconstructed layout'}. */`);
  lines.push(`struct ${structName} {`);

  let cursor = 0;
  let remaining = fields;
  const common = fields.filter((field) => field.common);
  if (options.commonHeader === 'trace_entry' && hasStandardCommonHeader(common)) {
    lines.push('\tstruct trace_entry ent;');
    cursor = 8;
    remaining = fields.filter((field) => !field.common);
  }

  remaining.forEach((field, index) => {
    if (field.offset < cursor) {
      // Overlapping fields would need a union; none of the kernel's events do this today.
      lines.push(`\t/* ${field.name} at offset ${field.offset} overlaps the previous field; omitted */`);
      return;
    }
    if (field.offset > cursor) lines.push(`\t__u8 __pad_${cursor}[${field.offset - cursor}];`);
    lines.push(`\t${memberDeclaration(field, index === remaining.length - 1)}`);
    cursor = field.offset + field.size;
  });
  lines.push('};');
  return lines.join('\n');
}

function hasStandardCommonHeader(common: TracepointField[]): boolean {
  return (
    common.length === STANDARD_COMMON_HEADER.length &&
    STANDARD_COMMON_HEADER.every((expected, index) => {
      const field = common[index];
      return field.name === expected.name && field.offset === expected.offset && field.size === expected.size;
    })
  );
}

function memberDeclaration(field: TracepointField, isLast: boolean): string {
  const original = field.type.trim();
  if (field.dynamic) {
    const how = field.dynamic.kind === 'data_loc' ? 'offset from record start' : 'offset from end of this field';
    const declaration = field.size === 4 ? `__u32 ${field.name};` : `${sizedBytes(field)};`;
    return `${declaration} /* ${original}: low 16 bits ${how}, high 16 bits length */`;
  }

  const isArray = field.arrayLength !== undefined || field.arrayLengthText !== undefined;
  if (isArray) {
    const length = field.arrayLength ?? 0;
    if (length === 0 && field.size === 0) {
      // A flexible tail: `[]` is only valid C as the last member, GNU `[0]` anywhere.
      const element = BUILTIN_SIZES.has(original) ? original : '__u8';
      return `${element} ${field.name}[${isLast ? '' : '0'}];`;
    }
    const elementSize = length > 0 ? field.size / length : 0;
    if (length > 0 && Number.isInteger(elementSize) && field.offset % Math.min(elementSize, 8) === 0) {
      if (BUILTIN_SIZES.get(original) === elementSize) return `${original} ${field.name}[${length}];`;
      const sized = sizedInteger(elementSize, field.signed);
      if (sized) return `${sized} ${field.name}[${length}]; /* ${original} */`;
    }
    return `${sizedBytes(field)}; /* ${original}[${field.arrayLength ?? field.arrayLengthText ?? ''}] */`;
  }

  if (original.endsWith('*')) {
    if (field.size === 8 && field.offset % 8 === 0) {
      if (isPortablePointer(original)) return `${spacePointer(original)}${field.name};`;
      return `void *${field.name}; /* ${original} */`;
    }
  } else if (BUILTIN_SIZES.get(original) === field.size && field.offset % field.size === 0) {
    return `${original} ${field.name};`;
  }

  const sized = sizedInteger(field.size, field.signed);
  if (sized && field.offset % field.size === 0) return `${sized} ${field.name}; /* ${original} */`;
  return `${sizedBytes(field)}; /* ${original} */`;
}

function sizedInteger(size: number, signed: boolean): string | undefined {
  if (size !== 1 && size !== 2 && size !== 4 && size !== 8) return undefined;
  return `__${signed ? 's' : 'u'}${size * 8}`;
}

/** Byte arrays have alignment 1, so they keep any offset the kernel printed. */
function sizedBytes(field: TracepointField): string {
  return `__u8 ${field.name}[${field.size}]`;
}

/**
 * Pointers to builtins, `void`, or to (possibly incomplete) structs/unions compile anywhere;
 * pointers to kernel typedefs need vmlinux.h, so they degrade to `void *`.
 */
function isPortablePointer(type: string): boolean {
  const pointee = type
    .replace(/\*/g, ' ')
    .replace(/\b(const|volatile|__user)\b/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (pointee === 'void' || BUILTIN_SIZES.has(pointee)) return true;
  return /^(struct|union) [A-Za-z_]\w*$/.test(pointee);
}

function spacePointer(type: string): string {
  const compact = type.replace(/\b__user\b/g, '').replace(/\s*\*\s*/g, '*').trim();
  return compact.replace(/\*/, ' *');
}
