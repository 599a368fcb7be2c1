/**
 * `bpfdev verify INPUT…` as a CI job runs it (issue #9): several sources, directories, objects
 * from the user's own clang build, the JSON shape for one input against many, and exit codes.
 * Everything goes through the real CLI bundle and this machine's verifier.
 */
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { kernelSkipReason, lineContaining, repoRoot } from '../support/kernel';
import { LocalTarget } from '../../host/src/local-target';
import { vmlinuxIncludeDir } from '../../host/src/vmlinux';
import { bpfTargetArch } from '../../host/src/target';
import { bpfHeadersDir } from '../../host/src/paths';
import type { VerifyReport } from '../../core/src/report/verify-report';

const skip = kernelSkipReason();
const cli = path.join(repoRoot, 'bin', 'bpfdev.js');
const example = (name: string) => path.join(repoRoot, 'examples', name);

type Document = VerifyReport & { source?: string };

function verify(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [cli, 'verify', ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function verifyJson(...args: string[]): { status: number | null; document: unknown; stderr: string } {
  const result = verify('--json', ...args);
  assert.ok(result.stdout.trim().startsWith('{'), `no JSON on stdout (exit ${result.status}):\n${result.stdout}\n${result.stderr}`);
  return { status: result.status, document: JSON.parse(result.stdout), stderr: result.stderr };
}

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'bpfdev-verify-many-'));
}

const okProgram = (name: string) => `#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tracepoint/syscalls/sys_enter_openat")
int ${name}(void *ctx)
{
	bpf_printk("${name}");
	return 0;
}
`;

describe('bpfdev verify with many inputs', { skip, timeout: 300_000 }, () => {
  test('several files: {"results"} in input order, one document each, exit 1 when one is rejected', () => {
    const files = [example('hello-openat.bpf.c'), example('broken-user-deref.bpf.c'), example('count-execs.bpf.c')];
    const { status, document } = verifyJson(...files);
    assert.equal(status, 1);
    const { results } = document as { results: Document[] };
    assert.deepEqual(results.map((report) => report.file), files);
    assert.deepEqual(results.map((report) => report.programs.map((program) => program.verdict)), [['ok'], ['rejected'], ['ok']]);
    for (const report of results) assert.equal(report.compiled, true);
    assert.ok(!('timings' in results[0]), 'timings are internal, not part of the document');
  });

  test('one file prints the single document, not {"results"}', () => {
    const { status, document } = verifyJson(example('hello-openat.bpf.c'));
    assert.equal(status, 0);
    const report = document as Document & { results?: unknown };
    assert.equal(report.results, undefined);
    assert.equal(report.file, example('hello-openat.bpf.c'));
    assert.deepEqual(report.programs.map((program) => program.verdict), ['ok']);
  });

  test('a directory: *.bpf.c and *.c with a SEC line, recursively; user-space C, hidden dirs and objects left out', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'first.bpf.c'), okProgram('bpfdev_many_first'));
    fs.mkdirSync(path.join(dir, 'xdp'));
    fs.writeFileSync(path.join(dir, 'xdp', 'second_kern.c'), okProgram('bpfdev_many_second'));
    fs.writeFileSync(path.join(dir, 'xdp', 'loader_user.c'), '#include <stdio.h>\nint main(void) { puts("SEC(\\"not a program\\")"); return 0; }\n');
    fs.mkdirSync(path.join(dir, '.cache'));
    fs.writeFileSync(path.join(dir, '.cache', 'hidden.bpf.c'), 'this would not compile\n');
    fs.writeFileSync(path.join(dir, 'stale.o'), '\x7fELF not really');

    const { status, document } = verifyJson(dir);
    assert.equal(status, 0);
    // A directory argument always gives {"results"}: its contents may grow, the shape must not change.
    const { results } = document as { results: Document[] };
    assert.deepEqual(results.map((report) => path.relative(dir, report.file)), ['first.bpf.c', path.join('xdp', 'second_kern.c')]);
    assert.deepEqual(results.flatMap((report) => report.programs.map((program) => `${program.name}:${program.verdict}`)),
      ['bpfdev_many_first:ok', 'bpfdev_many_second:ok']);
  });

  test('human output: a section per file and a summary line that counts what the JSON holds', () => {
    const dir = tempDir();
    const broken = path.join(dir, 'typo.bpf.c');
    fs.writeFileSync(broken, '#include "vmlinux.h"\n#include <bpf/bpf_helpers.h>\nSEC("tp/syscalls/sys_enter_openat")\nint f(void *ctx) { return undefined_name; }\n');
    const files = [example('hello-openat.bpf.c'), example('broken-user-deref.bpf.c'), broken];
    const human = verify(...files);
    const { document } = verifyJson(...files);
    const { results } = document as { results: Document[] };
    assert.equal(human.status, 1);
    for (const file of files) assert.match(human.stdout, new RegExp(`^==> ${escape(file)} <==$`, 'm'));
    assert.match(human.stdout, new RegExp(`^${escape(broken)}:4:\\d+: error: use of undeclared identifier 'undefined_name'`, 'm'));
    const programs = results.flatMap((report) => report.programs);
    const ok = programs.filter((program) => program.verdict === 'ok').length;
    const rejected = programs.filter((program) => program.verdict === 'rejected').length;
    const notCompiled = results.filter((report) => !report.compiled).length;
    const lastLine = human.stdout.trim().split('\n').pop();
    assert.equal(lastLine, `3 files, ${programs.length} programs: ${ok} ok, ${rejected} rejected; ${notCompiled} file did not compile; 2 files failed`);
  });

  test('exit codes: 0 when every input passes, 2 for an input that does not exist', () => {
    assert.equal(verify(example('hello-openat.bpf.c'), example('count-execs.bpf.c')).status, 0);
    const missing = verify(example('hello-openat.bpf.c'), path.join(tempDir(), 'nope.bpf.c'));
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /no such file or directory: .*nope\.bpf\.c/);
  });
});

describe('bpfdev verify with objects from the user\'s own build', { skip, timeout: 300_000 }, () => {
  let dir: string;
  let object: string;
  let source: string;
  let header: string;

  before(async () => {
    // As a user's Makefile does: plain clang -g, a relative source path, a header of the project.
    dir = tempDir();
    source = path.join(dir, 'prog.bpf.c');
    header = path.join(dir, 'deref.h');
    fs.writeFileSync(header, '/* An inline helper whose error the log places in this header. */\n' +
      'static __always_inline char first_byte(const char *p)\n{\n\treturn *p;\n}\n');
    fs.writeFileSync(source, fs.readFileSync(example('broken-user-deref.bpf.c'), 'utf8') + `
#include "deref.h"

SEC("tracepoint/syscalls/sys_enter_unlinkat")
int first_char_in_header(struct trace_event_raw_sys_enter *ctx)
{
	return first_byte((const char *)ctx->args[1]);
}
`);
    const target = new LocalTarget();
    const { dir: vmlinuxDir } = await vmlinuxIncludeDir(target);
    const arch = bpfTargetArch(await target.arch());
    object = path.join(dir, 'build', 'prog.bpf.o');
    fs.mkdirSync(path.dirname(object));
    const clang = spawnSync('clang', ['-target', 'bpf', '-g', '-O2', `-D__TARGET_ARCH_${arch}`, '-I', bpfHeadersDir(), '-I', vmlinuxDir,
      '-c', 'prog.bpf.c', '-o', 'build/prog.bpf.o'], { cwd: dir, encoding: 'utf8' });
    assert.equal(clang.status, 0, clang.stderr);
  });

  test('verifier errors land on the source file and line the BTF line info names, headers included', () => {
    const { status, document } = verifyJson(object);
    assert.equal(status, 1);
    const report = document as Document;
    assert.equal(report.file, object);
    assert.equal(report.source, source);
    assert.deepEqual(report.programs.map((program) => `${program.name}:${program.verdict}`).sort(),
      ['first_char_in_header:rejected', 'first_char_of_path:rejected']);
    const errors = report.diagnostics.filter((diagnostic) => diagnostic.severity === 'error' && diagnostic.source === 'verifier');
    const inSource = errors.find((diagnostic) => diagnostic.file === source);
    assert.ok(inSource, JSON.stringify(errors, null, 2));
    assert.equal(inSource.line, lineContaining(fs.readFileSync(source, 'utf8'), 'char first = *user_path;'));
    const inHeader = errors.find((diagnostic) => diagnostic.file === header);
    assert.ok(inHeader, JSON.stringify(errors, null, 2));
    assert.equal(inHeader.line, lineContaining(fs.readFileSync(header, 'utf8'), 'return *p;'));
    // Each program's SEC line comes from the source the object was built from.
    const program = report.programs.find((candidate) => candidate.name === 'first_char_in_header');
    assert.equal(program?.line, lineContaining(fs.readFileSync(source, 'utf8'), 'SEC("tracepoint/syscalls/sys_enter_unlinkat")'));
  });

  test('objects and sources mix in one call; human output names the object and its source', () => {
    const result = verify(object, example('hello-openat.bpf.c'));
    assert.equal(result.status, 1);
    assert.match(result.stdout, new RegExp(`^==> ${escape(object)} \\(source ${escape(source)}\\) <==$`, 'm'));
    assert.match(result.stdout, new RegExp(`^${escape(source)}:\\d+:\\d+: error: `, 'm'));
    assert.match(result.stdout, new RegExp(`^==> ${escape(example('hello-openat.bpf.c'))} <==$`, 'm'));
  });

  test('without the source on this machine, the error stays on the object and says where it was', () => {
    const moved = path.join(tempDir(), 'prog.bpf.o');
    fs.copyFileSync(object, moved);
    fs.renameSync(source, `${source}.away`);
    try {
      const { status, document } = verifyJson(moved);
      assert.equal(status, 1);
      const report = document as Document;
      assert.equal(report.source, undefined);
      const error = report.diagnostics.find((diagnostic) => diagnostic.severity === 'error' && diagnostic.source === 'verifier'
        && (diagnostic.data as { program?: string }).program === 'first_char_of_path');
      assert.ok(error);
      assert.equal(error.file, moved);
      const line = lineContaining(fs.readFileSync(`${source}.away`, 'utf8'), 'char first = *user_path;');
      assert.ok(error.message.includes(`${source}:${line}`), error.message);
    } finally {
      fs.renameSync(`${source}.away`, source);
    }
  });

  test('an object built without -g is verified, with a warning that lines need -g', async () => {
    const target = new LocalTarget();
    const { dir: vmlinuxDir } = await vmlinuxIncludeDir(target);
    const plain = path.join(tempDir(), 'hello.o');
    const clang = spawnSync('clang', ['-target', 'bpf', '-O2', `-D__TARGET_ARCH_${bpfTargetArch(await target.arch())}`, '-I', bpfHeadersDir(), '-I', vmlinuxDir,
      '-c', example('hello-openat.bpf.c'), '-o', plain], { encoding: 'utf8' });
    assert.equal(clang.status, 0, clang.stderr);
    const { status, document } = verifyJson(plain);
    assert.equal(status, 0);
    const report = document as Document;
    assert.deepEqual(report.programs.map((program) => program.verdict), ['ok']);
    assert.ok(report.diagnostics.some((diagnostic) => diagnostic.kind === 'no-line-info' && /clang -g/.test(diagnostic.message)));
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
