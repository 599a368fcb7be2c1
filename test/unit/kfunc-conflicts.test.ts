import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseClangDiagnostics } from '../../core/src/clang/diagnostics';
import { conflictingKfuncs } from '../../core/src/btf/kfunc-conflicts';

// clang 14's output for a program redeclaring kfuncs with other types than vmlinux.h's; the
// kernel tier (vmlinux-kfuncs.test) checks the same against the real compiler.
const header = '/cache/targets/k/vmlinux-g3/vmlinux.h';
const output = (file: string) => [
  `/src/p.bpf.c:5:28: error: conflicting types for 'bpf_task_from_pid'`,
  `${file}:133057:28: note: previous declaration is here`,
  `/src/p.bpf.c:9:6: error: conflicting types for 'helper'`,
  `/src/p.bpf.c:7:6: note: previous declaration is here`,
  `/src/p.bpf.c:12:8: error: redefinition of 'task_struct'`,
  `${header}:100:8: note: previous definition is here`,
].join('\n');

void test('a conflict whose previous declaration is in the generated vmlinux.h names that kfunc', () => {
  assert.deepEqual(conflictingKfuncs(parseClangDiagnostics(output(header)), header), ['bpf_task_from_pid']);
});

void test('the same file reached through ./ or a doubled slash still counts', () => {
  assert.deepEqual(conflictingKfuncs(parseClangDiagnostics(output('/cache/targets/k/vmlinux-g3/./vmlinux.h')), header), ['bpf_task_from_pid']);
  assert.deepEqual(conflictingKfuncs(parseClangDiagnostics(output('/cache/targets/k/vmlinux-g3//vmlinux.h')), header), ['bpf_task_from_pid']);
});

void test('conflicts with the program\'s own declarations, or with another vmlinux.h, are not ours to fix', () => {
  assert.deepEqual(conflictingKfuncs(parseClangDiagnostics(output('/project/vmlinux.h')), header), []);
  assert.deepEqual(conflictingKfuncs([], header), []);
});
