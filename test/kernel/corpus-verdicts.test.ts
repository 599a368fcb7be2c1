/**
 * Real projects' BPF code (the shared corpus: libbpf-bootstrap, cilium/ebpf examples,
 * xdp-tutorial; see its PROVENANCE.md) through the product's compile and verify path on this
 * kernel: every source compiles, and every program gets a true verdict — ok, rejected or
 * unsupported — never `not-loaded` (issue #9). The verdict counts are printed as diagnostics.
 *
 * No flags are given: this goes through `verifyFile`, as `bpfdev verify` and the editor do, so
 * the project's build description, clang's system include directories and the precompiled
 * header are all in play (corpus-compile.test.ts covers the plain compile without one).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalTarget } from '../../host/src/local-target';
import { verifyFile } from '../../host/src/verify';
import { kernelSkipReason, repoRoot } from '../support/kernel';

const corpus = process.env.BPFDEV_CORPUS ?? path.resolve(repoRoot, '..', 'shared', 'corpus');
const skip = kernelSkipReason() ?? (fs.existsSync(corpus) ? undefined : `no corpus at ${corpus} (set BPFDEV_CORPUS)`);
const target = new LocalTarget();

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'headers' || entry.name === 'common' ? [] : sources(full);
    return entry.name.endsWith('.c') ? [full] : [];
  }).sort();
}

/** The names SEC()-marked functions have in the source: each must be in the report. */
function secFunctions(text: string): string[] {
  const names: string[] = [];
  const pattern = /SEC\(\s*"([^"]+)"\s*\)\s*(?:\n\s*)?(?:static\s+)?(?:__always_inline\s+)?int\s+(?:BPF_\w+\(\s*)?(\w+)/g;
  for (const match of text.matchAll(pattern)) names.push(match[2]!);
  return names;
}

void describe('the corpus on this kernel', { skip, timeout: 600_000 }, () => {
  const files = skip ? [] : sources(corpus);
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfdev-corpus-'));
  const verdicts: Record<string, number> = {};
  let compiledCount = 0;

  test('the corpus is all there', () => {
    assert.ok(files.length >= 45, `only ${files.length} sources under ${corpus}`);
  });

  for (const file of files) {
    const relative = path.relative(corpus, file);
    test(relative, async (t) => {
      const report = await verifyFile(file, target, { outputPath: path.join(workDir, relative.replace(/\//g, '_') + '.o') });
      const errors = report.diagnostics.filter((d) => d.severity === 'error' && d.source === 'clang').map((d) => `${d.file}:${d.line}: ${d.message}`);
      assert.ok(report.compiled, `does not compile:\n${errors.join('\n')}`);
      compiledCount++;
      const programs = report.programs;
      for (const program of programs) verdicts[program.verdict] = (verdicts[program.verdict] ?? 0) + 1;
      t.diagnostic(programs.map((program) => `${program.name}=${program.verdict}`).join(' ') || 'no programs');
      for (const name of secFunctions(fs.readFileSync(file, 'utf8'))) {
        assert.ok(programs.some((program) => program.name === name), `${name} is missing from the report: ${JSON.stringify(programs.map((p) => p.name))}`);
      }
      for (const program of programs) {
        const said = report.diagnostics.filter((d) => d.message.includes(program.name)).map((d) => d.message).join('\n');
        assert.notEqual(program.verdict, 'not-loaded', `${program.name}: ${said}`);
        // A true verdict carries its evidence: the verifier's count for ok, its error for rejected, a reason for unsupported.
        if (program.verdict === 'ok') assert.ok((program.insnsProcessed ?? 0) > 0, `${program.name}: ok without insns processed`);
        if (program.verdict === 'rejected') assert.ok(report.diagnostics.some((d) => d.source === 'verifier' && d.severity === 'error'), `${program.name}: rejected without a verifier error`);
        if (program.verdict === 'unsupported') assert.ok(said, `${program.name}: unsupported without a reason`);
      }
    });
  }

  test('verdict counts', (t) => {
    t.diagnostic(`${compiledCount}/${files.length} compiled; verdicts ${JSON.stringify(verdicts)}`);
    fs.rmSync(workDir, { recursive: true, force: true });
    assert.ok(compiledCount > 0);
  });
});
