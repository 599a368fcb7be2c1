/**
 * Real projects' BPF code (the shared corpus: libbpf-bootstrap, cilium/ebpf examples,
 * xdp-tutorial; see its PROVENANCE.md) through the product's compile and verify path on this
 * kernel: every source compiles, and every program gets a true verdict — ok, rejected or
 * unsupported — never `not-loaded` (issue #9). The verdict counts are printed as diagnostics.
 *
 * The flags are given here for now (clang's system include directories, cilium's
 * `-I../headers`); automatic flag resolution replaces them when it lands.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ProgramEvent } from '../../core/src/loader/events';
import { compileForTarget } from '../../host/src/compile';
import { verifyOnTarget } from '../../host/src/loader';
import { LocalTarget } from '../../host/src/local-target';
import { kernelSkipReason } from '../support/kernel';

const corpus = process.env.BPFDEV_CORPUS ?? '/work/shared/corpus';
const skip = kernelSkipReason() ?? (fs.existsSync(corpus) ? undefined : `no corpus at ${corpus} (set BPFDEV_CORPUS)`);
const target = new LocalTarget();

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'headers' || entry.name === 'common' ? [] : sources(full);
    return entry.name.endsWith('.c') ? [full] : [];
  }).sort();
}

/** clang's own system include directories (`clang -v -E -`), after ours, as libbpf-bootstrap's CLANG_BPF_SYS_INCLUDES. */
function systemIncludeFlags(): string[] {
  const output = spawnSync('clang', ['-v', '-E', '-'], { input: '', encoding: 'utf8' }).stderr;
  const start = output.indexOf('#include <...> search starts here:');
  const end = output.indexOf('End of search list.');
  if (start < 0 || end < 0) return [];
  return output.slice(start, end).split('\n').slice(1).map((line) => line.trim()).filter(Boolean).flatMap((dir) => ['-idirafter', dir]);
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
  const flags = skip ? [] : systemIncludeFlags();
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfdev-corpus-'));
  const verdicts: Record<string, number> = {};
  let compiledCount = 0;

  test('the corpus is all there', () => {
    assert.ok(files.length >= 45, `only ${files.length} sources under ${corpus}`);
  });

  for (const file of files) {
    const relative = path.relative(corpus, file);
    test(relative, async (t) => {
      const compiled = await compileForTarget(file, target, {
        outputPath: path.join(workDir, relative.replace(/\//g, '_') + '.o'), precompiledHeader: 'off',
        extraFlags: [...flags, '-I', path.join(path.dirname(file), '..', 'headers')],
      });
      assert.ok(compiled.ok, `does not compile:\n${compiled.output}`);
      compiledCount++;
      const outcome = await verifyOnTarget(target, compiled.objectPath);
      const programs: ProgramEvent[] = outcome.programs;
      for (const program of programs) verdicts[program.verdict] = (verdicts[program.verdict] ?? 0) + 1;
      t.diagnostic(programs.map((program) => `${program.name}=${program.verdict}`).join(' ') || 'no programs');
      for (const name of secFunctions(fs.readFileSync(file, 'utf8'))) {
        assert.ok(programs.some((program) => program.name === name), `${name} is missing from the report: ${JSON.stringify(outcome.error ?? programs.map((p) => p.name))}`);
      }
      for (const program of programs) {
        assert.notEqual(program.verdict, 'not-loaded', `${program.name}: ${program.reason ?? program.libbpfLog}`);
        if (program.verdict === 'unsupported') assert.ok(program.reason, `${program.name}: unsupported without a reason`);
      }
    });
  }

  test('verdict counts', (t) => {
    t.diagnostic(`${compiledCount}/${files.length} compiled; verdicts ${JSON.stringify(verdicts)}`);
    fs.rmSync(workDir, { recursive: true, force: true });
    assert.ok(compiledCount > 0);
  });
});
