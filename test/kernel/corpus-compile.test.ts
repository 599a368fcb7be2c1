/**
 * Every BPF source of the real-world corpus (libbpf-bootstrap, cilium/ebpf examples,
 * xdp-tutorial; see its PROVENANCE.md) compiles from its own folder with no flags from us
 * (issue #9): clang's system include directories and the project's own build description
 * (a bpf2go go:generate line, for cilium/ebpf) must be enough. Compile only; verdicts are the
 * verifier tests' business.
 *
 * The corpus is shared by the sessions working on this repository: BPFDEV_CORPUS, by default
 * ../shared/corpus beside the repository.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compileForTarget } from '../../host/src/compile';
import { LocalTarget } from '../../host/src/local-target';
import { kernelSkipReason, repoRoot } from '../support/kernel';

const corpus = process.env.BPFDEV_CORPUS ?? path.resolve(repoRoot, '..', 'shared', 'corpus');
const skip = kernelSkipReason() ?? (fs.existsSync(path.join(corpus, 'PROVENANCE.md')) ? undefined : `no corpus at ${corpus} (set BPFDEV_CORPUS)`);
const target = new LocalTarget();
const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfdev-corpus-compile-'));
after(() => fs.rmSync(outDir, { recursive: true, force: true }));

/** The BPF sources: every .c file (the corpus holds only the BPF side of each project). */
function sources(): string[] {
  if (skip) return [];
  return (fs.readdirSync(corpus, { recursive: true }) as string[]).filter((name) => name.endsWith('.c')).sort().map((name) => path.join(corpus, name));
}

describe('the corpus compiles from each source\'s own folder, with no flags', { skip }, () => {
  const files = sources();

  test('the corpus is all there', () => {
    // A corpus that shrank would pass below with less to show: PROVENANCE.md says how many it holds.
    const stated = /compiles all (\d+) sources/.exec(fs.readFileSync(path.join(corpus, 'PROVENANCE.md'), 'utf8'));
    assert.ok(stated, 'PROVENANCE.md states the number of sources');
    assert.equal(files.length, Number(stated[1]), files.join('\n'));
  });

  for (const file of files) {
    test(path.relative(corpus, file), { timeout: 120_000 }, async () => {
      const result = await compileForTarget(file, target, { precompiledHeader: 'off', outputPath: path.join(outDir, `${path.basename(file, '.c')}.o`) });
      const errors = result.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.file}:${d.line}:${d.column}: ${d.message}`);
      assert.ok(result.ok, `${file} (${result.flagsSource.kind}${result.flagsSource.path ? ` ${result.flagsSource.path}` : ''}):\n${errors.join('\n') || result.output}`);
    });
  }
});
