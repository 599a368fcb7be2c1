/**
 * Turns one verification (clang diagnostics + the loader's per-program results) into the
 * report the CLI prints as JSON and the server publishes as diagnostics. The JSON shape is a
 * public contract for CI users (documented in the README): add fields, never rename them.
 */
import type { SourceDiagnostic } from '../clang/diagnostics';
import type { FixupEvent, LoaderErrorEvent, ProgramEvent, ProgramVerdict } from '../loader/events';
import { parseVerifierLog, VerifierReport } from '../verifier/parse';
import { explainVerifierError, QuickFix } from '../verifier/explain';
import { baseName, codeRangeOfLine, lineOfIdentifier, lineOfMapDefinition, lineOfSection, lineOfSourceText } from './source-map';

export type ReportSeverity = 'error' | 'warning' | 'info' | 'hint';

export interface ReportDiagnostic {
  file: string;
  line: number;
  column: number;
  endLine?: number;
  endColumn?: number;
  severity: ReportSeverity;
  /** `clang`, `verifier`, `attach` or `loader`. */
  source: string;
  /** Stable id of the problem: a clang flag, a verifier error kind, ... */
  kind: string;
  message: string;
  explanation?: string;
  docsLink?: string;
  related?: { line: number; message: string }[];
  unnecessary?: boolean;
  /** Opaque data for quick fixes. */
  data?: unknown;
}

export interface ReportProgram {
  name: string;
  section: string;
  verdict: ProgramVerdict;
  insnsProcessed: number | null;
  stackDepth: number | null;
  /** 1-based line of the program's SEC() in the source, when found. */
  line?: number;
  /** Time the kernel spent loading (verifying) it, as the loader measured. */
  loadTimeUs?: number;
}

export interface VerifyReport {
  file: string;
  compiled: boolean;
  diagnostics: ReportDiagnostic[];
  programs: ReportProgram[];
}

export interface VerifyInputs {
  file: string;
  sourceText: string;
  compiled: boolean;
  clangDiagnostics: SourceDiagnostic[];
  programs: ProgramEvent[];
  /** What the loader set before load (map sizes, ...): each becomes an info at the map's definition. */
  fixups?: FixupEvent[];
  loaderError?: LoaderErrorEvent;
  /**
   * Logs parsed ahead of time, index-aligned with `programs` (the host parses big logs in slices
   * so the server keeps answering); a missing entry is parsed here.
   */
  parsedLogs?: (VerifierReport | undefined)[];
  /** Names close to a missing attach target, by program name ("did you mean"). */
  attachSuggestions?: Record<string, string[]>;
}

/** What a verifier diagnostic carries in `data` for quick fixes (server/src/features/verifier-actions.ts). */
export interface VerifierDiagnosticData {
  program: string;
  section: string;
  kind: string;
  fix?: QuickFix;
  /** The failing instruction as the kernel printed it. */
  register?: string;
}

export function buildVerifyReport(inputs: VerifyInputs): VerifyReport {
  const diagnostics: ReportDiagnostic[] = inputs.clangDiagnostics.map((diagnostic) => ({
    file: diagnostic.file,
    line: diagnostic.line,
    column: diagnostic.column,
    severity: diagnostic.severity === 'note' ? 'info' : diagnostic.severity,
    source: 'clang',
    kind: diagnostic.flag ?? (diagnostic.severity === 'error' ? 'compile-error' : 'compile-warning'),
    message: diagnostic.message,
    ...(diagnostic.notes.length ? { related: diagnostic.notes.filter((note) => note.file === diagnostic.file).map((note) => ({ line: note.line, message: note.message })) } : {}),
  }));

  // An extern libbpf cannot resolve is shown where the source first uses it; any other object
  // error at line 1, unless the programs carry it already, each at its SEC line.
  const externName = inputs.loaderError?.code === 'extern' ? /extern '([A-Za-z_]\w*)'/.exec(inputs.loaderError.reason)?.[1] : undefined;
  const externLine = externName ? lineOfIdentifier(inputs.sourceText, externName) : undefined;
  if (inputs.loaderError && externLine) {
    diagnostics.push({
      file: inputs.file, line: externLine, ...codeRangeOfLine(inputs.sourceText, externLine), severity: 'error', source: 'loader', kind: inputs.loaderError.code, message: inputs.loaderError.reason,
    });
  } else if (inputs.loaderError && !inputs.programs.some((program) => program.reason === inputs.loaderError!.reason)) {
    diagnostics.push({
      file: inputs.file, line: 1, column: 1, severity: 'error', source: 'loader', kind: inputs.loaderError.code, message: inputs.loaderError.reason,
    });
  }

  for (const fixup of inputs.fixups ?? []) diagnostics.push(fixupDiagnostic(fixup, inputs));

  const programs = inputs.programs.map((program, index) => programReport(program, inputs.parsedLogs?.[index] ?? parseVerifierLog(program.log ?? ''), inputs, diagnostics));
  return { file: inputs.file, compiled: inputs.compiled, diagnostics, programs };
}

function programReport(program: ProgramEvent, parsed: VerifierReport, inputs: VerifyInputs, diagnostics: ReportDiagnostic[]): ReportProgram {
  const sectionLine = lineOfSection(inputs.sourceText, program.section);
  const stackDepth = parseStackDepth(program.stackDepth) ?? (parsed.stats.stackDepth ? parsed.stats.stackDepth.reduce((sum, depth) => sum + depth, 0) : null);
  const insnsProcessed = program.insnsProcessed ?? parsed.stats.insnsProcessed ?? null;
  const summary: ReportProgram = {
    name: program.name, section: program.section, verdict: program.verdict, insnsProcessed, stackDepth,
    ...(sectionLine ? { line: sectionLine } : {}),
    ...(program.loadTimeUs !== undefined ? { loadTimeUs: program.loadTimeUs } : {}),
  };
  const atSection = { file: inputs.file, line: sectionLine ?? 1, ...codeRangeOfLine(inputs.sourceText, sectionLine ?? 1) };

  switch (program.verdict) {
    case 'ok':
      diagnostics.push({
        ...atSection, severity: 'hint', source: 'verifier', kind: 'verified',
        message: `${program.name}: accepted by the verifier (${insnsProcessed ?? '?'} insns processed, stack ${stackDepth ?? '?'} bytes)`,
      });
      break;
    case 'attach-target-missing': {
      const suggestions = inputs.attachSuggestions?.[program.name] ?? [];
      diagnostics.push({
        ...atSection, severity: 'error', source: 'attach', kind: 'attach-target-missing',
        message: attachTargetMessage(program, suggestions),
        data: { program: program.name, section: program.section, kind: 'attach-target-missing', ...(program.attachTo ? { attachTo: program.attachTo } : {}), suggestions },
      });
      break;
    }
    case 'unsupported':
      // A fact about this kernel, not a bug in the program: a warning, and not a failure of `bpfdev verify`.
      diagnostics.push({
        ...atSection, severity: 'warning', source: 'loader', kind: 'unsupported',
        message: `${program.name}: unsupported by this kernel: ${program.reason ?? program.errnoName ?? 'unknown reason'}`,
        data: { program: program.name, section: program.section, kind: 'unsupported', ...(program.code ? { code: program.code } : {}) },
      });
      break;
    case 'not-loaded':
      diagnostics.push({
        ...atSection, severity: 'error', source: 'loader', kind: 'not-loaded',
        message: `${program.name}: not loaded: ${program.reason ?? lastMeaningfulLine(program.libbpfLog) ?? program.errnoName ?? 'unknown reason'}`,
      });
      break;
    case 'rejected': {
      const located = locate(parsed.source, inputs, sectionLine);
      // Refused before verification (no log): the loader's reason says it all, a verifier explanation would mislead.
      const refusedUnverified = !program.log?.trim() && !!program.reason;
      const explanation = refusedUnverified ? undefined : explainVerifierError(parsed);
      const range = codeRangeOfLine(inputs.sourceText, located);
      diagnostics.push({
        file: inputs.file, line: located, ...range, severity: 'error', source: 'verifier', kind: parsed.kind,
        // An empty log means the kernel refused the program before verifying it; the loader says why.
        message: parsed.message || (program.log?.trim() ? lastMeaningfulLine(program.log) : program.reason) || `rejected (${program.errnoName ?? program.errno})`,
        ...(explanation ? { explanation: explanation.explanation, docsLink: explanation.docsLink } : {}),
        related: relatedInformation(parsed, inputs, located),
        data: {
          program: program.name, section: program.section, kind: parsed.kind,
          ...(explanation?.fix ? { fix: explanation.fix } : {}),
          ...(parsed.failingInstruction?.text ? { register: parsed.failingInstruction.text } : {}),
        } satisfies VerifierDiagnosticData,
      });
      break;
    }
  }
  return summary;
}

/** At the map's definition (or the program's SEC line) when the source has it, else at the top of the file. */
function fixupDiagnostic(fixup: FixupEvent, inputs: VerifyInputs): ReportDiagnostic {
  const section = fixup.program ? inputs.programs.find((program) => program.name === fixup.program)?.section : undefined;
  const line = (fixup.map ? lineOfMapDefinition(inputs.sourceText, fixup.map) : undefined)
    ?? (section !== undefined ? lineOfSection(inputs.sourceText, section) : undefined) ?? 1;
  return {
    file: inputs.file, line, ...codeRangeOfLine(inputs.sourceText, line), severity: 'info', source: 'loader', kind: `fixup-${fixup.kind}`,
    message: `set before load, as the project's user space would: ${fixup.message}`,
  };
}

type Parsed = ReturnType<typeof parseVerifierLog>;

function locate(source: Parsed['source'], inputs: VerifyInputs, sectionLine: number | undefined): number {
  if (source?.line && (!source.file || baseName(source.file) === baseName(inputs.file))) return source.line;
  if (source?.text) return lineOfSourceText(inputs.sourceText, source.text, sectionLine) ?? sectionLine ?? 1;
  return sectionLine ?? 1;
}

function relatedInformation(parsed: Parsed, inputs: VerifyInputs, line: number): { line: number; message: string }[] {
  const related: { line: number; message: string }[] = [];
  if (parsed.registersText) related.push({ line, message: `registers at the error: ${parsed.registersText}` });
  for (const step of parsed.path.slice(-8)) {
    const stepLine = step.source?.line && (!step.source.file || baseName(step.source.file) === baseName(inputs.file)) ? step.source.line : line;
    related.push({ line: stepLine, message: `insn ${step.index}: ${step.text}` });
  }
  return related;
}

function parseStackDepth(text: string | null | undefined): number | null {
  if (!text) return null;
  // "16+0+8": one number per subprogram; the deepest call chain is bounded by the sum.
  const parts = text.split('+').map(Number).filter((value) => Number.isFinite(value));
  return parts.length ? parts.reduce((sum, value) => sum + value, 0) : null;
}

/** Which kind of target is missing, by section prefix: functions (BTF FUNC), BTF tracepoints, or LSM hooks. */
function attachTargetMessage(program: ProgramEvent, suggestions: string[]): string {
  const prefix = program.section.split('/')[0].replace(/\.s$/, '');
  const what = prefix === 'tp_btf' || prefix === 'raw_tp' || prefix === 'raw_tracepoint' || prefix === 'tp' || prefix === 'tracepoint'
    ? 'tracepoint' : prefix === 'lsm' ? 'LSM hook' : 'kernel function';
  const target = program.attachTo ?? program.section;
  const didYouMean = suggestions.length ? ` Did you mean ${suggestions.map((name) => `'${name}'`).join(', ')}?` : '';
  return `${program.name}: the ${what} '${target}' that SEC("${program.section}") attaches to does not exist in this kernel` +
    ` (${program.errnoName ?? 'not found'}): it may be misspelt, inlined, renamed or absent in this kernel version.${didYouMean}`;
}

function lastMeaningfulLine(text: string | undefined): string | undefined {
  return text?.split('\n').map((line) => line.trim()).filter(Boolean).pop();
}
