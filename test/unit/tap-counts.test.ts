/**
 * scripts/tap-counts.mjs, which scripts/test-all.mjs uses to count each tier: fed with the TAP
 * that node:test itself writes for small test files made here, so a change in node's reporter
 * shows up as a failure rather than going unnoticed behind a hand-written sample.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

interface TapCounts { passed: number; failed: number; skipped: number; skippedNames: string[]; emptyFiles: string[] }
interface Settled { passed: number; failed: number; skipped: number; note?: string }
interface TapCountsModule {
  tapCounts(text: string, files?: readonly string[]): TapCounts;
  settleTier<T extends Settled>(counts: T, exitStatus: number | null): T & { note?: string };
}

const repoRoot = path.resolve(__dirname, '..', '..', '..');
let counting: TapCountsModule;
let dir: string;

before(async () => {
  counting = await import(pathToFileURL(path.join(repoRoot, 'scripts', 'tap-counts.mjs')).href) as TapCountsModule;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfdev-tap-counts-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Writes the test files, runs them under `node --test` with the TAP reporter, counts the report. */
function countsOf(sources: Record<string, string>): { counts: TapCounts; files: Record<string, string>; status: number | null } {
  const sub = fs.mkdtempSync(path.join(dir, 'run-'));
  const files: Record<string, string> = {};
  for (const [name, source] of Object.entries(sources)) {
    files[name] = path.join(sub, `${name}.test.mjs`);
    fs.writeFileSync(files[name], `import { describe, test } from 'node:test';\n${source}\n`);
  }
  // Inside a node:test run this variable makes the child report to the parent instead of printing TAP.
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  const result = spawnSync(process.execPath, ['--test', '--test-reporter=tap', ...Object.values(files)], { encoding: 'utf8', env });
  assert.match(result.stdout, /^# tests \d+$/m, `no TAP summary:\n${result.stdout}${result.stderr}`);
  return { counts: counting.tapCounts(result.stdout, Object.values(files)), files, status: result.status };
}

void test('a describe-level skip counts as a skip, with its reason, at any depth', () => {
  const { counts, status } = countsOf({
    vm: "describe('Debian trixie in QEMU', { skip: 'qemu-system-x86_64 is missing' }, () => { test('kprobe attaches', () => {}); test('fentry attaches', () => {}); });",
    nested: "describe('outer', () => { describe.skip('inner', () => { test('x', () => {}); }); test('runs', () => {}); });",
  });
  assert.equal(status, 0);
  assert.equal(counts.passed, 1);
  assert.equal(counts.failed, 0);
  // One per skipped suite, not per test inside it: node never registers those tests.
  assert.equal(counts.skipped, 2);
  assert.deepEqual(counts.skippedNames.sort(), ['Debian trixie in QEMU: qemu-system-x86_64 is missing', 'inner: (no reason given)']);
});

void test('skipped and todo tests count as skips; passes and failures as node counts them', () => {
  const { counts, status } = countsOf({
    mixed: [
      "test('passes', () => {});",
      "test('fails', () => { throw new Error('no'); });",
      "test('skipped # with a hash', { skip: 'needs root # really' }, () => {});",
      "test('later', { todo: 'not written' }, () => {});",
      "test('parent', async (t) => { await t.test('child', () => {}); });",
    ].join('\n'),
  });
  assert.equal(status, 1);
  assert.equal(counts.passed, 3, 'passes, parent and child');
  assert.equal(counts.failed, 1);
  assert.equal(counts.skipped, 2);
  assert.deepEqual(counts.skippedNames.sort(), ['later: todo not written', 'skipped # with a hash: needs root # really']);
});

void test('a file that registers no test is listed, not counted as a pass; one that fails to load is a failure', () => {
  const { counts, files } = countsOf({
    empty: '',
    broken: "throw new Error('cannot load');",
    real: "test('one', () => {});",
  });
  assert.equal(counts.passed, 1);
  assert.deepEqual(counts.emptyFiles, [files.empty]);
  assert.equal(counts.failed, 1);
});

void test('a tier that ran no test fails; one whose every test skipped, with reasons, does not', () => {
  const onlyEmpty = countsOf({ empty: '' });
  assert.equal(onlyEmpty.counts.passed, 0);
  const settled = counting.settleTier(onlyEmpty.counts, onlyEmpty.status);
  assert.equal(settled.failed, 1);
  assert.match(settled.note ?? '', /ran no test at all/);

  const allSkipped = countsOf({ vm: "describe('in QEMU', { skip: 'no image' }, () => { test('x', () => {}); });" });
  const kept = counting.settleTier(allSkipped.counts, allSkipped.status);
  assert.equal(kept.failed, 0);
  assert.equal(kept.skipped, 1);
});

void test('a runner that exits non-zero without a counted failure fails the tier once', () => {
  const settled = counting.settleTier({ passed: 4, failed: 0, skipped: 0 }, 1);
  assert.equal(settled.failed, 1);
  assert.match(settled.note ?? '', /exited with 1/);
  assert.equal(counting.settleTier({ passed: 4, failed: 2, skipped: 0 }, 1).failed, 2);
  assert.equal(counting.settleTier({ passed: 4, failed: 0, skipped: 0 }, null).failed, 1);
  assert.equal(counting.settleTier({ passed: 4, failed: 0, skipped: 0 }, 0).failed, 0);
});
