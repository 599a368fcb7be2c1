import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { generateVmlinuxH, kfuncIds } from '../../core/src/btf/c-header';
import { Btf, parseBtf } from '../../core/src/btf/reader';
import { helperAvailability, LazyBtfLookup, parseProbe } from '../../core/src/catalog/kernel-catalog';
import { all as allHelpers } from '../../core/src/helpers/index';
import { HelperInfo, KernelCatalog, doComplete, doHover, doValidate, helperSignatureHelp, parseBpfDocument } from '../../core/src/language/index';

const FIXTURES = path.resolve(__dirname, '../../../test/fixtures');
// The loader's probe on the capture kernel (scripts/capture-probe-fixture.sh).
const PROBE = parseProbe(readFileSync(path.join(FIXTURES, 'probe/probe.out'), 'utf8'));
const HELPERS: HelperInfo[] = allHelpers().map((helper) => ({ name: helper.name, signature: helper.signature, doc: helper.doc, id: helper.id }));

function catalog(extra: Partial<KernelCatalog> = {}): KernelCatalog {
  assert.ok(PROBE.helpers, 'the fixture probe carries a helper table');
  return { helpers: HELPERS, helperAvailability: helperAvailability(PROBE.helpers), ...extra };
}

/** `|` marks the cursor. */
function complete(source: string, kernel: KernelCatalog) {
  const offset = source.indexOf('|');
  return doComplete(source.slice(0, offset) + source.slice(offset + 1), offset, kernel);
}

const xdpAllowed = () => new Set(PROBE.helpers?.byType.xdp ?? []);

test('probe fixture: XDP has a helper table and refuses some helpers that tracing types may call', () => {
  const xdp = xdpAllowed();
  const tracepoint = new Set(PROBE.helpers?.byType.tracepoint ?? []);
  assert.ok(xdp.size > 20 && tracepoint.size > 20);
  assert.ok([...tracepoint].some((id) => !xdp.has(id)), 'some tracing helper is refused in XDP');
});

test('helper completion in SEC("xdp"): exactly the helpers the probe refused are struck through, with the reason, and sorted last', () => {
  const list = complete('SEC("xdp")\nint prog(struct xdp_md *ctx)\n{\n\treturn bpf_|\n}\n', catalog());
  const xdp = xdpAllowed();
  const probedBelow = PROBE.helpers?.probedBelow ?? 0;
  assert.ok(list.items.length > 100);
  for (const item of list.items) {
    const helper = HELPERS.find((candidate) => candidate.name === item.label);
    assert.ok(helper);
    const expectRefused = helper.id < probedBelow && !xdp.has(helper.id);
    assert.equal(Boolean(item.deprecated), expectRefused, item.label);
    if (expectRefused) {
      assert.match(item.deprecated ?? '', /XDP programs cannot call|has no helper/);
      assert.equal(item.sortText[0], '1');
    }
  }
  const stackid = HELPERS.find((helper) => helper.name === 'bpf_get_stackid');
  assert.ok(stackid);
  const item = complete('SEC("xdp")\nint prog(struct xdp_md *ctx)\n{\n\treturn bpf_get_stacki|\n}\n', catalog()).items.find((candidate) => candidate.label === 'bpf_get_stackid');
  assert.equal(Boolean(item?.deprecated), !xdp.has(stackid.id));
});

test('helper completion outside any program, or without a probe, marks nothing', () => {
  assert.ok(complete('static int f(void) { return bpf_|; }', catalog()).items.every((item) => !item.deprecated));
  assert.ok(complete('SEC("xdp")\nint prog(struct xdp_md *ctx)\n{\n\treturn bpf_|\n}\n', { helpers: HELPERS }).items.every((item) => !item.deprecated));
});

test('a helper call the program type may not make is an error at the call; allowed calls are not', () => {
  const xdp = xdpAllowed();
  const refused = HELPERS.find((helper) => helper.id < (PROBE.helpers?.probedBelow ?? 0) && !xdp.has(helper.id) && (PROBE.helpers?.byType.kprobe ?? []).includes(helper.id));
  const allowed = HELPERS.find((helper) => xdp.has(helper.id));
  assert.ok(refused && allowed);
  const source = `SEC("xdp")\nint prog(struct xdp_md *ctx)\n{\n\t${allowed.name}(0);\n\t${refused.name}(0);\n\treturn 0;\n}\n`;
  const diagnostics = doValidate(source, catalog()).filter((diagnostic) => diagnostic.code.startsWith('helper-'));
  assert.equal(diagnostics.length, 1);
  assert.equal(diagnostics[0].code, 'helper-not-for-program-type');
  assert.equal(diagnostics[0].severity, 'error');
  assert.equal(source.slice(diagnostics[0].range.start, diagnostics[0].range.end), refused.name);
  // The same call from a kprobe program is fine.
  assert.deepEqual(doValidate(source.replace('SEC("xdp")', 'SEC("kprobe/do_unlinkat")'), catalog()).filter((diagnostic) => diagnostic.code.startsWith('helper-')), []);
});

test('a helper no program type may call is reported as missing from the kernel', () => {
  const probed = PROBE.helpers;
  assert.ok(probed);
  const victim = HELPERS.find((helper) => helper.name === 'bpf_get_current_comm');
  assert.ok(victim);
  const byType = Object.fromEntries(Object.entries(probed.byType).map(([type, ids]) => [type, ids.filter((id) => id !== victim.id)]));
  // As an older kernel answers: its verifier says "invalid func" for an id it does not know.
  const kernel = catalog({ helperAvailability: helperAvailability({ byType, probedBelow: probed.probedBelow, unknown: [victim.id] }) });
  const [diagnostic] = doValidate('SEC("tp/sched/sched_switch")\nint prog(void *ctx)\n{\n\tchar c[16];\n\tbpf_get_current_comm(c, 16);\n\treturn 0;\n}\n', kernel);
  assert.equal(diagnostic?.code, 'helper-not-in-kernel');
});

test('offline: findings from a bundled snapshot are information naming the snapshot, never errors', () => {
  const source = 'SEC("kprobe/do_unlinkat")\nint a(void *ctx) { return 0; }\nSEC("fentry/do_unlinkat")\nint b(void *ctx) { return 0; }\nSEC("xdp")\nint c(struct xdp_md *ctx)\n{\n\tbpf_get_stackid(ctx, 0, 0);\n\treturn 0;\n}\n';
  const live = catalog({ capabilities: { kprobes: false, fentry: false, btf: true } });
  const liveErrors = doValidate(source, live).filter((diagnostic) => diagnostic.severity === 'error');
  assert.ok(liveErrors.some((diagnostic) => diagnostic.code === 'no-kprobes'));
  assert.ok(liveErrors.some((diagnostic) => diagnostic.code === 'fentry-unsupported'));
  const offline = doValidate(source, { ...live, snapshot: 'a bundled snapshot of 6.18.0' });
  assert.equal(offline.length, doValidate(source, live).length);
  for (const diagnostic of offline) {
    assert.equal(diagnostic.severity, 'information', diagnostic.code);
    assert.match(diagnostic.message, /bundled snapshot of 6\.18\.0/);
  }
  // A syntax error does not depend on the kernel: it stays an error offline.
  const [unknown] = doValidate('SEC("kprobex/foo")\nint a(void *ctx) { return 0; }\n', { snapshot: 'a bundled snapshot of 6.18.0' });
  assert.equal(unknown?.severity, 'error');
});

// ---------------------------------------------------------------------------------------------
// kfuncs, from the kfunc part of a real kernel's BTF (scripts/capture-kfunc-btf.mjs)

const KFUNC_BTF = parseBtf(readFileSync(path.join(FIXTURES, 'btf/kfuncs.btf'))).btf;

function kfuncCatalog(extra: Partial<KernelCatalog> = {}): KernelCatalog {
  assert.ok(KFUNC_BTF);
  const btf = LazyBtfLookup.of(KFUNC_BTF);
  return { btf, kfuncs: btf.kfuncs, helpers: HELPERS, ...extra };
}

test('kfunc completion in a program body offers the BTF-tagged kfuncs with their prototypes', () => {
  const kernel = kfuncCatalog();
  const names = kernel.kfuncs?.names() ?? [];
  assert.equal(names.length, kfuncIds(KFUNC_BTF as Btf).length);
  const list = complete('SEC("tp_btf/sched_switch")\nint prog(void *ctx)\n{\n\tbpf_task_from_p|\n}\n', kernel);
  const item = list.items.find((candidate) => candidate.label === 'bpf_task_from_pid');
  assert.ok(item, 'bpf_task_from_pid is offered');
  assert.match(item.detail ?? '', /^kfunc: struct task_struct \*bpf_task_from_pid\(/);
  // Its prototype returns a task reference and bpf_task_release takes one: an acquire, paired.
  assert.match(item.documentation ?? '', /\*\*acquire\*\*.*`bpf_task_release`/);
  // Outside a program, a word not heading to bpf_ gets no kfuncs.
  assert.equal(complete('int x = crash_k|', kernel).items.length, 0);
});

test('kfunc hover explains release and argument suffixes; signature help follows the argument', () => {
  const kernel = kfuncCatalog();
  const source = 'SEC("syscall")\nint prog(void *ctx)\n{\n\tbpf_task_release(t);\n\treturn 0;\n}\n';
  const hover = doHover(source, source.indexOf('bpf_task_release') + 3, kernel);
  assert.match(hover?.contents ?? '', /\*\*release\*\*/);
  const names = kernel.kfuncs?.names() ?? [];
  const withSuffix = names.map((name) => kernel.kfuncs?.get(name)).find((kfunc) => kfunc?.prototype.args.some((arg) => arg.name.endsWith('__sz')));
  assert.ok(withSuffix, 'some kfunc takes a __sz argument');
  const call = `SEC("syscall")\nint prog(void *ctx)\n{\n\t${withSuffix.name}(0, |\n}\n`;
  const offset = call.indexOf('|');
  const help = helperSignatureHelp(parseBpfDocument(call.slice(0, offset) + call.slice(offset + 1)), offset, kernel);
  assert.equal(help?.activeParameter, 1);
  assert.match(help?.documentation ?? '', /the size of the memory the previous argument points to/);
});

test('kfunc prototypes agree with the kfunc declarations of the generated vmlinux.h', () => {
  const kernel = kfuncCatalog();
  // vmlinux.h declares kfuncs without parameter names: compare the types, whitespace aside.
  const declared = new Map<string, string>();
  for (const match of generateVmlinuxH(KFUNC_BTF as Btf).matchAll(/^extern (.*?)\b(\w+)\((.*)\)(?: __bpfdev_kfunc_fastcall)? __attribute__\(\(weak\)\) __attribute__\(\(section\("\.ksyms"\)\)\);$/gm)) {
    declared.set(match[2], `${match[1]}(${match[3]})`.replace(/\s+/g, ''));
  }
  const names = kernel.kfuncs?.names() ?? [];
  assert.ok(names.length > 50);
  assert.equal(declared.size, names.length);
  for (const name of names) {
    const kfunc = kernel.kfuncs?.get(name);
    assert.ok(kfunc);
    const ours = `${kfunc.prototype.ret}(${kfunc.prototype.args.map((arg) => arg.type).join(',') || 'void'})`.replace(/\s+/g, '');
    assert.equal(ours, declared.get(name), name);
  }
});

test('an extern __ksym declaration of a kfunc the target lacks is an error with a suggestion (information offline)', () => {
  const source = 'extern struct task_struct *bpf_task_from_pidd(int pid) __ksym;\nextern void bpf_task_release(struct task_struct *p) __ksym;\n';
  const [diagnostic, ...rest] = doValidate(source, kfuncCatalog());
  assert.equal(rest.length, 0);
  assert.equal(diagnostic.code, 'kfunc-not-in-kernel');
  assert.equal(diagnostic.severity, 'error');
  assert.equal(diagnostic.fix?.newText, 'bpf_task_from_pid');
  assert.equal(doValidate(source, kfuncCatalog({ snapshot: 'a bundled snapshot of 6.18.0' }))[0].severity, 'information');
});

test('BTF rebuilt from a worker transfer answers every name lookup as the parsed one does', () => {
  assert.ok(KFUNC_BTF);
  const transfer = KFUNC_BTF.toTransfer();
  assert.ok(transfer);
  const rebuilt = Btf.fromTransfer(structuredClone(transfer));
  let named = 0;
  for (let id = 1; id < KFUNC_BTF.typeCount; id++) {
    const name = KFUNC_BTF.nameOf(id);
    if (!name) continue;
    named++;
    assert.deepEqual(rebuilt.findAllByName(name).map((type) => type.id), KFUNC_BTF.findAllByName(name).map((type) => type.id), name);
  }
  assert.ok(named > 100);
  assert.equal(rebuilt.findByName('no_such_type_anywhere'), undefined);
});

test('kfuncs by program type: the probe\'s verdicts strike through completion and flag calls; unknown types say nothing', () => {
  assert.ok(PROBE.helpers && PROBE.kfuncTypes, 'the fixture probe carries kfunc verdicts');
  const kernel = kfuncCatalog({ helperAvailability: helperAvailability(PROBE.helpers, PROBE.kfuncTypes) });
  const allowedIn = (name: string) => new Set(PROBE.kfuncTypes?.[name] ?? []);
  // A kfunc the probe judged, allowed in some probed type and refused in another.
  const probedTypes = Object.keys(PROBE.helpers.byType);
  const name = Object.keys(PROBE.kfuncTypes).find((candidate) => kernel.kfuncs?.get(candidate) && allowedIn(candidate).size > 0 && probedTypes.some((type) => !allowedIn(candidate).has(type)));
  assert.ok(name);
  const refusedType = probedTypes.find((type) => !allowedIn(name).has(type));
  const allowedType = [...allowedIn(name)][0];
  assert.ok(refusedType && allowedType);
  const section = (type: string) => ({ xdp: 'xdp', tracepoint: 'tracepoint/syscalls/sys_enter_openat', kprobe: 'kprobe/do_unlinkat', syscall: 'syscall', socket_filter: 'socket', sched_cls: 'tc', perf_event: 'perf_event', raw_tracepoint: 'raw_tp/sched_switch' } as Record<string, string>)[type];
  const refusedSection = probedTypes.filter((type) => !allowedIn(name).has(type)).map(section).find(Boolean);
  const allowedSection = [...allowedIn(name)].map(section).find(Boolean);
  assert.ok(refusedSection && allowedSection, `${name}: refused in ${refusedType}, allowed in ${allowedType}`);
  const body = (sec: string) => `SEC("${sec}")\nint prog(void *ctx)\n{\n\t${name}(0);\n\treturn 0;\n}\n`;
  const refused = doValidate(body(refusedSection), kernel).filter((d) => d.code === 'kfunc-not-for-program-type');
  assert.equal(refused.length, 1);
  assert.deepEqual(doValidate(body(allowedSection), kernel).filter((d) => d.code === 'kfunc-not-for-program-type'), []);
  const item = complete(`SEC("${refusedSection}")\nint prog(void *ctx)\n{\n\t${name.slice(0, -1)}|\n}\n`, kernel).items.find((candidate) => candidate.label === name);
  assert.ok(item?.deprecated);
  // fentry (BPF_PROG_TYPE_TRACING) is not probed: no verdict.
  assert.deepEqual(doValidate(body('fentry/do_unlinkat'), kernel).filter((d) => d.code === 'kfunc-not-for-program-type'), []);
});
