/**
 * Verify results across targets (issue #10): the program × kernel matrix people read, and the
 * baseline comparison CI gates on (veristat's compare mode, across kernels).
 */
import type { VerifyReport } from '../report/verify-report';

/** One file's report on one target, as `bpfdev verify --json` prints it in `results`. */
export type TargetReport = VerifyReport & { host?: string; kernel?: string };

export interface MatrixColumn { host: string; kernel: string }

/** Rows `file:program`, one column per target; cells `ok 1234 insns, stack 64, 0.3 ms`. */
export function formatMatrix(reports: TargetReport[], columns: MatrixColumn[], relativeFile: (file: string) => string = (file) => file): string {
  const rows = new Map<string, Map<string, string>>();
  const row = (key: string) => {
    let cells = rows.get(key);
    if (!cells) rows.set(key, cells = new Map());
    return cells;
  };
  for (const report of reports) {
    const host = report.host ?? 'local';
    if (!report.compiled) row(`${relativeFile(report.file)}`).set(host, 'did not compile');
    for (const program of report.programs) row(`${relativeFile(report.file)}:${program.name}`).set(host, cell(program));
  }
  const header = ['program', ...columns.map((column) => `${column.host} (${column.kernel})`)];
  const table = [header, ...[...rows].map(([key, cells]) => [key, ...columns.map((column) => cells.get(column.host) ?? '-')])];
  const widths = header.map((_, index) => Math.max(...table.map((line) => line[index].length)));
  return table.map((line) => line.map((text, index) => text.padEnd(widths[index])).join('  ').trimEnd()).join('\n');
}

function cell(program: VerifyReport['programs'][number]): string {
  const parts: string[] = [program.verdict];
  if (program.insnsProcessed !== null) parts.push(`${program.insnsProcessed} insns`);
  if (program.stackDepth !== null) parts.push(`stack ${program.stackDepth}`);
  if (program.loadTimeUs !== undefined) parts.push(`${(program.loadTimeUs / 1000).toFixed(1)} ms`);
  return parts.join(', ');
}

export interface BaselineChange {
  file: string;
  program: string;
  host: string;
  kernel?: string;
  before?: { verdict: string; insnsProcessed: number | null; stackDepth: number | null };
  after: { verdict: string; insnsProcessed: number | null; stackDepth: number | null };
  /** Set when this change fails the comparison; says why. */
  regression?: string;
  growthPercent?: number;
}

/**
 * Reads a previous `bpfdev verify --json` output: the single-file document or `{results}`.
 * Never throws: a file that is neither gives an error.
 */
export function parseBaseline(json: string): { reports: TargetReport[]; errors: string[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    return { reports: [], errors: [`not JSON: ${(error as Error).message}`] };
  }
  const list = parsed && typeof parsed === 'object' && Array.isArray((parsed as { results?: unknown }).results)
    ? (parsed as { results: unknown[] }).results : [parsed];
  const reports = list.filter((entry): entry is TargetReport => Boolean(entry) && typeof entry === 'object'
    && typeof (entry as TargetReport).file === 'string' && Array.isArray((entry as TargetReport).programs));
  return { reports, errors: reports.length ? [] : ['no verify results in it (expected the output of bpfdev verify --json)'] };
}

/**
 * Compares per program and target. A regression: ok → anything else, insns processed grown
 * past `maxGrowthPercent`, a program new since the baseline that fails, or a file that no
 * longer compiles. A baseline entry without `host` (a single-target run) stands for every target.
 */
export function compareWithBaseline(current: TargetReport[], baseline: TargetReport[], options: { maxGrowthPercent: number; fileKey?: (file: string) => string }): BaselineChange[] {
  const key = options.fileKey ?? ((file: string) => file);
  const before = new Map<string, { verdict: string; insnsProcessed: number | null; stackDepth: number | null }>();
  const compiledBefore = new Map<string, boolean>();
  for (const report of baseline) {
    compiledBefore.set(`${report.host ?? '*'}\0${key(report.file)}`, report.compiled);
    for (const program of report.programs) before.set(`${report.host ?? '*'}\0${key(report.file)}\0${program.name}`, program);
  }
  const changes: BaselineChange[] = [];
  for (const report of current) {
    const host = report.host ?? 'local';
    const file = key(report.file);
    const compiled = compiledBefore.get(`${host}\0${file}`) ?? compiledBefore.get(`*\0${file}`);
    if (!report.compiled) {
      changes.push({
        file: report.file, program: '(file)', host, ...(report.kernel ? { kernel: report.kernel } : {}),
        after: { verdict: 'did not compile', insnsProcessed: null, stackDepth: null },
        regression: compiled === false ? undefined : 'no longer compiles',
      });
      continue;
    }
    for (const program of report.programs) {
      const previous = before.get(`${host}\0${file}\0${program.name}`) ?? before.get(`*\0${file}\0${program.name}`);
      const after = { verdict: program.verdict, insnsProcessed: program.insnsProcessed, stackDepth: program.stackDepth };
      const change: BaselineChange = { file: report.file, program: program.name, host, ...(report.kernel ? { kernel: report.kernel } : {}), ...(previous ? { before: previous } : {}), after };
      if (!previous) {
        if (program.verdict !== 'ok' && program.verdict !== 'unsupported') change.regression = `new program, ${program.verdict}`;
      } else if (previous.verdict === 'ok' && program.verdict !== 'ok') {
        change.regression = `ok → ${program.verdict}`;
      } else if (previous.insnsProcessed && program.insnsProcessed !== null) {
        change.growthPercent = ((program.insnsProcessed - previous.insnsProcessed) / previous.insnsProcessed) * 100;
        if (change.growthPercent > options.maxGrowthPercent) change.regression = `insns processed grew ${change.growthPercent.toFixed(1)}% (limit ${options.maxGrowthPercent}%)`;
      }
      changes.push(change);
    }
  }
  return changes;
}

/** `prog on host (kernel): ok → rejected` lines, regressions first. */
export function formatBaselineChanges(changes: BaselineChange[], relativeFile: (file: string) => string = (file) => file): string {
  const describe = (change: BaselineChange) => {
    const where = `${relativeFile(change.file)}:${change.program} on ${change.host}${change.kernel ? ` (${change.kernel})` : ''}`;
    const was = change.before;
    const now = change.after;
    const insns = was ? `insns ${was.insnsProcessed ?? '?'} → ${now.insnsProcessed ?? '?'}${change.growthPercent !== undefined ? ` (${change.growthPercent >= 0 ? '+' : ''}${change.growthPercent.toFixed(1)}%)` : ''}` : `insns ${now.insnsProcessed ?? '?'}`;
    const stack = was ? `stack ${was.stackDepth ?? '?'} → ${now.stackDepth ?? '?'}` : `stack ${now.stackDepth ?? '?'}`;
    return `${where}: ${was ? `${was.verdict} → ` : 'new, '}${now.verdict}, ${insns}, ${stack}${change.regression ? `  REGRESSION: ${change.regression}` : ''}`;
  };
  const regressions = changes.filter((change) => change.regression);
  return [...regressions, ...changes.filter((change) => !change.regression)].map(describe).join('\n');
}
