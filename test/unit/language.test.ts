import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { buildKallsymsIndex, KernelCapabilities } from '../../core/src/kallsyms/index';
import { buildTracepointCatalog, TracepointCatalogEntry } from '../../core/src/tracefs/catalog';
import { parseAvailableEvents } from '../../core/src/tracefs/format';
import { all as allHelpers } from '../../core/src/helpers/index';
import {
  BtfLookup,
  CompletionList,
  KernelCatalog,
  doComplete,
  doHover,
  doValidate,
  getCodeActions,
  resolveCompletionItem,
  helperSignatureHelp,
  parseBpfDocument,
  programSignatureFor,
} from '../../core/src/language/index';

const FIXTURES = path.resolve(__dirname, '../../../test/fixtures');

function tracepointEntries(): TracepointCatalogEntry[] {
  // Every event this kernel lists, with a format for the captured ones.
  const { entries } = parseAvailableEvents(readFileSync(path.join(FIXTURES, 'tracefs/available_events'), 'utf8'));
  const formatsDir = path.join(FIXTURES, 'tracefs/events');
  const formats = new Map<string, string>();
  for (const category of readdirSync(formatsDir)) {
    for (const event of readdirSync(path.join(formatsDir, category))) {
      formats.set(`${category}:${event}`, readFileSync(path.join(formatsDir, category, event, 'format'), 'utf8'));
    }
  }
  return entries.map((entry) => ({ ...entry, formatText: formats.get(`${entry.category}:${entry.event}`) }));
}

const TRACEPOINTS = buildTracepointCatalog(tracepointEntries());
const CAPTURED_CAPABILITIES: KernelCapabilities = JSON.parse(readFileSync(path.join(FIXTURES, 'kallsyms/capabilities.json'), 'utf8'));
const KALLSYMS_TEXT = readFileSync(path.join(FIXTURES, 'kallsyms/kallsyms'), 'utf8');

/**
 * A stand-in for the BTF reader with a few prototypes as the kernel declares them; the real
 * reader is exercised against vmlinux by scripts/bench-catalog.mjs.
 */
const FAKE_BTF: BtfLookup = {
  funcPrototype(name) {
    const prototypes: Record<string, { args: { name: string; type: string }[]; ret: string }> = {
      do_unlinkat: { args: [{ name: 'dfd', type: 'int' }, { name: 'name', type: 'struct filename *' }], ret: 'int' },
      vfs_read: {
        args: [
          { name: 'file', type: 'struct file *' },
          { name: 'buf', type: 'char *' },
          { name: 'count', type: 'size_t' },
          { name: 'pos', type: 'loff_t *' },
        ],
        ret: 'ssize_t',
      },
      bpf_lsm_file_open: { args: [{ name: 'file', type: 'struct file *' }], ret: 'int' },
      btf_trace_sched_switch: {
        args: [
          { name: '', type: 'void *' },
          { name: 'preempt', type: 'bool' },
          { name: 'prev', type: 'struct task_struct *' },
          { name: 'next', type: 'struct task_struct *' },
          { name: 'prev_state', type: 'unsigned int' },
        ],
        ret: 'void',
      },
      schedule: { args: [], ret: 'void' },
    };
    return prototypes[name];
  },
  structMembers(typeName) {
    if (typeName === 'file') return [{ name: 'f_mode', type: 'fmode_t' }, { name: 'f_inode', type: 'struct inode *' }];
    if (typeName === 'trace_event_raw_sys_enter') return [{ name: 'ent', type: 'struct trace_entry' }, { name: 'id', type: 'long' }, { name: 'args', type: 'unsigned long[6]' }];
    return undefined;
  },
};

function catalog(overrides: Partial<KernelCatalog> = {}, capabilities: KernelCapabilities = CAPTURED_CAPABILITIES): KernelCatalog {
  return {
    tracepoints: TRACEPOINTS,
    kallsyms: buildKallsymsIndex(KALLSYMS_TEXT, { capabilities }),
    btf: FAKE_BTF,
    helpers: allHelpers(),
    ...overrides,
  };
}

const CATALOG = catalog();

/** Splits `source` at its single `|` cursor marker. */
function at(source: string): { text: string; offset: number } {
  const offset = source.indexOf('|');
  assert.ok(offset !== -1 && source.indexOf('|', offset + 1) === -1, 'exactly one | marker');
  return { text: source.slice(0, offset) + source.slice(offset + 1), offset };
}

function complete(source: string, kernel: KernelCatalog = CATALOG, limit?: number): CompletionList {
  const { text, offset } = at(source);
  return doComplete(text, offset, kernel, limit !== undefined ? { limit } : {});
}

function labels(list: CompletionList): string[] {
  return list.items.map((item) => item.label);
}

/** Applies an item's main and additional edits, as an editor would. */
function apply(text: string, edits: { start: number; end: number; newText: string }[]): string {
  let result = text;
  for (const edit of [...edits].sort((a, b) => b.start - a.start)) result = result.slice(0, edit.start) + edit.newText + result.slice(edit.end);
  return result;
}

void test('SEC("|"): every section prefix, with docs and a retrigger after target-taking ones', () => {
  const list = complete('SEC("|")');
  assert.ok(labels(list).includes('tracepoint/'));
  assert.ok(labels(list).includes('xdp'));
  assert.ok(labels(list).includes('cgroup/connect4'));
  const tracepoint = list.items.find((item) => item.label === 'tracepoint/');
  assert.equal(tracepoint?.retrigger, true);
  assert.match(tracepoint?.documentation ?? '', /BPF_PROG_TYPE_TRACEPOINT/);
  assert.deepEqual(labels(complete('SEC("cgroup/conn|")')).sort(), ['cgroup/connect4', 'cgroup/connect6', 'cgroup/connect_unix']);
  assert.deepEqual(labels(complete('SEC("tc/|")')).sort(), ['tc/egress', 'tc/ingress']);
  const kprobeItems = labels(complete('SEC("kpro|")'));
  assert.ok(kprobeItems.includes('kprobe/') && kprobeItems.includes('kprobe.multi/'));
  assert.ok(!kprobeItems.includes('xdp'));
});

void test('tracepoint categories, then events; the replace range covers only the segment', () => {
  const categories = complete('SEC("tracepoint/sc|")');
  assert.ok(labels(categories).includes('sched'));
  const sched = categories.items.find((item) => item.label === 'sched');
  assert.equal(sched?.insertText, 'sched/');
  assert.equal(sched?.retrigger, true);

  const source = 'SEC("tracepoint/syscalls/sys_enter_op|")';
  const events = complete(source);
  assert.ok(labels(events).includes('sys_enter_openat'));
  assert.ok(labels(events).includes('sys_enter_open_by_handle_at'));
  const openat = events.items.find((item) => item.label === 'sys_enter_openat');
  assert.ok(openat);
  const { text } = at(source);
  assert.equal(text.slice(openat.range.start, openat.range.end), 'sys_enter_op');
  assert.equal(apply(text, [{ ...openat.range, newText: openat.insertText }]), 'SEC("tracepoint/syscalls/sys_enter_openat")');
  assert.match(openat.documentation ?? '', /const char \*filename;/);
  // The tp alias completes the same way, and an unterminated string (user still typing) too.
  assert.ok(labels(complete('SEC("tp/sched/sched_sw|")')).includes('sched_switch'));
  assert.ok(labels(complete('SEC("tp/sched/sched_sw|\nint x;')).includes('sched_switch'));
  assert.ok(labels(complete('SEC("?tp/sched/sched_sw|")')).includes('sched_switch'));
  assert.ok(labels(complete('SEC("?|")')).includes('tracepoint/'));
});

void test('kprobe/: kernel functions, exact and prefix matches first, capped with isIncomplete', () => {
  const exact = complete('SEC("kprobe/do_unlinkat|")');
  assert.equal(exact.items[0].label, 'do_unlinkat');
  assert.equal(exact.items[0].sortText < (exact.items[1]?.sortText ?? '~'), true);

  const capped = complete('SEC("kprobe/|")', CATALOG, 20);
  assert.equal(capped.items.length, 20);
  assert.equal(capped.isIncomplete, true);

  const bySubstring = labels(complete('SEC("fentry/unlinkat|")'));
  assert.ok(bySubstring.includes('do_unlinkat'));

  const prefixed = complete('SEC("kprobe/bpf_lsm_|")', CATALOG, 3);
  assert.ok(prefixed.items.every((item) => item.label.startsWith('bpf_lsm_')));
  assert.equal(prefixed.isIncomplete, true);
});

void test('ksyscall/, lsm/, raw_tp/, iter/ complete from kallsyms and tracefs', () => {
  const syscalls = labels(complete('SEC("ksyscall/opena|")'));
  assert.ok(syscalls.includes('openat') && syscalls.includes('openat2'));
  assert.ok(labels(complete('SEC("lsm/file_op|")')).includes('file_open'));
  const rawTp = complete('SEC("raw_tp/sched_switc|")');
  assert.ok(labels(rawTp).includes('sched_switch'));
  assert.match(rawTp.items.find((item) => item.label === 'sched_switch')?.detail ?? '', /sched:sched_switch/);
  // A bare tracepoint (no tracefs event) known only from its __traceiter_ symbol.
  const bare = complete('SEC("tp_btf/sched_update_nr|")');
  assert.match(bare.items.find((item) => item.label === 'sched_update_nr_running_tp')?.detail ?? '', /bare tracepoint/);
  assert.ok(labels(complete('SEC("iter/task|")')).includes('task_file'));
});

void test('uprobe/: binaries, then symbols; not-yet-loaded answers mark the list incomplete', () => {
  const loaded = new Set<string>();
  const userSpace = {
    binaries: (typed: string) => ['/usr/bin/bash', '/usr/lib/libc.so.6'].filter((binary) => binary.startsWith(typed)),
    functions: (binary: string) => (loaded.has(binary) ? ['readline', 'main', 'rl_getc'] : undefined),
  };
  const kernel = catalog({ userSpace });
  const binaries = complete('SEC("uprobe//usr/b|")', kernel);
  assert.deepEqual(labels(binaries), ['/usr/bin/bash']);
  assert.equal(binaries.items[0].insertText, '/usr/bin/bash:');
  const pending = complete('SEC("uprobe//usr/bin/bash:rea|")', kernel);
  assert.deepEqual(pending, { items: [], isIncomplete: true });
  loaded.add('/usr/bin/bash');
  assert.deepEqual(labels(complete('SEC("uprobe//usr/bin/bash:rea|")', kernel)), ['readline']);
});

void test('choosing a kprobe function rewrites the program line into BPF_KPROBE with the BTF arguments', () => {
  const source = 'SEC("kprobe/do_unl|")\nint BPF_KPROBE(on_unlink)\n{\n\treturn 0;\n}\n';
  const list = complete(source);
  const item = list.items.find((candidate) => candidate.label === 'do_unlinkat');
  assert.ok(item?.additionalTextEdits);
  const { text } = at(source);
  const edited = apply(text, [{ ...item.range, newText: item.insertText }, ...item.additionalTextEdits]);
  assert.equal(edited, 'SEC("kprobe/do_unlinkat")\nint BPF_KPROBE(on_unlink, int dfd, struct filename *name)\n{\n\treturn 0;\n}\n');

  const plain = 'SEC("fexit/vfs_rea|")\nint handler(unsigned long long *ctx) { return 0; }\n';
  const fexit = complete(plain).items.find((candidate) => candidate.label === 'vfs_read');
  assert.equal(
    fexit?.additionalTextEdits?.[0].newText,
    'BPF_PROG(handler, struct file *file, char *buf, size_t count, loff_t *pos, ssize_t ret)',
  );
});

void test('deferred items: resolveCompletionItem adds the same documentation and edit later', () => {
  const { text, offset } = at('SEC("kprobe/do_unl|")\nint BPF_KPROBE(on_unlink)\n{\n\treturn 0;\n}\n');
  const eager = doComplete(text, offset, CATALOG).items.find((item) => item.label === 'do_unlinkat');
  const deferred = doComplete(text, offset, CATALOG, { eagerResolve: 0 }).items.find((item) => item.label === 'do_unlinkat');
  assert.ok(eager && deferred);
  assert.equal(deferred.additionalTextEdits, undefined);
  assert.equal(deferred.documentation, undefined);
  assert.deepEqual(deferred.data, { kind: 'kernel-function', sectionPrefix: 'kprobe', name: 'do_unlinkat' });
  const resolved = resolveCompletionItem(text, deferred, CATALOG);
  assert.deepEqual(resolved, eager);
});

void test('programSignatureFor: each macro family', () => {
  assert.equal(programSignatureFor('kprobe/do_unlinkat', CATALOG, 'p'), 'BPF_KPROBE(p, int dfd, struct filename *name)');
  assert.equal(programSignatureFor('kretprobe/do_unlinkat', CATALOG, 'p'), 'BPF_KRETPROBE(p, int ret)');
  assert.equal(programSignatureFor('kretprobe/schedule', CATALOG, 'p'), 'BPF_KRETPROBE(p)');
  assert.equal(programSignatureFor('fentry/do_unlinkat', CATALOG, 'p'), 'BPF_PROG(p, int dfd, struct filename *name)');
  assert.equal(programSignatureFor('fmod_ret/do_unlinkat', CATALOG, 'p'), 'BPF_PROG(p, int dfd, struct filename *name, int ret)');
  assert.equal(programSignatureFor('lsm/file_open', CATALOG, 'p'), 'BPF_PROG(p, struct file *file, int ret)');
  assert.equal(
    programSignatureFor('tp_btf/sched_switch', CATALOG, 'p'),
    'BPF_PROG(p, bool preempt, struct task_struct *prev, struct task_struct *next, unsigned int prev_state)',
  );
  // ksyscall arguments come from the syscall's tracefs record, no BTF needed.
  assert.equal(
    programSignatureFor('ksyscall/openat', catalog({ btf: undefined }), 'p'),
    'BPF_KSYSCALL(p, int dfd, const char *filename, int flags, umode_t mode)',
  );
  assert.equal(programSignatureFor('kprobe/do_unlinkat', CATALOG), 'BPF_KPROBE(handle_do_unlinkat, int dfd, struct filename *name)');
  assert.equal(programSignatureFor('kprobe/no_such_function', CATALOG), undefined);
  assert.equal(programSignatureFor('xdp', CATALOG), undefined);
});

void test('ctx-> in a tracepoint program offers the format fields with type and offset', () => {
  const list = complete('SEC("tracepoint/syscalls/sys_enter_openat")\nint on_openat(void *ctx)\n{\n\tconst char *f = ctx->|\n}\n');
  assert.deepEqual(labels(list), ['__syscall_nr', 'dfd', 'filename', 'flags', 'mode']);
  assert.equal(list.items.find((item) => item.label === 'filename')?.detail, 'const char *filename · offset 24, size 8');

  const dataLoc = complete('SEC("tp/sched/sched_process_exec")\nint on_exec(struct sched_process_exec_ctx *args)\n{\n\treturn args->fi|;\n}\n');
  const filename = dataLoc.items.find((item) => item.label === 'filename');
  assert.match(filename?.documentation ?? '', /loc & 0xffff/);
  // Anything but the ctx parameter, or outside a program, gets no tracepoint fields.
  assert.deepEqual(labels(complete('int x(void *ctx) { ctx->| }')), []);
});

void test('members of BTF-typed parameters: fentry args and a vmlinux.h tracepoint struct', () => {
  const fentry = complete('SEC("fentry/vfs_read")\nint BPF_PROG(h, struct file *file, char *buf)\n{\n\treturn file->|;\n}\n');
  assert.deepEqual(labels(fentry), ['f_mode', 'f_inode']);
  // With vmlinux.h's generic struct the fields that compile are BTF's, not the format's.
  const generic = complete('SEC("tp/syscalls/sys_enter_openat")\nint h(struct trace_event_raw_sys_enter *ctx)\n{\n\treturn ctx->|;\n}\n');
  assert.deepEqual(labels(generic), ['ent', 'id', 'args']);
});

void test('helpers: completion, signature help and hover come from the helper catalog', () => {
  const helpers = allHelpers();
  const probeRead = helpers.find((helper) => helper.name === 'bpf_probe_read_user_str');
  assert.ok(probeRead);
  const list = complete('int f(void) { bpf_probe_read_u| }');
  assert.ok(labels(list).includes('bpf_probe_read_user_str'));
  assert.equal(list.items.find((item) => item.label === 'bpf_probe_read_user_str')?.detail, probeRead.signature);
  assert.deepEqual(labels(complete('int f(void) { x| }')), [], 'no helpers for unrelated words');
  assert.deepEqual(labels(complete('// bpf_|')), [], 'nothing inside comments');

  const { text, offset } = at('int f(void *p) { bpf_probe_read_user_str(buf, sizeof(buf), |); }');
  const help = helperSignatureHelp(parseBpfDocument(text), offset, CATALOG);
  assert.ok(help);
  assert.equal(help.activeParameter, 2);
  assert.equal(help.parameters.length, probeRead.args.length);
  const [from, to] = help.parameters[2].label;
  assert.equal(help.label.slice(from, to), `${probeRead.args[2].type}${probeRead.args[2].type.endsWith('*') ? '' : ' '}${probeRead.args[2].name}`);

  const hoverAt = at('int f(void) { bpf_ktime_get_n|s(); }');
  const hover = doHover(hoverAt.text, hoverAt.offset, CATALOG);
  assert.match(hover?.contents ?? '', /bpf_ktime_get_ns/);
  assert.match(hover?.contents ?? '', new RegExp(`helper #${helpers.find((helper) => helper.name === 'bpf_ktime_get_ns')?.id}`));
});

void test('hover over SEC strings: tracepoint format summary, function prototype and tags', () => {
  const tp = at('SEC("tracepoint/sched/sched_sw|itch") int f(void *ctx) { return 0; }');
  const tpHover = doHover(tp.text, tp.offset, CATALOG);
  assert.match(tpHover?.contents ?? '', /sched:sched_switch\*\* · ID \d+/);
  assert.match(tpHover?.contents ?? '', /char prev_comm\[16\]; \/\* offset 8, size 16 \*\//);

  const kernel = catalog({
    kallsyms: buildKallsymsIndex(KALLSYMS_TEXT, { availableFilterFunctions: 'do_unlinkat\n', btfFunctions: new Set(['do_unlinkat']) }),
  });
  const fn = at('SEC("kprobe/do_un|linkat")');
  const fnHover = doHover(fn.text, fn.offset, kernel);
  assert.match(fnHover?.contents ?? '', /int do_unlinkat\(int dfd, struct filename \*name\)/);
  assert.match(fnHover?.contents ?? '', /traceable · BTF/);
  const maps = at('struct { int x; } m SEC(".ma|ps");');
  assert.match(doHover(maps.text, maps.offset, CATALOG)?.contents ?? '', /data section/);
});

void test('diagnostics: missing attach points with "did you mean" fixes at the exact range', () => {
  const text = [
    'SEC("tracepoint/syscalls/sys_enter_opnat") int a(void *ctx) { return 0; }',
    'SEC("tracepoint/sycalls/sys_enter_openat") int b(void *ctx) { return 0; }',
    'SEC("kprob/do_unlinkat") int c(void *ctx) { return 0; }',
    'SEC("lsm/file_opn") int d(void *ctx) { return 0; }',
    'SEC("ksyscall/opnat") int e(void *ctx) { return 0; }',
    'SEC("xdp/eth0") int f(void *ctx) { return 0; }',
    'SEC("?tp/sched/sched_switch") int lazy(void *ctx) { return 0; }',
    'SEC("tp/sched/sched_switch") int ok(void *ctx) { return 0; }',
    'char LICENSE[] SEC("license") = "GPL";',
  ].join('\n');
  const diagnostics = doValidate(text, catalog({}, { kprobes: true }));
  const byCode = (code: string) => diagnostics.filter((diagnostic) => diagnostic.code === code);
  const fixed = (code: string) => {
    const [diagnostic] = byCode(code);
    assert.ok(diagnostic, code);
    assert.ok(diagnostic.fix, `${code} has a fix`);
    return { replaced: text.slice(diagnostic.fix.range.start, diagnostic.fix.range.end), newText: diagnostic.fix.newText, diagnostic };
  };
  assert.deepEqual(
    diagnostics.map((diagnostic) => diagnostic.code).sort(),
    ['unexpected-target', 'unknown-lsm-hook', 'unknown-section', 'unknown-syscall', 'unknown-tracepoint', 'unknown-tracepoint-category'],
  );
  assert.deepEqual([fixed('unknown-tracepoint').replaced, fixed('unknown-tracepoint').newText], ['sys_enter_opnat', 'sys_enter_openat']);
  assert.deepEqual([fixed('unknown-tracepoint-category').replaced, fixed('unknown-tracepoint-category').newText], ['sycalls', 'syscalls']);
  assert.deepEqual([fixed('unknown-section').replaced, fixed('unknown-section').newText], ['kprob', 'kprobe']);
  assert.deepEqual([fixed('unknown-lsm-hook').replaced, fixed('unknown-lsm-hook').newText], ['file_opn', 'file_open']);
  assert.deepEqual([fixed('unknown-syscall').replaced, fixed('unknown-syscall').newText], ['opnat', 'openat']);
  assert.equal(fixed('unexpected-target').replaced, '/eth0');
  const lazyKprobe = doValidate('SEC("?kprob/do_unlinkat") int c(void *ctx) { return 0; }', CATALOG)[0];
  assert.equal(lazyKprobe.fix?.range.start, 6);
  assert.equal(lazyKprobe.fix?.newText, 'kprobe');
  assert.match(fixed('unknown-tracepoint').diagnostic.message, /did you mean "sys_enter_openat"/);
  assert.equal(byCode('unknown-tracepoint')[0].severity, 'error');
});

void test('diagnostics: kernel capabilities and function tags', () => {
  // The captured kernel has no kprobes.
  assert.equal(CAPTURED_CAPABILITIES.kprobes, false);
  const kprobe = doValidate('SEC("kprobe/do_unlinkat") int BPF_KPROBE(h) { return 0; }', CATALOG);
  assert.deepEqual(kprobe.map((diagnostic) => diagnostic.code), ['no-kprobes']);
  assert.deepEqual(kprobe[0].range, { start: 5, end: 11 });
  assert.deepEqual(doValidate('SEC("tp/sched/sched_switch") int h(void *c) { return 0; }', CATALOG), []);

  const noBtf = doValidate('SEC("fentry/do_unlinkat") int BPF_PROG(h) { return 0; }', catalog({}, { btf: false }));
  assert.deepEqual(noBtf.map((diagnostic) => diagnostic.code), ['no-btf']);
  const noTrampoline = doValidate('SEC("fentry/do_unlinkat") int BPF_PROG(h) { return 0; }', catalog({}, { btf: true, fentry: false, kprobes: true }));
  assert.equal(noTrampoline[0].code, 'fentry-unsupported');
  assert.equal(noTrampoline[0].fix?.newText, 'kprobe');

  const readLine = KALLSYMS_TEXT.split('\n').find((line) => line.endsWith(' vfs_read'))!;
  const address = readLine.split(' ')[0];
  const tagged = catalog({
    kallsyms: buildKallsymsIndex(KALLSYMS_TEXT, {
      capabilities: { kprobes: true, btf: true },
      availableFilterFunctions: 'do_unlinkat\n',
      kprobeBlacklist: `0x${address}-0x${address}\tvfs_read\n`,
      btfFunctions: new Set(['do_unlinkat', 'vfs_read']),
    }),
  });
  const codes = (source: string) => doValidate(source, tagged).map((diagnostic) => `${diagnostic.code}:${diagnostic.severity}`);
  assert.deepEqual(codes('SEC("kprobe/vfs_read") int BPF_KPROBE(h) { return 0; }'), ['kprobe-blacklisted:error']);
  assert.deepEqual(codes('SEC("kprobe/vfs_write") int BPF_KPROBE(h) { return 0; }'), ['not-traceable:information']);
  assert.deepEqual(codes('SEC("fentry/vfs_write") int BPF_PROG(h) { return 0; }'), ['not-traceable:error', 'function-without-btf:error']);
  assert.deepEqual(codes('SEC("fentry/do_unlinkat") int BPF_PROG(h) { return 0; }'), []);
  assert.deepEqual(codes('SEC("kprobe/do_unlinkt") int BPF_KPROBE(h) { return 0; }'), ['unknown-function:error']);
  assert.deepEqual(codes('SEC("kprobe.multi/vfs_rea*") int BPF_KPROBE(h) { return 0; }'), []);
  assert.deepEqual(codes('SEC("kprobe.multi/zzz_*") int BPF_KPROBE(h) { return 0; }'), ['no-pattern-match:error']);
  const libbpf11 = doValidate('SEC("tcx/ingress") int h(void *c) { return 0; }', catalog({ libbpfVersion: '1.1.2' }));
  assert.deepEqual(libbpf11.map((diagnostic) => diagnostic.code), ['needs-newer-libbpf']);
  assert.deepEqual(doValidate('SEC("tcx/ingress") int h(void *c) { return 0; }', catalog({ libbpfVersion: '1.5.0' })), []);
});

void test('document parsing ignores SEC in comments, strings and macros', () => {
  const document = parseBpfDocument([
    '#define SEC(name) __attribute__((section(name), used))',
    '// SEC("kprobe/commented")',
    '/* SEC("kprobe/block") */',
    'const char *s = "SEC(\\"kprobe/in_string\\")";',
    'SEC("tp/sched/sched_switch")',
    'int __attribute__((noinline)) BPF_PROG(real, bool preempt, struct task_struct *prev) { if (x) { y(); } return 0; }',
  ].join('\n'));
  assert.equal(document.sections.length, 1);
  const program = document.sections[0].program;
  assert.equal(program?.name, 'real');
  assert.equal(program?.macro, 'BPF_PROG');
  assert.deepEqual(program?.params.map((param) => `${param.type}|${param.name}`), ['bool|preempt', 'struct task_struct *|prev']);
  assert.equal(document.text[program?.bodyEnd ?? 0], '}');
  assert.equal(document.text.slice(program?.bodyEnd ?? 0), '}');
});

void test('code actions: declare the tracepoint record struct and type ctx with it; rewrite signature', () => {
  const text = 'SEC("tracepoint/syscalls/sys_enter_openat")\nint on_openat(void *ctx)\n{\n\treturn 0;\n}\n';
  const actions = getCodeActions(text, text.indexOf('return'), CATALOG);
  const declare = actions.find((action) => action.kind === 'quickfix');
  assert.ok(declare);
  const edited = apply(text, declare.edits);
  assert.match(edited, /^\/\* Record of tracepoint syscalls\/sys_enter_openat/);
  assert.match(edited, /struct sys_enter_openat_ctx \{[^}]*const char \*filename;/);
  assert.match(edited, /int on_openat\(struct sys_enter_openat_ctx \*ctx\)/);
  // Once applied, the action is not offered again.
  assert.equal(getCodeActions(edited, edited.indexOf('return'), CATALOG).filter((action) => action.kind === 'quickfix').length, 0);

  const kprobe = 'SEC("kprobe/do_unlinkat")\nint BPF_KPROBE(h)\n{\n\treturn 0;\n}\n';
  const rewrite = getCodeActions(kprobe, kprobe.indexOf('BPF_KPROBE'), CATALOG).find((action) => action.kind === 'refactor.rewrite');
  assert.equal(apply(kprobe, rewrite?.edits ?? []), 'SEC("kprobe/do_unlinkat")\nint BPF_KPROBE(h, int dfd, struct filename *name)\n{\n\treturn 0;\n}\n');
});

void test('never throws on odd documents', () => {
  const odd = ['', 'SEC(', 'SEC("', 'SEC("tracepoint/', 'SEC(")', '"unterminated', '/* open comment SEC("x")', 'SEC("kprobe/a") int BPF_KPROBE(', 'ctx->', '#', 'SEC("uprobe/:") int f() {'];
  for (const text of odd) {
    for (let offset = 0; offset <= text.length; offset++) {
      doComplete(text, offset, CATALOG);
      doHover(text, offset, CATALOG);
      getCodeActions(text, offset, CATALOG);
    }
    doValidate(text, CATALOG);
  }
});
