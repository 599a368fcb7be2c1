/**
 * Language-server depth over stdio on this kernel: helpers filtered by program type from the
 * loader's probe, kfuncs from the kernel's BTF, uprobe/USDT targets from ELF files on the
 * target. Cursor positions are `|` markers; each step waits on a server event (a diagnostics
 * publish), never on time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CompletionItemTag, type CompletionList } from 'vscode-languageserver-protocol';
import { parseProbe } from '../../core/src/catalog/kernel-catalog';
import { all as allHelpers } from '../../core/src/helpers/index';
import { kernelSkipReason, repoRoot } from '../support/kernel';
import { Session } from '../support/lsp-session';

const skip = kernelSkipReason();
const LOADER = path.join(repoRoot, 'loader', 'out', `bpfdev-loader-${os.machine()}`);
const USDT_SAMPLE = path.join(repoRoot, 'test', 'fixtures', 'elf', 'usdt-sample');
const labels = (list: CompletionList) => list.items.map((item) => item.label);

void test('helpers by program type, kfuncs and uprobe/USDT targets, over stdio', { skip, timeout: 120_000 }, async (t) => {
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfdev-lsp-depth-'));
  t.after(() => fs.rmSync(cacheDir, { recursive: true, force: true }));
  const session = await Session.start(cacheDir);
  t.after(() => session.close());
  // The answer key: this kernel's own verifier, asked by the loader directly.
  const probe = parseProbe(spawnSync(LOADER, ['probe', '--calls'], { encoding: 'utf8' }).stdout);
  assert.ok(probe.helpers, 'the probe (as root) carries the helper table');
  const xdp = new Set(probe.helpers.byType.xdp);
  const stackid = allHelpers().find((helper) => helper.name === 'bpf_get_stackid');
  const comm = allHelpers().find((helper) => helper.name === 'bpf_get_current_comm');
  assert.ok(stackid && comm);

  const uri = 'file:///tmp/lsp-depth.bpf.c';
  const xdpProgram = `SEC("xdp")\nint on_packet(struct xdp_md *ctx)\n{\n\tchar c[16];\n\tbpf_get_current_comm(c, 16);\n\treturn bpf_get_stackid(ctx, 0, 0);\n}\n`;
  await session.open(uri, xdpProgram);
  const expected = [stackid, comm].filter((helper) => !xdp.has(helper.id)).map((helper) => helper.name);
  // 6.18 refuses bpf_get_stackid in XDP; on a kernel that refuses neither there is nothing to wait for.
  assert.ok(expected.length > 0, 'this kernel refuses one of them in XDP');
  const refusedCalls = (list: { code?: string | number }[]) => list.filter((d) => d.code === 'helper-not-for-program-type');
  const diagnostics = await session.waitForDiagnostics(uri, (list) => refusedCalls(list).length === expected.length);

  await t.test('a helper XDP may not call here is an error at the call, exactly when the verifier refuses it', () => {
    assert.deepEqual(refusedCalls(diagnostics).map((d) => (d as { message: string }).message.match(/bpf_\w+/)?.[0]), expected);
  });

  await t.test('SEC("xdp") { bpf_get_stacki| }: struck through with the reason when refused', async () => {
    const list = await session.complete(uri, 'SEC("xdp")\nint on_packet(struct xdp_md *ctx)\n{\n\treturn bpf_get_stacki|;\n}\n');
    const item = list.items.find((candidate) => candidate.label === 'bpf_get_stackid');
    assert.ok(item, labels(list).join(' '));
    assert.equal(item.tags?.includes(CompletionItemTag.Deprecated) ?? false, !xdp.has(stackid.id));
    if (!xdp.has(stackid.id)) assert.match(item.detail ?? '', /XDP programs cannot call bpf_get_stackid/);
  });

  await t.test('kfuncs: bpf_task_from_p| offers bpf_task_from_pid with its BTF prototype and acquire note', async () => {
    const source = 'SEC("tp_btf/sched_switch")\nint on_switch(void *ctx)\n{\n\tbpf_task_from_p|\n}\n';
    let list = await session.complete(uri, source);
    // The kfunc table waits for the BTF warm-up; the server marks the list incomplete until then.
    while (list.isIncomplete && list.items.length === 0) list = await session.complete(uri, source);
    const item = list.items.find((candidate) => candidate.label === 'bpf_task_from_pid');
    assert.ok(item, labels(list).join(' '));
    assert.match(item.detail ?? '', /^kfunc: struct task_struct \*bpf_task_from_pid\(/);
    const resolved = item.documentation ? item : await session.resolve(item);
    assert.match(JSON.stringify(resolved.documentation), /acquire.*bpf_task_release/);
  });

  await t.test('a kfunc the verifier refuses for XDP is an error at the call in SEC("xdp")', async () => {
    const kfuncTypes = probe.kfuncTypes ?? {};
    const name = Object.keys(kfuncTypes).sort().find((candidate) => kfuncTypes[candidate].length > 0 && !kfuncTypes[candidate].includes('xdp'));
    assert.ok(name, 'some kfunc is refused in XDP and allowed elsewhere');
    const kfuncUri = 'file:///tmp/lsp-depth-kfunc.bpf.c';
    await session.open(kfuncUri, `SEC("xdp")\nint on_packet(struct xdp_md *ctx)\n{\n\t${name}(0);\n\treturn 0;\n}\n`);
    const [refused] = await session.waitForDiagnostics(kfuncUri, (list) => list.some((d) => d.code === 'kfunc-not-for-program-type'));
    assert.match(refused.message, new RegExp(`XDP programs cannot call kfunc ${name}`));
  });

  await t.test('uprobe: PATH binaries, then bash\'s readline, its address and size on hover, a missing symbol flagged', async () => {
    const uprobeUri = 'file:///tmp/lsp-depth-uprobe.bpf.c';
    const bash = fs.realpathSync('/usr/bin/bash');
    await session.open(uprobeUri, `SEC("uprobe/${bash}:readlinx")\nint on_readline(void *ctx)\n{\n\treturn 0;\n}\n`);
    const [missing] = await session.waitForDiagnostics(uprobeUri, (list) => list.some((d) => d.code === 'unknown-uprobe-symbol'));
    assert.match(missing.message, /did you mean "readline"/);
    const binaries = await session.complete(uprobeUri, 'SEC("uprobe//usr/bin/bas|")\nint on_readline(void *ctx) { return 0; }\n');
    assert.ok(labels(binaries).includes('/usr/bin/bash'), labels(binaries).join(' '));
    const symbols = await session.complete(uprobeUri, `SEC("uprobe/${bash}:readl|")\nint on_readline(void *ctx) { return 0; }\n`);
    assert.ok(labels(symbols).includes('readline'), labels(symbols).join(' '));
    const hover = await session.hover(uprobeUri, `SEC("uprobe/${bash}:read|line")\nint on_readline(void *ctx) { return 0; }\n`);
    const readelf = spawnSync('readelf', ['-sW', '--dyn-syms', bash], { encoding: 'utf8' }).stdout;
    const row = readelf.split('\n').find((line) => / FUNC .* readline$/.test(line))?.trim().split(/\s+/);
    assert.ok(row, 'readelf lists readline');
    assert.match(JSON.stringify(hover?.contents), new RegExp(`address 0x${BigInt(`0x${row[1]}`).toString(16)}, size ${Number(row[2])} bytes`));
  });

  await t.test('usdt: provider:name from .note.stapsdt', async () => {
    const usdtUri = 'file:///tmp/lsp-depth-usdt.bpf.c';
    await session.open(usdtUri, `SEC("usdt/${USDT_SAMPLE}:bpfdev_fixture:tock")\nint on_tick(void *ctx)\n{\n\treturn 0;\n}\n`);
    const [missing] = await session.waitForDiagnostics(usdtUri, (list) => list.some((d) => d.code === 'unknown-usdt-probe'));
    assert.match(missing.message, /did you mean "bpfdev_fixture:tick"/);
    const list = await session.complete(usdtUri, `SEC("usdt/${USDT_SAMPLE}:|")\nint on_tick(void *ctx) { return 0; }\n`);
    assert.deepEqual(labels(list).sort(), ['bpfdev_fixture:start', 'bpfdev_fixture:tick']);
  });
});
