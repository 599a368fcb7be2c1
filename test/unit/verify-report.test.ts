/**
 * The verify report (core/src/report/verify-report.ts): the JSON document of `bpfdev verify
 * --json` keeps the shape the README documents for CI users, verifier errors carry what quick
 * fixes need, attach-target problems say which target is missing, and logs parsed ahead of time
 * (the host's sliced parse) are used as given. Verifier logs are the captured corpus logs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { buildVerifyReport, VerifyInputs, VerifyReport } from '../../core/src/report/verify-report';
import { parseVerifierLog } from '../../core/src/verifier/parse';
import type { ProgramEvent } from '../../core/src/loader/events';

const CORPUS = path.resolve(__dirname, '../../../test/fixtures/verifier');
const README = path.resolve(__dirname, '../../../README.md');
const log = (name: string) => readFileSync(path.join(CORPUS, 'logs', name), 'utf8');
const sourceOf = (name: string) => readFileSync(path.join(CORPUS, `${name}.bpf.c`), 'utf8');

/** A `program` event as the loader prints it (loader/README.md), around a captured log. */
function programEvent(fields: Partial<ProgramEvent> & Pick<ProgramEvent, 'name' | 'section' | 'verdict'>): ProgramEvent {
  return {
    event: 'program', progType: 'tracepoint', attachTo: null, errno: 0, log: '', libbpfLog: '', insnsProcessed: null, stackDepth: null, insnCount: 4, ...fields,
  };
}

function inputsFor(name: string, section: string, program: string, extra: Partial<VerifyInputs> = {}): VerifyInputs {
  const text = log(`${name}.log`);
  return {
    file: `/work/${name}.bpf.c`, sourceText: sourceOf(name), compiled: true, clangDiagnostics: [],
    programs: [programEvent({ name: program, section, verdict: 'rejected', errno: 13, errnoName: 'EACCES', log: text })],
    ...extra,
  };
}

/** The documented document: these keys, these types, nothing renamed (fields may be added inside entries). */
function assertDocumentedShape(document: unknown): void {
  const top = document as Record<string, unknown>;
  assert.deepEqual(Object.keys(top).sort(), ['compiled', 'diagnostics', 'file', 'programs']);
  assert.equal(typeof top.file, 'string');
  assert.equal(typeof top.compiled, 'boolean');
  assert.ok(Array.isArray(top.diagnostics) && Array.isArray(top.programs));
  for (const diagnostic of top.diagnostics as Record<string, unknown>[]) {
    for (const key of ['file', 'source', 'kind', 'message']) assert.equal(typeof diagnostic[key], 'string', `diagnostic.${key}`);
    for (const key of ['line', 'column']) assert.ok(Number.isInteger(diagnostic[key]) && (diagnostic[key] as number) >= 1, `diagnostic.${key}`);
    assert.ok(['error', 'warning', 'info', 'hint'].includes(diagnostic.severity as string), `severity ${String(diagnostic.severity)}`);
  }
  for (const program of top.programs as Record<string, unknown>[]) {
    assert.equal(typeof program.name, 'string');
    assert.equal(typeof program.section, 'string');
    assert.ok(['ok', 'rejected', 'attach-target-missing', 'not-loaded'].includes(program.verdict as string), `verdict ${String(program.verdict)}`);
    for (const key of ['insnsProcessed', 'stackDepth']) assert.ok(key in program && (program[key] === null || Number.isInteger(program[key])), `program.${key}`);
    if ('line' in program) assert.ok(Number.isInteger(program.line));
  }
}

/** What the CLI prints: the report without the host's timings, through JSON. */
const asJson = (report: VerifyReport): unknown => JSON.parse(JSON.stringify(report));

test('the README documents the keys the report has', () => {
  const readme = readFileSync(README, 'utf8');
  const example = /```json\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('## CLI')))?.[1];
  assert.ok(example, 'no JSON example under ## CLI');
  const { flagsSource, ...documented } = JSON.parse(example.replace(/"\.\.\."/g, '"x"')) as Record<string, unknown>;
  assertDocumentedShape(documented);
  // Added by host/verify.ts, which resolved the compile's flags: where they came from (issue #9).
  const origin = flagsSource as Record<string, unknown>;
  assert.ok(['compile_commands.json', 'compile_flags.txt', 'go:generate', 'none'].includes(origin.kind as string), 'flagsSource.kind');
  assert.ok(Array.isArray(origin.flags) && Array.isArray(origin.dropped), 'flagsSource.flags, .dropped');
  const report = asJson(buildVerifyReport(inputsFor('null-deref-map-value', 'tracepoint/syscalls/sys_enter_openat', 'count_openat'))) as Record<string, Record<string, unknown>[]>;
  for (const key of Object.keys((documented.diagnostics as Record<string, unknown>[])[0])) assert.ok(key in report.diagnostics[0], `diagnostics[].${key}`);
  for (const key of Object.keys((documented.programs as Record<string, unknown>[])[0])) assert.ok(key in report.programs[0], `programs[].${key}`);
});

test('a rejection: error at the log\'s line, kind, explanation, fix data; the program with its stats', () => {
  const report = buildVerifyReport(inputsFor('null-deref-map-value', 'tracepoint/syscalls/sys_enter_openat', 'count_openat'));
  assertDocumentedShape(asJson(report));
  const expected = sourceOf('null-deref-map-value').split('\n').findIndex((line) => line.includes('EXPECT')) + 1;
  const [error] = report.diagnostics;
  assert.equal(error.line, expected);
  assert.equal(error.severity, 'error');
  assert.equal(error.source, 'verifier');
  assert.equal(error.kind, 'null-deref-map-value');
  assert.match(error.explanation ?? '', /NULL/);
  const data = error.data as { program: string; section: string; fix?: { kind: string } };
  assert.equal(data.program, 'count_openat');
  assert.equal(data.section, 'tracepoint/syscalls/sys_enter_openat');
  assert.equal(data.fix?.kind, 'insert-null-check');
  assert.deepEqual(report.programs[0], {
    name: 'count_openat', section: 'tracepoint/syscalls/sys_enter_openat', verdict: 'rejected',
    insnsProcessed: parseVerifierLog(log('null-deref-map-value.log')).stats.insnsProcessed, stackDepth: 8,
    line: sourceOf('null-deref-map-value').split('\n').findIndex((line) => line.startsWith('SEC("tracepoint')) + 1,
  });
});

test('an accepted program: a hint with its stats at its SEC() line', () => {
  const source = sourceOf('accepted');
  const section = /SEC\("((?!license|\.maps)[^"]+)"\)/.exec(source)![1];
  const accepted = parseVerifierLog(log('accepted.log'));
  const report = buildVerifyReport({
    file: '/work/accepted.bpf.c', sourceText: source, compiled: true, clangDiagnostics: [],
    programs: [programEvent({ name: 'p', section, verdict: 'ok', log: log('accepted.log'), insnsProcessed: accepted.stats.insnsProcessed ?? null, stackDepth: String(accepted.stats.stackDepth?.[0] ?? 0) })],
  });
  assertDocumentedShape(asJson(report));
  assert.equal(report.diagnostics.length, 1);
  const [hint] = report.diagnostics;
  assert.equal(hint.severity, 'hint');
  assert.equal(hint.kind, 'verified');
  assert.equal(hint.line, source.split('\n').findIndex((line) => line.includes(`SEC("${section}")`)) + 1);
  assert.match(hint.message, new RegExp(`accepted by the verifier \\(${accepted.stats.insnsProcessed} insns processed, stack \\d+ bytes\\)`));
});

test('a missing attach target names the function and what the kernel has that is close', () => {
  const sourceText = 'SEC("fentry/do_nanosleepx")\nint BPF_PROG(f1, void *a) { return 0; }\nSEC("tp_btf/sched_switchx")\nint BPF_PROG(f2) { return 0; }\n';
  const report = buildVerifyReport({
    file: '/work/fe.bpf.c', sourceText, compiled: true, clangDiagnostics: [],
    programs: [
      programEvent({ name: 'f1', section: 'fentry/do_nanosleepx', attachTo: 'do_nanosleepx', verdict: 'attach-target-missing', errno: 3, errnoName: 'ESRCH', progType: 'tracing' }),
      programEvent({ name: 'f2', section: 'tp_btf/sched_switchx', attachTo: 'sched_switchx', verdict: 'attach-target-missing', errno: 3, errnoName: 'ESRCH', progType: 'tracing' }),
    ],
    attachSuggestions: { f1: ['do_nanosleep'], f2: [] },
  });
  assertDocumentedShape(asJson(report));
  const [f1, f2] = report.diagnostics;
  assert.equal(f1.kind, 'attach-target-missing');
  assert.equal(f1.source, 'attach');
  assert.equal(f1.line, 1);
  assert.match(f1.message, /^f1: the kernel function 'do_nanosleepx' that SEC\("fentry\/do_nanosleepx"\) attaches to does not exist in this kernel \(ESRCH\).*Did you mean 'do_nanosleep'\?$/);
  assert.deepEqual((f1.data as { suggestions: string[] }).suggestions, ['do_nanosleep']);
  assert.equal(f2.line, 3);
  assert.match(f2.message, /the tracepoint 'sched_switchx'/);
  assert.doesNotMatch(f2.message, /Did you mean/);
  assert.deepEqual(report.programs.map((program) => program.verdict), ['attach-target-missing', 'attach-target-missing']);
});

test('a program refused before verification reports the loader\'s reason, without a verifier explanation', () => {
  const reason = 'the kernel refused this program (EPERM) before verifying it';
  const report = buildVerifyReport({
    file: '/work/x.bpf.c', sourceText: 'SEC("fentry/do_nanosleep")\nint f(void *ctx) { return 0; }\n', compiled: true, clangDiagnostics: [],
    programs: [programEvent({ name: 'f', section: 'fentry/do_nanosleep', verdict: 'rejected', errno: 1, errnoName: 'EPERM', reason })],
  });
  assert.equal(report.diagnostics[0].message, reason);
  assert.equal(report.diagnostics[0].explanation, undefined);
});

test('a log parsed ahead of time is used as given, not parsed again', () => {
  const inputs = inputsFor('null-deref-map-value', 'tracepoint/syscalls/sys_enter_openat', 'count_openat');
  // The parse of another log stands in for this one: the report must show its kind.
  const other = parseVerifierLog(log('raw-pointer-deref.log'));
  const report = buildVerifyReport({ ...inputs, parsedLogs: [other] });
  assert.equal(report.diagnostics[0].kind, 'raw-pointer-deref');
});

test('clang diagnostics keep file, line, column and flag', () => {
  const report = buildVerifyReport({
    file: '/work/a.bpf.c', sourceText: '', compiled: false, programs: [],
    clangDiagnostics: [{ file: '/work/a.bpf.c', line: 4, column: 27, severity: 'error', message: "use of undeclared identifier 'x'", notes: [] },
      { file: '/work/a.bpf.c', line: 2, column: 6, severity: 'warning', message: 'unused', flag: '-Wunused-variable', notes: [] }],
  });
  assertDocumentedShape(asJson(report));
  assert.deepEqual(report.diagnostics.map((d) => [d.line, d.column, d.severity, d.source, d.kind]), [[4, 27, 'error', 'clang', 'compile-error'], [2, 6, 'warning', 'clang', '-Wunused-variable']]);
});
