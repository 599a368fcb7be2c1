// Runs every test tier in order (unit → kernel → ssh → vm → VS Code), prints each tier's counts and
// a final `N passed, N failed` line. A tier that neither ran nor skipped a single test fails,
// in and out of CI: a tier that silently runs nothing must not look green. Under CI (CI=true) a
// skipped test or skipped suite fails the run too.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { settleTier, tapCounts } from './tap-counts.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const inCI = process.env.CI === 'true' || process.env.CI === '1';
const only = process.argv.slice(2);

function testFiles(dir) {
  const absolute = path.join(root, dir);
  if (!fs.existsSync(absolute)) return [];
  return fs.readdirSync(absolute, { recursive: true })
    .filter((name) => String(name).endsWith('.test.js'))
    .map((name) => path.join(absolute, String(name)))
    .sort();
}

/** A node:test tier: spec output for people, TAP to a file for the counts. */
function nodeTestTier(name, dir, extraArgs = []) {
  const files = testFiles(dir);
  if (files.length === 0) return { name, passed: 0, failed: 1, skipped: 0, note: `no test files under ${dir}` };
  const tap = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bpfdev-tap-')), 'out.tap');
  const result = spawnSync(process.execPath, ['--test', ...extraArgs,
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tap}`, ...files], { stdio: 'inherit', cwd: root });
  const text = fs.existsSync(tap) ? fs.readFileSync(tap, 'utf8') : '';
  fs.rmSync(path.dirname(tap), { recursive: true, force: true });
  const counts = { name, ...tapCounts(text, files) };
  if (counts.emptyFiles.length) counts.note = `${counts.emptyFiles.length} file(s) registered no test: ${counts.emptyFiles.map((f) => path.relative(root, f)).join(', ')}`;
  return settleTier(counts, result.status);
}

function vscodeTier() {
  const result = spawnSync('bash', ['scripts/test-vscode.sh', '--no-build'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  process.stdout.write(result.stdout ?? '');
  const match = /^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$/m.exec(result.stdout ?? '');
  if (!match) return { name: 'vscode', passed: 0, failed: 1, skipped: 0, note: 'the VS Code run printed no result line' };
  return settleTier({ name: 'vscode', passed: Number(match[1]), failed: Number(match[2]), skipped: Number(match[3] ?? 0) }, result.status);
}

const tiers = [
  ['unit', () => nodeTestTier('unit', 'out/test/unit')],
  // Kernel tests share one trace buffer and attach real programs: one file at a time.
  ['kernel', () => nodeTestTier('kernel', 'out/test/kernel', ['--test-concurrency=1'])],
  ['ssh', () => nodeTestTier('ssh', 'out/test/ssh', ['--test-concurrency=1'])],
  // Debian kernels in QEMU (kprobe, fentry): one VM at a time. Outside CI its tests skip, with
  // the reason, when QEMU or the cached image is missing; in CI they build the image.
  ['vm', () => nodeTestTier('vm', 'out/test/vm', ['--test-concurrency=1'])],
  ['vscode', vscodeTier],
].filter(([name]) => only.length === 0 || only.includes(name));

const results = [];
for (const [name, run] of tiers) {
  console.log(`\n===== tier: ${name} =====`);
  const started = Date.now();
  const result = run();
  result.seconds = Math.round((Date.now() - started) / 100) / 10;
  results.push(result);
}

console.log('\n===== summary =====');
let passed = 0, failed = 0, skipped = 0;
for (const r of results) {
  passed += r.passed; failed += r.failed; skipped += r.skipped;
  console.log(`${r.name.padEnd(8)} ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped (${r.seconds}s)${r.note ? ` — ${r.note}` : ''}`);
  for (const s of r.skippedNames ?? []) console.log(`         skipped: ${s}`);
}
if (inCI && skipped > 0) {
  console.log(`CI: ${skipped} test(s) or suite(s) skipped; every tier must run in CI`);
  failed += skipped;
}
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
