/**
 * `bpfdev verify INPUT…`: diagnostics as `file:line:col: severity: message`, or the JSON report
 * for CI. One file argument prints its document as it always has; anything more (several
 * inputs, or a directory, whose contents may grow) prints `{"results": [...]}` so a CI script
 * sees one shape for a given command line.
 */
import * as fs from 'node:fs';
import { openTarget, TargetOptions } from './targets';
import { collectInputs, verifyMany, VerifyManyOptions, VerifyResult } from '../../host/src/verify-many';
import type { VerifyReport } from '../../core/src/report/verify-report';
import { formatSourceDiagnostic } from './format';
import { describeFlagsSource } from '../../core/src/build/project-flags';

/**
 * Verdicts that fail a CI run. Anything else (`ok`, and `unsupported`: this kernel cannot load
 * the program type, which says nothing about the program) passes.
 */
const FAILING_VERDICTS: ReadonlySet<string> = new Set(['rejected', 'not-loaded', 'attach-target-missing']);

export async function runVerify(args: string[], options: { json: boolean; compile: VerifyManyOptions['compile']; target: TargetOptions }): Promise<number> {
  const { inputs, errors } = await collectInputs(args);
  if (errors.length || inputs.length === 0) {
    for (const error of errors) process.stderr.write(`bpfdev verify: ${error}\n`);
    return 2;
  }
  const single = args.length === 1 && !fs.statSync(args[0]).isDirectory();
  const target = await openTarget(options.target);
  // Sections print in input order as soon as they and all before them are done.
  const done: (VerifyResult | undefined)[] = inputs.map(() => undefined);
  let printed = 0;
  const onResult = options.json ? undefined : (index: number, result: VerifyResult) => {
    done[index] = result;
    while (printed < done.length && done[printed]) process.stdout.write(humanSection(done[printed++]!, !single));
  };
  const results = await verifyMany(inputs, target, { compile: options.compile, ...(onResult ? { onResult } : {}) }).finally(() => target.dispose());
  const failed = results.some(reportFailed);
  if (options.json) {
    const documents = results.map(({ timings: _timings, ...document }) => document);
    process.stdout.write(JSON.stringify(single ? documents[0] : { results: documents }, null, 2) + '\n');
  } else if (!single) {
    process.stdout.write(summary(results) + '\n');
  }
  return failed ? 1 : 0;
}

export function reportFailed(report: VerifyReport): boolean {
  if (!report.compiled || report.programs.some((program) => FAILING_VERDICTS.has(program.verdict))) return true;
  // A loader error that belongs to no program: the object could not be opened or loaded at all.
  return report.diagnostics.some((diagnostic) => diagnostic.source === 'loader' && diagnostic.severity === 'error'
    && !report.programs.some((program) => program.verdict === diagnostic.kind));
}

function humanSection(report: VerifyResult, withHeader: boolean): string {
  const lines: string[] = [];
  if (withHeader) lines.push(`==> ${report.file}${'source' in report && report.source ? ` (source ${report.source})` : ''} <==`);
  // Where the flags came from, first: a header-not-found below reads differently once you know.
  if ('flagsSource' in report && report.flagsSource) {
    const source = report.flagsSource;
    const notes = [...(source.kind !== 'none' ? [describeFlagsSource(source)] : []), ...(source.errors ?? []).map((error) => `build description not used: ${error}`)];
    for (const message of notes) lines.push(formatSourceDiagnostic({ file: report.file, line: 1, column: 1, severity: 'note', message }));
  }
  for (const diagnostic of report.diagnostics) {
    if (diagnostic.severity === 'hint') continue;
    lines.push(formatSourceDiagnostic({ ...diagnostic, severity: diagnostic.severity === 'info' ? 'note' : diagnostic.severity }));
    if (diagnostic.explanation) lines.push(formatSourceDiagnostic({ ...diagnostic, severity: 'note', message: diagnostic.explanation }));
  }
  for (const program of report.programs) {
    lines.push(`${program.name} (${program.section}): ${program.verdict}` +
      (program.insnsProcessed !== null ? `, ${program.insnsProcessed} insns processed` : '') +
      (program.stackDepth !== null ? `, stack ${program.stackDepth} bytes` : ''));
  }
  if (withHeader && report.compiled && report.programs.length === 0 && !reportFailed(report)) lines.push('no programs');
  return lines.map((line) => line + '\n').join('') + (withHeader ? '\n' : '');
}

/** `7 files, 9 programs: 7 ok, 1 rejected, 1 unsupported; 1 file did not compile`. */
export function summary(results: VerifyReport[]): string {
  const programs = results.flatMap((report) => report.programs);
  const byVerdict = new Map<string, number>([['ok', 0]]);
  for (const program of programs) byVerdict.set(program.verdict, (byVerdict.get(program.verdict) ?? 0) + 1);
  const notCompiled = results.filter((report) => !report.compiled).length;
  const failedFiles = results.filter(reportFailed).length;
  const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;
  return `${plural(results.length, 'file')}, ${plural(programs.length, 'program')}: ` +
    [...byVerdict].map(([verdict, count]) => `${count} ${verdict}`).join(', ') +
    (notCompiled ? `; ${plural(notCompiled, 'file')} did not compile` : '') +
    `; ${failedFiles ? `${plural(failedFiles, 'file')} failed` : 'all passed'}`;
}
