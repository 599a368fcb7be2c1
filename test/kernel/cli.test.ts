/**
 * The walking skeleton end to end on this machine's kernel, through the real CLI bundle:
 * compile → verifier → attach → trace lines → detach, and verifier errors at the source line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { exitOf, kernelSkipReason, lineContaining, loadedProgramNames, repoRoot, waitForLine } from '../support/kernel';

const skip = kernelSkipReason();
const cli = path.join(repoRoot, 'bin', 'bpfdev.js');
const example = (name: string) => path.join(repoRoot, 'examples', name);

test('bpfdev run streams the example\'s trace lines and leaves nothing attached', { skip, timeout: 60_000 }, async () => {
  const child = spawn(process.execPath, [cli, 'run', example('hello-openat.bpf.c'), '--duration', '3'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  await waitForLine(child, /attached hello_openat/, 30_000, 'stderr');
  // Our own open, with a marker path, so the line we wait for is certainly ours.
  const marker = `/tmp/bpfdev-cli-test-${process.pid}`;
  const opener = setInterval(() => { try { fs.openSync(marker, 'r'); } catch { /* ENOENT still calls openat */ } }, 50);
  try {
    const line = await waitForLine(child, new RegExp(`hello-openat: pid \\d+ opened ${marker}`));
    assert.match(line, /bpf_trace_printk|hello-openat/);
  } finally {
    clearInterval(opener);
  }
  assert.equal(await exitOf(child), 0, stderr);
  assert.match(stderr, /detached 1 program/);
  assert.ok(!loadedProgramNames().includes('hello_openat'), 'hello_openat is still loaded after run ended');
});

test('killing bpfdev run (SIGKILL) still detaches: the loader sees its stdin close', { skip, timeout: 60_000 }, async () => {
  const child = spawn(process.execPath, [cli, 'run', example('count-execs.bpf.c')], { stdio: ['ignore', 'pipe', 'pipe'] });
  await waitForLine(child, /attached count_exec/, 30_000, 'stderr');
  assert.ok(loadedProgramNames().includes('count_exec'));
  child.kill('SIGKILL');
  await exitOf(child);
  // The loader exits on its own once it reads EOF; bpftool is the observable end state.
  const deadline = Date.now() + 10_000;
  while (loadedProgramNames().includes('count_exec')) {
    assert.ok(Date.now() < deadline, 'count_exec still loaded 10 s after bpfdev was killed');
    await new Promise((resolve) => setImmediate(resolve));
  }
});

test('bpfdev verify reports a user-pointer dereference at its source line', { skip, timeout: 60_000 }, () => {
  const file = example('broken-user-deref.bpf.c');
  const result = spawnSync(process.execPath, [cli, 'verify', file], { encoding: 'utf8' });
  assert.equal(result.status, 1, result.stdout + result.stderr);
  const expectedLine = lineContaining(fs.readFileSync(file, 'utf8'), 'char first = *user_path;');
  const located = result.stdout.split('\n').find((line) => line.startsWith(`${file}:${expectedLine}:`));
  assert.ok(located, `no diagnostic at ${file}:${expectedLine} in:\n${result.stdout}`);
  assert.match(located, /error: .*(invalid mem access|R\d+ invalid|unbounded memory access)/);
});

test('bpfdev verify --json prints the CI document with verdicts and stats', { skip, timeout: 60_000 }, () => {
  const result = spawnSync(process.execPath, [cli, 'verify', '--json', example('hello-openat.bpf.c')], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  const report = JSON.parse(result.stdout) as { compiled: boolean; programs: { name: string; verdict: string; insnsProcessed: number }[] };
  assert.equal(report.compiled, true);
  const program = report.programs.find((p) => p.name === 'hello_openat');
  assert.ok(program);
  assert.equal(program.verdict, 'ok');
  assert.ok(program.insnsProcessed > 0);
});

test('bpfdev verify reports clang errors as file:line:col', { skip, timeout: 60_000 }, () => {
  const dir = fs.mkdtempSync('/tmp/bpfdev-cli-');
  const file = path.join(dir, 'typo.bpf.c');
  fs.writeFileSync(file, '#include "vmlinux.h"\n#include <bpf/bpf_helpers.h>\nSEC("tp/syscalls/sys_enter_openat")\nint f(void *ctx) { return undefined_name; }\n');
  const result = spawnSync(process.execPath, [cli, 'verify', file], { encoding: 'utf8' });
  assert.equal(result.status, 1);
  assert.match(result.stdout, new RegExp(`^${file.replace(/[.]/g, '\\.')}:4:\\d+: error: use of undeclared identifier 'undefined_name'`, 'm'));
});
