/**
 * The verify pipeline on this machine's clang and kernel (issue #4): the precompiled header is
 * built once per target and inputs, gives the very same object and diagnostics as a plain
 * compile, survives corruption, changed inputs and concurrent builders; `bpfdev verify --json`
 * prints the documented document; a missing attach target gets a "did you mean".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { kernelSkipReason, lineContaining, repoRoot } from '../support/kernel';

// A private cache: the PCH states below depend on what is (not) built yet. Set before host/ reads it.
const cacheRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfdev-verify-pipeline-cache-'));
process.env.BPFDEV_CACHE_DIR = cacheRoot;

import { compileForTarget } from '../../host/src/compile';
import { pchBuildsSettled, retireWarmClangs } from '../../host/src/pch';
import { verifyFile } from '../../host/src/verify';
import { LocalTarget } from '../../host/src/local-target';
import { vmlinuxIncludeDir } from '../../host/src/vmlinux';

const skip = kernelSkipReason() ?? (spawnSync('clang', ['--version']).error ? 'needs clang' : undefined);
const target = new LocalTarget();
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfdev-verify-pipeline-'));
const example = (name: string) => path.join(repoRoot, 'examples', name);

function copyOf(source: string, name = path.basename(source)): string {
  const dir = fs.mkdtempSync(path.join(workDir, 'src-'));
  const file = path.join(dir, name);
  fs.copyFileSync(source, file);
  return file;
}

function pchFiles(): string[] {
  const targets = path.join(cacheRoot, 'targets');
  if (!fs.existsSync(targets)) return [];
  return fs.readdirSync(targets).flatMap((key) => {
    const dir = path.join(targets, key, 'pch');
    return fs.existsSync(dir) ? fs.readdirSync(dir).map((name) => path.join(dir, name)) : [];
  });
}

test.after(() => {
  fs.rmSync(workDir, { recursive: true, force: true });
  fs.rmSync(cacheRoot, { recursive: true, force: true });
});

test('the first compile builds the PCH alongside; the next uses it and gives the same object byte for byte', { skip, timeout: 180_000 }, async () => {
  const source = copyOf(example('count-execs.bpf.c'));
  const first = await compileForTarget(source, target, { outputPath: path.join(workDir, 'first.o') });
  assert.ok(first.ok, first.output);
  assert.equal(first.pch.state, 'building');
  await pchBuildsSettled();
  assert.equal(pchFiles().filter((file) => file.endsWith('.pch')).length, 1);
  const second = await compileForTarget(source, target, { outputPath: path.join(workDir, 'second.o') });
  assert.ok(second.ok, second.output);
  assert.equal(second.pch.state, 'used');
  const plain = await compileForTarget(source, target, { outputPath: path.join(workDir, 'plain.o'), precompiledHeader: 'off' });
  assert.equal(plain.pch.state, 'off');
  assert.ok(fs.readFileSync(path.join(workDir, 'second.o')).equals(fs.readFileSync(path.join(workDir, 'plain.o'))), 'the objects differ with and without the PCH');
  assert.ok(fs.readFileSync(path.join(workDir, 'first.o')).equals(fs.readFileSync(path.join(workDir, 'plain.o'))));
  // Nothing left behind by the build.
  assert.deepEqual(pchFiles().filter((file) => /\.(tmp|lock|failed)$/.test(file)), []);
});

test('diagnostics are the same with the PCH: clang errors in the program, warnings from the headers', { skip, timeout: 180_000 }, async () => {
  const source = path.join(fs.mkdtempSync(path.join(workDir, 'src-')), 'typo.bpf.c');
  fs.writeFileSync(source, '#include "vmlinux.h"\n#include <bpf/bpf_helpers.h>\n\nSEC("tp/syscalls/sys_enter_openat")\nint f(void *ctx)\n{\n\tint unused_here;\n\treturn undefined_name;\n}\n');
  for (const extraFlags of [[], ['-Wpadded']]) {
    const withPch = await compileForTarget(source, target, { extraFlags, precompiledHeader: 'wait' });
    const plain = await compileForTarget(source, target, { extraFlags, precompiledHeader: 'off' });
    assert.equal(withPch.pch.state, 'used', `extra flags ${extraFlags.join(' ')}`);
    assert.ok(!withPch.ok && !plain.ok);
    const shape = (diagnostics: typeof plain.diagnostics) => diagnostics.map((d) => `${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.message}`).sort();
    assert.deepEqual(shape(withPch.diagnostics), shape(plain.diagnostics), `extra flags ${extraFlags.join(' ')}`);
    assert.ok(withPch.diagnostics.some((d) => d.file === source && d.line === 8 && /undeclared identifier 'undefined_name'/.test(d.message)));
    if (extraFlags.length) assert.ok(plain.diagnostics.some((d) => d.file.endsWith('vmlinux.h') && d.severity === 'warning'), 'the header warnings this test relies on');
  }
});

test('the verifier\'s error points at the same source line with the PCH', { skip, timeout: 180_000 }, async () => {
  const source = copyOf(example('broken-user-deref.bpf.c'));
  const expected = lineContaining(fs.readFileSync(source, 'utf8'), 'char first = *user_path;');
  for (const mode of ['wait', 'off'] as const) {
    const report = await verifyFile(source, target, { precompiledHeader: mode });
    assert.equal(report.timings.pch, mode === 'wait' ? 'used' : 'off');
    const error = report.diagnostics.find((d) => d.severity === 'error');
    assert.equal(error?.line, expected, `${mode}: ${JSON.stringify(report.diagnostics)}`);
    assert.equal(error?.source, 'verifier');
  }
});

test('a corrupt PCH costs one plain compile, then it is rebuilt', { skip, timeout: 180_000 }, async () => {
  const source = copyOf(example('hello-openat.bpf.c'));
  const built = await compileForTarget(source, target, { precompiledHeader: 'wait' });
  assert.equal(built.pch.state, 'used');
  const pch = built.pch.path!;
  fs.writeFileSync(pch, Buffer.alloc(fs.statSync(pch).size, 0x5a));
  const rejected = await compileForTarget(source, target);
  assert.ok(rejected.ok, rejected.output);
  assert.equal(rejected.pch.state, 'rejected');
  assert.ok(!fs.existsSync(pch), 'the corrupt PCH is still there');
  const rebuilt = await compileForTarget(source, target, { precompiledHeader: 'wait' });
  assert.equal(rebuilt.pch.state, 'used');
  assert.equal(rebuilt.pch.path, pch);
});

test('changed inputs select a new PCH instead of tripping over the old one', { skip, timeout: 180_000 }, async () => {
  const source = copyOf(example('hello-openat.bpf.c'));
  const before = await compileForTarget(source, target, { precompiledHeader: 'wait' });
  assert.equal(before.pch.state, 'used');
  // Same content, new mtime: clang would refuse the old PCH, so the key must change.
  const vmlinux = path.join((await vmlinuxIncludeDir(target)).dir, 'vmlinux.h');
  const later = new Date(Date.now() + 5000);
  fs.utimesSync(vmlinux, later, later);
  const after = await compileForTarget(source, target);
  assert.ok(after.ok, after.output);
  assert.equal(after.pch.state, 'building');
  await pchBuildsSettled();
  const again = await compileForTarget(source, target);
  assert.equal(again.pch.state, 'used');
  assert.notEqual(again.pch.path, before.pch.path);
  // Other flags, another PCH too.
  const flagged = await compileForTarget(source, target, { extraFlags: ['-DBPFDEV_TEST_FLAG=1'], precompiledHeader: 'wait' });
  assert.equal(flagged.pch.state, 'used');
  assert.notEqual(flagged.pch.path, again.pch.path);
});

test('no PCH when the preamble is not ours or a vmlinux.h next to the program shadows the generated one', { skip, timeout: 180_000 }, async () => {
  const shadowed = copyOf(example('hello-openat.bpf.c'));
  const generated = fs.readFileSync(path.join((await vmlinuxIncludeDir(target)).dir, 'vmlinux.h'));
  fs.writeFileSync(path.join(path.dirname(shadowed), 'vmlinux.h'), generated);
  const result = await compileForTarget(shadowed, target, { precompiledHeader: 'wait' });
  assert.ok(result.ok, result.output);
  assert.equal(result.pch.state, 'not-applicable');
  const defined = path.join(fs.mkdtempSync(path.join(workDir, 'src-')), 'defined.bpf.c');
  fs.writeFileSync(defined, '#define BPF_NO_PRESERVE_ACCESS_INDEX\n' + fs.readFileSync(example('hello-openat.bpf.c'), 'utf8'));
  const plain = await compileForTarget(defined, target, { precompiledHeader: 'wait' });
  assert.ok(plain.ok, plain.output);
  assert.equal(plain.pch.state, 'not-applicable');
});

test('a warm clang (started ahead, fed on stdin) gives the same object and diagnostics at the real path', { skip, timeout: 180_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(workDir, 'src-'));
  const source = path.join(dir, 'warm.bpf.c');
  fs.writeFileSync(path.join(dir, 'local.h'), '#define GREETING "hello from a local header"\n');
  const program = (body: string) => [
    '#include "vmlinux.h"', '#include <bpf/bpf_helpers.h>', '#include "local.h"', '', 'char LICENSE[] SEC("license") = "GPL";', '',
    'SEC("tracepoint/syscalls/sys_enter_openat")', 'int warm(void *ctx)', '{', `\t${body}`, '\tbpf_printk("%s %s", GREETING, __FILE__);', '\treturn 0;', '}', '',
  ].join('\n');
  fs.writeFileSync(source, program('int x = 1;'));
  const first = await compileForTarget(source, target, { precompiledHeader: 'wait', keepWarm: true, outputPath: path.join(workDir, 'warm-1.o') });
  assert.ok(first.ok, first.output);
  assert.equal(first.pch.warm, undefined);
  assert.ok(first.prewarm, 'no prewarm offered with keepWarm and a PCH');
  first.prewarm();

  fs.writeFileSync(source, program('int x = 2;'));
  const warm = await compileForTarget(source, target, { keepWarm: true, outputPath: path.join(workDir, 'warm-2.o') });
  assert.ok(warm.ok, warm.output);
  assert.equal(warm.pch.warm, true);
  const cold = await compileForTarget(source, target, { outputPath: path.join(workDir, 'cold-2.o') });
  assert.equal(cold.pch.warm, undefined);
  assert.ok(fs.readFileSync(path.join(workDir, 'warm-2.o')).equals(fs.readFileSync(path.join(workDir, 'cold-2.o'))), 'warm and normal objects differ');
  assert.ok(fs.readFileSync(path.join(workDir, 'warm-2.o')).includes(source), '__FILE__ is not the real path');

  // Errors: at the real file and line. (The failed compile still offers the next warm clang.)
  warm.prewarm?.();
  fs.writeFileSync(source, program('int x = undefined_name;'));
  const broken = await compileForTarget(source, target, { keepWarm: true, outputPath: path.join(workDir, 'warm-3.o') });
  assert.equal(broken.pch.warm, true);
  assert.ok(!broken.ok);
  assert.ok(broken.diagnostics.some((d) => d.file === source && d.line === 10 && /undeclared identifier 'undefined_name'/.test(d.message)), broken.output);
  assert.doesNotMatch(broken.output, /<stdin>/, 'stdin leaked into the diagnostics');

  // A waiting clang that is not needed any more goes away with its directory.
  broken.prewarm?.();
  const warmRoot = path.join(cacheRoot, 'warm');
  assert.ok(fs.readdirSync(warmRoot).length > 0);
  retireWarmClangs();
  assert.deepEqual(fs.readdirSync(warmRoot), []);
});

test('two processes compiling on a cold cache at once: both succeed, one PCH, no leftovers', { skip, timeout: 180_000 }, async () => {
  const coldCache = fs.mkdtempSync(path.join(workDir, 'cold-cache-'));
  const source = copyOf(example('count-execs.bpf.c'));
  const script = `
    const { compileForTarget } = require(${JSON.stringify(path.join(repoRoot, 'out/host/src/compile.js'))});
    const { pchBuildsSettled } = require(${JSON.stringify(path.join(repoRoot, 'out/host/src/pch.js'))});
    const { LocalTarget } = require(${JSON.stringify(path.join(repoRoot, 'out/host/src/local-target.js'))});
    compileForTarget(process.argv[1], new LocalTarget(), { precompiledHeader: 'wait', outputPath: process.argv[2] })
      .then(async (result) => { await pchBuildsSettled(); console.log(JSON.stringify({ ok: result.ok, pch: result.pch.state, output: result.output })); });`;
  const run = (output: string) => new Promise<{ ok: boolean; pch: string; output: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script, source, output], { env: { ...process.env, BPFDEV_CACHE_DIR: coldCache }, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(stdout) as { ok: boolean; pch: string; output: string }) : reject(new Error(`exit ${code}: ${stdout}`))));
  });
  // The first run generates vmlinux.h; start both compiles only once it is there.
  const warm = await run(path.join(workDir, 'warm.o'));
  assert.ok(warm.ok, warm.output);
  for (const file of fs.readdirSync(coldCache, { recursive: true })) if (String(file).includes('pch' + path.sep)) fs.rmSync(path.join(coldCache, String(file)), { force: true });
  const results = await Promise.all([run(path.join(workDir, 'a.o')), run(path.join(workDir, 'b.o'))]);
  for (const result of results) assert.ok(result.ok, result.output);
  // At most one of them built it (the other found the lock taken and compiled without).
  assert.ok(results.some((result) => result.pch === 'used'), JSON.stringify(results.map((r) => r.pch)));
  const left = fs.readdirSync(coldCache, { recursive: true }).map(String).filter((file) => file.includes(`pch${path.sep}`));
  assert.equal(left.filter((file) => file.endsWith('.pch')).length, 1, left.join(', '));
  assert.deepEqual(left.filter((file) => /\.(tmp|lock|failed)$/.test(file)), []);
  assert.ok(fs.readFileSync(path.join(workDir, 'a.o')).equals(fs.readFileSync(path.join(workDir, 'b.o'))));
});

test('a missing fentry/tp_btf target: which one, and the kernel\'s closest names', { skip, timeout: 180_000 }, async () => {
  const source = path.join(fs.mkdtempSync(path.join(workDir, 'src-')), 'targets.bpf.c');
  fs.writeFileSync(source, [
    '#include "vmlinux.h"', '#include <bpf/bpf_helpers.h>', '#include <bpf/bpf_tracing.h>', '', 'char LICENSE[] SEC("license") = "GPL";', '',
    'SEC("tp_btf/sched_switchx")', 'int BPF_PROG(on_switch, bool preempt, struct task_struct *prev, struct task_struct *next) { return 0; }', '',
    'SEC("fentry/do_nanosleepx")', 'int BPF_PROG(on_sleep, void *t) { return 0; }', '',
  ].join('\n'));
  const report = await verifyFile(source, target);
  const byProgram = Object.fromEntries(report.programs.map((program) => [program.name, program]));
  assert.equal(byProgram.on_switch.verdict, 'attach-target-missing');
  assert.equal(byProgram.on_sleep.verdict, 'attach-target-missing');
  const switchError = report.diagnostics.find((d) => d.kind === 'attach-target-missing' && d.line === 7);
  assert.match(switchError?.message ?? '', /the tracepoint 'sched_switchx'.*Did you mean 'sched_switch'/);
  const sleepError = report.diagnostics.find((d) => d.kind === 'attach-target-missing' && d.line === 10);
  assert.match(sleepError?.message ?? '', /the kernel function 'do_nanosleepx'.*Did you mean 'do_nanosleep'/);
});

/** The README's document: these keys, these types. */
function assertDocumentedShape(document: Record<string, unknown>): void {
  assert.deepEqual(Object.keys(document).sort(), ['compiled', 'diagnostics', 'file', 'flagsSource', 'programs']);
  assert.ok(['compile_commands.json', 'compile_flags.txt', 'go:generate', 'none'].includes((document.flagsSource as { kind: string }).kind));
  assert.equal(typeof document.file, 'string');
  assert.equal(typeof document.compiled, 'boolean');
  for (const diagnostic of document.diagnostics as Record<string, unknown>[]) {
    for (const key of ['file', 'source', 'kind', 'message']) assert.equal(typeof diagnostic[key], 'string', key);
    for (const key of ['line', 'column']) assert.ok(Number.isInteger(diagnostic[key]), key);
    assert.ok(['error', 'warning', 'info', 'hint'].includes(diagnostic.severity as string));
  }
  for (const program of document.programs as Record<string, unknown>[]) {
    assert.equal(typeof program.name, 'string');
    assert.equal(typeof program.section, 'string');
    assert.ok(['ok', 'rejected', 'attach-target-missing', 'not-loaded'].includes(program.verdict as string));
    for (const key of ['insnsProcessed', 'stackDepth']) assert.ok(key in program && (program[key] === null || Number.isInteger(program[key])), key);
  }
}

test('bpfdev verify --json prints the documented document for accepted, rejected and uncompilable files', { skip, timeout: 180_000 }, () => {
  const cli = path.join(repoRoot, 'bin', 'bpfdev.js');
  const typo = path.join(fs.mkdtempSync(path.join(workDir, 'src-')), 'typo.bpf.c');
  fs.writeFileSync(typo, '#include "vmlinux.h"\nint f(void) { return nope; }\n');
  const cases: [string, number, (document: Record<string, unknown>) => void][] = [
    [example('count-execs.bpf.c'), 0, (document) => {
      const [program] = document.programs as { verdict: string; insnsProcessed: number; stackDepth: number; line: number }[];
      assert.equal(program.verdict, 'ok');
      assert.ok(program.insnsProcessed > 0 && program.stackDepth > 0);
    }],
    [path.join(repoRoot, 'test/fixtures/verifier/null-deref-map-value.bpf.c'), 1, (document) => {
      const error = (document.diagnostics as { severity: string; kind: string; line: number }[]).find((d) => d.severity === 'error');
      assert.equal(error?.kind, 'null-deref-map-value');
    }],
    [typo, 1, (document) => {
      assert.equal(document.compiled, false);
      assert.deepEqual(document.programs, []);
    }],
  ];
  for (const [file, status, check] of cases) {
    const result = spawnSync(process.execPath, [cli, 'verify', '--json', file], { encoding: 'utf8', env: { ...process.env, BPFDEV_CACHE_DIR: cacheRoot } });
    assert.equal(result.status, status, `${file}: ${result.stderr}`);
    const document = JSON.parse(result.stdout) as Record<string, unknown>;
    assertDocumentedShape(document);
    assert.equal(document.file, path.resolve(file));
    check(document);
  }
});
