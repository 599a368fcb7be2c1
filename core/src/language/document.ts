/**
 * Just enough C structure for the language service: tokens (with comments, strings and
 * preprocessor lines kept out of the way), every `SEC("...")` and the program declared after it.
 * This is not a C parser; it only has to find the handful of shapes BPF programs use:
 *
 *   SEC("kprobe/do_unlinkat") int BPF_KPROBE(handler, int dfd, struct filename *name) { ... }
 *   SEC("tp/sched/sched_switch") int on_switch(struct trace_event_raw_sched_switch *ctx) { ... }
 */
import { ParsedSection, parseSection } from '../sections/parse';

export type TokenKind = 'identifier' | 'string' | 'char' | 'number' | 'punctuation';

export interface Token {
  kind: TokenKind;
  start: number;
  end: number;
  text: string;
  /** A string or char literal that hit end of line before its closing quote (the user is typing). */
  unterminated?: boolean;
}

export interface TokenizedDocument {
  tokens: Token[];
  /** Comments and preprocessor lines, as [start, end) ranges. */
  skipped: { start: number; end: number; kind: 'line-comment' | 'block-comment' | 'preprocessor' }[];
}

const PROGRAM_MACROS = new Set([
  'BPF_KPROBE', 'BPF_KRETPROBE', 'BPF_KSYSCALL', 'BPF_KPROBE_SYSCALL', 'BPF_UPROBE', 'BPF_URETPROBE',
  'BPF_USDT', 'BPF_PROG', 'BPF_PROG2',
]);

export function tokenize(text: string): TokenizedDocument {
  const tokens: Token[] = [];
  const skipped: TokenizedDocument['skipped'] = [];
  let position = 0;
  let atLineStart = true;
  const length = text.length;

  while (position < length) {
    const char = text[position];
    if (char === '\n') {
      atLineStart = true;
      position++;
      continue;
    }
    if (char === ' ' || char === '\t' || char === '\r' || char === '\f' || char === '\v') {
      position++;
      continue;
    }
    if (char === '/' && text[position + 1] === '/') {
      const end = lineEnd(text, position);
      skipped.push({ start: position, end, kind: 'line-comment' });
      position = end;
      continue;
    }
    if (char === '/' && text[position + 1] === '*') {
      const close = text.indexOf('*/', position + 2);
      const end = close === -1 ? length + 1 : close + 2;
      skipped.push({ start: position, end, kind: 'block-comment' });
      position = Math.min(end, length);
      continue;
    }
    if (char === '#' && atLineStart) {
      // A directive runs to the end of the line, continued by trailing backslashes.
      let end = lineEnd(text, position);
      while (end < length && text[end - 1] === '\\') end = lineEnd(text, end + 1);
      skipped.push({ start: position, end, kind: 'preprocessor' });
      position = end;
      continue;
    }
    atLineStart = false;
    const start = position;
    if (char === '"' || char === "'") {
      position++;
      let terminated = false;
      while (position < length) {
        const current = text[position];
        if (current === '\\') {
          position += 2;
          continue;
        }
        if (current === '\n') break;
        position++;
        if (current === char) {
          terminated = true;
          break;
        }
      }
      if (position > length) position = length;
      tokens.push({
        kind: char === '"' ? 'string' : 'char',
        start,
        end: position,
        text: text.slice(start, position),
        ...(terminated ? {} : { unterminated: true }),
      });
      continue;
    }
    if (isIdentifierStart(char)) {
      position++;
      while (position < length && isIdentifierPart(text[position])) position++;
      tokens.push({ kind: 'identifier', start, end: position, text: text.slice(start, position) });
      continue;
    }
    if (isDigit(char)) {
      position++;
      while (position < length && (isIdentifierPart(text[position]) || text[position] === '.')) position++;
      tokens.push({ kind: 'number', start, end: position, text: text.slice(start, position) });
      continue;
    }
    const twoChars = text.slice(position, position + 2);
    const width = twoChars === '->' || twoChars === '::' ? 2 : 1;
    position += width;
    tokens.push({ kind: 'punctuation', start, end: position, text: text.slice(start, position) });
  }
  return { tokens, skipped };
}

function lineEnd(text: string, from: number): number {
  const newline = text.indexOf('\n', from);
  return newline === -1 ? text.length : newline;
}

function isIdentifierStart(char: string): boolean {
  return (char >= 'a' && char <= 'z') || (char >= 'A' && char <= 'Z') || char === '_';
}

function isIdentifierPart(char: string): boolean {
  return isIdentifierStart(char) || isDigit(char);
}

function isDigit(char: string): boolean {
  return char >= '0' && char <= '9';
}

export interface ProgramParameter {
  /** Declared type text, whitespace-normalized: `struct filename *`. */
  type: string;
  name: string;
  start: number;
  end: number;
}

export interface ProgramDeclaration {
  name: string;
  nameStart: number;
  nameEnd: number;
  /** `BPF_KPROBE` etc. when the program is declared through a bpf_tracing.h macro. */
  macro?: string;
  /** From the macro or function name up to and including the closing parenthesis: what a signature edit replaces. */
  signatureStart: number;
  signatureEnd: number;
  params: ProgramParameter[];
  /** Offsets of `{` and of the matching `}` (document end when unbalanced). */
  bodyStart?: number;
  bodyEnd?: number;
}

export interface SectionUse {
  /** Contents between the quotes. */
  text: string;
  /** Offset of the first character inside the quotes. */
  contentStart: number;
  contentEnd: number;
  /** Offset of the `SEC` identifier. */
  macroStart: number;
  unterminated: boolean;
  parsed: ParsedSection;
  program?: ProgramDeclaration;
}

export interface BpfDocument {
  text: string;
  tokens: Token[];
  skipped: TokenizedDocument['skipped'];
  sections: SectionUse[];
}

export function parseBpfDocument(text: string): BpfDocument {
  const { tokens, skipped } = tokenize(text);
  const sections: SectionUse[] = [];
  for (let index = 0; index + 2 < tokens.length; index++) {
    const token = tokens[index];
    if (token.kind !== 'identifier' || token.text !== 'SEC') continue;
    if (tokens[index + 1].text !== '(' || tokens[index + 2].kind !== 'string') continue;
    const literal = tokens[index + 2];
    const contentStart = literal.start + 1;
    const contentEnd = literal.unterminated ? literal.end : literal.end - 1;
    const content = text.slice(contentStart, contentEnd);
    const use: SectionUse = {
      text: content,
      contentStart,
      contentEnd,
      macroStart: token.start,
      unterminated: literal.unterminated === true,
      parsed: parseSection(content),
    };
    const closing = index + 3 < tokens.length && tokens[index + 3].text === ')' ? index + 4 : -1;
    if (closing !== -1) {
      const program = parseProgramAfter(tokens, closing, text.length);
      if (program) use.program = program;
    }
    sections.push(use);
  }
  return { text, tokens, skipped, sections };
}

/**
 * Reads `<return type> NAME(params)` or `<return type> MACRO(NAME, params)` starting at token
 * `from`, stopping at `;` (a declaration, or a map) or at the body's `{`.
 */
function parseProgramAfter(tokens: Token[], from: number, documentLength: number): ProgramDeclaration | undefined {
  let index = from;
  // The declarator is the first identifier directly followed by '(' (skipping `__attribute__((...))`).
  for (; index + 1 < tokens.length; index++) {
    const token = tokens[index];
    if (token.text === ';' || token.text === '{' || token.text === '=' || token.text === 'SEC') return undefined;
    if (token.kind === 'identifier' && token.text === '__attribute__') {
      index = matchingParen(tokens, index + 1);
      if (index === -1) return undefined;
      continue;
    }
    if (token.kind === 'identifier' && tokens[index + 1].text === '(') break;
  }
  if (index + 1 >= tokens.length) return undefined;
  const declarator = tokens[index];
  const open = index + 1;
  const close = matchingParen(tokens, open);
  if (close === -1) return undefined;

  const groups = splitArguments(tokens, open + 1, close);
  let name = declarator;
  let macro: string | undefined;
  let parameterGroups = groups;
  if (PROGRAM_MACROS.has(declarator.text)) {
    macro = declarator.text;
    const first = groups[0];
    if (!first || first.length !== 1 || first[0].kind !== 'identifier') return undefined;
    name = first[0];
    parameterGroups = groups.slice(1);
  }
  const params: ProgramParameter[] = [];
  for (const group of parameterGroups) {
    const param = parameterFrom(group);
    if (param) params.push(param);
  }
  const program: ProgramDeclaration = {
    name: name.text,
    nameStart: name.start,
    nameEnd: name.end,
    ...(macro ? { macro } : {}),
    signatureStart: declarator.start,
    signatureEnd: tokens[close].end,
    params,
  };
  const afterSignature = tokens[close + 1];
  if (afterSignature && afterSignature.text === '{') {
    program.bodyStart = afterSignature.start;
    const bodyClose = matchingBrace(tokens, close + 1);
    program.bodyEnd = bodyClose === -1 ? documentLength : tokens[bodyClose].start;
  }
  return program;
}

function matchingParen(tokens: Token[], open: number): number {
  return matching(tokens, open, '(', ')');
}

function matchingBrace(tokens: Token[], open: number): number {
  return matching(tokens, open, '{', '}');
}

function matching(tokens: Token[], open: number, opener: string, closer: string): number {
  if (tokens[open]?.text !== opener) return -1;
  let depth = 0;
  for (let index = open; index < tokens.length; index++) {
    const text = tokens[index].text;
    if (text === opener) depth++;
    else if (text === closer && --depth === 0) return index;
  }
  return -1;
}

/** Token groups between commas at nesting depth zero. */
function splitArguments(tokens: Token[], from: number, to: number): Token[][] {
  const groups: Token[][] = [];
  let current: Token[] = [];
  let depth = 0;
  for (let index = from; index < to; index++) {
    const token = tokens[index];
    if (token.text === '(' || token.text === '[' || token.text === '{') depth++;
    else if (token.text === ')' || token.text === ']' || token.text === '}') depth--;
    if (token.text === ',' && depth === 0) {
      groups.push(current);
      current = [];
      continue;
    }
    current.push(token);
  }
  if (current.length > 0 || groups.length > 0) groups.push(current);
  return groups;
}

function parameterFrom(group: Token[]): ProgramParameter | undefined {
  if (group.length < 2) return undefined;
  // The name is the last identifier outside brackets: `int dfd`, `const char *name`, `u64 arr[4]`.
  let nameIndex = group.length - 1;
  if (group[nameIndex].text === ']') {
    while (nameIndex > 0 && group[nameIndex].text !== '[') nameIndex--;
    nameIndex--;
  }
  const nameToken = group[nameIndex];
  if (!nameToken || nameToken.kind !== 'identifier') return undefined;
  const type = joinTokens(group.slice(0, nameIndex));
  if (type === '') return undefined;
  return { type, name: nameToken.text, start: group[0].start, end: group[group.length - 1].end };
}

/** Type text with C-ish spacing: `struct filename *`, `const char **`. */
export function joinTokens(tokens: Token[]): string {
  let result = '';
  for (const token of tokens) {
    if (result === '') result = token.text;
    else if (token.text === '*' && result.endsWith('*')) result += '*';
    else result += ` ${token.text}`;
  }
  return result;
}

/** The section whose string holds `offset` (between the quotes, end inclusive). */
export function sectionAt(document: BpfDocument, offset: number): SectionUse | undefined {
  return document.sections.find((use) => offset >= use.contentStart && offset <= use.contentEnd);
}

/** The program whose body holds `offset`. */
export function programAt(document: BpfDocument, offset: number): SectionUse | undefined {
  return document.sections.find(
    (use) => use.program?.bodyStart !== undefined && offset > use.program.bodyStart && offset <= (use.program.bodyEnd ?? 0),
  );
}

/** True when `offset` is inside a comment, a preprocessor line, or a string/char literal. */
export function isInCommentOrLiteral(document: BpfDocument, offset: number): boolean {
  for (const range of document.skipped) {
    // Line comments and directives end at the newline, and a cursor there is still inside them;
    // a block comment ends after `*/` (an unclosed one one past the document end).
    const inside = range.kind === 'block-comment' ? offset > range.start && offset < range.end : offset > range.start && offset <= range.end;
    if (inside) return true;
  }
  return document.tokens.some(
    (token) =>
      (token.kind === 'string' || token.kind === 'char') &&
      offset > token.start &&
      (offset < token.end || (token.unterminated === true && offset <= token.end)),
  );
}

/** Count of tokens that start before `offset` (tokens are in document order). */
export function tokensBefore(tokens: readonly Token[], offset: number): number {
  let low = 0;
  let high = tokens.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (tokens[middle].start < offset) low = middle + 1;
    else high = middle;
  }
  return low;
}
