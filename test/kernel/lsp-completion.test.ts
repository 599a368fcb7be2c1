/**
 * The language server over stdio, driven as an editor drives it, with this machine's real kernel
 * catalog (tracefs, kallsyms, BTF, the loader's probe): completion, resolve, hover, attach-point
 * diagnostics and their code actions. The last test makes the target unreachable and checks
 * that the bundled snapshot takes over, marked as such. Cursor positions are `|` markers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ResponseError } from 'vscode-jsonrpc/node';
import type { CodeAction, CompletionList, TextEdit, WorkspaceEdit } from 'vscode-languageserver-protocol';
import { TargetErrorData } from '../../protocol/src/protocol';
import { kernelSkipReason, repoRoot } from '../support/kernel';
import { applyEdits, at, Session } from '../support/lsp-session';

const skip = kernelSkipReason();
const LOADER = path.join(repoRoot, 'loader', 'out', `bpfdev-loader-${os.machine()}`);

const labels = (list: CompletionList) => list.items.map((item) => item.label);
const TRACEPOINT_PROGRAM = 'SEC("tracepoint/syscalls/sys_enter_openat")\nint on_openat(void *ctx)\n{\n\treturn 0;\n}\n';

void test('completion, resolve, hover, diagnostics and fixes from this kernel, over stdio', { skip, timeout: 120_000 }, async (t) => {
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfdev-lsp-test-'));
  t.after(() => fs.rmSync(cacheDir, { recursive: true, force: true }));
  const session = await Session.start(cacheDir);
  t.after(() => session.close());
  const uri = 'file:///tmp/lsp-test.bpf.c';
  // A misspelled tracepoint: the first publish after the catalog loads carries its diagnostic.
  const misspelled = 'SEC("tracepoint/syscalls/sys_enter_opnat")\nint on_openat(void *ctx)\n{\n\treturn 0;\n}\n';
  await session.open(uri, misspelled);
  const [unknown] = await session.waitForDiagnostics(uri, (list) => list.some((d) => d.code === 'unknown-tracepoint'));
  assert.match(unknown.message, /did you mean "sys_enter_openat"/);
  const actions: CodeAction[] = await session.connection.sendRequest('textDocument/codeAction', {
    textDocument: { uri }, range: unknown.range, context: { diagnostics: [unknown] },
  });
  const fix = actions.find((action) => action.title.includes('sys_enter_openat'));
  assert.ok(fix?.edit, JSON.stringify(actions.map((action) => action.title)));
  const edits = (fix.edit as WorkspaceEdit).changes?.[uri] ?? [];
  assert.equal(applyEdits(misspelled, edits), TRACEPOINT_PROGRAM);

  const stats = await session.stats();
  assert.equal(stats.catalog?.source, 'live');
  assert.ok((stats.catalog?.kernelFunctions ?? 0) > 10_000);

  await t.test('SEC("tracepoint/syscalls/sys_enter_op|") offers sys_enter_openat, resolved with its layout', async () => {
    const list = await session.complete(uri, 'SEC("tracepoint/syscalls/sys_enter_op|")\nint on_openat(void *ctx) { return 0; }\n');
    const item = list.items.find((candidate) => candidate.label === 'sys_enter_openat');
    assert.ok(item, labels(list).join(' '));
    const resolved = await session.resolve(item);
    assert.match(JSON.stringify(resolved.documentation), /filename/);
    assert.match(resolved.detail ?? '', /^ID \d+ · \d+ fields$/);
  });

  await t.test('ctx-> in that program offers the format fields', async () => {
    const list = await session.complete(uri, 'SEC("tracepoint/syscalls/sys_enter_openat")\nint on_openat(void *ctx)\n{\n\treturn ctx->|;\n}\n');
    assert.ok(labels(list).includes('filename'), labels(list).join(' '));
    assert.match(list.items.find((item) => item.label === 'filename')?.detail ?? '', /offset \d+, size 8/);
  });

  await t.test('hover on the SEC string shows the tracepoint format', async () => {
    const hover = await session.hover(uri, 'SEC("tracepoint/syscalls/sys_enter_ope|nat")\nint on_openat(void *ctx) { return 0; }\n');
    const text = JSON.stringify(hover?.contents);
    assert.match(text, /syscalls:sys_enter_openat/);
    assert.match(text, /filename; \/\* offset \d+, size 8 \*\//);
    assert.doesNotMatch(text, /snapshot/);
  });

  await t.test('kprobe SEC: the kprobe capability as this kernel reports it', async () => {
    const hasKprobes = fs.existsSync('/sys/bus/event_source/devices/kprobe') || fs.existsSync('/sys/kernel/tracing/kprobe_events');
    const kprobeUri = 'file:///tmp/lsp-test-kprobe.bpf.c';
    await session.open(kprobeUri, 'SEC("kprobe/do_unlinkat")\nint BPF_KPROBE(on_unlink)\n{\n\treturn 0;\n}\n');
    const diagnostics = await session.waitForDiagnostics(kprobeUri, () => true);
    assert.equal(diagnostics.some((d) => d.code === 'no-kprobes'), !hasKprobes, JSON.stringify(diagnostics));
  });

  await t.test('capabilities and libbpf version come from the loader\'s probe, in the same fetch', async () => {
    const probe = spawnSync(LOADER, ['probe'], { encoding: 'utf8' });
    const event = JSON.parse(probe.stdout.split('\n').find((line) => line.startsWith('\x1e'))!.slice(1)) as Record<string, unknown>;
    const catalog = (await session.stats()).catalog;
    assert.equal(catalog?.capabilities.fentry, event.fentry);
    assert.equal(catalog?.capabilities.kprobes, event.kprobes);
    assert.equal(catalog?.libbpfVersion, event.libbpf);
    if (event.fentryReason) assert.equal(catalog?.capabilities.fentryReason, event.fentryReason);
  });

  await t.test('kprobe function completion: resolve adds the BTF prototype and the BPF_KPROBE parameters', async () => {
    await session.waitForBtf();
    const source = 'SEC("kprobe/vfs_rea|")\nint BPF_KPROBE(on_read)\n{\n\treturn 0;\n}\n';
    const list = await session.complete(uri, source);
    const item = list.items.find((candidate) => candidate.label === 'vfs_read');
    assert.ok(item, labels(list).join(' '));
    assert.equal(item.documentation, undefined, 'lists go out without documentation');
    const resolved = await session.resolve(item);
    assert.match(JSON.stringify(resolved.documentation), /ssize_t vfs_read\(struct file \*file/);
    const edited = applyEdits(at(source).text, [item.textEdit as TextEdit, ...(resolved.additionalTextEdits ?? [])]);
    assert.match(edited, /^SEC\("kprobe\/vfs_read"\)\nint BPF_KPROBE\(on_read, struct file \*file, char \*buf, size_t count, loff_t \*pos\)/);
  });

  await t.test('struct members through BTF: BPF_CORE_READ(task, |), chains, locals', async () => {
    const body = (line: string) => `SEC("tp/sched/sched_switch")\nint on_switch(void *ctx)\n{\n\tstruct task_struct *task = (void *)bpf_get_current_task();\n\t${line}\n\treturn 0;\n}\n`;
    const direct = labels(await session.complete(uri, body('int pid = BPF_CORE_READ(task, |);')));
    for (const member of ['pid', 'tgid', 'real_parent', 'comm', 'mm']) assert.ok(direct.includes(member), `${member} in ${direct.length} members`);
    const chained = labels(await session.complete(uri, body('int ppid = BPF_CORE_READ(task, real_parent, |);')));
    assert.ok(chained.includes('tgid'));
    const mm = labels(await session.complete(uri, body('unsigned long b = BPF_CORE_READ(task, mm, |);')));
    assert.ok(mm.includes('mmap_base') || mm.includes('pgd'), mm.slice(0, 20).join(' '));
    const arrow = labels(await session.complete(uri, body('unsigned long b = task->mm->|')));
    assert.deepEqual(arrow, mm);
    const into = labels(await session.complete(uri, body('BPF_CORE_READ_INTO(&pid, task, real_parent, |);')));
    assert.ok(into.includes('pid'));
  });

  await session.close();
  // The second server reads the per-build cache the first one wrote.
  const warm = await Session.start(cacheDir);
  t.after(() => warm.close());
  await warm.open(uri, misspelled);
  await warm.waitForDiagnostics(uri, (list) => list.some((d) => d.code === 'unknown-tracepoint'));
  assert.equal((await warm.stats()).catalog?.source, 'cache');
  const list = await warm.complete(uri, 'SEC("tracepoint/syscalls/sys_enter_op|")\nint on_openat(void *ctx) { return 0; }\n');
  assert.ok(labels(list).includes('sys_enter_openat'));
});

void test('no target reachable: completions, diagnostics and hover from the bundled snapshot, marked', { timeout: 60_000 }, async (t) => {
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfdev-lsp-test-'));
  t.after(() => fs.rmSync(cacheDir, { recursive: true, force: true }));
  const unreachable = () => new ResponseError<TargetErrorData>(-32000, 'connect ECONNREFUSED', { code: 'ECONNREFUSED' });
  const session = await Session.start(cacheDir, (connection) => {
    for (const method of ['bpfdev/target/info', 'bpfdev/target/exec', 'bpfdev/target/readFile', 'bpfdev/target/upload', 'bpfdev/target/loaderPath']) {
      connection.onRequest(method, () => { throw unreachable(); });
    }
  });
  t.after(() => session.close());
  await session.connection.sendNotification('bpfdev/didChangeTarget', { name: 'unreachable-test-host' });
  const snapshotReadme = fs.readFileSync(path.join(repoRoot, 'catalog-snapshot', 'README.md'), 'utf8');
  const kernel = /\| kernel \| `([^`]+)` \|/.exec(snapshotReadme)?.[1];
  assert.ok(kernel);
  const uri = 'file:///tmp/lsp-snapshot-test.bpf.c';
  await session.open(uri, 'SEC("tracepoint/syscalls/sys_enter_opnat")\nint on_openat(void *ctx)\n{\n\treturn 0;\n}\n');
  const [diagnostic] = await session.waitForDiagnostics(uri, (list) => list.some((d) => d.code === 'unknown-tracepoint' && /snapshot/.test(d.message)));
  assert.match(diagnostic.message, new RegExp(`did you mean "sys_enter_openat"\\? \\(from a bundled snapshot of ${kernel.replace(/\./g, '\\.')}`));
  const stats = await session.stats();
  assert.equal(stats.catalog?.source, 'snapshot');
  assert.equal(stats.catalog?.target, 'unreachable-test-host');
  const list = await session.complete(uri, 'SEC("tracepoint/syscalls/sys_enter_op|")\nint on_openat(void *ctx) { return 0; }\n');
  assert.ok(labels(list).includes('sys_enter_openat'));
  const hover = await session.hover(uri, 'SEC("tracepoint/syscalls/sys_enter_ope|nat")\nint on_openat(void *ctx) { return 0; }\n');
  assert.match(JSON.stringify(hover?.contents), new RegExp(`from a bundled snapshot of ${kernel.replace(/\./g, '\\.')}`));
  assert.ok(session.log.some((line) => /serving the bundled snapshot/.test(line)), session.log.join('\n'));
});
