/**
 * The verifier's register and stack notation, as printed in its log:
 *   6.x:  `R1=ctx() R2_w=map_value_or_null(id=1,map=m,ks=4,vs=8) R10=fp0 fp-8=mmmm???? refs=2`
 *   5.x:  `R1_w=inv(id=0,umax_value=255,var_off=(0x0; 0xff)) R2_w=invP0 fp-8_w=mmmmmmmm`
 * Values may nest parentheses and contain spaces (`var_off=(0x0; 0xff)`), so they are split by a
 * small scanner that tracks depth rather than by a regular expression.
 */

export interface RegisterState {
  /** The value as printed, e.g. `map_value_or_null(id=1,map=m,ks=4,vs=8)`. */
  raw: string;
  /**
   * The verifier's type name without fields: `scalar`, `ctx`, `fp`, `map_ptr`, `map_value_or_null`,
   * `pkt`, `pkt_end`, `ringbuf_mem`, `trusted_ptr_task_struct`, ... Old kernels' `inv` is reported
   * as `scalar`.
   */
  type: string;
  /** The constant a scalar is known to hold (`R1=0` → "0"), or a frame pointer's offset (`fp-8` → "-8"). */
  value?: string;
  /** The verifier marked the value precise (`P` prefix: `R1=P0`, `invP(...)`). */
  precise: boolean;
  /** Liveness suffix of the register name (`R1_w` → "w", also `r`, `rw`, `D`), when printed. */
  liveness?: string;
  /** Fields inside the parentheses. `smin=smin32=0` sets both names. */
  fields: Record<string, string>;
}

export interface StackSlot {
  /** Offset from the frame pointer, e.g. -8. */
  offset: number;
  /** As printed: `mmmmmmmm` (misc bytes), `0000????` (zero + invalid bytes), a spilled register's value, ... */
  raw: string;
  liveness?: string;
}

/** One frame's worth of tokens from a state print, kept as raw strings until someone needs them parsed. */
export interface StateTokens {
  frame: number;
  registers: Map<string, string>;
  stack: Map<number, string>;
  /** Acquired reference ids (`refs=2,3`), when the print includes them. */
  refs?: number[];
  /** Other tokens the verifier prints in states, e.g. `cb`, `async_cb`, `locks=1`. */
  flags: string[];
}

/** Splits a state print into whitespace-separated tokens, keeping parenthesised groups whole. */
export function splitStateTokens(text: string): string[] {
  const tokens: string[] = [];
  let depth = 0;
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 40 /* ( */) depth++;
    else if (c === 41 /* ) */ && depth > 0) depth--;
    if ((c === 32 || c === 9) && depth === 0) {
      if (start >= 0) tokens.push(text.slice(start, i));
      start = -1;
    } else if (start < 0) {
      start = i;
    }
  }
  if (start >= 0) tokens.push(text.slice(start));
  return tokens;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * Reads the register/stack tokens of one state print, grouped by frame (`frame1:` switches frame).
 * Tokens it does not recognise are kept as flags; nothing here throws.
 */
export function readStateTokens(text: string, defaultFrame = 0): StateTokens[] {
  const groups: StateTokens[] = [];
  let current: StateTokens | undefined;
  const group = (frame: number) => {
    current = { frame, registers: new Map(), stack: new Map(), flags: [] };
    groups.push(current);
    return current;
  };
  for (const token of splitStateTokens(text)) {
    if (token.startsWith('frame') && token.endsWith(':')) {
      const frame = Number(token.slice(5, -1));
      if (Number.isInteger(frame)) { group(frame); continue; }
    }
    const target = current ?? group(defaultFrame);
    const eq = token.indexOf('=');
    if (eq <= 0) { target.flags.push(token); continue; }
    const name = token.slice(0, eq);
    const value = token.slice(eq + 1);
    const first = name.charCodeAt(0);
    if (first === 82 /* R */ && name.length > 1 && isDigit(name.charCodeAt(1))) {
      target.registers.set(name, value);
    } else if (name.startsWith('fp') && name.length > 2 && (name.charCodeAt(2) === 45 || isDigit(name.charCodeAt(2)))) {
      target.stack.set(parseStackName(name).offset, token.slice(0, eq) + '=' + value);
    } else if (name === 'refs') {
      target.refs = value.split(',').map(Number).filter((id) => Number.isInteger(id));
    } else {
      target.flags.push(token);
    }
  }
  return groups;
}

function parseStackName(name: string): { offset: number; liveness?: string } {
  const underscore = name.indexOf('_');
  const offset = Number(name.slice(2, underscore < 0 ? undefined : underscore));
  return underscore < 0 ? { offset } : { offset, liveness: name.slice(underscore + 1) };
}

/** Splits `R1_w` into the register name and its liveness suffix. */
export function splitRegisterName(name: string): { register: string; liveness?: string } {
  const underscore = name.indexOf('_');
  return underscore < 0 ? { register: name } : { register: name.slice(0, underscore), liveness: name.slice(underscore + 1) };
}

/** Parses `name=value,name=name2=value,...` inside a type's parentheses, respecting nesting. */
function parseFields(inner: string): Record<string, string> {
  const fields: Record<string, string> = {};
  let depth = 0;
  let start = 0;
  const take = (part: string) => {
    const names: string[] = [];
    let rest = part;
    // `smin=smin32=0`: every name before the last `=` gets the final value.
    for (;;) {
      const eq = rest.indexOf('=');
      if (eq <= 0 || rest.charCodeAt(0) === 40) break;
      const name = rest.slice(0, eq);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) break;
      names.push(name);
      rest = rest.slice(eq + 1);
    }
    if (names.length === 0) { if (part) fields[part] = ''; return; }
    for (const name of names) fields[name] = rest;
  };
  for (let i = 0; i < inner.length; i++) {
    const c = inner.charCodeAt(i);
    if (c === 40) depth++;
    else if (c === 41 && depth > 0) depth--;
    else if (c === 44 /* , */ && depth === 0) { take(inner.slice(start, i)); start = i + 1; }
  }
  take(inner.slice(start));
  return fields;
}

/** Parses one register value as printed after `Rn=`. */
export function parseRegisterValue(raw: string, liveness?: string): RegisterState {
  let text = raw;
  let precise = false;
  // `P` marks precision in 5.x+ (`P0`, `Pscalar(...)`); `invP` is the 5.x spelling for scalars.
  if (text.length > 1 && text[0] === 'P' && (isDigit(text.charCodeAt(1)) || text[1] === '-' || /^P[a-z]/.test(text))) {
    precise = true;
    text = text.slice(1);
  }
  const base: RegisterState = { raw, type: 'unknown', precise, fields: {}, ...(liveness ? { liveness } : {}) };
  if (/^-?\d/.test(text)) {
    return { ...base, type: 'scalar', value: text };
  }
  const frameOffset = /^fp(-?\d+)(?:$|,)/.exec(text);
  if (frameOffset) {
    // 4.x appended the call site: `R10=fp0,call_-1`.
    return { ...base, type: 'fp', value: frameOffset[1] };
  }
  const paren = text.indexOf('(');
  let type = paren < 0 ? text : text.slice(0, paren);
  let fields: Record<string, string> = {};
  if (paren >= 0) {
    const close = text.lastIndexOf(')');
    fields = parseFields(text.slice(paren + 1, close > paren ? close : text.length));
  }
  let value: string | undefined;
  if (type.startsWith('inv')) {
    // 5.x: inv, invP, inv0, invP0, inv(id=0,...)
    let rest = type.slice(3);
    if (rest.startsWith('P')) { base.precise = true; rest = rest.slice(1); }
    if (/^-?\d/.test(rest)) value = rest;
    type = 'scalar';
  }
  if (type === 'scalar' && value === undefined && fields.imm === undefined) {
    // A scalar whose bounds collapse to one number is a constant even when printed in long form.
    const min = fields.smin ?? fields.umin;
    const max = fields.smax ?? fields.umax;
    if (min !== undefined && min === max) value = min;
  }
  return { ...base, type, fields, ...(value !== undefined ? { value } : {}) };
}

/** Parses a stack token `fp-8_w=mmmmmmmm`. */
export function parseStackSlot(token: string): StackSlot {
  const eq = token.indexOf('=');
  const { offset, liveness } = parseStackName(token.slice(0, eq));
  return { offset, raw: token.slice(eq + 1), ...(liveness ? { liveness } : {}) };
}
