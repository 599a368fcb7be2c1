/**
 * Member completion from the kernel's BTF: `task->`, `task->mm->`, `file->f_path.`, and the
 * member arguments of the CO-RE read macros, `BPF_CORE_READ(task, real_parent, |)`, where
 * clang-based tools see only a macro argument and offer nothing. Inside a tracepoint program,
 * `ctx->` offers the fields of the tracepoint's format file instead.
 *
 * Types come from declarations in the document (parameters, locals, globals: `struct X *name`)
 * and from there member by member through BTF; no C type checking beyond that.
 */
import { TracepointField, eventFields, fieldDeclaration } from '../tracefs/format';
import { BtfParameter, KernelCatalog } from './catalog';
import type { CompletionItem, CompletionList } from './completion';
import { BpfDocument, Token, programAt, tokensBefore } from './document';

/** The CO-RE/probe read macros, with the position of their source-pointer argument. */
const READ_MACROS: Readonly<Record<string, number>> = {
  BPF_CORE_READ: 0,
  BPF_CORE_READ_USER: 0,
  BPF_PROBE_READ: 0,
  BPF_PROBE_READ_USER: 0,
  BPF_CORE_READ_BITFIELD: 0,
  BPF_CORE_READ_BITFIELD_PROBED: 0,
  BPF_CORE_READ_INTO: 1,
  BPF_CORE_READ_USER_INTO: 1,
  BPF_PROBE_READ_INTO: 1,
  BPF_PROBE_READ_USER_INTO: 1,
  BPF_CORE_READ_STR_INTO: 1,
  BPF_CORE_READ_USER_STR_INTO: 1,
  BPF_PROBE_READ_STR_INTO: 1,
  BPF_PROBE_READ_USER_STR_INTO: 1,
};

/** Words that can stand before a declared name but are not types. */
const NOT_TYPES = new Set(['return', 'sizeof', 'case', 'goto', 'else', 'do', 'typeof', '__typeof__', 'if', 'while', 'for', 'switch']);

/** A struct/union (or typedef of one) as BTF names it; pointer levels do not matter for member lists. */
interface Aggregate {
  name: string;
}

type Range = { start: number; end: number };

export function completeMember(document: BpfDocument, offset: number, catalog: KernelCatalog): CompletionList | undefined {
  const tokens = document.tokens;
  let last = tokensBefore(tokens, offset) - 1;
  let partial = '';
  if (last >= 0 && tokens[last].kind === 'identifier' && tokens[last].end === offset) {
    partial = tokens[last].text;
    last--;
  }
  if (last < 0) return undefined;
  const range = { start: offset - partial.length, end: offset };
  const operator = tokens[last].text;
  if (operator === '->' || operator === '.') {
    const chain = readChain(tokens, last);
    const members = chain ? membersAfterChain(document, chain.root, chain.steps, offset, catalog, range) : undefined;
    // `BPF_CORE_READ(file, f_path.|)`: a member path inside a macro argument, not an expression.
    return members ?? membersInReadMacro(document, tokens, last + 1, offset, catalog, range);
  }
  if (operator === ',' || operator === '(') return membersInReadMacro(document, tokens, last + 1, offset, catalog, range);
  return undefined;
}

/**
 * Walks `a->b.c[i]->` backwards from the operator at `operatorIndex` (inclusive): the root
 * identifier and the member names after it, in order.
 */
function readChain(tokens: Token[], operatorIndex: number): { root: Token; steps: string[] } | undefined {
  const steps: string[] = [];
  let index = operatorIndex - 1;
  for (;;) {
    // Skip array subscripts: `files[0].`.
    while (index >= 0 && tokens[index].text === ']') {
      let depth = 0;
      for (; index >= 0; index--) {
        if (tokens[index].text === ']') depth++;
        else if (tokens[index].text === '[' && --depth === 0) break;
      }
      index--;
    }
    const name = tokens[index];
    if (!name || name.kind !== 'identifier') return undefined;
    const before = tokens[index - 1];
    if (before && (before.text === '->' || before.text === '.')) {
      steps.unshift(name.text);
      index -= 2;
      continue;
    }
    return { root: name, steps };
  }
}

function membersAfterChain(
  document: BpfDocument,
  root: Token,
  steps: string[],
  offset: number,
  catalog: KernelCatalog,
  range: Range,
): CompletionList | undefined {
  const declared = declaredType(document, root.text, root.start, offset);
  const aggregate = declared ? walk(aggregateOf(declared.type), steps, catalog) : undefined;
  const members = aggregate ? structMembers(aggregate, catalog) : undefined;
  if (members) return { items: members.map((member, index) => memberItem(member, index, range)), isIncomplete: false };
  // A tracepoint program's context: `void *ctx` or our generated record struct, neither in BTF.
  if (steps.length > 0) return undefined;
  const use = programAt(document, offset);
  const program = use?.program;
  if (!use || !program) return undefined;
  const param = program.params.find((candidate) => candidate.name === root.text);
  const isContext = param ? program.params[0] === param : root.text === 'ctx';
  const parsed = use.parsed;
  if (!isContext || parsed.def?.target !== 'tracepoint' || !parsed.target?.category || !parsed.target.event) return undefined;
  const format = catalog.tracepoints?.get(parsed.target.category.text, parsed.target.event.text)?.format;
  if (!format) return undefined;
  return { items: eventFields(format).map((field, index) => fieldItem(field, index, range)), isIncomplete: false };
}

/**
 * `BPF_CORE_READ(src, a, b.c, |)`: the member arguments after the source pointer each
 * dereference once more (`src->a->b.c->`); the argument being typed may itself be `x.y.`.
 */
function membersInReadMacro(
  document: BpfDocument,
  tokens: Token[],
  end: number,
  offset: number,
  catalog: KernelCatalog,
  range: Range,
): CompletionList | undefined {
  const call = enclosingCall(tokens, end);
  if (!call) return undefined;
  const sourceIndex = READ_MACROS[call.name];
  if (sourceIndex === undefined || call.args.length <= sourceIndex + 1) return undefined;
  const source = call.args[sourceIndex];
  let aggregate = expressionType(document, source, offset, catalog);
  for (const arg of call.args.slice(sourceIndex + 1, -1)) {
    const path = memberPath(arg);
    if (!aggregate || !path) return undefined;
    aggregate = walk(aggregate, path, catalog);
  }
  // The argument being typed: everything before the partial name, which must end in `.` or be empty.
  const current = call.args[call.args.length - 1];
  if (current.length > 0) {
    if (current[current.length - 1].text !== '.') return undefined;
    const path = memberPath(current.slice(0, -1));
    if (!aggregate || !path) return undefined;
    aggregate = walk(aggregate, path, catalog);
  }
  const members = aggregate ? structMembers(aggregate, catalog) : undefined;
  if (!members) return undefined;
  return { items: members.map((member, index) => memberItem(member, index, range)), isIncomplete: false };
}

/** The innermost call whose `(` is still open at token `end`, with its arguments as token groups (the last one possibly empty). */
function enclosingCall(tokens: Token[], end: number): { name: string; args: Token[][] } | undefined {
  let depth = 0;
  for (let index = end - 1; index >= 0; index--) {
    const text = tokens[index].text;
    if (text === ')' || text === ']' || text === '}') depth++;
    else if (text === '(' || text === '[' || text === '{') {
      if (depth > 0) {
        depth--;
        continue;
      }
      const callee = tokens[index - 1];
      if (text !== '(' || !callee || callee.kind !== 'identifier') return undefined;
      return { name: callee.text, args: splitTopLevel(tokens, index + 1, end) };
    } else if (text === ';' && depth === 0) return undefined;
  }
  return undefined;
}

function splitTopLevel(tokens: Token[], from: number, to: number): Token[][] {
  const groups: Token[][] = [[]];
  let depth = 0;
  for (let index = from; index < to; index++) {
    const token = tokens[index];
    if (token.text === '(' || token.text === '[' || token.text === '{') depth++;
    else if (token.text === ')' || token.text === ']' || token.text === '}') depth--;
    if (token.text === ',' && depth === 0) groups.push([]);
    else groups[groups.length - 1].push(token);
  }
  return groups;
}

/** `a.b.c` as member names; undefined for anything else. */
function memberPath(group: Token[]): string[] | undefined {
  const names: string[] = [];
  for (let index = 0; index < group.length; index++) {
    const token = group[index];
    if (index % 2 === 0) {
      if (token.kind !== 'identifier') return undefined;
      names.push(token.text);
    } else if (token.text !== '.') return undefined;
  }
  return names.length > 0 && group.length % 2 === 1 ? names : undefined;
}

/** Type of a macro's source argument: `(struct X *)expr`, `name`, or `name->a.b`, `&name->a`. */
function expressionType(document: BpfDocument, group: Token[], offset: number, catalog: KernelCatalog): Aggregate | undefined {
  let tokens = group;
  if (tokens[0]?.text === '&') tokens = tokens.slice(1);
  if (tokens[0]?.text === '(') {
    // A cast: `(struct task_struct *)bpf_get_current_task()`.
    const close = tokens.findIndex((token) => token.text === ')');
    const type = close > 1 ? typeFromTokens(tokens.slice(1, close)) : undefined;
    return type ? aggregateOf(type) : undefined;
  }
  const root = tokens[0];
  if (!root || root.kind !== 'identifier') return undefined;
  const steps: string[] = [];
  for (let index = 1; index + 1 < tokens.length; index += 2) {
    if ((tokens[index].text !== '->' && tokens[index].text !== '.') || tokens[index + 1].kind !== 'identifier') return undefined;
    steps.push(tokens[index + 1].text);
  }
  if (tokens.length % 2 === 0) return undefined;
  const declared = declaredType(document, root.text, root.start, offset);
  return declared ? walk(aggregateOf(declared.type), steps, catalog) : undefined;
}

/** Follows member names through BTF; undefined as soon as one is unknown or not an aggregate. */
function walk(start: Aggregate | undefined, steps: string[], catalog: KernelCatalog): Aggregate | undefined {
  let aggregate = start;
  for (const step of steps) {
    if (!aggregate) return undefined;
    const member = structMembers(aggregate, catalog)?.find((candidate) => candidate.name === step);
    aggregate = member ? aggregateOf(member.type) : undefined;
  }
  return aggregate;
}

function structMembers(aggregate: Aggregate, catalog: KernelCatalog): BtfParameter[] | undefined {
  const members = catalog.btf?.structMembers(aggregate.name);
  return members && members.length > 0 ? members : undefined;
}

/** `const struct cred *`, `struct list_head`, `struct file *[4]`, `sk_buff_data_t` → the name BTF knows it by. */
function aggregateOf(typeText: string): Aggregate | undefined {
  const text = typeText.replace(/\b(?:const|volatile|restrict|__restrict)\b/g, ' ').replace(/\[[^\]]*\]/g, ' ').trim();
  const tagged = /^(?:struct|union)\s+([A-Za-z_]\w*)\s*\**$/.exec(text);
  if (tagged) return { name: tagged[1] };
  const named = /^([A-Za-z_]\w*)\s*\**$/.exec(text);
  return named && !/^(?:void|char|short|int|long|unsigned|signed|float|double|bool|_Bool)$/.test(named[1]) ? { name: named[1] } : undefined;
}

function typeFromTokens(tokens: Token[]): string | undefined {
  const text = tokens.map((token) => token.text).join(' ');
  return /^[\w\s*]+$/.test(text) ? text : undefined;
}

/**
 * The declaration of `name` nearest before its use: `struct X *name` as a parameter, a local or
 * a global (`struct X *a, *name = ...` included). Scans tokens backwards; C scoping is not modelled.
 */
function declaredType(document: BpfDocument, name: string, useStart: number, offset: number): { type: string } | undefined {
  // A program's parameter list is parsed already, including BPF_PROG/BPF_KPROBE arguments.
  const param = programAt(document, offset)?.program?.params.find((candidate) => candidate.name === name);
  if (param) return { type: param.type };
  const tokens = document.tokens;
  for (let index = tokensBefore(tokens, useStart) - 1; index > 0; index--) {
    const token = tokens[index];
    if (token.kind !== 'identifier' || token.text !== name) continue;
    const next = tokens[index + 1]?.text;
    if (next !== '=' && next !== ';' && next !== ',' && next !== ')' && next !== '[') continue;
    const type = typeBefore(tokens, index);
    if (type) return { type };
  }
  return undefined;
}

/** `struct X **` / `X *` directly before the declared name at `nameIndex`, through `, *other` lists. */
function typeBefore(tokens: Token[], nameIndex: number): string | undefined {
  let index = nameIndex - 1;
  let pointers = 0;
  while (index >= 0 && tokens[index].text === '*') {
    pointers++;
    index--;
  }
  // `struct X *a, *name`: step over earlier declarators to the shared type.
  if (tokens[index]?.text === ',') {
    for (let back = index - 1, depth = 0; back >= 0; back--) {
      const text = tokens[back].text;
      if (text === ')' || text === ']') depth++;
      else if (text === '(' || text === '[') {
        if (depth === 0) return undefined;
        depth--;
      } else if ((text === ';' || text === '{' || text === '}') && depth === 0) {
        return typeAfter(tokens, back + 1, pointers);
      }
    }
    return typeAfter(tokens, 0, pointers);
  }
  const typeName = tokens[index];
  if (!typeName || typeName.kind !== 'identifier' || NOT_TYPES.has(typeName.text)) return undefined;
  const tag = tokens[index - 1]?.text;
  if (tag === 'struct' || tag === 'union') return `${tag} ${typeName.text} ${'*'.repeat(pointers)}`.trim();
  // A bare identifier is only a type when a pointer follows it (`pid_t x;` would be ambiguous with an expression).
  return pointers > 0 ? `${typeName.text} ${'*'.repeat(pointers)}` : undefined;
}

/** The type at the start of a declaration list (`const struct X`), with `pointers` from the declarator. */
function typeAfter(tokens: Token[], from: number, pointers: number): string | undefined {
  for (let index = from; index + 1 < tokens.length; index++) {
    const text = tokens[index].text;
    if (text === 'struct' || text === 'union') {
      const name = tokens[index + 1];
      return name.kind === 'identifier' ? `${text} ${name.text} ${'*'.repeat(pointers)}`.trim() : undefined;
    }
    if (tokens[index].kind !== 'identifier') return undefined;
    if (text !== 'const' && text !== 'volatile' && text !== 'static') {
      return pointers > 0 ? `${text} ${'*'.repeat(pointers)}` : undefined;
    }
  }
  return undefined;
}

function memberItem(member: BtfParameter, index: number, range: Range): CompletionItem {
  return { label: member.name, kind: 'field', detail: member.type, insertText: member.name, sortText: pad(index), range };
}

function fieldItem(field: TracepointField, index: number, range: Range): CompletionItem {
  const item: CompletionItem = {
    label: field.name,
    kind: 'field',
    detail: `${fieldDeclaration(field)} · offset ${field.offset}, size ${field.size}`,
    insertText: field.name,
    sortText: pad(index),
    range,
  };
  if (field.dynamic) {
    const base = field.dynamic.kind === 'data_loc' ? '(void *)ctx' : `(void *)&ctx->${field.name} + sizeof(ctx->${field.name})`;
    item.documentation =
      `Dynamic field: the record holds a u32 whose low 16 bits locate the ${field.dynamic.elementType} data ` +
      `and whose high 16 bits give its length. Read it with\n` +
      '```c\n' + `unsigned int loc = ctx->${field.name};\nvoid *data = ${base} + (loc & 0xffff);` + '\n```';
  }
  return item;
}

function pad(index: number): string {
  return String(index).padStart(5, '0');
}
