/**
 * Turns a verifier quick fix (explain.ts: what to do, with names read from the log) into text
 * edits on the program's source. Pure: source text in, edits out, never throws; undefined when
 * the source does not have the shape the fix needs (the document changed since the verify, or
 * the code is written in a way we do not recognise), because a wrong edit is worse than none.
 *
 * Positions are 0-based lines and UTF-16 columns, as in LSP, so the server passes them through.
 * The analysis works on a "code mask" of the text: comments, string and character literals and
 * preprocessor lines blanked out with spaces, so braces and keywords inside them never count
 * and every offset in the mask is the same offset in the source.
 */
import type { QuickFix } from './explain';

export interface Position { line: number; character: number }
export interface TextEdit { range: { start: Position; end: Position }; newText: string }

export interface FixEdits {
  title: string;
  edits: TextEdit[];
  /** The fix the editor should offer first (apply with one keystroke). */
  preferred: boolean;
}

export interface FixContext {
  /** 1-based line of the diagnostic, used when the fix names none. */
  line?: number;
  /** The program's SEC() name: decides what a bail-out `return` in the program's function returns (XDP_PASS for XDP...). */
  section?: string;
  /** The program's (function's) name, to tell its function from the subprograms it calls. */
  program?: string;
}

export function computeFixEdits(sourceText: string, fix: QuickFix, context: FixContext = {}): FixEdits | undefined {
  try {
    const source = new SourceModel(sourceText);
    const line = (fix.line ?? context.line ?? 0) - 1;
    switch (fix.kind) {
      case 'insert-null-check': return nullCheck(source, fix, line, context);
      case 'use-probe-read': return probeRead(source, fix, line);
      case 'add-bounds-check': return boundsCheck(source, fix, line, context);
      case 'set-gpl-license': return gplLicense(source, fix);
      case 'move-to-percpu-array': return percpuScratch(source, fix, context);
      case 'release-reference': return releaseReference(source, fix, line);
      case 'replace-helper': return replaceHelper(source, fix, line);
      default: return undefined;
    }
  } catch {
    return undefined; // Unexpected source shapes mean no fix, never a crash in the server.
  }
}

/**
 * Renames the attach target in a program's `SEC("prefix/target")`, for "did you mean" on an
 * attach target the kernel does not have. Every SEC() with exactly that section string changes.
 */
export function computeAttachTargetEdits(sourceText: string, section: string, target: string): FixEdits | undefined {
  const slash = section.indexOf('/');
  if (slash < 0) return undefined;
  const replacement = `${section.slice(0, slash + 1)}${target}`;
  const source = new SourceModel(sourceText);
  const edits: TextEdit[] = [];
  const pattern = /\bSEC\s*\(\s*"([^"]*)"\s*\)/g;
  for (const match of source.maskWithStrings.matchAll(pattern)) {
    if (match[1] !== section) continue;
    const start = match.index! + match[0].indexOf('"') + 1;
    edits.push({ range: { start: source.positionAt(start), end: source.positionAt(start + section.length) }, newText: replacement });
  }
  return edits.length ? { title: `Attach to '${target}'`, edits, preferred: false } : undefined;
}

/** Applies non-overlapping edits (as an editor would) and returns the new text. */
export function applyTextEdits(text: string, edits: TextEdit[]): string {
  const lineStarts = [0];
  for (let index = 0; index < text.length; index++) if (text.charCodeAt(index) === 10) lineStarts.push(index + 1);
  const offset = (position: Position) => Math.min(text.length, (lineStarts[position.line] ?? text.length) + position.character);
  // Back to front, so earlier offsets stay valid; equal starts keep their given order.
  const ordered = edits.map((edit, order) => ({ edit, order, start: offset(edit.range.start), end: offset(edit.range.end) }))
    .sort((a, b) => b.start - a.start || b.order - a.order);
  let result = text;
  for (const { edit, start, end } of ordered) result = result.slice(0, start) + edit.newText + result.slice(end);
  return result;
}

// ---- the fixes ---------------------------------------------------------------------------------

type Fix<K extends QuickFix['kind']> = Extract<QuickFix, { kind: K }>;

function nullCheck(source: SourceModel, fix: Fix<'insert-null-check'>, line: number, context: FixContext): FixEdits | undefined {
  const variable = fix.variable;
  const uses = new RegExp(`\\b${variable}\\b`);
  // After the line that obtained the pointer when the log named it; else right before the use.
  if (fix.insertAfterLine !== undefined) {
    const anchor = fix.insertAfterLine - 1;
    if (!uses.test(source.codeLine(anchor))) return undefined;
    const end = source.statementEndLine(anchor);
    const fn = source.functionAt(anchor);
    if (end === undefined || !fn) return undefined;
    const indent = source.indentOf(anchor);
    return {
      title: fix.title, preferred: true,
      edits: [source.insertLinesAfter(end, [`${indent}if (!${variable})`, `${indent}${source.indentUnit}${returnStatement(fn, context)}`])],
    };
  }
  if (line < 0 || !uses.test(source.codeLine(line))) return undefined;
  const fn = source.functionAt(line);
  if (!fn) return undefined;
  const indent = source.indentOf(line);
  return {
    title: fix.title, preferred: true,
    edits: [source.insertLinesBefore(line, [`${indent}if (!${variable})`, `${indent}${source.indentUnit}${returnStatement(fn, context)}`])],
  };
}

function probeRead(source: SourceModel, fix: Fix<'use-probe-read'>, line: number): FixEdits | undefined {
  const pointer = fix.pointer;
  if (!pointer || line < 0) return undefined;
  const code = source.codeLine(line);
  const deref = dereferenceOf(code, pointer);
  if (!deref) return undefined;
  const expression = source.lineText(line).slice(deref.start, deref.end);
  const address = deref.form === 'star' ? pointer : `&${expression}`;
  const indent = source.indentOf(line);
  const helper = fix.helper;
  const title = `Read ${expression} with ${helper}()`;
  const comment = source.trailingComment(line);

  // `T name = <deref>;` → `T name;` + the read into it.
  const statement = code.trim();
  const declaration = new RegExp(`^((?:(?:const|volatile|unsigned|signed|struct|union|enum)\\s+)*${IDENT})((?:\\s*\\*)+\\s*|\\s+)(${IDENT})\\s*=\\s*`).exec(statement);
  const initializer = declaration ? statement.slice(declaration[0].length) : undefined;
  if (declaration && initializer === `${expression};` && !/^(?:return|goto)$/.test(declaration[1])) {
    const type = declaration[1].replace(/^const\s+/, '');
    const name = declaration[3];
    const stars = declaration[2].replace(/\s+/g, '');
    return {
      title, preferred: true,
      edits: [source.replaceLine(line, [`${indent}${type} ${stars}${name};${comment}`, `${indent}${helper}(&${name}, sizeof(${name}), ${address});`])],
    };
  }
  // `name = <deref>;` → the read into it.
  const assignment = new RegExp(`^(${IDENT}(?:\\.${IDENT})*)\\s*=\\s*`).exec(statement);
  if (assignment && statement.slice(assignment[0].length) === `${expression};`) {
    return { title, preferred: true, edits: [source.replaceLine(line, [`${indent}${helper}(&${assignment[1]}, sizeof(${assignment[1]}), ${address});${comment}`])] };
  }
  // Anywhere else in an expression: read into a new local first and use that.
  const local = source.freshName(`${pointer}_value`);
  return {
    title, preferred: true,
    edits: [
      source.insertLinesBefore(line, [
        `${indent}__typeof__(${expression}) ${local};`,
        // The cast drops a `const` the pointed-to type may carry: the helper writes the local.
        `${indent}${helper}((void *)&${local}, sizeof(${local}), ${address});`,
      ]),
      { range: { start: { line, character: deref.start }, end: { line, character: deref.end } }, newText: local },
    ],
  };
}

function boundsCheck(source: SourceModel, fix: Fix<'add-bounds-check'>, line: number, context: FixContext): FixEdits | undefined {
  if (line < 0) return undefined;
  const fn = source.functionAt(line);
  if (!fn) return undefined;
  const indent = source.indentOf(line);
  const unit = source.indentUnit;
  const variable = fix.variable;
  if (!variable || !new RegExp(`\\b${variable}\\b`).test(source.codeLine(line))) return undefined;
  const bail = returnStatement(fn, context);
  let lines: string[];
  switch (fix.target) {
    case 'index':
    case 'map-value': {
      if (fix.upperBound === undefined) return undefined;
      return indexCheck(source, fix, variable, fix.upperBound, line, bail);
    }
    case 'packet': {
      const end = dataEndExpression(source, fn, line);
      if (!end) return undefined;
      lines = [`${indent}if ((void *)(${variable} + 1) > ${end})`, `${indent}${unit}${bail}`];
      break;
    }
    case 'helper-size': {
      if (!fix.statement) return undefined;
      // The statement's own nesting is written with tabs; re-indent it in the file's style.
      lines = fix.statement.split('\n').map((text) => indent + text.replace(/^\t+/, (tabs) => unit.repeat(tabs.length)));
      break;
    }
  }
  return { title: fix.title, preferred: true, edits: [source.insertLinesBefore(line, lines)] };
}

/**
 * A check right before the access is not enough on its own: clang compares a zero-extended copy
 * of a 32-bit index and indexes with another, and the verifier cannot tell that both are the same
 * value. So the index goes through one 64-bit local, pinned in a register by an empty asm, and
 * both the check and the access use it. One unsigned comparison also rejects negative indexes,
 * which become huge when converted.
 */
function indexCheck(source: SourceModel, fix: Fix<'add-bounds-check'>, variable: string, upperBound: number, line: number, bail: string): FixEdits | undefined {
  const code = source.codeLine(line);
  const subscript = new RegExp(`\\[\\s*${variable}\\s*\\]`, 'g');
  const uses = [...code.matchAll(subscript)];
  if (uses.length === 0) return undefined;
  const indent = source.indentOf(line);
  const index = source.freshName(`${variable}_index`);
  const pin = /\bbpf_helpers\.h\b/.test(source.text) ? `barrier_var(${index});` : `asm volatile("" : "+r"(${index}));`;
  const edits: TextEdit[] = [source.insertLinesBefore(line, [
    `${indent}__u64 ${index} = ${variable};`,
    `${indent}${pin}`,
    `${indent}if (${index} >= ${upperBound})`,
    `${indent}${source.indentUnit}${bail}`,
  ])];
  for (const use of uses) {
    edits.push({ range: { start: { line, character: use.index! }, end: { line, character: use.index! + use[0].length } }, newText: `[${index}]` });
  }
  return { title: fix.title, preferred: true, edits };
}

function gplLicense(source: SourceModel, fix: Fix<'set-gpl-license'>): FixEdits | undefined {
  const declared = /\bSEC\s*\(\s*"license"\s*\)\s*=\s*"/.exec(source.maskWithStrings);
  if (declared) {
    // The string's content starts right after the quote the pattern ended on.
    const start = declared.index + declared[0].length;
    const end = source.text.indexOf('"', start);
    if (end < 0) return undefined;
    return {
      title: `Change the license to "${fix.license}"`, preferred: true,
      edits: [{ range: { start: source.positionAt(start), end: source.positionAt(end) }, newText: fix.license }],
    };
  }
  const name = source.freshName('LICENSE');
  const statement = fix.statement.replace('LICENSE', name);
  const end = source.positionAt(source.text.length);
  const separator = source.text.length === 0 || source.text.endsWith('\n') ? '' : source.eol;
  return { title: fix.title, preferred: true, edits: [{ range: { start: end, end }, newText: `${separator}${source.eol}${statement}${source.eol}` }] };
}

/**
 * Stack over 512 bytes: moves the largest local arrays into one-entry per-CPU array maps (each
 * CPU runs one program at a time, so the entry is private scratch space like the stack was),
 * enough of them to get under the limit when the kernel said how deep the stack was.
 */
function percpuScratch(source: SourceModel, fix: Fix<'move-to-percpu-array'>, context: FixContext): FixEdits | undefined {
  const arrays = source.localArrays().filter((array) => array.bytes !== undefined).sort((a, b) => b.bytes! - a.bytes! || a.line - b.line);
  if (arrays.length === 0) return undefined;
  const excess = fix.stackBytes !== undefined ? fix.stackBytes - fix.limit : 1;
  const chosen: LocalArray[] = [];
  let moved = 0;
  for (const array of arrays) {
    if (moved >= excess && chosen.length) break;
    chosen.push(array);
    moved += array.bytes!;
  }
  const edits: TextEdit[] = [];
  const taken = new Set<string>();
  const unit = source.indentUnit;
  for (const array of chosen) {
    const fn = array.fn;
    const mapName = source.freshName(`${fn.name}_${array.name}`, taken);
    const keyName = source.freshName(`${array.name}_key`, taken);
    taken.add(mapName).add(keyName);
    const headerLine = source.positionAt(fn.headerStart).line;
    edits.push(source.insertLinesBefore(headerLine, [
      'struct {',
      `${unit}__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);`,
      `${unit}__uint(max_entries, 1);`,
      `${unit}__type(key, __u32);`,
      `${unit}__type(value, ${array.elementType.replace(/\b(?:volatile|const)\s+/g, '')}[${array.length}]);`,
      `} ${mapName} SEC(".maps");`,
      '',
    ]));
    const indent = source.indentOf(array.line);
    const replacement = [
      `${indent}__u32 ${keyName} = 0;`,
      `${indent}${array.elementType} *${array.name} = bpf_map_lookup_elem(&${mapName}, &${keyName});`,
      '',
      `${indent}if (!${array.name})`,
      `${indent}${unit}${returnStatement(fn, context)}`,
    ];
    // The map entry keeps what the last run left in it; an initialised array has to be cleared.
    if (array.zeroed) replacement.push(`${indent}__builtin_memset((void *)${array.name}, 0, sizeof(*${array.name}) * ${array.length});`);
    edits.push(source.replaceLine(array.line, replacement));
    // `sizeof(buf)` was the array's size; on the pointer it would be 8.
    const sizeofPattern = new RegExp(`\\bsizeof\\s*\\(\\s*${array.name}\\s*\\)`, 'g');
    const body = source.mask.slice(fn.bodyOpen, fn.bodyClose);
    for (const match of body.matchAll(sizeofPattern)) {
      const start = fn.bodyOpen + match.index!;
      edits.push({ range: { start: source.positionAt(start), end: source.positionAt(start + match[0].length) }, newText: `(sizeof(*${array.name}) * ${array.length})` });
    }
  }
  const names = chosen.map((array) => `'${array.name}' (${array.bytes} bytes, in ${array.fn.name}())`).join(', ');
  return { title: `Move ${names} to a per-CPU array map`, preferred: true, edits: sortEdits(edits) };
}

/**
 * Adds the release on every return path after the acquisition where the reference is still
 * held: not where the pointer was just found NULL, not after a release in the same block. A
 * return after a release in a nested block is left alone: whether that path still holds the
 * reference cannot be read from the text.
 */
function releaseReference(source: SourceModel, fix: Fix<'release-reference'>, line: number): FixEdits | undefined {
  const variable = fix.variable;
  const acquiredBy = fix.acquiredBy;
  if (!variable || !fix.statement || !acquiredBy) return undefined;
  const anchorLine = fix.acquireLine !== undefined ? fix.acquireLine - 1 : line;
  const fn = source.functionAt(anchorLine);
  if (!fn) return undefined;
  const body = source.mask.slice(0, fn.bodyClose);
  const acquire = new RegExp(`\\b${variable}\\s*=\\s*(?:\\([^()]*\\)\\s*)?${acquiredBy}\\s*\\(`, 'g');
  acquire.lastIndex = fn.bodyOpen;
  const acquired = acquire.exec(body);
  if (!acquired) return undefined;
  const acquireEnd = source.statementEnd(acquired.index);
  if (acquireEnd === undefined) return undefined;

  const releases = new RegExp(`\\b(?:${[...new Set([fix.releaseFunction, ...RELEASES_OF[fix.releaseFunction] ?? []])].join('|')})\\s*\\(\\s*${variable}\\b`, 'g');
  const edits: TextEdit[] = [];
  for (const returned of returnsIn(source, acquireEnd, fn.bodyClose)) {
    const between = source.mask.slice(acquireEnd, returned.offset);
    let releasedBefore = false;
    let releasedElsewhere = false;
    for (const release of between.matchAll(releases)) {
      const at = acquireEnd + release.index!;
      const block = source.blockOf(at);
      if (block === returned.block) releasedBefore = true;
      // A release in a block that then returns ends its own path; any other leaves us unsure.
      else if (!source.returnsLaterInBlock(at, block)) releasedElsewhere = true;
    }
    if (releasedBefore || returned.guard?.nullTestOf(variable)) continue;
    if (releasedElsewhere) continue;
    edits.push(...releaseBeforeReturn(source, returned, fix.statement));
  }
  if (edits.length === 0) return undefined;
  return { title: fix.title, preferred: true, edits: sortEdits(edits) };
}

/** Further calls that give back what `releaseFunction` would (submitting a ring buffer record releases it too). */
const RELEASES_OF: Record<string, string[]> = {
  bpf_ringbuf_discard: ['bpf_ringbuf_submit'],
  bpf_ringbuf_discard_dynptr: ['bpf_ringbuf_submit_dynptr'],
};

function releaseBeforeReturn(source: SourceModel, returned: ReturnSite, statement: string): TextEdit[] {
  const position = source.positionAt(returned.offset);
  const returnEnd = source.statementEnd(returned.offset);
  if (returnEnd === undefined) return [];
  const returnText = source.text.slice(returned.offset, returnEnd);
  const lineText = source.lineText(position.line);
  const startsLine = lineText.slice(0, position.character).trim() === '';
  if (!returned.braceless) {
    if (startsLine) return [source.insertLinesBefore(position.line, [`${source.indentOf(position.line)}${statement}`])];
    return [{ range: { start: position, end: position }, newText: `${statement} ` }];
  }
  // The return is the whole body of an `if`/`else` without braces: it becomes a block.
  const headerLine = source.positionAt(returned.braceless.headerEnd).line;
  const endPosition = source.positionAt(returnEnd);
  const restOfLine = source.lineText(endPosition.line).slice(endPosition.character);
  if (startsLine && headerLine < position.line && restOfLine.trim() === '') {
    const outer = source.indentOf(headerLine);
    const inner = source.indentOf(position.line);
    const headerEnd = source.positionAt(returned.braceless.headerEnd);
    return [
      { range: { start: headerEnd, end: headerEnd }, newText: ' {' },
      source.replaceLine(position.line, [`${inner}${statement}`, `${inner}${returnText}`, `${outer}}`]),
    ];
  }
  return [{ range: { start: position, end: endPosition }, newText: `{ ${statement} ${returnText} }` }];
}

function replaceHelper(source: SourceModel, fix: Fix<'replace-helper'>, line: number): FixEdits | undefined {
  if (line < 0) return undefined;
  const at = new RegExp(`\\b${fix.from}(?=\\s*\\()`).exec(source.codeLine(line));
  if (!at) return undefined;
  return {
    title: fix.title, preferred: true,
    edits: [{ range: { start: { line, character: at.index }, end: { line, character: at.index + fix.from.length } }, newText: fix.to }],
  };
}

// ---- helpers on program structure --------------------------------------------------------------

const IDENT = '[A-Za-z_][A-Za-z0-9_]*';

/** What a bail-out path returns: nothing in a void function, "let it through" for packet programs, else 0. */
function returnStatement(fn: FunctionInfo, context: FixContext): string {
  if (fn.returnsVoid) return 'return;';
  // A subprogram's return value goes back to its caller, not to the kernel: 0 there.
  const section = (fn.section ?? (fn.name === context.program ? context.section : undefined) ?? '').split('/')[0];
  if (section === 'xdp' || section.startsWith('xdp.')) return 'return XDP_PASS;';
  // cgroup_skb: 1 lets the packet through; tc: 0 is TC_ACT_OK.
  if (section === 'cgroup_skb') return 'return 1;';
  return 'return 0;';
}

/** `data_end` as the function has it: a local of that name, or read from the XDP/tc context. */
function dataEndExpression(source: SourceModel, fn: FunctionInfo, line: number): string | undefined {
  const before = source.mask.slice(fn.bodyOpen, source.offsetAt({ line, character: 0 }));
  if (/\bdata_end\s*=/.test(before)) return 'data_end';
  const first = fn.params.split(',')[0]?.trim() ?? '';
  const context = new RegExp(`^struct\\s+(xdp_md|__sk_buff)\\s*\\*\\s*(${IDENT})$`).exec(first);
  return context ? `(void *)(long)${context[2]}->data_end` : undefined;
}

/** The pointer's dereference on a line: `*p`, `p[i]`, `p->a.b`, as a column range. */
function dereferenceOf(code: string, pointer: string): { start: number; end: number; form: 'star' | 'index' | 'arrow' } | undefined {
  const star = new RegExp(`(^|[^\\w)\\]\\s])(\\s*)\\*\\s*${pointer}\\b(?!\\s*(?:\\[|->))`).exec(code);
  const index = new RegExp(`\\b${pointer}\\s*\\[`).exec(code);
  const arrow = new RegExp(`\\b${pointer}\\s*->\\s*${IDENT}(?:\\s*\\.\\s*${IDENT})*`).exec(code);
  const found: { start: number; end: number; form: 'star' | 'index' | 'arrow' }[] = [];
  if (star) {
    const start = star.index + star[1].length + star[2].length;
    found.push({ start, end: star.index + star[0].length, form: 'star' });
  }
  if (index) {
    const close = matchingClose(code, index.index + index[0].length - 1, '[', ']');
    if (close !== undefined) found.push({ start: index.index, end: close + 1, form: 'index' });
  }
  if (arrow) found.push({ start: arrow.index, end: arrow.index + arrow[0].length, form: 'arrow' });
  found.sort((a, b) => a.start - b.start);
  return found[0];
}

function matchingClose(text: string, open: number, opening: string, closing: string): number | undefined {
  let depth = 0;
  for (let index = open; index < text.length; index++) {
    if (text[index] === opening) depth++;
    else if (text[index] === closing && --depth === 0) return index;
  }
  return undefined;
}

function sortEdits(edits: TextEdit[]): TextEdit[] {
  return edits.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
}

interface FunctionInfo {
  name: string;
  /** Offset where the declaration starts (its SEC() or return type). */
  headerStart: number;
  /** Offsets of the body's `{` and `}`. */
  bodyOpen: number;
  bodyClose: number;
  returnsVoid: boolean;
  section?: string;
  params: string;
}

interface LocalArray {
  fn: FunctionInfo;
  line: number;
  elementType: string;
  name: string;
  length: number;
  bytes?: number;
  zeroed: boolean;
}

interface Guard {
  /** Whether the condition tests this pointer for NULL (`!p`, `p == NULL`, `p == 0`). */
  nullTestOf(variable: string): boolean;
}

interface ReturnSite {
  offset: number;
  /** Offset of the `{` of the innermost block holding the return. */
  block: number;
  /** The `if` whose condition leads here when the return is its body or inside its block. */
  guard?: Guard;
  /** Set when the return is the brace-less body of an if/else/loop: where that header ends. */
  braceless?: { headerEnd: number };
}

const ELEMENT_BYTES: Record<string, number> = {
  char: 1, 'signed char': 1, 'unsigned char': 1, u8: 1, __u8: 1, s8: 1, __s8: 1, bool: 1, _Bool: 1,
  short: 2, 'unsigned short': 2, u16: 2, __u16: 2, s16: 2, __s16: 2, __be16: 2, __le16: 2,
  int: 4, 'unsigned int': 4, unsigned: 4, u32: 4, __u32: 4, s32: 4, __s32: 4, __be32: 4, __le32: 4, float: 4,
  long: 8, 'unsigned long': 8, 'long long': 8, 'unsigned long long': 8, u64: 8, __u64: 8, s64: 8, __s64: 8, __be64: 8, __le64: 8, double: 8,
};

/** Every `return` between two offsets, with its block, its guarding `if` and whether it stands without braces. */
function returnsIn(source: SourceModel, from: number, to: number): ReturnSite[] {
  const sites: ReturnSite[] = [];
  const pattern = /\breturn\b/g;
  pattern.lastIndex = from;
  for (let match = pattern.exec(source.mask); match && match.index < to; match = pattern.exec(source.mask)) {
    const offset = match.index;
    const block = source.blockOf(offset);
    const previous = source.previousToken(offset);
    let braceless: ReturnSite['braceless'];
    let guard: Guard | undefined;
    if (previous && (previous.text === ')' || previous.text === 'else')) {
      const header = previous.text === ')' ? source.controlHeaderEndingAt(previous.offset) : { keyword: 'else', condition: '' };
      if (header) {
        braceless = { headerEnd: previous.offset + previous.text.length };
        if (header.keyword === 'if') guard = conditionGuard(header.condition);
      }
    }
    if (!guard) {
      // Inside a braced `if (...) { ... return; }`: the condition of the block's header.
      const before = source.previousToken(block);
      const header = before?.text === ')' ? source.controlHeaderEndingAt(before.offset) : undefined;
      if (header?.keyword === 'if') guard = conditionGuard(header.condition);
    }
    sites.push({ offset, block, ...(guard ? { guard } : {}), ...(braceless ? { braceless } : {}) });
  }
  return sites;
}

function conditionGuard(condition: string): Guard {
  return {
    nullTestOf: (variable) => new RegExp(`!\\s*${variable}\\b|\\b${variable}\\s*==\\s*(?:NULL|0|\\(void\\s*\\*\\)\\s*0)\\b|\\b(?:NULL|0)\\s*==\\s*${variable}\\b`).test(condition),
  };
}

/** The text with its comments, literals and preprocessor lines blanked, plus line bookkeeping. */
class SourceModel {
  readonly eol: string;
  readonly lines: string[];
  /** Comments, literals' contents and preprocessor lines as spaces. */
  readonly mask: string;
  /** Comments and preprocessor lines as spaces; string literals kept (to find `SEC("license")`). */
  readonly maskWithStrings: string;
  readonly indentUnit: string;
  private readonly lineStarts: number[] = [0];
  private functionsCache?: FunctionInfo[];

  constructor(readonly text: string) {
    this.eol = text.includes('\r\n') ? '\r\n' : '\n';
    for (let index = 0; index < text.length; index++) if (text.charCodeAt(index) === 10) this.lineStarts.push(index + 1);
    this.lines = text.split('\n').map((line) => line.replace(/\r$/, ''));
    [this.mask, this.maskWithStrings] = maskCode(text);
    this.indentUnit = detectIndentUnit(this.lines);
  }

  lineText(line: number): string {
    return this.lines[line] ?? '';
  }

  /** The line as code only (comments and literals blanked). */
  codeLine(line: number): string {
    const start = this.lineStarts[line];
    if (start === undefined) return '';
    const end = this.lineStarts[line + 1] ?? this.mask.length;
    return this.mask.slice(start, end).replace(/\r?\n$/, '');
  }

  /** A comment after the code of a line, with the space before it (`' // why'`), or ''. */
  trailingComment(line: number): string {
    const code = this.codeLine(line).trimEnd();
    const rest = this.lineText(line).slice(code.length);
    return /^\s*(?:\/\/|\/\*)/.test(rest) ? ` ${rest.trim()}` : '';
  }

  indentOf(line: number): string {
    return /^[ \t]*/.exec(this.lineText(line))![0];
  }

  positionAt(offset: number): Position {
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this.lineStarts[middle] <= offset) low = middle;
      else high = middle - 1;
    }
    return { line: low, character: offset - this.lineStarts[low] };
  }

  offsetAt(position: Position): number {
    return (this.lineStarts[position.line] ?? this.text.length) + position.character;
  }

  insertLinesBefore(line: number, lines: string[]): TextEdit {
    const at = { line, character: 0 };
    return { range: { start: at, end: at }, newText: lines.map((text) => text + this.eol).join('') };
  }

  insertLinesAfter(line: number, lines: string[]): TextEdit {
    if (line + 1 < this.lineStarts.length) return this.insertLinesBefore(line + 1, lines);
    const end = { line, character: this.lineText(line).length };
    return { range: { start: end, end }, newText: lines.map((text) => this.eol + text).join('') };
  }

  /** Replaces a line's text (not its line break) with the given lines. */
  replaceLine(line: number, lines: string[]): TextEdit {
    return { range: { start: { line, character: 0 }, end: { line, character: this.lineText(line).length } }, newText: lines.join(this.eol) };
  }

  /** A name not used anywhere in the file (nor in `taken`): `base`, else `base2`, `base3`... */
  freshName(base: string, taken: Set<string> = new Set()): string {
    const used = (name: string) => taken.has(name) || new RegExp(`\\b${name}\\b`).test(this.mask);
    if (!used(base)) return base;
    for (let suffix = 2; ; suffix++) if (!used(`${base}${suffix}`)) return `${base}${suffix}`;
  }

  /** Offset just past the `;` ending the statement that contains `offset` (parentheses balanced). */
  statementEnd(offset: number): number | undefined {
    let depth = 0;
    for (let index = offset; index < this.mask.length; index++) {
      const c = this.mask[index];
      if (c === '(' || c === '[') depth++;
      else if (c === ')' || c === ']') depth--;
      else if (c === ';' && depth <= 0) return index + 1;
      else if ((c === '{' || c === '}') && depth <= 0) return undefined;
    }
    return undefined;
  }

  /** The line on which the statement starting on `line` ends. */
  statementEndLine(line: number): number | undefined {
    const end = this.statementEnd(this.offsetAt({ line, character: this.indentOf(line).length }));
    return end === undefined ? undefined : this.positionAt(end - 1).line;
  }

  functions(): FunctionInfo[] {
    if (this.functionsCache) return this.functionsCache;
    const functions: FunctionInfo[] = [];
    let depth = 0;
    let headerStart = 0;
    let open = -1;
    for (let index = 0; index < this.mask.length; index++) {
      const c = this.mask[index];
      if (c === '{') {
        if (depth === 0) open = index;
        depth++;
      } else if (c === '}') {
        depth--;
        if (depth === 0 && open >= 0) {
          const info = this.functionInfo(headerStart, open, index);
          if (info) functions.push(info);
          open = -1;
          headerStart = index + 1;
        }
      } else if (c === ';' && depth === 0) {
        headerStart = index + 1;
      }
    }
    return (this.functionsCache = functions);
  }

  functionAt(line: number): FunctionInfo | undefined {
    const offset = this.offsetAt({ line, character: 0 });
    return this.functions().find((fn) => fn.headerStart <= offset && offset <= fn.bodyClose);
  }

  /** Offset of the `{` of the innermost block around `offset` (-1 at file level). */
  blockOf(offset: number): number {
    const stack: number[] = [];
    for (let index = 0; index < offset; index++) {
      const c = this.mask[index];
      if (c === '{') stack.push(index);
      else if (c === '}') stack.pop();
    }
    return stack.length ? stack[stack.length - 1] : -1;
  }

  /** Whether a `return` follows `offset` directly in the block opened at `block` (not in a nested one). */
  returnsLaterInBlock(offset: number, block: number): boolean {
    const close = block >= 0 ? matchingClose(this.mask, block, '{', '}') : this.mask.length;
    if (close === undefined) return false;
    const pattern = /\breturn\b/g;
    pattern.lastIndex = offset;
    for (let match = pattern.exec(this.mask); match && match.index < close; match = pattern.exec(this.mask)) {
      if (this.blockOf(match.index) === block) return true;
    }
    return false;
  }

  /** The token right before `offset`: an identifier or one punctuation character. */
  previousToken(offset: number): { text: string; offset: number } | undefined {
    let index = offset - 1;
    while (index >= 0 && /\s/.test(this.mask[index])) index--;
    if (index < 0) return undefined;
    if (/\w/.test(this.mask[index])) {
      let start = index;
      while (start > 0 && /\w/.test(this.mask[start - 1])) start--;
      return { text: this.mask.slice(start, index + 1), offset: start };
    }
    return { text: this.mask[index], offset: index };
  }

  /** For a `)` closing `if (...)`, `while (...)` or `for (...)`: the keyword and the condition text. */
  controlHeaderEndingAt(close: number): { keyword: string; condition: string } | undefined {
    let depth = 0;
    for (let index = close; index >= 0; index--) {
      const c = this.mask[index];
      if (c === ')') depth++;
      else if (c === '(' && --depth === 0) {
        const keyword = this.previousToken(index);
        if (keyword && (keyword.text === 'if' || keyword.text === 'while' || keyword.text === 'for')) {
          return { keyword: keyword.text, condition: this.mask.slice(index + 1, close) };
        }
        return undefined;
      }
    }
    return undefined;
  }

  /** Local arrays with a constant length, declared alone on their line inside a function body. */
  localArrays(): LocalArray[] {
    const arrays: LocalArray[] = [];
    const declaration = new RegExp(
      `^\\s*((?:(?:volatile|const|unsigned|signed|struct|union|long|short)\\s+)*${IDENT})\\s+(${IDENT})\\s*\\[\\s*(\\d+)\\s*\\]\\s*(=\\s*\\{\\s*(?:0\\s*)?\\})?\\s*;\\s*$`);
    for (const fn of this.functions()) {
      const first = this.positionAt(fn.bodyOpen).line + 1;
      const last = this.positionAt(fn.bodyClose).line - 1;
      for (let line = first; line <= last; line++) {
        const match = declaration.exec(this.codeLine(line));
        if (!match || /^(?:return|goto|case)\b/.test(match[1])) continue;
        const elementType = match[1].trim();
        const length = Number(match[3]);
        const bare = elementType.replace(/\b(?:volatile|const)\s+/g, '').trim();
        const size = ELEMENT_BYTES[bare];
        arrays.push({ fn, line, elementType, name: match[2], length, ...(size !== undefined ? { bytes: size * length } : {}), zeroed: !!match[4] });
      }
    }
    return arrays;
  }

  private functionInfo(headerStart: number, open: number, close: number): FunctionInfo | undefined {
    const header = this.mask.slice(headerStart, open);
    const trimmed = header.trim();
    // `struct x {`, `enum {`, initialisers `= {`: not functions.
    if (!trimmed.endsWith(')') || /=/.test(trimmed) || /^(?:struct|union|enum)\b[^(]*$/.test(trimmed)) return undefined;
    const paramsClose = headerStart + header.lastIndexOf(')');
    let depth = 0;
    let paramsOpen = -1;
    for (let index = paramsClose; index >= headerStart; index--) {
      if (this.mask[index] === ')') depth++;
      else if (this.mask[index] === '(' && --depth === 0) { paramsOpen = index; break; }
    }
    if (paramsOpen < 0) return undefined;
    const beforeParams = this.mask.slice(headerStart, paramsOpen);
    const name = new RegExp(`(${IDENT})\\s*$`).exec(beforeParams)?.[1];
    if (!name) return undefined;
    const returnType = beforeParams.slice(0, beforeParams.length - name.length - (beforeParams.length - beforeParams.trimEnd().length));
    const section = /\bSEC\s*\(\s*"([^"]*)"\s*\)/.exec(this.maskWithStrings.slice(headerStart, open))?.[1];
    const leading = header.length - header.trimStart().length;
    return {
      name, headerStart: headerStart + leading, bodyOpen: open, bodyClose: close,
      returnsVoid: /\bvoid\s*$/.test(returnType.replace(/\bSEC\s*\([^)]*\)/, '')),
      ...(section !== undefined ? { section } : {}),
      params: this.mask.slice(paramsOpen + 1, paramsClose),
    };
  }
}

/** Blanks comments, literals and preprocessor lines, keeping every offset and line break. */
function maskCode(text: string): [string, string] {
  const code: string[] = [];
  const withStrings: string[] = [];
  const blank = (c: string) => (c === '\n' || c === '\r' ? c : ' ');
  let index = 0;
  let lineStart = true;
  while (index < text.length) {
    const c = text[index];
    const next = text[index + 1];
    if (lineStart && /^[ \t]*#/.test(text.slice(index, text.indexOf('\n', index) < 0 ? undefined : text.indexOf('\n', index)))) {
      // A preprocessor line, continued by backslashes.
      while (index < text.length) {
        const d = text[index];
        if (d === '\n' && text[index - 1] !== '\\' && !(text[index - 1] === '\r' && text[index - 2] === '\\')) break;
        code.push(blank(d)); withStrings.push(blank(d));
        index++;
      }
      continue;
    }
    if (c === '/' && next === '/') {
      while (index < text.length && text[index] !== '\n') { code.push(' '); withStrings.push(' '); index++; }
      continue;
    }
    if (c === '/' && next === '*') {
      const end = text.indexOf('*/', index + 2);
      const stop = end < 0 ? text.length : end + 2;
      for (; index < stop; index++) { code.push(blank(text[index])); withStrings.push(blank(text[index])); }
      continue;
    }
    if (c === '"' || c === '\'') {
      code.push(c); withStrings.push(c);
      index++;
      while (index < text.length && text[index] !== c && text[index] !== '\n') {
        if (text[index] === '\\' && index + 1 < text.length) {
          code.push(' ', ' '); withStrings.push(text[index], text[index + 1]);
          index += 2;
          continue;
        }
        code.push(' '); withStrings.push(text[index]);
        index++;
      }
      if (index < text.length && text[index] === c) { code.push(c); withStrings.push(c); index++; }
      lineStart = false;
      continue;
    }
    code.push(c); withStrings.push(c);
    if (c === '\n') lineStart = true;
    else if (c !== ' ' && c !== '\t') lineStart = false;
    index++;
  }
  return [code.join(''), withStrings.join('')];
}

/** The file's indentation step: a tab when lines indent with tabs, else the smallest run of spaces (4 by default). */
function detectIndentUnit(lines: string[]): string {
  let tabs = 0;
  let smallest = Infinity;
  for (const line of lines) {
    if (line.startsWith('\t')) tabs++;
    const spaces = /^( +)\S/.exec(line);
    if (spaces && !line.trimStart().startsWith('*')) smallest = Math.min(smallest, spaces[1].length);
  }
  if (tabs > 0) return '\t';
  return smallest === Infinity ? '    ' : ' '.repeat(Math.min(smallest, 8));
}
