/**
 * Which type a program writes into each event map, read from the source's call sites:
 *
 *   e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);              // struct event *e declared above
 *   bpf_ringbuf_output(&rb, &e, sizeof(e), 0);
 *   bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &data, sizeof(data));
 *
 * A record's type is usually a local (not in the object's BTF), so this tie from map to type
 * name is what lets the DWARF-derived BTF, or the source alone, describe the map. Built on the
 * language service's tokenizer: comments, strings and preprocessor lines are already out of the way.
 */
import { Token, tokenize } from '../language/document';

export interface RecordCallSite {
  map: string;
  /** C spelling of the record's type: `struct event`, `event_t`. */
  typeName: string;
  helper: string;
  /** Offset of the helper's name in the source. */
  offset: number;
}

/** Argument positions of the map, the data pointer and the size, per helper (facts of the helper ABI). */
const HELPERS: Record<string, { map: number; data?: number; size: number }> = {
  bpf_ringbuf_reserve: { map: 0, size: 1 },
  bpf_ringbuf_output: { map: 0, data: 1, size: 2 },
  bpf_perf_event_output: { map: 1, data: 3, size: 4 },
  bpf_skb_output: { map: 1, data: 3, size: 4 },
  bpf_xdp_output: { map: 1, data: 3, size: 4 },
};

const TAGS = new Set(['struct', 'union', 'enum']);
const QUALIFIERS = new Set(['const', 'volatile', 'restrict', '__restrict']);

export function recordCallSites(text: string): RecordCallSite[] {
  const { tokens } = tokenize(text);
  const sites: RecordCallSite[] = [];
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index];
    const helper = token.kind === 'identifier' ? HELPERS[token.text] : undefined;
    if (!helper || tokens[index + 1]?.text !== '(') continue;
    const args = splitArguments(tokens, index + 2);
    const map = mapName(args[helper.map]);
    if (!map) continue;
    const typeName = typeOfSize(tokens, index, args[helper.size]) ?? (helper.data !== undefined ? typeOfData(tokens, index, args[helper.data]) : undefined);
    if (typeName) sites.push({ map, typeName, helper: token.text, offset: token.start });
  }
  return sites;
}

/** The call's arguments as token lists, split at top-level commas, up to the closing parenthesis. */
function splitArguments(tokens: Token[], start: number): Token[][] {
  const args: Token[][] = [[]];
  let depth = 0;
  for (let index = start; index < tokens.length; index++) {
    const text = tokens[index].text;
    if (text === '(' || text === '[' || text === '{') depth++;
    else if (text === ')' || text === ']' || text === '}') {
      if (depth === 0) return args;
      depth--;
    } else if (text === ',' && depth === 0) {
      args.push([]);
      continue;
    } else if (text === ';') return args;
    args[args.length - 1].push(tokens[index]);
  }
  return args;
}

/** `&rb`, `rb`, `(void *)&rb`: the last identifier names the map. */
function mapName(arg: Token[] | undefined): string | undefined {
  if (!arg?.length) return undefined;
  const last = arg[arg.length - 1];
  return last.kind === 'identifier' ? last.text : undefined;
}

/** `sizeof(struct X)`, `sizeof(X)`, `sizeof(*e)`, `sizeof(e)`, `sizeof e`. */
function typeOfSize(tokens: Token[], before: number, arg: Token[] | undefined): string | undefined {
  if (!arg || arg[0]?.text !== 'sizeof') return undefined;
  const inner = arg[1]?.text === '(' ? arg.slice(2, arg.length - 1) : arg.slice(1);
  if (inner.length >= 2 && TAGS.has(inner[0].text) && inner[1].kind === 'identifier') return `${inner[0].text} ${inner[1].text}`;
  const derefs = inner.filter((token) => token.text === '*').length;
  const rest = inner.filter((token) => token.text !== '*' && token.text !== '(' && token.text !== ')');
  if (rest.length !== 1 || rest[0].kind !== 'identifier') return undefined;
  const declared = declaredType(tokens, before, rest[0].text);
  if (!declared) return derefs === 0 ? rest[0].text : undefined;
  return declared.pointers === derefs ? declared.base : undefined;
}

/** `&data` (a local struct) or `e` (a pointer to one). */
function typeOfData(tokens: Token[], before: number, arg: Token[] | undefined): string | undefined {
  if (!arg?.length) return undefined;
  const addressOf = arg[0].text === '&';
  const rest = arg.filter((token) => token.text !== '&' && token.text !== '(' && token.text !== ')');
  if (rest.length !== 1 || rest[0].kind !== 'identifier') return undefined;
  const declared = declaredType(tokens, before, rest[0].text);
  if (!declared) return undefined;
  return declared.pointers === (addressOf ? 0 : 1) ? declared.base : undefined;
}

/**
 * The nearest declaration of `name` before the call: `struct event *e;`, `event_t e = {}`,
 * a parameter `struct event *e)`. Not a C parser: the declared type is the identifier (with
 * its tag) just before the stars before the name.
 */
function declaredType(tokens: Token[], before: number, name: string): { base: string; pointers: number } | undefined {
  for (let index = before - 1; index > 0; index--) {
    if (tokens[index].text !== name || tokens[index].kind !== 'identifier') continue;
    const next = tokens[index + 1]?.text;
    if (next !== ';' && next !== '=' && next !== ',' && next !== ')' && next !== '[') continue;
    let cursor = index - 1;
    let pointers = 0;
    while (cursor >= 0 && (tokens[cursor].text === '*' || QUALIFIERS.has(tokens[cursor].text))) {
      if (tokens[cursor].text === '*') pointers++;
      cursor--;
    }
    const type = tokens[cursor];
    if (!type || type.kind !== 'identifier' || QUALIFIERS.has(type.text)) continue;
    // `x = y;` or `f(a, b)`: an identifier before the name that is not a type.
    const previous = tokens[cursor - 1];
    if (previous && TAGS.has(previous.text)) return { base: `${previous.text} ${type.text}`, pointers };
    if (previous && previous.kind === 'identifier' && !QUALIFIERS.has(previous.text)) continue;
    if (next === '[') continue;
    if (/^(return|sizeof|case|goto)$/.test(type.text)) continue;
    return { base: type.text, pointers };
  }
  return undefined;
}
