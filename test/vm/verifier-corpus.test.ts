/**
 * The verifier corpus (test/fixtures/verifier/) on the Debian VMs' kernels, live: each program is
 * compiled against the guest's BTF and verified in the guest over SSH by bpfdev's RemoteTarget
 * (scripts/capture-verifier-logs.mjs's captureOnVm, the same code that captured logs-<kernel>/),
 * and the parsed log must give the program's kind at its EXPECT line: by number where the kernel
 * prints `@ file:line` (6.4+), by its text before that; kernel-kinds.json says what older kernels
 * say instead where they lack a feature the program uses. too-many-instructions is left out: a
 * million emulated instructions take minutes under TCG (the capture script still records it).
 * Suites: BPFDEV_VM_SUITES, by default all of bookworm (6.1), bullseye (5.10) and trixie (6.12).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../support/kernel';
import { ensureVmImage, VM_KERNELS, vmSkipReason, vmSuites } from '../support/vm';
import { parseVerifierLog } from '../../core/src/verifier/parse';

interface CaptureRecord { name: string; kind: string; verdict: string; logFile: string; expectLine: number | null; mayBeAccepted: boolean; reason?: string }
interface CaptureScript {
  corpusDir: string;
  captureOnVm(suite: string, options: { outVm?: string; skip?: Set<string> }): Promise<{ release: string; records: CaptureRecord[] }>;
}

const skip = vmSkipReason();

for (const suite of skip ? ['bookworm' as const] : vmSuites()) {
  describe(`verifier corpus on Debian ${suite} (Linux ${VM_KERNELS[suite]})`, { skip }, () => {
    test('every program that loads is rejected for its kind at its line', { timeout: 20 * 60_000 }, async () => {
      await ensureVmImage([suite]);
      const script = (await import(pathToFileURL(path.join(repoRoot, 'scripts', 'capture-verifier-logs.mjs')).href)) as CaptureScript;
      const out = mkdtempSync(path.join(tmpdir(), `bpfdev-vm-corpus-${suite}-`));
      const kernelKinds = JSON.parse(readFileSync(path.join(script.corpusDir, 'kernel-kinds.json'), 'utf8')) as Partial<Record<string, Partial<Record<string, { kind: string }>>>>;
      try {
        const { release, records } = await script.captureOnVm(suite, { outVm: out, skip: new Set(['too-many-instructions']) });
        assert.ok(release.startsWith(`${VM_KERNELS[suite]}.`), release);
        let rejected = 0;
        for (const record of records) {
          const expected = kernelKinds[VM_KERNELS[suite]]?.[record.name]?.kind ?? record.kind;
          if (record.verdict !== 'rejected') {
            // Not loadable here (a kfunc this kernel lacks) or accepted: only allowed where the program says so.
            if (record.verdict === 'ok') assert.ok(expected === 'accepted' || record.mayBeAccepted, `${record.name} was accepted by ${release}`);
            else assert.notEqual(expected, 'accepted', `${record.name}: ${record.verdict} ${record.reason ?? ''}`);
            continue;
          }
          rejected++;
          const report = parseVerifierLog(readFileSync(record.logFile, 'utf8'));
          assert.equal(report.kind, expected, `${record.name} on ${release}: ${report.message}`);
          if (expected !== record.kind || !report.source || report.source.confidence === 'uncertain' || record.expectLine === null) continue;
          const marked = readFileSync(path.join(script.corpusDir, `${record.name}.bpf.c`), 'utf8').split('\n')[record.expectLine - 1].trim();
          if (report.source.line !== undefined) assert.equal(report.source.line, record.expectLine, `${record.name} on ${release}: line`);
          else assert.equal(report.source.text, marked, `${record.name} on ${release}: source text`);
        }
        console.log(`${suite} (${release}): ${rejected} rejections checked of ${records.length} programs`);
        assert.ok(rejected >= 30);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    });
  });
}
