/**
 * Splits a SEC() string into the libbpf definition it selects and its attach target, with the
 * offsets of every part so the language service can point diagnostics at the exact characters.
 */
import { DATA_SECTIONS, SECTION_DEFS, SectionDef } from './definitions';

export interface SectionError {
  /** Offsets within the section text. */
  start: number;
  end: number;
  message: string;
  code: 'empty-section' | 'unknown-section' | 'unexpected-target' | 'missing-target' | 'malformed-target';
}

/** A part of the target with its offsets within the section text. */
export interface SectionPart {
  text: string;
  start: number;
  end: number;
}

export interface ParsedTarget {
  /** Everything after `prefix/`. */
  raw: SectionPart;
  /** tracepoint: category. */
  category?: SectionPart;
  /** tracepoint: event; raw_tp/tp_btf: the tracepoint name. */
  event?: SectionPart;
  /** kprobe/fentry/lsm/ksyscall/iter: the name; uprobe: the symbol. */
  name?: SectionPart;
  /** fentry `module:function`. */
  module?: SectionPart;
  /** kprobe `func+0x10`, uprobe `sym+16`. */
  offset?: SectionPart;
  /** uprobe/usdt: the binary path or library name. */
  binary?: SectionPart;
  /** usdt: the provider. */
  provider?: SectionPart;
}

export interface ParsedSection {
  /** False for `SEC("?...")`: libbpf creates the program but does not load it unless asked. */
  autoload: boolean;
  /** The matched definition's prefix, or the text before the first '/' when nothing matched. */
  prefix: string;
  def?: SectionDef;
  /** A recognized data section (.maps, license, ...). */
  dataSection?: string;
  target?: ParsedTarget;
  errors: SectionError[];
}

export function findSectionDef(text: string): SectionDef | undefined {
  for (const candidate of SECTION_DEFS) {
    if (text === candidate.prefix) return candidate;
    if (candidate.target !== 'none' && text.startsWith(candidate.prefix + '/')) return candidate;
  }
  return undefined;
}

export function findDataSection(text: string): string | undefined {
  for (const data of DATA_SECTIONS) {
    if (text === data.name) return data.name;
    if (data.name.endsWith('.') && text.startsWith(data.name) && text.length > data.name.length) return data.name;
  }
  return undefined;
}

export function parseSection(text: string): ParsedSection {
  if (!text.startsWith('?')) return parseLoadableSection(text);
  // Offsets stay relative to the full text, '?' included, so callers can map them unchanged.
  const inner = parseLoadableSection(text.slice(1));
  const shift = <T extends { start: number; end: number }>(part: T): T => ({ ...part, start: part.start + 1, end: part.end + 1 });
  const target = inner.target;
  if (target) {
    for (const key of Object.keys(target) as (keyof ParsedTarget)[]) {
      const part = target[key];
      if (part) target[key] = shift(part);
    }
  }
  return { ...inner, autoload: false, errors: inner.errors.map(shift), ...(target ? { target } : {}) };
}

function parseLoadableSection(text: string): ParsedSection {
  const errors: SectionError[] = [];
  if (text.length === 0) {
    errors.push({ start: 0, end: 0, message: 'empty section name', code: 'empty-section' });
    return { prefix: '', autoload: true, errors };
  }
  const dataSection = findDataSection(text);
  if (dataSection) return { prefix: text, autoload: true, dataSection, errors };

  const matched = findSectionDef(text);
  if (!matched) {
    const slash = text.indexOf('/');
    const prefix = slash === -1 ? text : text.slice(0, slash);
    // A fixed-name section with something appended (`xdp/eth0`) is a distinct, common mistake.
    const fixed = SECTION_DEFS.find((candidate) => candidate.target === 'none' && candidate.prefix === prefix);
    if (fixed) {
      errors.push({
        start: prefix.length,
        end: text.length,
        code: 'unexpected-target',
        message: `SEC("${prefix}") takes nothing after it; libbpf does not recognize "${text}"`,
      });
    } else {
      errors.push({ start: 0, end: prefix.length, code: 'unknown-section', message: `libbpf knows no program section "${prefix}"` });
    }
    return { prefix, autoload: true, errors };
  }

  const result: ParsedSection = { prefix: matched.prefix, autoload: true, def: matched, errors };
  if (text.length === matched.prefix.length) {
    if (matched.targetRequired === 'required') {
      errors.push({
        start: 0,
        end: text.length,
        code: 'missing-target',
        message: `SEC("${matched.prefix}") needs a target ("${matched.example ?? matched.prefix + '/...'}") unless the loader sets one before load`,
      });
    }
    return result;
  }
  const rawStart = matched.prefix.length + 1;
  const raw = part(text, rawStart, text.length);
  const target: ParsedTarget = { raw };
  result.target = target;
  if (raw.text.length === 0) {
    errors.push({ start: rawStart, end: rawStart, code: 'missing-target', message: `nothing after "${matched.prefix}/"` });
    return result;
  }
  splitTarget(matched, text, rawStart, target, errors);
  return result;
}

function splitTarget(matched: SectionDef, text: string, start: number, target: ParsedTarget, errors: SectionError[]): void {
  const raw = target.raw.text;
  switch (matched.target) {
    case 'tracepoint': {
      const slash = raw.indexOf('/');
      if (slash === -1) {
        target.category = part(text, start, text.length);
        errors.push({ start, end: text.length, code: 'malformed-target', message: 'expected "category/event" after the prefix' });
        return;
      }
      target.category = part(text, start, start + slash);
      target.event = part(text, start + slash + 1, text.length);
      if (target.category.text === '' || target.event.text === '' || target.event.text.includes('/')) {
        errors.push({ start, end: text.length, code: 'malformed-target', message: 'expected "category/event" after the prefix' });
      }
      return;
    }
    case 'raw-tracepoint':
      target.event = target.raw;
      return;
    case 'kernel-function': {
      // kprobe takes `func+offset`; the BTF-based ones take `[module:]func`.
      const colon = raw.indexOf(':');
      let nameStart = start;
      if (colon !== -1 && matched.programMacro === 'BPF_PROG') {
        target.module = part(text, start, start + colon);
        nameStart = start + colon + 1;
      }
      const plus = text.indexOf('+', nameStart);
      if (plus !== -1) {
        target.name = part(text, nameStart, plus);
        target.offset = part(text, plus + 1, text.length);
        if (matched.prefix !== 'kprobe' || !/^(0x[0-9a-fA-F]+|\d+)$/.test(target.offset.text)) {
          errors.push({ start: plus, end: text.length, code: 'malformed-target', message: 'only kprobe accepts "+offset", and it must be a number' });
        }
      } else {
        target.name = part(text, nameStart, text.length);
      }
      if (!/^[A-Za-z_][\w.]*$/.test(target.name.text)) {
        errors.push({ start: target.name.start, end: target.name.end, code: 'malformed-target', message: `"${target.name.text}" is not a function name` });
      }
      return;
    }
    case 'uprobe':
    case 'uprobe-pattern': {
      // The binary may itself contain ':' only in theory; libbpf splits at the last one.
      const colon = raw.lastIndexOf(':');
      if (colon === -1) {
        target.binary = target.raw;
        errors.push({ start, end: text.length, code: 'malformed-target', message: 'expected "binary:function" after the prefix' });
        return;
      }
      target.binary = part(text, start, start + colon);
      const symbolStart = start + colon + 1;
      const plus = matched.target === 'uprobe' ? text.indexOf('+', symbolStart) : -1;
      if (plus !== -1) {
        target.name = part(text, symbolStart, plus);
        target.offset = part(text, plus + 1, text.length);
      } else {
        target.name = part(text, symbolStart, text.length);
      }
      if (target.binary.text === '' || target.name.text === '') {
        errors.push({ start, end: text.length, code: 'malformed-target', message: 'expected "binary:function" after the prefix' });
      }
      return;
    }
    case 'usdt': {
      const pieces = raw.split(':');
      if (pieces.length !== 3 || pieces.some((piece) => piece === '')) {
        errors.push({ start, end: text.length, code: 'malformed-target', message: 'expected "binary:provider:name" after the prefix' });
      }
      let cursor = start;
      const [binary, provider, name] = pieces.map((piece) => {
        const piecePart = part(text, cursor, cursor + piece.length);
        cursor += piece.length + 1;
        return piecePart;
      });
      target.binary = binary;
      if (provider) target.provider = provider;
      if (name) target.name = name;
      return;
    }
    default:
      target.name = target.raw;
  }
}

function part(text: string, start: number, end: number): SectionPart {
  return { text: text.slice(start, end), start, end };
}

/** Definitions whose prefix starts with `typed`, aliases after their canonical spelling. */
export function sectionPrefixesStartingWith(typed: string): SectionDef[] {
  return SECTION_DEFS.filter((candidate) => candidate.prefix.startsWith(typed));
}
