/**
 * `bpfdev verify INPUT…`: diagnostics as `file:line:col: severity: message`, or the JSON report
 * for CI. One file argument prints its document as it always has; anything more (several
 * inputs, or a directory, whose contents may grow) prints `{"results": [...]}` so a CI script
 * sees one shape for a given command line.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FleetHost } from '../../core/src/fleet/inventory';
import { compareWithBaseline, formatBaselineChanges, formatMatrix, MatrixColumn, parseBaseline, TargetReport } from '../../core/src/fleet/matrix';
import type { Target } from '../../host/src/target';
import { openTarget, TargetOptions } from './targets';
import { collectInputs, VerifyInput, verifyMany, VerifyManyOptions, VerifyResult } from '../../host/src/verify-many';
import type { VerifyReport } from '../../core/src/report/verify-report';
import { formatSourceDiagnostic } from './format';
import { describeFlagsSource } from '../../core/src/build/project-flags';

/**
 * Verdicts that fail a CI run. Anything else (`ok`, and `unsupported`: this kernel cannot load
 * the program type, which says nothing about the program) passes.
 */
const FAILING_VERDICTS: ReadonlySet<string> = new Set(['rejected', 'not-loaded', 'attach-target-missing']);

export interface VerifyCommandOptions {
  json: boolean;
  compile: VerifyManyOptions['compile'];
  target: TargetOptions;
  /** More than one: every target verified at once, results tagged with host and kernel (issue #10). */
  hosts?: FleetHost[];
  baseline?: string;
  maxGrowthPercent?: number;
}

export async function runVerify(args: string[], options: VerifyCommandOptions): Promise<number> {
  const { inputs, errors } = await collectInputs(args);
  if (errors.length || inputs.length === 0) {
    for (const error of errors) process.stderr.write(`bpfdev verify: ${error}\n`);
    return 2;
  }
  let baseline: TargetReport[] | undefined;
  if (options.baseline) {
    const parsed = parseBaseline(await fs.promises.readFile(options.baseline, 'utf8').catch(() => ''));
    if (parsed.errors.length) {
      process.stderr.write(`bpfdev verify: --baseline ${options.baseline}: ${parsed.errors.join('; ')}\n`);
      return 2;
    }
    baseline = parsed.reports;
  }
  const hosts = options.hosts ?? [];
  if (hosts.length > 1) return runVerifyFleet(inputs, hosts, options, baseline);
  const single = args.length === 1 && !fs.statSync(args[0]).isDirectory();
  const target = await openTarget({ ...options.target, ...(hosts[0] ? { host: hosts[0] } : {}) });
  // Sections print in input order as soon as they and all before them are done.
  const done: (VerifyResult | undefined)[] = inputs.map(() => undefined);
  let printed = 0;
  const onResult = options.json ? undefined : (index: number, result: VerifyResult) => {
    done[index] = result;
    while (printed < done.length && done[printed]) process.stdout.write(humanSection(done[printed++]!, !single));
  };
  const kernel = await target.kernelRelease().catch(() => undefined);
  const results = await verifyMany(inputs, target, { compile: options.compile, ...(onResult ? { onResult } : {}) }).finally(() => target.dispose());
  const failed = results.some(reportFailed);
  const tagged = results.map(({ timings: _timings, ...document }): TargetReport => ({ ...document, host: target.name, ...(kernel ? { kernel } : {}) }));
  if (options.json) {
    // The single-file document keeps its shape; the multi-input one names its target.
    const documents = results.map(({ timings: _timings, ...document }) => document);
    process.stdout.write(JSON.stringify(single ? documents[0] : { results: tagged }, null, 2) + '\n');
  } else if (!single) {
    process.stdout.write(summary(results) + '\n');
  }
  if (baseline) return compareAndReport(tagged, baseline, options) ? 1 : 0;
  return failed ? 1 : 0;
}

/** Every target at once; each runs the multi-input pipeline on its own connection. */
async function runVerifyFleet(inputs: VerifyInput[], hosts: FleetHost[], options: VerifyCommandOptions, baseline: TargetReport[] | undefined): Promise<number> {
  const runs = await Promise.all(hosts.map(async (host) => {
    let target: Target;
    try {
      target = await openTarget({ ...options.target, host });
    } catch (error) {
      return { host: host.name, error: error as Error & { hint?: string } };
    }
    try {
      const kernel = await target.kernelRelease();
      const results = await verifyMany(inputs, target, { compile: options.compile });
      return { host: target.name, kernel, results };
    } catch (error) {
      return { host: host.name, error: error as Error & { hint?: string } };
    } finally {
      await target.dispose().catch(() => undefined);
    }
  }));
  const reports: TargetReport[] = [];
  const columns: MatrixColumn[] = [];
  let failed = false;
  for (const run of runs) {
    if ('error' in run && run.error) {
      failed = true;
      process.stderr.write(`bpfdev verify: ${run.host}: ${run.error.message}\n${run.error.hint ? `hint: ${run.error.hint}\n` : ''}`);
      continue;
    }
    columns.push({ host: run.host, kernel: run.kernel });
    for (const { timings: _timings, ...document } of run.results) reports.push({ ...document, host: run.host, kernel: run.kernel });
    if (run.results.some(reportFailed)) failed = true;
    if (!options.json) for (const result of run.results) if (reportFailed(result)) process.stdout.write(humanSection(result, true, `${run.host}, ${run.kernel}`));
  }
  const relative = (file: string) => path.relative(process.cwd(), file) || file;
  if (options.json) process.stdout.write(JSON.stringify({ results: reports }, null, 2) + '\n');
  else process.stdout.write(formatMatrix(reports, columns, relative) + '\n');
  if (baseline) return compareAndReport(reports, baseline, options) || runs.some((run) => 'error' in run) ? 1 : 0;
  return failed ? 1 : 0;
}

/**
 * Prints the comparison (to stderr when stdout carries JSON) and says whether anything
 * regressed. With a baseline, failures it already had do not fail the run: only changes do.
 */
function compareAndReport(reports: TargetReport[], baseline: TargetReport[], options: VerifyCommandOptions): boolean {
  const key = (file: string) => path.relative(process.cwd(), path.resolve(file));
  const changes = compareWithBaseline(reports, baseline, { maxGrowthPercent: options.maxGrowthPercent ?? 10, fileKey: key });
  const regressions = changes.filter((change) => change.regression);
  const out = options.json ? process.stderr : process.stdout;
  out.write(`\nbaseline ${options.baseline}:\n${formatBaselineChanges(changes, key)}\n`);
  out.write(regressions.length ? `${regressions.length} regression(s) against the baseline\n` : 'no regressions against the baseline\n');
  return regressions.length > 0;
}

export function reportFailed(report: VerifyReport): boolean {
  if (!report.compiled || report.programs.some((program) => FAILING_VERDICTS.has(program.verdict))) return true;
  // A loader error that belongs to no program: the object could not be opened or loaded at all.
  return report.diagnostics.some((diagnostic) => diagnostic.source === 'loader' && diagnostic.severity === 'error'
    && !report.programs.some((program) => program.verdict === diagnostic.kind));
}

function humanSection(report: VerifyResult, withHeader: boolean, on?: string): string {
  const lines: string[] = [];
  if (withHeader) lines.push(`==> ${report.file}${'source' in report && report.source ? ` (source ${report.source})` : ''}${on ? ` on ${on}` : ''} <==`);
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
