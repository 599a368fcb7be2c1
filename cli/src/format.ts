import type { SourceDiagnostic } from '../../core/src/clang/diagnostics';

/** The `file:line:col: severity: message` form editors and CI annotators already understand. */
export function formatSourceDiagnostic(diagnostic: Pick<SourceDiagnostic, 'file' | 'line' | 'column' | 'severity' | 'message'>): string {
  return `${diagnostic.file}:${diagnostic.line}:${diagnostic.column}: ${diagnostic.severity}: ${diagnostic.message}`;
}
