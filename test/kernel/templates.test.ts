/**
 * The templates of "eBPF: New eBPF Program" (templates/) on this kernel, as a user gets them:
 * renamed like the command does, compiled for the local target and loaded in the verifier.
 * Tracepoint, uprobe and XDP programs must be accepted; kprobe and fentry programs must compile
 * and, where this kernel cannot load them, fail for the kernel's reason — not the verifier's.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { verifyFile } from '../../host/src/verify';
import { LocalTarget } from '../../host/src/local-target';
import { kernelSkipReason, repoRoot } from '../support/kernel';

const skip = kernelSkipReason();
const templatesDir = path.join(repoRoot, 'templates');
const PLACEHOLDER = 'bpfdev_example';
const target = new LocalTarget();

interface TemplateCase {
  file: string;
  /** Programs (after renaming) that the verifier must accept here. */
  accepted: string[];
  /**
   * Programs this kernel may not support (no trampolines: EPERM at load; no kprobes: nothing
   * to attach to): `ok` or `unsupported`, never `rejected` or `not-loaded`.
   */
  kernelLimited?: string[];
}

const CASES: TemplateCase[] = [
  { file: 'tracepoint.bpf.c', accepted: ['my_tool'] },
  { file: 'xdp.bpf.c', accepted: ['my_tool'] },
  { file: 'uprobe.bpf.c', accepted: ['my_tool'] },
  // Kprobe programs load without kprobe support, but can never attach: unsupported there.
  { file: 'kprobe.bpf.c', accepted: [], kernelLimited: ['my_tool', 'my_tool_exit'] },
  // Without BPF trampolines the kernel refuses fentry programs at load, before verifying them.
  { file: 'fentry.bpf.c', accepted: [], kernelLimited: ['my_tool', 'my_tool_exit'] },
];

void describe('program templates', { skip, timeout: 300_000 }, () => {
  let workDir = '';
  before(() => { workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfdev-templates-')); });
  after(() => { if (workDir) fs.rmSync(workDir, { recursive: true, force: true }); });

  void test('every template file is covered here and names its programs with the placeholder', () => {
    const files = fs.readdirSync(templatesDir).filter((file) => file.endsWith('.bpf.c')).sort();
    assert.deepEqual(files, CASES.map((c) => c.file).sort());
    for (const file of files) assert.match(fs.readFileSync(path.join(templatesDir, file), 'utf8'), new RegExp(`\\b${PLACEHOLDER}\\b`));
  });

  for (const templateCase of CASES) {
    void test(`${templateCase.file}: compiles and verifies as expected`, async () => {
      const text = fs.readFileSync(path.join(templatesDir, templateCase.file), 'utf8').replaceAll(PLACEHOLDER, 'my_tool');
      const file = path.join(workDir, templateCase.file.replace('.bpf.c', '-my-tool.bpf.c'));
      fs.writeFileSync(file, text);
      const report = await verifyFile(file, target, { precompiledHeader: 'off' });
      assert.equal(report.compiled, true, JSON.stringify(report.diagnostics));
      assert.deepEqual(report.diagnostics.filter((d) => d.source === 'clang'), [], 'no compiler warnings either');
      const verdicts = Object.fromEntries(report.programs.map((program) => [program.name, program.verdict]));
      for (const name of templateCase.accepted) assert.equal(verdicts[name], 'ok', `${name}: ${JSON.stringify(report.diagnostics)}`);
      for (const name of templateCase.kernelLimited ?? []) {
        const program = report.programs.find((candidate) => candidate.name === name);
        assert.ok(program, `${name} is in the report`);
        assert.ok(program.verdict === 'ok' || program.verdict === 'unsupported', `${name} is ${program.verdict}: ${JSON.stringify(report.diagnostics)}`);
      }
      const expected = [...templateCase.accepted, ...(templateCase.kernelLimited ?? [])].sort();
      assert.deepEqual(Object.keys(verdicts).sort(), expected);
    });
  }
});
