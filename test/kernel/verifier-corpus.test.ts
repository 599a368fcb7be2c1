/**
 * The verifier corpus against the running kernel, now (not the captured logs): every program in
 * test/fixtures/verifier/ is compiled and loaded, and the parsed log must name the kind and the
 * line its EXPECT marker gives. Then the mechanical quick fixes are applied to the source and the
 * result must load; and a real level-2 log of a million instructions must parse in linear time.
 * Compiling and loading go through scripts/capture-verifier-logs.mjs, so the test and the
 * captured fixtures use the same commands.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { kernelSkipReason, repoRoot } from '../support/kernel';
import { parseVerifierLog, parseVerifierLogChunks, VerifierReport } from '../../core/src/verifier/parse';
import { explainVerifierError, QuickFix } from '../../core/src/verifier/explain';

interface CorpusEntry {
  name: string;
  file: string;
  kind: string | null;
  loadAs: string;
  logLacksLine: boolean;
  mayBeAccepted: boolean;
  expectLine: number | null;
  expectKind: string | null;
}

interface CaptureOutcome { log: string; verdict: string; logLevel: number; truncated: boolean; tool: string }

/** The functions scripts/capture-verifier-logs.mjs exports. */
interface CaptureScript {
  corpusDir: string;
  listCorpus(): CorpusEntry[];
  generateVmlinuxHeader(dir: string): void;
  compileFlags(includeDir: string): string[];
  compileProgram(entry: CorpusEntry, workDir: string): { object: string };
  captureLog(entry: CorpusEntry, object: string, options?: { level2?: boolean }): CaptureOutcome;
  findLoader(): string | null;
}

function missingTool(): string | undefined {
  for (const tool of ['clang', 'bpftool', 'setpriv']) {
    if (spawnSync(tool, ['--version'], { encoding: 'utf8' }).error) return `needs ${tool}`;
  }
  return undefined;
}

const skip = kernelSkipReason() ?? missingTool();

async function loadCaptureScript(): Promise<CaptureScript> {
  // A computed specifier keeps TypeScript from resolving the .mjs; Node16 output keeps import().
  const scriptUrl = pathToFileURL(path.join(repoRoot, 'scripts', 'capture-verifier-logs.mjs')).href;
  return (await import(scriptUrl)) as CaptureScript;
}

function checkAgainstMarker(report: VerifierReport, entry: CorpusEntry): void {
  if (entry.kind === 'accepted' || (entry.mayBeAccepted && report.verdict === 'accepted')) {
    assert.equal(report.verdict, 'accepted', report.message);
    return;
  }
  assert.equal(report.verdict, 'rejected');
  assert.equal(report.kind, entry.kind, `kernel said: ${report.message}`);
  const confident = report.source !== undefined && report.source.confidence !== 'uncertain' && report.source.line !== undefined;
  if (confident) assert.equal(report.source!.line, entry.expectLine, `parsed line vs EXPECT marker (${report.source!.text})`);
  if (!entry.logLacksLine) assert.ok(confident, `no confident line: ${JSON.stringify(report.source)} ${report.notes.join('; ')}`);
}

test('every corpus program is rejected by this kernel for its kind, at its EXPECT line', { skip }, async (t) => {
  const capture = await loadCaptureScript();
  const workDir = mkdtempSync(path.join(tmpdir(), 'bpfdev-verifier-corpus-'));
  try {
    capture.generateVmlinuxHeader(workDir);
    const entries = capture.listCorpus();
    assert.ok(new Set(entries.map((entry) => entry.kind)).size >= 23, 'at least 22 rejection kinds plus accepted');
    for (const entry of entries) {
      await t.test(entry.name, () => {
        const { object } = capture.compileProgram(entry, workDir);
        const outcome = capture.captureLog(entry, object);
        const acceptable = entry.kind === 'accepted' ? ['ok'] : entry.mayBeAccepted ? ['ok', 'rejected'] : ['rejected'];
        assert.ok(acceptable.includes(outcome.verdict), `${outcome.tool} verdict ${outcome.verdict}`);
        checkAgainstMarker(parseVerifierLog(outcome.log), entry);
      });
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
});

/** Applies a quick fix the way an editor would: insert lines with the target line's indentation, or replace text. */
function applyFix(source: string, fix: QuickFix): string | undefined {
  const lines = source.split('\n');
  const indentOf = (line: number) => /^\s*/.exec(lines[line - 1] ?? '')![0];
  const insert = (at: number, statement: string, indentLine: number) => {
    const indent = indentOf(indentLine);
    lines.splice(at, 0, ...statement.split('\n').map((part) => indent + part));
  };
  switch (fix.kind) {
    case 'insert-null-check':
      if (fix.insertAfterLine !== undefined) insert(fix.insertAfterLine, fix.statement, fix.insertAfterLine);
      else if (fix.line !== undefined) insert(fix.line - 1, fix.statement, fix.line);
      else return undefined;
      break;
    case 'add-bounds-check':
      if (!fix.statement || fix.line === undefined) return undefined;
      insert(fix.line - 1, fix.statement, fix.line);
      break;
    case 'replace-helper':
      if (fix.line === undefined) return undefined;
      lines[fix.line - 1] = lines[fix.line - 1].split(`${fix.from}(`).join(`${fix.to}(`);
      break;
    case 'set-gpl-license': {
      const licenseLine = lines.findIndex((line) => line.includes('SEC("license")'));
      if (licenseLine < 0) return undefined;
      lines[licenseLine] = fix.statement;
      break;
    }
    default:
      return undefined;
  }
  return lines.join('\n');
}

test('mechanical quick fixes, applied to the source, make the verifier accept the program', { skip }, async (t) => {
  const capture = await loadCaptureScript();
  const workDir = mkdtempSync(path.join(tmpdir(), 'bpfdev-verifier-fixes-'));
  const fixedDir = path.join(workDir, 'fixed');
  mkdirSync(fixedDir);
  // The programs whose fix is a complete edit; the others (use bpf_loop, move to a map) need a person.
  const fixable = ['null-deref-map-value', 'null-deref-pointer', 'out-of-bounds-map-value', 'unbounded-variable-offset',
    'negative-offset', 'packet-out-of-bounds', 'helper-size-unbounded', 'sleepable-helper', 'gpl-only-helper'];
  try {
    capture.generateVmlinuxHeader(workDir);
    const entries = capture.listCorpus().filter((entry) => fixable.includes(entry.name));
    assert.equal(entries.length, fixable.length);
    for (const entry of entries) {
      await t.test(entry.name, () => {
        const { object } = capture.compileProgram(entry, workDir);
        const before = parseVerifierLog(capture.captureLog(entry, object).log);
        const { fix } = explainVerifierError(before);
        assert.ok(fix, `no fix for ${before.kind}`);
        const source = readFileSync(path.join(capture.corpusDir, entry.file), 'utf8');
        const fixed = applyFix(source, fix);
        assert.ok(fixed, `the ${fix.kind} fix carries no complete edit: ${JSON.stringify(fix)}`);
        writeFileSync(path.join(fixedDir, entry.file), fixed);
        const fixedObject = path.join(workDir, `${entry.name}.fixed.o`);
        const compiled = spawnSync('clang', [...capture.compileFlags(workDir), '-c', entry.file, '-o', fixedObject], { cwd: fixedDir, encoding: 'utf8' });
        assert.equal(compiled.status, 0, `the fixed source does not compile:\n${compiled.stderr}\n${fixed}`);
        const after = parseVerifierLog(capture.captureLog(entry, fixedObject).log);
        assert.equal(after.verdict, 'accepted', `still rejected after ${fix.kind}: ${after.message}`);
      });
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
});

// Same lookup as the capture script's findLoader(): bpftool's libbpf caps the log buffer, the loader grows it.
const loaderPresent = process.env.BPFDEV_LOADER !== 'bpftool'
  && [process.env.BPFDEV_LOADER, path.join(repoRoot, 'loader', 'out', 'bpfdev-loader')].some((candidate) => candidate && existsSync(candidate));

// About a minute, nearly all of it the kernel writing 177 MB of log (the loader re-verifies each
// time its buffer turns out too small), so it runs on request; the unit tier parses a 50 MB log.
const bigLogSkip = skip
  ?? (loaderPresent ? undefined : 'needs the loader (loader/out/bpfdev-loader or $BPFDEV_LOADER) for a full level-2 log')
  ?? (process.env.BPFDEV_BIG_LOG_TEST === '1' ? undefined : 'slow (~1 min): set BPFDEV_BIG_LOG_TEST=1 to run');

test('a real million-instruction level-2 log streams through the parser in linear time', { skip: bigLogSkip }, async () => {
  const capture = await loadCaptureScript();
  const workDir = mkdtempSync(path.join(tmpdir(), 'bpfdev-verifier-big-'));
  try {
    capture.generateVmlinuxHeader(workDir);
    const entry = capture.listCorpus().find((candidate) => candidate.name === 'too-many-instructions')!;
    const { object } = capture.compileProgram(entry, workDir);
    const outcome = capture.captureLog(entry, object, { level2: true });
    assert.ok(outcome.log.length > 10_000_000, `expected a big log, got ${outcome.log.length} chars`);
    const started = performance.now();
    const report = parseVerifierLogChunks((function* () {
      for (let at = 0; at < outcome.log.length; at += 1 << 20) yield outcome.log.slice(at, at + (1 << 20));
    })());
    const elapsedMs = performance.now() - started;
    console.log(`real level-2 log: ${(outcome.log.length / 1e6).toFixed(0)} MB parsed in ${elapsedMs.toFixed(0)} ms`);
    assert.equal(report.kind, 'too-many-instructions');
    assert.equal(report.detailed, true);
    assert.equal(report.stats.insnsProcessed, 1_000_001);
    assert.equal(report.source?.line, entry.expectLine);
    assert.ok(elapsedMs < 120_000);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
});
