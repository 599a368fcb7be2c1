/**
 * Parses clang's textual diagnostics (`file:line:col: severity: message [-Wflag]`).
 * We parse text rather than `-fdiagnostics-format=json` because clang 14 (Debian 12) lacks the
 * JSON format, and the text form is stable across every clang we support.
 */

export type Severity = 'error' | 'warning' | 'note' | 'info';

export interface SourceDiagnostic {
  file: string;
  /** 1-based, as tools print it. */
  line: number;
  /** 1-based. */
  column: number;
  severity: Severity;
  message: string;
  /** e.g. `-Wunused-variable`, when clang names the flag. */
  flag?: string;
  /** Notes that clang attached to this diagnostic (include stacks, "expanded from macro"). */
  notes: { file: string; line: number; column: number; message: string }[];
}

const DIAGNOSTIC_LINE = /^(.+?):(\d+):(\d+): (fatal error|error|warning|note|remark): (.*)$/;
const FLAG_SUFFIX = / \[(-W[^\]]+)\]$/;

export function parseClangDiagnostics(output: string): SourceDiagnostic[] {
  const diagnostics: SourceDiagnostic[] = [];
  for (const rawLine of output.split('\n')) {
    const line = rawLine.replace(/\r$/, '');
    const match = DIAGNOSTIC_LINE.exec(line);
    if (!match) continue;
    const [, file, lineText, columnText, kind, rest] = match;
    const flagMatch = FLAG_SUFFIX.exec(rest);
    const message = flagMatch ? rest.slice(0, flagMatch.index) : rest;
    const position = { file, line: Number(lineText), column: Number(columnText) };
    if (kind === 'note') {
      // A note belongs to the diagnostic before it; a stray one (no parent) is kept as info.
      const parent = diagnostics[diagnostics.length - 1];
      if (parent) parent.notes.push({ ...position, message });
      else diagnostics.push({ ...position, severity: 'info', message, notes: [] });
      continue;
    }
    diagnostics.push({
      ...position,
      severity: kind === 'warning' ? 'warning' : kind === 'remark' ? 'info' : 'error',
      message,
      ...(flagMatch ? { flag: flagMatch[1] } : {}),
      notes: [],
    });
  }
  return diagnostics;
}
