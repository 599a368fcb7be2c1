/**
 * Parser for tracefs `events/<category>/<event>/format` files.
 *
 * The format file is the kernel's own description of the record a tracepoint program receives
 * as `ctx`: offsets and sizes here are the ground truth for the running kernel, unlike
 * vmlinux.h structs which may come from a different build.
 */

export interface ParseError {
  /** 1-based line in the input text. */
  line: number;
  message: string;
}

/** A dynamically sized field: the record holds a u32 locator, the payload lives after the fixed part. */
export interface DynamicFieldInfo {
  /**
   * `data_loc`: low 16 bits are the payload offset from the record start, high 16 bits its length.
   * `rel_loc`: same packing, but the offset counts from the end of the locator field itself.
   */
  kind: 'data_loc' | 'rel_loc';
  /** Element type of the payload, e.g. `char` for `__data_loc char[] filename`. */
  elementType: string;
  /** False for a single dynamic object such as `__data_loc cpumask_t`. */
  isArray: boolean;
}

export interface TracepointField {
  name: string;
  /** Type as tracefs prints it, minus the field's own array suffix: `const char *`, `__data_loc char[]`. */
  type: string;
  /** Fixed array length; 0 for a flexible `name[]`; absent for scalars. */
  arrayLength?: number;
  /** Set when the kernel printed a non-numeric array length (older kernels print macro names). */
  arrayLengthText?: string;
  offset: number;
  size: number;
  signed: boolean;
  /** True for the `common_*` header every record starts with. */
  common: boolean;
  dynamic?: DynamicFieldInfo;
}

export interface TracepointFormat {
  name: string;
  /** Absent when the layout was not read from tracefs (see `derivedFrom`). */
  id?: number;
  /** All fields in file order, common header included (see `common`). */
  fields: TracepointField[];
  /** The `print fmt:` line without its label, as printed by the kernel. */
  printFmt?: string;
  /**
   * Set when the layout was reconstructed rather than read from the format file (tracefs not
   * readable): says from what, and what is uncertain. Shown wherever the layout is.
   */
  derivedFrom?: string;
}

/** `ID 123`, or where a reconstructed layout came from: the headline of a layout. */
export function formatOrigin(format: TracepointFormat): string {
  return format.id !== undefined ? `ID ${format.id}` : format.derivedFrom ?? 'layout not from tracefs';
}

export interface FormatParseResult {
  event?: TracepointFormat;
  errors: ParseError[];
}

const FIELD_ATTRIBUTE = /^\s*(offset|size|signed)\s*:\s*(-?\d+)\s*$/;
const DECLARATION_TAIL = /^(.*?)\s*\b([A-Za-z_]\w*)\s*(?:\[\s*([^\]]*?)\s*\])?$/;

export function parseFormatFile(text: string): FormatParseResult {
  const errors: ParseError[] = [];
  let name: string | undefined;
  let id: number | undefined;
  let printFmt: string | undefined;
  const fields: TracepointField[] = [];
  const lines = text.split('\n');

  for (let index = 0; index < lines.length; index++) {
    const line = lines[index].replace(/\r$/, '');
    const lineNumber = index + 1;
    const trimmed = line.trim();
    if (trimmed === '' || trimmed === 'format:') continue;

    if (trimmed.startsWith('name:')) {
      name = trimmed.slice('name:'.length).trim();
    } else if (trimmed.startsWith('ID:')) {
      const value = trimmed.slice('ID:'.length).trim();
      if (/^\d+$/.test(value)) id = Number(value);
      else errors.push({ line: lineNumber, message: `ID is not a number: "${value}"` });
    } else if (trimmed.startsWith('field:')) {
      const field = parseFieldLine(trimmed, lineNumber, errors);
      if (field) fields.push(field);
    } else if (trimmed.startsWith('print fmt:')) {
      // Some print formats span lines in theory; the kernel prints one line, keep the rest verbatim.
      printFmt = [trimmed.slice('print fmt:'.length).trim(), ...lines.slice(index + 1)]
        .join('\n')
        .replace(/\s+$/, '');
      break;
    } else {
      errors.push({ line: lineNumber, message: `unrecognized line: "${truncate(trimmed)}"` });
    }
  }

  if (name === undefined) errors.push({ line: 1, message: 'missing "name:" line' });
  if (id === undefined) errors.push({ line: 1, message: 'missing "ID:" line' });
  if (name === undefined || id === undefined) return { errors };
  return { event: { name, id, fields, ...(printFmt !== undefined ? { printFmt } : {}) }, errors };
}

function parseFieldLine(line: string, lineNumber: number, errors: ParseError[]): TracepointField | undefined {
  // `field:<declaration>;\toffset:N;\tsize:N;\tsigned:N;` — the declaration never holds ';'.
  const parts = line.slice('field:'.length).split(';');
  const declaration = parts[0].trim();
  const attributes: Record<string, number> = {};
  for (const part of parts.slice(1)) {
    if (part.trim() === '') continue;
    const match = FIELD_ATTRIBUTE.exec(part);
    if (!match) {
      errors.push({ line: lineNumber, message: `unrecognized field attribute: "${truncate(part.trim())}"` });
      continue;
    }
    attributes[match[1]] = Number(match[2]);
  }
  if (attributes.offset === undefined || attributes.size === undefined) {
    errors.push({ line: lineNumber, message: 'field without offset or size' });
    return undefined;
  }
  const match = DECLARATION_TAIL.exec(declaration);
  if (!match || match[1] === '') {
    errors.push({ line: lineNumber, message: `cannot split field declaration into type and name: "${truncate(declaration)}"` });
    return undefined;
  }
  const [, type, fieldName, lengthText] = match;
  const field: TracepointField = {
    name: fieldName,
    type,
    offset: attributes.offset,
    size: attributes.size,
    // Kernels before 2.6.3x omit `signed:`; unsigned is the safe reading for byte offsets.
    signed: attributes.signed === 1,
    common: fieldName.startsWith('common_'),
  };
  if (lengthText !== undefined) {
    if (lengthText === '') field.arrayLength = 0;
    else if (/^\d+$/.test(lengthText)) field.arrayLength = Number(lengthText);
    else field.arrayLengthText = lengthText;
  }
  const dynamic = dynamicInfo(type);
  if (dynamic) field.dynamic = dynamic;
  return field;
}

function dynamicInfo(type: string): DynamicFieldInfo | undefined {
  const match = /^__(data|rel)_loc\s+(.*?)\s*(\[\s*\])?$/.exec(type);
  if (!match) return undefined;
  return { kind: match[1] === 'data' ? 'data_loc' : 'rel_loc', elementType: match[2], isArray: match[3] !== undefined };
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Fields a program author cares about: everything after the common header. */
export function eventFields(format: TracepointFormat): TracepointField[] {
  return format.fields.filter((field) => !field.common);
}

/** C-like declaration of a field as the kernel printed it, e.g. `unsigned long caller[8]`. */
export function fieldDeclaration(field: TracepointField): string {
  const separator = field.type.endsWith('*') ? '' : ' ';
  const suffix =
    field.arrayLength !== undefined
      ? `[${field.arrayLength === 0 ? '' : field.arrayLength}]`
      : field.arrayLengthText !== undefined
        ? `[${field.arrayLengthText}]`
        : '';
  return `${field.type}${separator}${field.name}${suffix}`;
}

/**
 * `available_events` lists every `category:event` in one read; a remote target can send it
 * cheaply and fetch individual format files on demand.
 */
export function parseAvailableEvents(text: string): { entries: { category: string; event: string }[]; errors: ParseError[] } {
  const entries: { category: string; event: string }[] = [];
  const errors: ParseError[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '') return;
    const colon = line.indexOf(':');
    if (colon <= 0 || colon === line.length - 1 || line.indexOf(':', colon + 1) !== -1) {
      errors.push({ line: index + 1, message: `expected "category:event", got "${truncate(line)}"` });
      return;
    }
    entries.push({ category: line.slice(0, colon), event: line.slice(colon + 1) });
  });
  return { entries, errors };
}
