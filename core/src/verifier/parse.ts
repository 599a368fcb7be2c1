/**
 * Reads the kernel verifier's log (issue #4) and says what went wrong, where, and in what state:
 * the error message and its kind, the failing instruction, its source line (from the
 * `; text @ file:line` annotations that clang -g line info makes the kernel print), the
 * registers at that point, the last instructions on the way there, and the statistics.
 *
 * The parser is a single pass over lines with bounded memory apart from one map of instruction
 * index to source line, so a 1M-instruction level-2 log (hundreds of MB) streams through
 * `VerifierLogParser.push()`. It never throws: malformed or cut logs give a report with less in it
 * and a note saying why.
 *
 * Log formats covered: 6.x level 1 and 2 (state after each instruction as `; R0=...`, level-1
 * path resets shown as `goto pc+3 14: R0=...`), and the 5.x forms (`R1_w=inv(id=0)`, state lines
 * of their own, annotations without `@ file:line`).
 */
import { classifyMessage, ClassifyContext, MessageFacts, RegisterOrigin, VerifierErrorKind } from './kinds';
import { parseRegisterValue, parseStackSlot, RegisterState, splitRegisterName, splitStateTokens, StackSlot } from './state';
import { Utf8StreamDecoder } from './utf8';

export type { VerifierErrorKind } from './kinds';
export type { RegisterState, StackSlot } from './state';

export interface SourceLocation {
  /** The source line as the kernel printed it (it strips leading whitespace). */
  text: string;
  /** File name from the annotation (kernels since 6.4 print `@ file:line`); older ones print only text. */
  file?: string;
  /** 1-based line; absent when the kernel printed text only. Line 0 means "compiler-generated". */
  line?: number;
  /**
   * `exact`: the kernel printed this line for this very instruction, or for the instructions
   * leading straight to it. `inferred`: taken from another visit of the same instruction, or from
   * the nearest real line when the instruction has line 0. `uncertain`: the kernel did not repeat
   * the line after abandoning a path (level 1 erases that part of the log), so this is only the
   * last line still visible; map `failingInstruction.index` through the object's BTF line info instead.
   */
  confidence: 'exact' | 'inferred' | 'uncertain';
}

export interface InstructionStep {
  index: number;
  /** Opcode byte as printed, two hex digits (`85` is a call). */
  opcode: string;
  /** Disassembly as printed, e.g. `r1 = *(u64 *)(r0 +0)`. */
  text: string;
  source?: SourceLocation;
  /** The state printed after the instruction (changed registers only), as printed. */
  state?: string;
  /** Set on the first instruction of a branch the verifier set aside earlier: the jump it came from. */
  branchFrom?: number;
}

export interface VerifierStats {
  insnsProcessed?: number;
  insnLimit?: number;
  maxStatesPerInsn?: number;
  totalStates?: number;
  peakStates?: number;
  markRead?: number;
  verificationTimeUs?: number;
  /** Stack depth per function, main program first (`stack depth 16+0` → [16, 0]). */
  stackDepth?: number[];
}

export interface RelatedLocation {
  role: 'reference-acquired' | 'loop-back-edge' | 'register-defined' | 'named-insn';
  insn: number;
  text?: string;
  source?: SourceLocation;
}

export interface VerifierReport {
  /** `rejected` when the log ends in an error; `accepted` when only statistics follow; `unknown` when cut before either. */
  verdict: 'rejected' | 'accepted' | 'unknown';
  /** Classified error; meaningful only when `verdict` is `rejected` (`unknown` otherwise). */
  kind: VerifierErrorKind;
  /** The error as the kernel worded it, message lines joined with newlines. */
  message: string;
  messageLines: string[];
  /** Supporting lines the kernel printed with the error (`cur state: ...`, `old state: ...`). */
  details: string[];
  facts: MessageFacts;
  /** The instruction the verifier was checking when it gave up. */
  failingInstruction?: { index: number; opcode?: string; text?: string };
  /** Source location of `failingInstruction`. */
  source?: SourceLocation;
  /** Registers of the current frame just before `failingInstruction` ran, keyed `R0`..`R10`. */
  registers: Record<string, RegisterState>;
  /** The same registers and stack slots in the kernel's notation, one line (`R0=... R10=fp0 fp-8=mmmm????`). */
  registersText: string;
  /** Known stack slots of the current frame, keyed `fp-8`. */
  stack: Record<string, StackSlot>;
  /** Call depth of the current frame (0 = main program). */
  frame: number;
  /** Ids of references held (acquired, not yet released) at the error. */
  refs: number[];
  /** Up to 10 instructions ending at `failingInstruction` (the last instructions printed, oldest first). */
  path: InstructionStep[];
  related: RelatedLocation[];
  stats: VerifierStats;
  /** `bump() func#1` when the error is in a global function, which the kernel verifies on its own. */
  subprogram?: string;
  /** No `processed N insns` line: the log was cut short. */
  truncated: boolean;
  /** Level-2 output (every explored path, not only the failing one) was seen. */
  detailed: boolean;
  /** What the parser could not work out, in words for a log or hover. */
  notes: string[];
}

interface Annotation {
  text: string;
  file?: string;
  line?: number;
}

const PATH_LENGTH = 10;
/** Steps kept internally so a level-2 branch switch can rewind to the branch point. */
const RING_LENGTH = 64;
const MAX_MESSAGE_LINES = 64;
const MAX_LINE_LENGTH = 1 << 20;

const INSN_LINE = /^(\d+): \(([0-9a-f]{2})\) (.*)$/;
const STATE_LINE = /^(\d+): (.*)$/;
const FROM_LINE = /^from (\d+) to (\d+)( \(speculative execution\))?: ?(.*)$/;
const VALIDATING_LINE = /^Validating (.+) func#(\d+)\.\.\.$/;

/** Lines the kernel prints for its own bookkeeping: never the error. */
const NOISE: RegExp[] = [
  /^mark_precise: /,
  /^last_idx \d+ first_idx \d+/,
  /^regs=\S* stack=\S* before /,
  /^parent (?:didn't have|state regs)/,
  /^propagating /,
  /^func#\d+ @\d+$/,
  /^Live regs before insn:$/,
  /^\s+\d+: /,
  /^\(\d+(?:,\d+)*\) (?:frame \d+ insn |live stack )/,
  /^(?:caller|callee|returning from callee):$/,
  /^to caller at \d+:$/,
  /^Func#\d+ \(.*\) is (?:global|static) and assumed valid\.$/,
  /^Func#\d+ \(.*\) is safe for any args that match its prototype$/,
  /^arg#\d+ reference type\('.*'\) size cannot be determined: -?\d+$/,
  /^-- (?:BEGIN|END) PROG LOAD LOG --$/,
  /^libbpf: /,
  /^insn \d+ is (?:a jump|a call)/,
  /^\d+: safe$/,
];

const HELPER_CALL = /^call ([A-Za-z_]\w*)#(\d+)$/;
const SUBPROG_CALL = /^call pc[+-]\d+$/;
const LOAD = /^r(\d+) = \*\((?:u|s)(?:8|16|32|64) \*\)\(r(\d+) [+-]\d+\)$/;
const MOVE = /^r(\d+) = r(\d+)$/;
const MOVE_CONST = /^[rw](\d+) = (?:-?\d+|0x[0-9a-f]+)$/;
const ALU64 = /^r(\d+) (?:\+|-|\*|\/|%|&|\||\^|<<|>>|s>>)= /;
const WRITES_REGISTER = /^[rw](\d+) (?:[-+*/%&|^<>s]*)= /;

function isStateText(text: string): boolean {
  if (text.length < 2) return false;
  const c = text.charCodeAt(0);
  if (c === 82 /* R */) return text.charCodeAt(1) >= 48 && text.charCodeAt(1) <= 57 && /^R\d+(?:_\w+)?=/.test(text);
  if (text.startsWith('frame')) return /^frame\d+: /.test(text);
  if (text.startsWith('fp')) return /^fp-?\d+(?:_\w+)?=/.test(text);
  return text.startsWith('refs=');
}

function parseAnnotation(body: string): Annotation {
  // `text @ file:line` since 6.4; the source text itself may contain " @ ", so split at the last one.
  const at = body.lastIndexOf(' @ ');
  if (at >= 0) {
    const where = body.slice(at + 3);
    const colon = where.lastIndexOf(':');
    if (colon > 0 && /^\d+$/.test(where.slice(colon + 1))) {
      return { text: body.slice(0, at).trim(), file: where.slice(0, colon), line: Number(where.slice(colon + 1)) };
    }
  }
  return { text: body.trim() };
}

/** Index of the character `code` outside any parentheses, or -1. */
export function topLevelIndexOf(text: string, code: number): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 40) depth++;
    else if (c === 41 && depth > 0) depth--;
    else if (c === code && depth === 0) return i;
  }
  return -1;
}

/** Type of a register as stored by the parser (`liveness\0value` or `value`). */
function typeName(stored: string | undefined): string {
  if (!stored) return 'unknown';
  const split = stored.indexOf('\u0000');
  return parseRegisterValue(split < 0 ? stored : stored.slice(split + 1)).type;
}

class FrameState {
  registers = new Map<string, string>();
  stack = new Map<number, string>();
}

export class VerifierLogParser {
  private decoder = new Utf8StreamDecoder();
  private carry = '';

  private frames: FrameState[] = [new FrameState()];
  private currentFrame = 0;
  private refs: number[] = [];
  /** The next state print lists whole frames (after a path switch, a call or a return). */
  private resetPending = true;
  private dropFramesAbove: number | null = null;

  private pendingAnnotation: Annotation | undefined;
  private currentAnnotation: Annotation | undefined;
  private lastRealAnnotation: Annotation | undefined;
  /** The log above was erased by a level-1 path reset, so `currentAnnotation` may not be this instruction's. */
  private annotationStale = false;
  private insnSources = new Map<number, Annotation>();

  private ring: InstructionStep[] = [];
  private pendingBranchFrom: number | undefined;
  private lastInsn: InstructionStep | undefined;
  /** Effects of the last instruction that apply only once it is known to have passed. */
  private pendingClobber = false;
  private pendingOrigin: [string, RegisterOrigin][] = [];
  private origins = new Map<string, RegisterOrigin>();

  private messageLines: string[] = [];
  private details: string[] = [];
  private stats: VerifierStats = {};
  private sawProcessed = false;
  private detailed = false;
  private subprogram: string | undefined;
  private notes: string[] = [];
  private afterEndMarker = false;

  /** Feeds a piece of the log; text or raw bytes (decoded as UTF-8, invalid bytes become U+FFFD). */
  push(chunk: string | Uint8Array): void {
    const text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, true);
    let start = 0;
    for (;;) {
      const newline = text.indexOf('\n', start);
      if (newline < 0) break;
      const piece = text.slice(start, newline);
      if (this.carry) {
        const line = this.carry + piece;
        this.carry = '';
        this.safeLine(line);
      } else {
        this.safeLine(piece);
      }
      start = newline + 1;
    }
    if (start < text.length) {
      this.carry += text.slice(start);
      if (this.carry.length > MAX_LINE_LENGTH) {
        this.safeLine(this.carry.slice(0, MAX_LINE_LENGTH));
        this.carry = '';
      }
    }
  }

  /** Ends the log and returns what it says. */
  end(): VerifierReport {
    const rest = this.decoder.end();
    if (rest) this.carry += rest;
    if (this.carry) {
      this.safeLine(this.carry);
      this.carry = '';
    }
    try {
      return this.report();
    } catch (error) {
      // A bug here must not take the editor down with it: say so and return what is certain.
      return {
        ...emptyReport(), stats: this.stats, truncated: !this.sawProcessed,
        notes: [`internal parser error: ${String(error)}`],
      };
    }
  }

  private safeLine(raw: string): void {
    try {
      this.line(raw.endsWith('\r') ? raw.slice(0, -1) : raw);
    } catch (error) {
      if (this.notes.length < 20) this.notes.push(`skipped an unreadable line: ${String(error)}`);
    }
  }

  private line(line: string): void {
    if (line.length === 0) return;
    const first = line.charCodeAt(0);
    if (first === 45 /* - */ || this.afterEndMarker) {
      // Text copied from libbpf's output wraps the log in markers; what follows the end is libbpf's, not the kernel's.
      if (line.startsWith('-- BEGIN PROG LOAD LOG --')) { this.afterEndMarker = false; return; }
      if (line.startsWith('-- END PROG LOAD LOG --')) { this.afterEndMarker = true; return; }
      if (this.afterEndMarker) return;
    }

    if (first >= 48 && first <= 57) {
      const insn = INSN_LINE.exec(line);
      if (insn) { this.instruction(Number(insn[1]), insn[2], insn[3]); return; }
      const state = STATE_LINE.exec(line);
      if (state) {
        const body = state[2];
        if (body === 'safe') { this.detailed = true; return; }
        if (isStateText(body)) { this.standaloneState(Number(state[1]), body); return; }
      }
    } else if (first === 59 /* ; */) {
      const body = line.startsWith('; ') ? line.slice(2) : line.slice(1);
      const annotation = parseAnnotation(body);
      this.pendingAnnotation = annotation;
      return;
    } else if (first === 32 /* space */) {
      const body = line.trimStart();
      if (isStateText(body)) { this.stateText(body, this.resetPending); this.resetPending = false; return; }
    } else if (first === 102 /* f */ && line.startsWith('from ')) {
      const from = FROM_LINE.exec(line);
      if (from) { this.branchSwitch(Number(from[1]), from[4]); return; }
    } else if (first === 112 /* p */ && line.startsWith('processed ')) {
      this.processedLine(line);
      return;
    } else if (first === 118 /* v */ && line.startsWith('verification time ')) {
      const usec = /^verification time (\d+) usec/.exec(line);
      if (usec) this.stats.verificationTimeUs = Number(usec[1]);
      return;
    } else if (first === 115 /* s */ && line.startsWith('stack depth ')) {
      this.stats.stackDepth = line.slice('stack depth '.length).trim().split('+').map(Number).filter((n) => Number.isFinite(n));
      return;
    } else if (first === 86 /* V */) {
      const validating = VALIDATING_LINE.exec(line);
      if (validating) { this.startFunction(`${validating[1]} func#${validating[2]}`); return; }
    } else if (first === 99 /* c */ && (line.startsWith('cur state:') || line.startsWith('caller:') || line.startsWith('callee:'))) {
      if (line.startsWith('cur state:')) this.details.push(line);
      else this.resetPending = true;
      return;
    } else if (first === 111 /* o */ && line.startsWith('old state:')) {
      this.details.push(line);
      return;
    }

    for (const noise of NOISE) {
      if (noise.test(line)) {
        if (line.startsWith('mark_precise') || line.startsWith('func#') || line.startsWith('Live regs')) this.detailed = true;
        if (line === 'returning from callee:') this.resetPending = true;
        else if (line.startsWith('to caller at ')) { this.resetPending = true; this.dropFramesAbove = -1; }
        return;
      }
    }
    if (this.messageLines.length < MAX_MESSAGE_LINES) this.messageLines.push(line);
  }

  private startFunction(name: string): void {
    // A global function is verified on its own, from a fresh state.
    this.subprogram = name;
    this.frames = [new FrameState()];
    this.currentFrame = 0;
    this.refs = [];
    this.resetPending = true;
    this.ring = [];
    this.origins.clear();
    this.pendingOrigin = [];
    this.pendingClobber = false;
    this.currentAnnotation = undefined;
    this.annotationStale = false;
    this.messageLines = [];
    this.details = [];
  }

  private frameState(frame: number): FrameState {
    while (this.frames.length <= frame) this.frames.push(new FrameState());
    return this.frames[frame];
  }

  /** Applies effects of the previous instruction that only hold once it has passed verification. */
  private settlePrevious(): void {
    if (this.pendingClobber) {
      // A helper call leaves R1-R5 unreadable; the state print after it only names R0.
      const registers = this.frameState(this.currentFrame).registers;
      for (const name of ['R1', 'R2', 'R3', 'R4', 'R5']) registers.delete(name);
      for (const name of ['r1', 'r2', 'r3', 'r4', 'r5']) this.origins.delete(name);
      this.pendingClobber = false;
    }
    for (const [name, origin] of this.pendingOrigin) this.origins.set(name, origin);
    this.pendingOrigin = [];
  }

  private instruction(index: number, opcode: string, rest: string): void {
    this.settlePrevious();
    // Anything printed since the previous instruction was not the final error after all.
    this.messageLines = [];
    this.details = [];

    let text = rest;
    let delta: string | undefined;
    let popped: { index: number; state: string } | undefined;
    // Level 1 rewinds the log to a jump when it returns to the branch it set aside, and prints
    // that branch's state right after the jump: `10: (15) if r0 == 0x1 goto pc+3 14: R0=1 ...`.
    // Either form may contain `;` inside parentheses (`var_off=(0x0; 0xff)`), so look at depth 0.
    const semicolon = topLevelIndexOf(rest, 59 /* ; */);
    const resumed = / (\d+): (?=R\d|frame\d|fp-?\d|refs=)/.exec(semicolon < 0 ? rest : rest.slice(0, semicolon));
    if (resumed) {
      text = rest.slice(0, resumed.index);
      popped = { index: Number(resumed[1]), state: rest.slice(resumed.index + resumed[0].length) };
    } else if (semicolon >= 0) {
      text = rest.slice(0, semicolon).trimEnd();
      delta = rest.slice(semicolon + 1).trim();
    }

    const source = this.sourceFor(index);
    const step: InstructionStep = { index, opcode, text, ...(source ? { source } : {}) };
    if (this.pendingBranchFrom !== undefined) {
      step.branchFrom = this.pendingBranchFrom;
      this.pendingBranchFrom = undefined;
    }
    this.ring.push(step);
    if (this.ring.length > RING_LENGTH) this.ring.splice(0, this.ring.length - RING_LENGTH);
    this.lastInsn = step;
    this.trackOrigins(index, text);

    if (delta !== undefined) {
      this.settlePrevious();
      step.state = delta;
      this.stateText(delta, false, true);
    } else if (popped) {
      this.settlePrevious();
      this.annotationStale = true;
      this.pendingBranchFrom = index;
      this.stateText(popped.state, true);
    }
    this.resetPending = false;
  }

  private sourceFor(index: number): SourceLocation | undefined {
    let annotation: Annotation | undefined;
    let confidence: SourceLocation['confidence'];
    if (this.pendingAnnotation) {
      annotation = this.pendingAnnotation;
      this.pendingAnnotation = undefined;
      this.currentAnnotation = annotation;
      this.annotationStale = false;
      confidence = 'exact';
    } else if (this.currentAnnotation && !this.annotationStale) {
      // The kernel prints a line only when it changes, so silence means "same line as before".
      annotation = this.currentAnnotation;
      confidence = 'exact';
    } else {
      const seen = this.insnSources.get(index);
      if (seen) { annotation = seen; confidence = 'inferred'; }
      else if (this.currentAnnotation) { annotation = this.currentAnnotation; confidence = 'uncertain'; }
      else return undefined;
    }
    if (confidence === 'exact') {
      if (!this.insnSources.has(index)) this.insnSources.set(index, annotation);
      if (annotation.line !== 0) this.lastRealAnnotation = annotation;
    }
    if (annotation.line === 0 && this.lastRealAnnotation && this.lastRealAnnotation !== annotation) {
      // Line 0 marks compiler-made code (address of a local, spills); the statement around it is the useful answer.
      return { ...this.lastRealAnnotation, confidence: confidence === 'uncertain' ? 'uncertain' : 'inferred' };
    }
    return { ...annotation, confidence };
  }

  private trackOrigins(index: number, text: string): void {
    const helper = HELPER_CALL.exec(text);
    if (helper) {
      this.pendingClobber = true;
      this.pendingOrigin.push(['r0', { kind: 'call', insn: index, name: helper[1] }]);
      return;
    }
    if (SUBPROG_CALL.test(text)) {
      this.pendingOrigin.push(['r0', { kind: 'other', insn: index }]);
      return;
    }
    const load = LOAD.exec(text);
    if (load) {
      const base = `R${load[2]}`;
      let baseType = typeName(this.frameState(this.currentFrame).registers.get(base));
      // 5.x level 1 prints no state at all; a main program starts with the context in R1, so an
      // R1 nothing has written yet is still the context.
      if (baseType === 'unknown' && base === 'R1' && !this.origins.has('r1') && this.currentFrame === 0 && !this.subprogram) baseType = 'ctx';
      this.pendingOrigin.push([`r${load[1]}`, { kind: 'load', insn: index, baseType, baseRegister: base }]);
      return;
    }
    const move = MOVE.exec(text);
    if (move) {
      const origin = this.origins.get(`r${move[2]}`);
      this.pendingOrigin.push([`r${move[1]}`, origin ?? { kind: 'other', insn: index }]);
      return;
    }
    if (MOVE_CONST.test(text)) {
      this.pendingOrigin.push([`r${MOVE_CONST.exec(text)![1]}`, { kind: 'const', insn: index }]);
      return;
    }
    // Arithmetic on a 64-bit register keeps where its value came from: `p += i` is still `p`.
    if (ALU64.test(text)) return;
    const written = WRITES_REGISTER.exec(text);
    if (written) this.pendingOrigin.push([`r${written[1]}`, { kind: 'other', insn: index }]);
  }

  private standaloneState(index: number, body: string): void {
    this.settlePrevious();
    if (!this.resetPending && this.lastInsn && index === this.lastInsn.index) {
      // The state after an instruction, pushed to its own line by precision-tracking output.
      this.lastInsn.state = this.lastInsn.state ? `${this.lastInsn.state} ${body}` : body;
    }
    this.stateText(body, this.resetPending);
    this.resetPending = false;
  }

  private branchSwitch(from: number, body: string): void {
    this.settlePrevious();
    if (this.lastInsn?.index === from) {
      // Nothing of the path after the jump is left: 5.x level 1, which also prints `from A to B:`,
      // erased it, and with it the source lines the kernel will not print again.
      this.annotationStale = true;
    } else {
      this.detailed = true;
    }
    // Level 2 keeps the whole log, so the last printed source line is still the kernel's
    // "previous line": annotations stay trustworthy. The path, though, now continues from `from`.
    let cut = -1;
    for (let i = this.ring.length - 1; i >= 0; i--) {
      if (this.ring[i].index === from) { cut = i; break; }
    }
    this.ring = cut >= 0 ? this.ring.slice(0, cut + 1) : [];
    this.pendingBranchFrom = from;
    if (body === 'safe' || body === '') { this.resetPending = true; return; }
    this.stateText(body, true);
    this.resetPending = true;
  }

  /**
   * Applies one state print. `reset`: it lists whole frames (so registers it omits are not
   * initialised); otherwise it lists only what changed.
   */
  private stateText(text: string, reset: boolean, isDelta = false): void {
    const tokens = splitStateTokens(text);
    let frame = 0;
    let target = this.frameState(0);
    let touchedFrame = false;
    let sawRefs = false;
    const start = (f: number) => {
      frame = f;
      target = this.frameState(f);
      touchedFrame = true;
      if (reset) { target.registers.clear(); target.stack.clear(); }
    };
    for (const token of tokens) {
      if (token.startsWith('frame') && token.endsWith(':')) {
        const f = Number(token.slice(5, -1));
        if (Number.isInteger(f) && f >= 0 && f < 64) { start(f); continue; }
      }
      const eq = token.indexOf('=');
      if (eq <= 0) continue;
      if (!touchedFrame) start(0);
      const name = token.slice(0, eq);
      if (name.charCodeAt(0) === 82 /* R */) {
        const { register, liveness } = splitRegisterName(name);
        target.registers.set(register, liveness ? `${liveness}\u0000${token.slice(eq + 1)}` : token.slice(eq + 1));
      } else if (name.startsWith('fp')) {
        const slot = parseStackSlot(token);
        if (Number.isFinite(slot.offset)) target.stack.set(slot.offset, token);
      } else if (name === 'refs') {
        this.refs = token.slice(eq + 1).split(',').map(Number).filter((id) => Number.isInteger(id));
        sawRefs = true;
      }
    }
    if (!touchedFrame && reset) start(0);
    // Every print of a state that holds references names them, so a print without `refs=` means none.
    if ((reset || isDelta) && !sawRefs) this.refs = [];
    this.currentFrame = frame;
    if (this.dropFramesAbove !== null) {
      this.frames.length = Math.max(frame + 1, 1);
      this.dropFramesAbove = null;
    }
  }

  private processedLine(line: string): void {
    this.sawProcessed = true;
    const number = (label: string): number | undefined => {
      const at = line.indexOf(label);
      if (at < 0) return undefined;
      const match = /^\d+/.exec(line.slice(at + label.length));
      return match ? Number(match[0]) : undefined;
    };
    this.stats.insnsProcessed = number('processed ');
    const limit = number('(limit ');
    if (limit !== undefined) this.stats.insnLimit = limit;
    const fields: [keyof VerifierStats, string][] = [
      ['maxStatesPerInsn', 'max_states_per_insn '], ['totalStates', 'total_states '],
      ['peakStates', 'peak_states '], ['markRead', 'mark_read '],
    ];
    for (const [key, label] of fields) {
      const value = number(label);
      if (value !== undefined) (this.stats as Record<string, unknown>)[key] = value;
    }
    // 4.x-5.1 appended the stack depth here: `processed 13 insns (limit 131072), stack depth 8`.
    const depth = /, stack depth ([\d+]+)/.exec(line);
    if (depth && !this.stats.stackDepth) this.stats.stackDepth = depth[1].split('+').map(Number);
  }

  private report(): VerifierReport {
    // The failing instruction's own state changes never happened: leave pendingClobber/pendingOrigin unapplied.
    const messageLines = this.messageLines.slice();
    const notes = this.notes.slice();
    const truncated = !this.sawProcessed;
    if (truncated) notes.push('the log has no "processed N insns" line: it was cut short, so the error may be missing');

    const frame = this.frames[this.currentFrame] ?? new FrameState();
    const registers: Record<string, RegisterState> = {};
    for (const [name, stored] of frame.registers) {
      const split = stored.indexOf('\u0000');
      registers[name] = split < 0 ? parseRegisterValue(stored) : parseRegisterValue(stored.slice(split + 1), stored.slice(0, split));
    }
    const stack: Record<string, StackSlot> = {};
    const printed: string[] = [];
    for (const [name, stored] of [...frame.registers].sort((a, b) => Number(a[0].slice(1)) - Number(b[0].slice(1)))) {
      const split = stored.indexOf('\u0000');
      printed.push(split < 0 ? `${name}=${stored}` : `${name}_${stored.slice(0, split)}=${stored.slice(split + 1)}`);
    }
    for (const token of [...frame.stack.values()].sort((a, b) => parseStackSlot(b).offset - parseStackSlot(a).offset)) {
      const slot = parseStackSlot(token);
      stack[`fp${slot.offset}`] = slot;
      printed.push(token);
    }
    if (this.refs.length) printed.push(`refs=${this.refs.join(',')}`);

    const base: VerifierReport = {
      ...emptyReport(),
      registers, registersText: printed.join(' '), stack, frame: this.currentFrame, refs: this.refs.slice(),
      stats: this.stats, truncated, detailed: this.detailed, notes,
      ...(this.subprogram ? { subprogram: this.subprogram } : {}),
    };

    if (messageLines.length === 0) {
      const path = this.ring.slice(-PATH_LENGTH);
      return { ...base, verdict: this.sawProcessed ? 'accepted' : 'unknown', path };
    }

    const context: ClassifyContext = {
      originOf: (register) => this.origins.get(register.toLowerCase()),
    };
    const { kind, facts } = classifyMessage(messageLines, context);
    if (!facts.register) {
      const named = /^(R\d+) /.exec(messageLines.find((line) => /^R\d+ /.test(line)) ?? '');
      if (named) facts.register = named[1];
    }
    const report: VerifierReport = {
      ...base,
      verdict: 'rejected',
      kind,
      message: messageLines.join('\n'),
      messageLines,
      details: this.details.slice(),
      facts,
      path: this.ring.slice(-PATH_LENGTH),
    };

    if (this.lastInsn) {
      report.failingInstruction = { index: this.lastInsn.index, opcode: this.lastInsn.opcode, text: this.lastInsn.text };
      if (this.lastInsn.source) report.source = this.lastInsn.source;
    } else if (facts.insn !== undefined && (kind === 'invalid-control-flow' || kind === 'unbounded-loop')) {
      // Checked before simulation (control-flow graph): the kernel names the instruction but prints none.
      report.failingInstruction = { index: facts.insn };
      const seen = this.insnSources.get(facts.insn);
      if (seen) report.source = { ...seen, confidence: 'inferred' };
    }
    if (report.source?.confidence === 'uncertain') {
      notes.push(`the log does not repeat the source line of instruction ${report.failingInstruction?.index} after the verifier switched paths; map the instruction index through the object's line info for the exact line`);
    } else if (!report.source && report.failingInstruction) {
      notes.push(`the log names no source line for instruction ${report.failingInstruction.index} (was the object built with -g?)`);
    }

    const related = this.relatedLocations(kind, facts, report.failingInstruction?.index);
    if (related.length) report.related = related;
    return report;
  }

  private relatedLocations(kind: VerifierErrorKind, facts: MessageFacts, errorIndex: number | undefined): RelatedLocation[] {
    const related: RelatedLocation[] = [];
    const at = (role: RelatedLocation['role'], insn: number) => {
      const step = this.ring.find((candidate) => candidate.index === insn);
      const seen = this.insnSources.get(insn);
      related.push({
        role, insn,
        ...(step ? { text: step.text } : {}),
        ...(seen ? { source: { ...seen, confidence: 'exact' as const } } : {}),
      });
    };
    if (kind === 'unreleased-reference' && facts.insn !== undefined) at('reference-acquired', facts.insn);
    if (kind === 'unbounded-loop' && facts.insn !== undefined && facts.insn !== errorIndex) at('loop-back-edge', facts.insn);
    if (facts.register) {
      const origin = this.origins.get(facts.register.toLowerCase());
      if (origin && origin.insn !== errorIndex) at('register-defined', origin.insn);
    }
    return related;
  }
}

function emptyReport(): VerifierReport {
  return {
    verdict: 'unknown', kind: 'unknown', message: '', messageLines: [], details: [], facts: {},
    registers: {}, registersText: '', stack: {}, frame: 0, refs: [], path: [], related: [], stats: {},
    truncated: true, detailed: false, notes: [],
  };
}

/** Parses a whole verifier log. Never throws. */
export function parseVerifierLog(log: string | Uint8Array): VerifierReport {
  const parser = new VerifierLogParser();
  parser.push(log);
  return parser.end();
}

/** Parses a log that arrives in pieces (a stream, or a file read in blocks) without joining them. */
export function parseVerifierLogChunks(chunks: Iterable<string | Uint8Array>): VerifierReport {
  const parser = new VerifierLogParser();
  try {
    for (const chunk of chunks) parser.push(chunk);
  } catch (error) {
    // The iterable itself failed (a read error): report what arrived.
    const report = parser.end();
    report.notes.push(`the log stopped early: ${String(error)}`);
    return report;
  }
  return parser.end();
}
