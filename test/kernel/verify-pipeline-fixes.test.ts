/**
 * Quick fixes against the real verifier: each corpus program (test/fixtures/verifier/) goes
 * through the verify pipeline (host/src/verify.ts), the fix its diagnostic carries is turned into
 * edits exactly as the language server does (core/src/verifier/fixes.ts, at the diagnostic's
 * line), and the edited program must then be accepted by this kernel.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { kernelSkipReason, repoRoot } from '../support/kernel';
import { verifyFile } from '../../host/src/verify';
import { LocalTarget } from '../../host/src/local-target';
import { applyTextEdits, computeAttachTargetEdits, computeFixEdits, FixEdits } from '../../core/src/verifier/fixes';
import type { QuickFix } from '../../core/src/verifier/explain';
import type { ReportDiagnostic } from '../../core/src/report/verify-report';

const skip = kernelSkipReason() ?? (spawnSync('clang', ['--version']).error ? 'needs clang' : undefined);
const target = new LocalTarget();
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfdev-verify-fixes-'));
test.after(() => fs.rmSync(workDir, { recursive: true, force: true }));

const CORPUS = path.join(repoRoot, 'test/fixtures/verifier');

/** Corpus programs whose rejection has a mechanical fix, with the fix kind the report must carry. */
const FIXABLE: [string, QuickFix['kind']][] = [
  ['null-deref-map-value', 'insert-null-check'],
  ['null-deref-pointer', 'insert-null-check'],
  ['raw-pointer-deref', 'use-probe-read'],
  ['out-of-bounds-map-value', 'add-bounds-check'],
  ['unbounded-variable-offset', 'add-bounds-check'],
  ['negative-offset', 'add-bounds-check'],
  ['unchecked-packet-pointer', 'add-bounds-check'],
  ['packet-out-of-bounds', 'add-bounds-check'],
  ['helper-size-unbounded', 'add-bounds-check'],
  ['gpl-only-helper', 'set-gpl-license'],
  ['stack-too-large', 'move-to-percpu-array'],
  ['unreleased-reference', 'release-reference'],
  ['unreleased-reference-on-branch', 'release-reference'],
  ['sleepable-helper', 'replace-helper'],
];

/** The edits the server offers for a diagnostic (verifier-actions.ts does the same with LSP types). */
function serverFix(sourceText: string, diagnostic: ReportDiagnostic): FixEdits | undefined {
  const data = diagnostic.data as { fix?: QuickFix; section?: string; program?: string; suggestions?: string[] } | undefined;
  if (diagnostic.kind === 'attach-target-missing' && data?.section && data.suggestions?.[0]) {
    return computeAttachTargetEdits(sourceText, data.section, data.suggestions[0]);
  }
  if (!data?.fix) return undefined;
  return computeFixEdits(sourceText, data.fix, { line: diagnostic.line, ...(data.section ? { section: data.section } : {}), ...(data.program ? { program: data.program } : {}) });
}

async function fixAndReverify(file: string, expectedFix?: QuickFix['kind']): Promise<void> {
  const before = await verifyFile(file, target);
  const problem = before.diagnostics.find((d) => d.severity === 'error');
  assert.ok(problem, `${path.basename(file)} is not rejected: ${JSON.stringify(before.programs)}`);
  if (expectedFix) assert.equal((problem.data as { fix?: QuickFix }).fix?.kind, expectedFix);
  const sourceText = fs.readFileSync(file, 'utf8');
  const fix = serverFix(sourceText, problem);
  assert.ok(fix, `no edit for ${problem.kind}: ${JSON.stringify(problem.data)}`);
  const fixedFile = path.join(fs.mkdtempSync(path.join(workDir, 'fixed-')), path.basename(file));
  fs.writeFileSync(fixedFile, applyTextEdits(sourceText, fix.edits));
  const after = await verifyFile(fixedFile, target);
  assert.ok(after.compiled, `the fixed program does not compile: ${JSON.stringify(after.diagnostics)}`);
  assert.ok(after.programs.length > 0 && after.programs.every((program) => program.verdict === 'ok'),
    `still rejected after "${fix.title}":\n${after.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.line}: ${d.message}`).join('\n')}\n--- fixed source ---\n${fs.readFileSync(fixedFile, 'utf8')}`);
}

test('each mechanical quick fix makes the verifier accept its corpus program', { skip, timeout: 600_000 }, async (t) => {
  for (const [name, kind] of FIXABLE) {
    await t.test(name, { timeout: 120_000 }, () => fixAndReverify(path.join(CORPUS, `${name}.bpf.c`), kind));
  }
});

test('the example with a user-pointer dereference is fixed with bpf_probe_read_user', { skip, timeout: 120_000 }, () =>
  fixAndReverify(path.join(repoRoot, 'examples', 'broken-user-deref.bpf.c'), 'use-probe-read'));

test('a missing GPL license is added, and the program then loads', { skip, timeout: 120_000 }, async () => {
  const file = path.join(fs.mkdtempSync(path.join(workDir, 'src-')), 'no-license.bpf.c');
  const withoutLicense = fs.readFileSync(path.join(CORPUS, 'gpl-only-helper.bpf.c'), 'utf8').replace(/^char LICENSE\[\].*$/m, '');
  assert.doesNotMatch(withoutLicense, /SEC\("license"\)/);
  fs.writeFileSync(file, withoutLicense);
  await fixAndReverify(file, 'set-gpl-license');
});

test('"did you mean" on a missing tp_btf target renames it to one that loads', { skip, timeout: 120_000 }, async () => {
  const file = path.join(fs.mkdtempSync(path.join(workDir, 'src-')), 'typo-target.bpf.c');
  fs.writeFileSync(file, [
    '#include "vmlinux.h"', '#include <bpf/bpf_helpers.h>', '#include <bpf/bpf_tracing.h>', '', 'char LICENSE[] SEC("license") = "GPL";', '',
    'SEC("tp_btf/sched_switchx")', 'int BPF_PROG(on_switch, bool preempt, struct task_struct *prev, struct task_struct *next)', '{', '\treturn 0;', '}', '',
  ].join('\n'));
  await fixAndReverify(file);
});
