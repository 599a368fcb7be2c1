import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { helperAvailability, parseProbe } from '../../core/src/catalog/kernel-catalog';
import { all as allHelpers } from '../../core/src/helpers/index';
import { HelperInfo, KernelCatalog, doComplete, doValidate } from '../../core/src/language/index';

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
