/**
 * The verifier's view of a program (issue #11 item 7): every instruction the verifier walked, in
 * the order the log shows them, with the full register and stack state after each one, the
 * source line it belongs to, and the path that led to the error through its branch points. The
 * editor steps through this model; the parser in parse.ts answers "what went wrong" and this one
 * "how did it get there".
 *
 * The log prints only the registers an instruction changed, so the state is replayed: a state
 * print that starts a path (`from 5 to 8: ...`, a level-1 resume `5: (15) if ... goto pc+2 8: R0=1 ...`,
 * a standalone `0: R1=ctx() R10=fp0`) replaces it, a delta (`; R0=...`) updates it, and a helper
 * call makes R1-R5 unreadable, as the kernel does. Big logs keep the last `maxSteps` steps.
 * Never throws: unknown lines are skipped.
 */
import { explainVerifierError } from './explain';
import type { VerifierErrorKind } from './kinds';
import { parseVerifierLog, topLevelIndexOf } from './parse';
import { splitRegisterName, splitStateTokens } from './state';

export interface ViewSource {
  text: string;
  file?: string;
  /** 1-based; absent when the kernel printed the text only (5.x). */
  line?: number;
  /** `repeated`: the kernel did not print it for this visit; it is the line of an earlier visit of the same instruction. */
  confidence: 'printed' | 'repeated';
}

export interface ViewStep {
  /** Position in `steps`. */
  step: number;
  insn: number;
  opcode: string;
  text: string;
  source?: ViewSource;
  /** Call depth of the frame the instruction runs in (0 = main program). */
  frame: number;
  /** Registers of that frame after the instruction, as printed (`R0` → `map_value(map=m,ks=4,vs=8)`). */
  registers: Record<string, string>;
  /** Known stack slots of that frame after the instruction (`fp-8` → `mmmm????`). */
  stack: Record<string, string>;
  /** Reference ids held after the instruction. */
  refs: number[];
  /** Registers and slots this instruction changed (or, for the first step of a path, every one). */
  changed: string[];
  /** Set on the first instruction of a path the verifier had set aside: the jump it branched at. */
  branchFrom?: number;
  /** The step is on the path from the program's entry to the error (or to the last instruction). */
  onErrorPath: boolean;
  /** The state after this step is unknown: the verifier stopped here (the failing instruction). */
  failed?: boolean;
}

export interface VerifierView {
  verdict: 'rejected' | 'accepted' | 'unknown';
  /** Set when rejected. */
  error?: {
    kind: VerifierErrorKind;
    title: string;
    explanation: string;
    message: string;
    /** The step the verifier rejected (the last step), when the log shows instructions. */
    step?: number;
  };
  steps: ViewStep[];
  /** Steps of the path to the error, oldest first (indices into `steps`). */
  errorPath: number[];
  /** Steps on the error path where the verifier took a branch: a conditional jump, or a path it resumed. */
  branchPoints: number[];
  /** Steps dropped from the front to stay under `maxSteps`. */
  droppedSteps: number;
  /** The log is level 2 (every state, pruning points): richer but longer. */
  detailed: boolean;
  insnsProcessed?: number;
  notes: string[];
}

export interface ViewOptions {
  /** Steps kept (the last ones); 20,000 by default, about 10 MB of JSON for a webview. */
  maxSteps?: number;
}

const INSN_LINE = /^(\d+): \(([0-9a-f]{2})\) (.*)$/;
const STATE_LINE = /^(\d+): ((?:frame\d+: )?(?:R\d+|fp-?\d+|refs=).*)$/;
const FROM_LINE = /^from (\d+) to (\d+)(?: \(speculative execution\))?: ?(.*)$/;
const RESUMED = / (\d+): (?=R\d|frame\d|fp-?\d|refs=)/;
const HELPER_CALL = /^call (?!pc[+-])\S+#\d+$/;
const CONDITIONAL = /^if /;

interface Frame {
  registers: Map<string, string>;
  stack: Map<string, string>;
}

function stackKey(name: string): string {
  // `fp-8_w` (5.x liveness suffix) and `fp-8` are the same slot.
  const underscore = name.indexOf('_');
  return underscore < 0 ? name : name.slice(0, underscore);
}

class Replayer {
  frames: Frame[] = [{ registers: new Map(), stack: new Map() }];
  frame = 0;
  refs: number[] = [];

  /** Applies a state print; `reset` when it lists whole frames. Returns the names it set. */
  apply(text: string, reset: boolean): string[] {
    const changed: string[] = [];
    let touched = false;
    const select = (f: number) => {
      while (this.frames.length <= f) this.frames.push({ registers: new Map(), stack: new Map() });
      this.frame = f;
      touched = true;
      if (reset) { this.frames[f].registers.clear(); this.frames[f].stack.clear(); }
    };
    let sawRefs = false;
    for (const token of splitStateTokens(text)) {
      if (/^frame\d+:$/.test(token)) { select(Number(token.slice(5, -1))); continue; }
      const eq = token.indexOf('=');
      if (eq <= 0) continue;
      if (!touched) select(reset ? 0 : this.frame);
      const name = token.slice(0, eq);
      const value = token.slice(eq + 1);
      if (/^R\d+/.test(name)) {
        const { register } = splitRegisterName(name);
        this.frames[this.frame].registers.set(register, value);
        changed.push(register);
      } else if (name.startsWith('fp')) {
        const key = stackKey(name);
        this.frames[this.frame].stack.set(key, value);
        changed.push(key);
      } else if (name === 'refs') {
        this.refs = value.split(',').map(Number).filter(Number.isInteger);
        sawRefs = true;
      }
    }
    if (reset && !touched) select(0);
    if (reset) {
      // A whole-state print names every frame from 0 up: deeper frames are gone.
      this.frames.length = Math.max(this.frame + 1, 1);
      if (!sawRefs) this.refs = [];
    }
    return changed;
  }

  clobberCallerSaved(): void {
    for (const name of ['R1', 'R2', 'R3', 'R4', 'R5']) this.frames[this.frame].registers.delete(name);
  }

  snapshot(): Pick<ViewStep, 'frame' | 'registers' | 'stack' | 'refs'> {
    const current = this.frames[this.frame] ?? { registers: new Map(), stack: new Map() };
    const registers: Record<string, string> = {};
    for (const name of [...current.registers.keys()].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)))) {
      registers[name] = current.registers.get(name)!;
    }
    const stack: Record<string, string> = {};
    for (const name of [...current.stack.keys()].sort((a, b) => Number(b.slice(2)) - Number(a.slice(2)))) {
      stack[name] = current.stack.get(name)!;
    }
    return { frame: this.frame, registers, stack, refs: this.refs.slice() };
  }
}

/** Builds the step-through model of a verifier log (any level, 5.x or 6.x wording). */
export function buildVerifierView(log: string, options: ViewOptions = {}): VerifierView {
  const maxSteps = Math.max(1, options.maxSteps ?? 20_000);
  const report = parseVerifierLog(log);
  const replay = new Replayer();
  const steps: ViewStep[] = [];
  let dropped = 0;
  const sourceByInsn = new Map<number, ViewSource>();
  let pendingSource: ViewSource | undefined;
  let currentSource: ViewSource | undefined;
  /** After a path switch the log does not repeat the line: earlier visits of the instruction tell it. */
  let pathSwitched = true;
  let pendingBranchFrom: number | undefined;

  const push = (step: Omit<ViewStep, 'step'>) => {
    steps.push({ ...step, step: 0 });
    if (steps.length > maxSteps * 2) {
      // Trim in bulk so the cost stays linear.
      const cut = steps.length - maxSteps;
      steps.splice(0, cut);
      dropped += cut;
    }
  };

  for (const raw of log.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.startsWith(';')) {
      const body = line.startsWith('; ') ? line.slice(2) : line.slice(1);
      const at = body.lastIndexOf(' @ ');
      const where = at >= 0 ? /^(.*):(\d+)$/.exec(body.slice(at + 3)) : null;
      pendingSource = where
        ? { text: body.slice(0, at).trim(), file: where[1], line: Number(where[2]), confidence: 'printed' }
        : { text: body.trim(), confidence: 'printed' };
      continue;
    }
    const from = FROM_LINE.exec(line);
    if (from) {
      pendingBranchFrom = Number(from[1]);
      pathSwitched = true;
      if (from[3] && from[3] !== 'safe') replay.apply(from[3], true);
      continue;
    }
    const insn = INSN_LINE.exec(line);
    if (insn) {
      const index = Number(insn[1]);
      let rest = insn[3];
      let delta: string | undefined;
      let resumed: string | undefined;
      const semicolon = topLevelIndexOf(rest, 59);
      const resume = RESUMED.exec(semicolon < 0 ? rest : rest.slice(0, semicolon));
      if (resume) {
        resumed = rest.slice(resume.index + resume[0].length);
        rest = rest.slice(0, resume.index);
      } else if (semicolon >= 0) {
        delta = rest.slice(semicolon + 1).trim();
        rest = rest.slice(0, semicolon).trimEnd();
      }
      let source: ViewSource | undefined;
      if (pendingSource) {
        source = pendingSource;
        pendingSource = undefined;
        currentSource = source;
        pathSwitched = false;
      } else if (!pathSwitched && currentSource) {
        source = currentSource;
      } else {
        const seen = sourceByInsn.get(index);
        if (seen) source = { ...seen, confidence: 'repeated' };
      }
      if (source && source.confidence === 'printed' && !sourceByInsn.has(index)) sourceByInsn.set(index, source);
      let changed: string[] = [];
      if (HELPER_CALL.test(rest)) replay.clobberCallerSaved();
      if (delta) changed = replay.apply(delta, false);
      push({
        insn: index, opcode: insn[2], text: rest, ...(source ? { source } : {}), ...replay.snapshot(), changed,
        ...(pendingBranchFrom !== undefined ? { branchFrom: pendingBranchFrom } : {}), onErrorPath: false,
      });
      pendingBranchFrom = undefined;
      if (resumed !== undefined) {
        // Level 1 went back to the branch it set aside at this jump; what follows is that path.
        pendingBranchFrom = index;
        pathSwitched = true;
        replay.apply(resumed, true);
      }
      continue;
    }
    const state = STATE_LINE.exec(line);
    if (state) {
      const last = steps[steps.length - 1];
      if (last && last.insn === Number(state[1]) && pendingBranchFrom === undefined && !pathSwitched) {
        // 5.x prints the state after an instruction on a line of its own.
        const changed = replay.apply(state[2], false);
        Object.assign(last, replay.snapshot(), { changed: [...new Set([...last.changed, ...changed])] });
      } else {
        // The state at the start of a path (the program's entry, a global function).
        replay.apply(state[2], true);
      }
      continue;
    }
    const indented = /^\s+((?:frame\d+: )?(?:R\d+|fp-?\d+)\S*=.*)$/.exec(line);
    if (indented) {
      // The caller's and callee's whole frames around a call or return (`caller:`, `callee:`, `to caller at 7:`).
      replay.apply(indented[1], true);
      continue;
    }
    if (/^Validating .+ func#\d+\.\.\.$/.test(line)) {
      // A global function is verified on its own from a fresh state.
      replay.apply('', true);
      pathSwitched = true;
    }
  }

  if (steps.length > maxSteps) {
    const cut = steps.length - maxSteps;
    steps.splice(0, cut);
    dropped += cut;
  }
  steps.forEach((step, i) => { step.step = i; });

  const errorPath = pathTo(steps);
  for (const i of errorPath) steps[i].onErrorPath = true;
  const branchPoints = errorPath.filter((i) => steps[i].branchFrom !== undefined || CONDITIONAL.test(steps[i].text));
  const notes = report.notes.slice();
  if (dropped) notes.push(`the first ${dropped} steps of the log are not shown (only the last ${maxSteps} are kept)`);

  const view: VerifierView = {
    verdict: report.verdict, steps, errorPath, branchPoints, droppedSteps: dropped, detailed: report.detailed, notes,
    ...(report.stats.insnsProcessed !== undefined ? { insnsProcessed: report.stats.insnsProcessed } : {}),
  };
  if (report.verdict === 'rejected') {
    const explained = explainVerifierError(report);
    const last = steps.length ? steps.length - 1 : undefined;
    if (last !== undefined && report.failingInstruction?.index === steps[last].insn) steps[last].failed = true;
    view.error = {
      kind: report.kind, title: explained.title, explanation: explained.explanation, message: report.message,
      ...(last !== undefined && steps[last].failed ? { step: last } : {}),
    };
  }
  return view;
}

/**
 * The path to the last step: walk back through consecutive steps; at the first step of a
 * resumed path, continue from the latest earlier visit of the jump it branched at.
 */
function pathTo(steps: ViewStep[]): number[] {
  const path: number[] = [];
  let i = steps.length - 1;
  while (i >= 0) {
    path.push(i);
    const from = steps[i].branchFrom;
    if (from === undefined) { i--; continue; }
    let j = i - 1;
    while (j >= 0 && steps[j].insn !== from) j--;
    i = j;
  }
  return path.reverse();
}
