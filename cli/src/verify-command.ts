/** `bpfdev verify`: diagnostics as `file:line:col: severity: message`, or the JSON report for CI. */
import { CompileOptions } from '../../host/src/compile';
import { openTarget, TargetOptions } from './targets';
import { verifyFile } from '../../host/src/verify';
import { formatSourceDiagnostic } from './format';
import { describeFlagsSource } from '../../core/src/build/project-flags';

export async function runVerify(file: string, options: { json: boolean; compile: CompileOptions; target: TargetOptions }): Promise<number> {
  const target = await openTarget(options.target);
  const report = await verifyFile(file, target, options.compile).finally(() => target.dispose());
  const failed = !report.compiled || report.diagnostics.some((diagnostic) => diagnostic.severity === 'error');
  if (options.json) {
    const { timings: _timings, ...document } = report;
    process.stdout.write(JSON.stringify(document, null, 2) + '\n');
    return failed ? 1 : 0;
  }
  // Where the flags came from, first: a header-not-found below reads differently once you know.
  const notes = [...(report.flagsSource.kind !== 'none' ? [describeFlagsSource(report.flagsSource)] : []), ...(report.flagsSource.errors ?? []).map((error) => `build description not used: ${error}`)];
  for (const message of notes) process.stdout.write(formatSourceDiagnostic({ file: report.file, line: 1, column: 1, severity: 'note', message }) + '\n');
  for (const diagnostic of report.diagnostics) {
    if (diagnostic.severity === 'hint') continue;
    process.stdout.write(formatSourceDiagnostic({ ...diagnostic, severity: diagnostic.severity === 'info' ? 'note' : diagnostic.severity }) + '\n');
    if (diagnostic.explanation) process.stdout.write(formatSourceDiagnostic({ ...diagnostic, severity: 'note', message: diagnostic.explanation }) + '\n');
  }
  for (const program of report.programs) {
    process.stdout.write(`${program.name} (${program.section}): ${program.verdict}` +
      (program.insnsProcessed !== null ? `, ${program.insnsProcessed} insns processed` : '') +
      (program.stackDepth !== null ? `, stack ${program.stackDepth} bytes` : '') + '\n');
  }
  return failed ? 1 : 0;
}
