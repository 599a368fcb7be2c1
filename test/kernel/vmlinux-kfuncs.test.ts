/**
 * The generated vmlinux.h declares this kernel's kfuncs, so programs call them with nothing
 * but vmlinux.h and our headers (issue #9), and externs our headers declare reach the loader
 * with their BTF even when the headers come from a precompiled header, the way bpfdev
 * compiles. The oracle for which functions are kfuncs is bpftool's dump of the kernel's BTF.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compileFlags, compileForTarget } from '../../host/src/compile';
import { generateVmlinuxHeader } from '../../host/src/btf-header';
import { LocalTarget } from '../../host/src/local-target';
import { kernelSkipReason, repoRoot } from '../support/kernel';

const BTF = '/sys/kernel/btf/vmlinux';
const arch = os.arch() === 'arm64' ? 'aarch64' : 'x86_64';

function skipReason(): string | undefined {
  const kernel = kernelSkipReason();
  if (kernel) return kernel;
  for (const tool of ['clang', 'bpftool']) {
    if (spawnSync(tool, ['--version'], { stdio: 'ignore' }).status !== 0) return `needs ${tool}`;
  }
  if (!fs.existsSync(BTF)) return `needs kernel BTF (${BTF})`;
  return undefined;
}
const skip = skipReason();

/** A tp_btf program (no trampoline needed) that looks its own task up by pid and releases it. */
const TASK_LOOKUP = (declarations: string) => `#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
${declarations}
int found_pid;
int cast_pid;

SEC("tp_btf/sys_enter")
int BPF_PROG(look_up_self, struct pt_regs *regs, long id)
{
	struct task_struct *task = bpf_task_from_pid(bpf_get_current_pid_tgid() >> 32);

	if (!task)
		return 0;
	found_pid = task->pid;
	bpf_task_release(task);
	/* bpf_core_read.h's own kfunc extern, bpf_rdonly_cast, through bpf_core_cast. */
	cast_pid = bpf_core_cast((void *)bpf_get_current_task(), struct task_struct)->pid;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
`;

let workDir = '';
let pinRoot = '';

function run(command: string, args: string[]) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function loadAll(object: string, name: string): void {
  const pins = path.join(pinRoot, name);
  try {
    const result = run('bpftool', ['prog', 'loadall', object, pins]);
    assert.equal(result.code, 0, `bpftool prog loadall failed:\n${result.stderr.split('\n').slice(-20).join('\n')}`);
  } finally {
    fs.rmSync(pins, { recursive: true, force: true });
  }
}

function compile(source: string, object: string, extra: string[] = []) {
  return run('clang', [...compileFlags(arch, workDir), ...extra, '-c', source, '-o', object]);
}

void describe('vmlinux.h: kfunc declarations from the kernel\'s BTF', { skip }, () => {
  before(() => {
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfdev-kfuncs-'));
    fs.writeFileSync(path.join(workDir, 'vmlinux.h'), generateVmlinuxHeader(fs.readFileSync(BTF)));
    pinRoot = path.join('/sys/fs/bpf', `bpfdev-kfuncs-test-${process.pid}`);
    fs.mkdirSync(pinRoot);
  });
  after(() => {
    if (pinRoot) fs.rmSync(pinRoot, { recursive: true, force: true });
    if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
  });

  void test('one declaration per FUNC the BTF tags bpf_kfunc, as bpftool lists them', () => {
    const dump = run('bpftool', ['btf', 'dump', 'file', BTF]);
    assert.equal(dump.code, 0, dump.stderr);
    const names = new Map<string, string>();
    for (const match of dump.stdout.matchAll(/^\[(\d+)\] FUNC '(\w+)'/gm)) names.set(match[1]!, match[2]!);
    const tagged = new Set([...dump.stdout.matchAll(/^\[\d+\] DECL_TAG 'bpf_kfunc' type_id=(\d+) component_idx=-1$/gm)].map((m) => names.get(m[1]!)));
    assert.ok(tagged.size > 0, 'this kernel tags no kfuncs: nothing to compare');
    const header = fs.readFileSync(path.join(workDir, 'vmlinux.h'), 'utf8');
    const declared = [...header.matchAll(/^extern .*?(\w+)\(.*section\("\.ksyms"\)\)\);$/gm)].map((m) => m[1]!);
    assert.equal(declared.length, new Set(declared).size, 'a kfunc is declared twice');
    assert.deepEqual(declared.sort(), [...tagged].sort());
  });

  void test('a program calls bpf_task_from_pid and bpf_task_release with nothing but vmlinux.h and our headers, and loads', () => {
    const source = path.join(workDir, 'lookup.bpf.c');
    fs.writeFileSync(source, TASK_LOOKUP(''));
    const object = path.join(workDir, 'lookup.o');
    const result = compile(source, object, ['-Werror']);
    assert.equal(result.code, 0, result.stderr);
    loadAll(object, 'lookup');
  });

  void test('a program that declares a kfunc itself, with the kernel\'s types, still compiles and loads', () => {
    const source = path.join(workDir, 'own.bpf.c');
    fs.writeFileSync(source, TASK_LOOKUP('extern struct task_struct *bpf_task_from_pid(s32 pid) __ksym;\nextern void bpf_task_release(struct task_struct *p) __ksym;\n'));
    const object = path.join(workDir, 'own.o');
    const result = compile(source, object, ['-Werror']);
    assert.equal(result.code, 0, result.stderr);
    loadAll(object, 'own');
  });

  void test('a conflicting declaration is a compile error, and BPF_NO_KFUNC_PROTOTYPES leaves ours out', () => {
    const source = path.join(workDir, 'conflict.bpf.c');
    fs.writeFileSync(source, TASK_LOOKUP('extern struct task_struct *bpf_task_from_pid(unsigned long long pid) __ksym;\nextern void bpf_task_release(struct task_struct *p) __ksym;\n'));
    const conflicting = compile(source, path.join(workDir, 'conflict.o'));
    assert.notEqual(conflicting.code, 0);
    assert.match(conflicting.stderr, /conflicting types for 'bpf_task_from_pid'/);
    const optedOut = compile(source, path.join(workDir, 'conflict.o'), ['-DBPF_NO_KFUNC_PROTOTYPES']);
    assert.equal(optedOut.code, 0, optedOut.stderr);
  });

  void describe('through bpfdev\'s compile, with the precompiled vmlinux.h and headers', () => {
    const target = new LocalTarget();

    async function compileWithPch(source: string, name: string) {
      // 'wait': build the PCH first, so this compile is the one that uses it.
      const result = await compileForTarget(source, target, { precompiledHeader: 'wait', outputPath: path.join(workDir, `${name}-pch.o`) });
      assert.ok(result.ok, result.output);
      assert.equal(result.pch.state, 'used', `the compile did not use a PCH (${result.pch.state})`);
      return result.objectPath;
    }

    void test('kfuncs declared in the PCH reach the loader with their BTF', async () => {
      // Its own directory: a vmlinux.h beside the source would shadow the target's, and rule out the PCH.
      const dir = fs.mkdirSync(path.join(workDir, 'pch'), { recursive: true }) ?? path.join(workDir, 'pch');
      const source = path.join(dir, 'lookup.bpf.c');
      fs.writeFileSync(source, TASK_LOOKUP(''));
      loadAll(await compileWithPch(source, 'lookup'), 'lookup-pch');
    });

    void test('a program whose own kfunc declaration conflicts compiles without ours, says so, and loads', async () => {
      const dir = fs.mkdirSync(path.join(workDir, 'conflict'), { recursive: true }) ?? path.join(workDir, 'conflict');
      const source = path.join(dir, 'conflict.bpf.c');
      fs.writeFileSync(source, TASK_LOOKUP('extern struct task_struct *bpf_task_from_pid(unsigned long long pid) __ksym;\nextern void bpf_task_release(struct task_struct *p) __ksym;\nextern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;\n'));
      const result = await compileForTarget(source, target, { precompiledHeader: 'off', outputPath: path.join(dir, 'conflict.o') });
      assert.ok(result.ok, result.output);
      assert.deepEqual(result.diagnostics.filter((d) => d.severity === 'error'), []);
      assert.ok(result.diagnostics.some((d) => d.severity === 'info' && d.message.includes('BPF_NO_KFUNC_PROTOTYPES') && d.message.includes('bpf_task_from_pid')));
      loadAll(result.objectPath, 'conflict-compiled');
    });

    void test('BPF_KSYSCALL\'s LINUX_HAS_SYSCALL_WRAPPER extern keeps its BTF, and the object loads', async () => {
      const source = path.join(repoRoot, 'bpf-headers', 'test-programs', 'ksyscall.bpf.c');
      const object = await compileWithPch(source, 'ksyscall');
      const btf = run('bpftool', ['btf', 'dump', 'file', object]);
      assert.equal(btf.code, 0, btf.stderr);
      assert.match(btf.stdout, /VAR 'LINUX_HAS_SYSCALL_WRAPPER' type_id=\d+, linkage=extern/);
      loadAll(object, 'ksyscall-pch');
    });
  });
});
