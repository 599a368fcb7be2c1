/**
 * Field filters over decoded records (issue #11), shared by the trace view and `bpfdev run
 * --filter`: `pid == 1234`, `comm ~ /ssh/`, `ret != 0 && cpu < 2`, `!(comm ~ /^kworker/)`.
 *
 *   expr    := and ('||' and)*
 *   and     := unary ('&&' unary)*
 *   unary   := '!' unary | '(' expr ')' | field op value
 *   field   := name ('.' name | '[' index ']')*      a top-level field, a nested one, or
 *                                                   `cpu` / `map` when the record has no such field
 *   op      := == != < <= > >= ~ !~
 *   value   := number | "text" | 'text' | /regex/flags | bare word (true, false, an enum name)
 *
 * Numbers compare as numbers, exactly (BigInt) when either side is a 64-bit decimal string;
 * anything else compares as text. `~` tests the regex against the field's text form.
 * Parsing returns an error with its offset; it never throws.
 */
import { compactValue, DecodedRecord, DecodedValue } from './record';

export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | '~' | '!~';

export type FilterNode =
  | { kind: 'and' | 'or'; left: FilterNode; right: FilterNode }
  | { kind: 'not'; operand: FilterNode }
  | { kind: 'compare'; path: (string | number)[]; op: CompareOp; value: string | number | RegExp; text: string };

export interface FilterError { message: string; offset: number }

export interface RecordFilter {
  source: string;
  root: FilterNode;
  /** The top-level field names the expression reads (the view warns about names no map has). */
  fields: string[];
  matches(record: DecodedRecord): boolean;
}

type Token =
  | { kind: 'name'; text: string; offset: number }
  | { kind: 'number'; text: string; offset: number }
  | { kind: 'string'; text: string; offset: number }
  | { kind: 'regex'; regex: RegExp; offset: number }
  | { kind: 'punct'; text: string; offset: number }
  | { kind: 'end'; offset: number };

const OPERATORS = ['&&', '||', '==', '!=', '<=', '>=', '!~', '<', '>', '~', '!', '(', ')', '.', '[', ']'];

class ParseFailure {
  constructor(readonly error: FilterError) {}
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  // A '/' opens a regex only where a value is expected (after ~ or !~); elsewhere it is an error.
  const expectsRegex = () => { const last = tokens[tokens.length - 1]; return last?.kind === 'punct' && (last.text === '~' || last.text === '!~'); };
  while (index < source.length) {
    const char = source[index]!;
    if (/\s/.test(char)) { index++; continue; }
    const start = index;
    if (char === '"' || char === "'") {
      let text = '';
      index++;
      while (index < source.length && source[index] !== char) {
        if (source[index] === '\\' && index + 1 < source.length) index++;
        text += source[index++];
      }
      if (index >= source.length) throw new ParseFailure({ message: 'unterminated string', offset: start });
      index++;
      tokens.push({ kind: 'string', text, offset: start });
      continue;
    }
    if (char === '/' && expectsRegex()) {
      index++;
      let body = '';
      while (index < source.length && source[index] !== '/') {
        if (source[index] === '\\' && index + 1 < source.length) body += source[index++];
        body += source[index++];
      }
      if (index >= source.length) throw new ParseFailure({ message: 'unterminated /regex/', offset: start });
      index++;
      const flags = /^[a-z]*/.exec(source.slice(index))![0];
      index += flags.length;
      try {
        tokens.push({ kind: 'regex', regex: new RegExp(body, flags), offset: start });
      } catch (error) {
        throw new ParseFailure({ message: `bad regex: ${(error as Error).message}`, offset: start });
      }
      continue;
    }
    const number = /^-?(0x[0-9a-f]+|\d+(\.\d+)?)/i.exec(source.slice(index));
    if (number && (char !== '-' || tokens[tokens.length - 1]?.kind === 'punct')) {
      tokens.push({ kind: 'number', text: number[0], offset: start });
      index += number[0].length;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(index));
    if (name) {
      tokens.push({ kind: 'name', text: name[0], offset: start });
      index += name[0].length;
      continue;
    }
    const operator = OPERATORS.find((candidate) => source.startsWith(candidate, index));
    // `=` alone is the usual slip for `==`: say so rather than "unexpected".
    if (!operator) throw new ParseFailure({ message: char === '=' ? "'=' compares nothing: write '=='" : `unexpected '${char}'`, offset: start });
    tokens.push({ kind: 'punct', text: operator, offset: start });
    index += operator.length;
  }
  tokens.push({ kind: 'end', offset: source.length });
  return tokens;
}

class Parser {
  private position = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): FilterNode {
    const node = this.or();
    const next = this.peek();
    if (next.kind !== 'end') this.fail(`unexpected ${describe(next)}`, next);
    return node;
  }

  private or(): FilterNode {
    let left = this.and();
    while (this.isPunct('||')) { this.position++; left = { kind: 'or', left, right: this.and() }; }
    return left;
  }

  private and(): FilterNode {
    let left = this.unary();
    while (this.isPunct('&&')) { this.position++; left = { kind: 'and', left, right: this.unary() }; }
    return left;
  }

  private unary(): FilterNode {
    if (this.isPunct('!')) { this.position++; return { kind: 'not', operand: this.unary() }; }
    if (this.isPunct('(')) {
      this.position++;
      const inner = this.or();
      if (!this.isPunct(')')) this.fail(`expected ')' but found ${describe(this.peek())}`, this.peek());
      this.position++;
      return inner;
    }
    return this.comparison();
  }

  private comparison(): FilterNode {
    const first = this.peek();
    if (first.kind !== 'name') this.fail(`expected a field name but found ${describe(first)}`, first);
    this.position++;
    const path: (string | number)[] = [first.text];
    for (;;) {
      if (this.isPunct('.')) {
        this.position++;
        const member = this.peek();
        if (member.kind !== 'name') this.fail(`expected a member name after '.'`, member);
        path.push(member.text);
        this.position++;
      } else if (this.isPunct('[')) {
        this.position++;
        const index = this.peek();
        if (index.kind !== 'number' || !/^\d+$/.test(index.text)) this.fail('expected an index', index);
        path.push(Number(index.text));
        this.position++;
        if (!this.isPunct(']')) this.fail(`expected ']'`, this.peek());
        this.position++;
      } else break;
    }
    const opToken = this.peek();
    const op = opToken.kind === 'punct' && ['==', '!=', '<', '<=', '>', '>=', '~', '!~'].includes(opToken.text) ? opToken.text as CompareOp : undefined;
    if (!op) this.fail(`expected an operator (== != < <= > >= ~ !~) after ${path.join('.')}, found ${describe(opToken)}`, opToken);
    this.position++;
    const valueToken = this.peek();
    this.position++;
    const text = path.map((part) => typeof part === 'number' ? `[${part}]` : part).join('.').replace(/\.\[/g, '[');
    if (op === '~' || op === '!~') {
      if (valueToken.kind === 'regex') return { kind: 'compare', path, op, value: valueToken.regex, text };
      if (valueToken.kind === 'string' || valueToken.kind === 'name' || valueToken.kind === 'number') {
        return { kind: 'compare', path, op, value: new RegExp(escapeRegex(valueToken.text)), text };
      }
      this.fail(`expected /regex/ after ${op}`, valueToken);
    }
    switch (valueToken.kind) {
      case 'number': return { kind: 'compare', path, op, value: parseNumber(valueToken.text), text };
      case 'string': case 'name': return { kind: 'compare', path, op, value: valueToken.text, text };
      default: return this.fail(`expected a value after ${op}, found ${describe(valueToken)}`, valueToken);
    }
  }

  private peek(): Token {
    return this.tokens[this.position]!;
  }

  private isPunct(text: string): boolean {
    const token = this.peek();
    return token.kind === 'punct' && token.text === text;
  }

  private fail(message: string, token: Token): never {
    throw new ParseFailure({ message, offset: token.offset });
  }
}

function describe(token: Token): string {
  switch (token.kind) {
    case 'end': return 'the end';
    case 'regex': return 'a /regex/';
    case 'string': return `"${token.text}"`;
    default: return `'${token.text}'`;
  }
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Hex and values beyond 2^53 stay exact: kept as decimal strings, compared as BigInt. */
function parseNumber(text: string): number | string {
  if (text.includes('.')) return Number(text);
  const magnitude = BigInt(text.replace(/^-/, ''));
  const big = text.startsWith('-') ? -magnitude : magnitude;
  return big <= BigInt(Number.MAX_SAFE_INTEGER) && big >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(big) : big.toString();
}

function lookup(record: DecodedRecord, path: (string | number)[]): DecodedValue | undefined {
  const head = path[0] as string;
  let value: DecodedValue | undefined = Object.prototype.hasOwnProperty.call(record.fields, head) ? record.fields[head]
    : head === 'cpu' ? record.cpu : head === 'map' ? record.map : undefined;
  for (const part of path.slice(1)) {
    if (value === null || typeof value !== 'object') return undefined;
    value = Array.isArray(value) ? (typeof part === 'number' ? value[part] : undefined) : typeof part === 'string' ? value[part] : undefined;
  }
  return value;
}

const INTEGER = /^-?\d+$/;

function asBigInt(value: DecodedValue | string | number): bigint | undefined {
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : undefined;
  if (typeof value === 'boolean') return value ? 1n : 0n;
  return typeof value === 'string' && INTEGER.test(value) ? BigInt(value) : undefined;
}

/** Negative, zero or positive; undefined when the two cannot be ordered (text vs number). */
function compare(actual: DecodedValue, expected: string | number): number | undefined {
  const left = asBigInt(actual);
  const right = asBigInt(expected);
  if (left !== undefined && right !== undefined) return left < right ? -1 : left > right ? 1 : 0;
  if (typeof actual === 'number' && typeof expected === 'number') return actual - expected;
  if (typeof actual === 'number' && typeof expected === 'string' && expected !== '' && !Number.isNaN(Number(expected))) return actual - Number(expected);
  if (typeof actual === 'boolean' && (expected === 'true' || expected === 'false')) return Number(actual) - Number(expected === 'true');
  if (typeof expected === 'number') return undefined;
  const text = compactValue(actual);
  return text < expected ? -1 : text > expected ? 1 : 0;
}

function evaluate(node: FilterNode, record: DecodedRecord): boolean {
  switch (node.kind) {
    case 'and': return evaluate(node.left, record) && evaluate(node.right, record);
    case 'or': return evaluate(node.left, record) || evaluate(node.right, record);
    case 'not': return !evaluate(node.operand, record);
    case 'compare': {
      const actual = lookup(record, node.path);
      // A record without the field (another map's) matches only `!=` and `!~`: "not ssh" keeps it.
      if (actual === undefined) return node.op === '!=' || node.op === '!~';
      if (node.value instanceof RegExp) {
        node.value.lastIndex = 0;
        const found = node.value.test(compactValue(actual));
        return node.op === '~' ? found : !found;
      }
      const order = compare(actual, node.value);
      switch (node.op) {
        case '==': return order === 0;
        case '!=': return order !== 0;
        case '<': return order !== undefined && order < 0;
        case '<=': return order !== undefined && order <= 0;
        case '>': return order !== undefined && order > 0;
        case '>=': return order !== undefined && order >= 0;
      }
      return false;
    }
  }
}

function fieldsOf(node: FilterNode, into: Set<string>): Set<string> {
  if (node.kind === 'compare') into.add(String(node.path[0]));
  else if (node.kind === 'not') fieldsOf(node.operand, into);
  else { fieldsOf(node.left, into); fieldsOf(node.right, into); }
  return into;
}

/** An empty or blank expression is no filter: `{}`. */
export function parseFilter(source: string): { filter?: RecordFilter; error?: FilterError } {
  if (!source.trim()) return {};
  try {
    const root = new Parser(tokenize(source)).parse();
    return { filter: { source, root, fields: [...fieldsOf(root, new Set())], matches: (record) => evaluate(root, record) } };
  } catch (error) {
    if (error instanceof ParseFailure) return { error: error.error };
    return { error: { message: String(error), offset: 0 } };
  }
}
