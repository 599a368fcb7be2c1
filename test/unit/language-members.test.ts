/**
 * Member completion through real kernel BTF (the bundled snapshot's vmlinux BTF, captured with
 * provenance by scripts/gen-catalog-snapshot.mjs): `->`/`.` chains and the CO-RE read macros,
 * where clang-based tools see only macro arguments. Cursor positions are `|` markers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { brotliDecompressSync } from 'node:zlib';
import { parseBtf } from '../../core/src/btf/reader';
import { btfLookup } from '../../core/src/catalog/kernel-catalog';
import { doComplete, KernelCatalog } from '../../core/src/language/index';

const SNAPSHOT_BTF = path.resolve(__dirname, '../../../catalog-snapshot/vmlinux.btf.br');
const parsed = parseBtf(brotliDecompressSync(readFileSync(SNAPSHOT_BTF)));
assert.ok(parsed.btf, parsed.errors.join('; '));
const btf = parsed.btf;
const CATALOG: KernelCatalog = { btf: btfLookup(btf) };

/** Member names of a struct straight from the reader, as the independent expectation. */
function membersOf(struct: string): string[] {
  const lookup = btfLookup(btf).structMembers(struct);
  assert.ok(lookup, struct);
  return lookup.map((member) => member.name);
}

function complete(source: string): string[] {
  const offset = source.indexOf('|');
  return doComplete(source.slice(0, offset) + source.slice(offset + 1), offset, CATALOG).items.map((item) => item.label);
}

const program = (line: string) =>
  `SEC("tp/sched/sched_switch")\nint on_switch(void *ctx)\n{\n\tstruct task_struct *task = (void *)bpf_get_current_task();\n\t${line}\n\treturn 0;\n}\n`;

void test('BPF_CORE_READ(task, |) offers the members of task_struct, and each further argument follows a pointer', () => {
  const task = membersOf('task_struct');
  assert.deepEqual(complete(program('int pid = BPF_CORE_READ(task, |);')), task);
  assert.deepEqual(complete(program('int pid = BPF_CORE_READ(task, p|);')), task, 'the partial name is left to the editor\'s filter');
  assert.deepEqual(complete(program('int ppid = BPF_CORE_READ(task, real_parent, |);')), task);
  assert.deepEqual(complete(program('long b = BPF_CORE_READ(task, mm, |);')), membersOf('mm_struct'));
  // `x.y` inside one argument stays in the same struct, as the macro expands it.
  assert.deepEqual(complete(program('const char *n = BPF_CORE_READ(file, f_path.|);').replace('struct task_struct *task', 'struct file *file')), membersOf('path'));
  assert.deepEqual(complete(program('const char *n = BPF_CORE_READ(file, f_path.dentry, |);').replace('struct task_struct *task', 'struct file *file')), membersOf('dentry'));
  // The _INTO and _STR_INTO forms take the destination first.
  assert.deepEqual(complete(program('BPF_CORE_READ_INTO(&pid, task, real_parent, |);')), task);
  assert.deepEqual(complete(program('BPF_CORE_READ_STR_INTO(&buf, task, |);')), task);
  // A cast as the source.
  assert.deepEqual(complete(program('int pid = BPF_CORE_READ((struct task_struct *)bpf_get_current_task(), |);')), task);
});

void test('-> and . chains from parameters, locals and comma-separated declarations', () => {
  assert.deepEqual(complete(program('long b = task->mm->|')), membersOf('mm_struct'));
  assert.deepEqual(complete(program('long b = task->mm->mmap_base + task->|')), membersOf('task_struct'));
  assert.deepEqual(complete(program('struct task_struct *a, *b = task; b->|')), membersOf('task_struct'));
  assert.deepEqual(complete('static int f(const struct cred *cred)\n{\n\treturn cred->|;\n}\n'), membersOf('cred'));
  assert.deepEqual(complete('SEC("fentry/vfs_read")\nint BPF_PROG(h, struct file *file)\n{\n\treturn file->f_path.|;\n}\n'), membersOf('path'));
});

void test('unknown members, non-struct types and other calls offer nothing', () => {
  assert.deepEqual(complete(program('int x = BPF_CORE_READ(task, no_such_member, |);')), []);
  assert.deepEqual(complete(program('int x = task->pid->|')), []);
  assert.deepEqual(complete(program('int x = some_function(task, |);')), []);
  assert.deepEqual(complete(program('int x = BPF_CORE_READ(unknown_variable, |);')), []);
  assert.deepEqual(complete(program('return |')), []);
  for (const line of ['BPF_CORE_READ(', 'BPF_CORE_READ(task,', 'x = task->', 'BPF_CORE_READ(task, a.', 'BPF_CORE_READ((', ').->,']) {
    const text = program(line);
    for (let offset = 0; offset <= text.length; offset++) doComplete(text, offset, CATALOG);
  }
});
