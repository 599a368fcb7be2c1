/**
 * How the verify report renders what the loader says besides ok/rejected (issue #9): an
 * `unsupported` program is a warning at its SEC line (a fact about the kernel, not an error),
 * each fix-up the loader made before load is an info at the map's definition, and an object
 * libbpf could not open is reported once per program rather than also at line 1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildVerifyReport } from '../../core/src/report/verify-report';
import { lineOfMapDefinition } from '../../core/src/report/source-map';
import type { FixupEvent, ProgramEvent } from '../../core/src/loader/events';

const source = [
  '#include "vmlinux.h"',
  '#include <bpf/bpf_helpers.h>',
  '',
  'struct {',
  '\t__uint(type, BPF_MAP_TYPE_RINGBUF);',
  '} events SEC(".maps");',
  '',
  'struct bpf_map_def SEC("maps") legacy_counts = {',
  '\t.type = BPF_MAP_TYPE_HASH,',
  '};',
  '',
  'SEC("fentry/do_unlinkat")',
  'int BPF_PROG(on_unlink) { return 0; }',
  '',
  'SEC("xdp_custom")',
  'int custom(struct xdp_md *ctx) { return 2; }',
].join('\n');
const lineOf = (needle: string) => source.split('\n').findIndex((line) => line.includes(needle)) + 1;

function program(fields: Partial<ProgramEvent> & Pick<ProgramEvent, 'name' | 'section' | 'verdict'>): ProgramEvent {
  return { event: 'program', progType: 'tracing', attachTo: null, errno: 0, log: '', libbpfLog: '', insnsProcessed: null, stackDepth: null, insnCount: 2, ...fields };
}

const fixup = (fields: Partial<FixupEvent> & Pick<FixupEvent, 'kind' | 'message'>): FixupEvent => ({ event: 'fixup', map: null, program: null, ...fields });

test('an unsupported program is a warning at its SEC line, never an error', () => {
  const reason = 'this kernel refuses fentry/fexit/fmod_ret programs (they need BPF trampolines)';
  const report = buildVerifyReport({
    file: '/w/p.bpf.c', sourceText: source, compiled: true, clangDiagnostics: [],
    programs: [program({ name: 'on_unlink', section: 'fentry/do_unlinkat', verdict: 'unsupported', errno: 1, errnoName: 'EPERM', reason, code: 'kernel-unsupported' })],
  });
  assert.deepEqual(report.programs.map((p) => [p.name, p.verdict, p.line]), [['on_unlink', 'unsupported', lineOf('SEC("fentry/do_unlinkat")')]]);
  assert.equal(report.diagnostics.length, 1);
  const [diagnostic] = report.diagnostics;
  assert.equal(diagnostic!.severity, 'warning');
  assert.equal(diagnostic!.kind, 'unsupported');
  assert.equal(diagnostic!.line, lineOf('SEC("fentry/do_unlinkat")'));
  assert.ok(diagnostic!.message.includes(reason), diagnostic!.message);
  assert.ok(!report.diagnostics.some((d) => d.severity === 'error'));
});

test('each fix-up is an info at the definition of its map, or at its program', () => {
  const report = buildVerifyReport({
    file: '/w/p.bpf.c', sourceText: source, compiled: true, clangDiagnostics: [],
    programs: [program({ name: 'custom', section: 'xdp_custom', verdict: 'ok' })],
    fixups: [
      fixup({ kind: 'max-entries', map: 'events', from: 0, to: 262144, message: "map 'events' (ringbuf): max_entries 0 -> 262144" }),
      fixup({ kind: 'max-entries', map: 'legacy_counts', from: 0, to: 1024, message: "map 'legacy_counts' (hash): max_entries 0 -> 1024" }),
      fixup({ kind: 'prog-type', program: 'custom', message: "program 'custom': loaded as xdp" }),
      fixup({ kind: 'value-size', map: 'defined_in_a_header', message: "map 'defined_in_a_header': value size" }),
    ],
  });
  const infos = report.diagnostics.filter((d) => d.severity === 'info');
  assert.deepEqual(infos.map((d) => [d.kind, d.line]), [
    ['fixup-max-entries', lineOf('} events SEC')],
    ['fixup-max-entries', lineOf('legacy_counts')],
    ['fixup-prog-type', lineOf('SEC("xdp_custom")')],
    ['fixup-value-size', 1],
  ]);
  for (const info of infos) assert.equal(info.source, 'loader');
  assert.match(infos[0]!.message, /max_entries 0 -> 262144/);
});

test('an object libbpf cannot open is reported at each program, not again at line 1', () => {
  const reason = "libbpf cannot open the object: it uses an extern symbol without a BTF description [failed to find BTF for extern 'x']";
  const programs = ['on_unlink', 'custom'].map((name, index) => program({
    name, section: index ? 'xdp_custom' : 'fentry/do_unlinkat', verdict: 'not-loaded', errno: 2, errnoName: 'ENOENT', reason, code: 'extern',
  }));
  const report = buildVerifyReport({
    file: '/w/p.bpf.c', sourceText: source, compiled: true, clangDiagnostics: [], programs,
    loaderError: { event: 'error', code: 'extern', errno: 2, reason },
  });
  assert.deepEqual(report.diagnostics.map((d) => [d.severity, d.line]), [['error', lineOf('SEC("fentry/do_unlinkat")')], ['error', lineOf('SEC("xdp_custom")')]]);
  for (const diagnostic of report.diagnostics) assert.ok(diagnostic.message.includes(reason));

  // An extern the source uses is also shown where it is used.
  const used = `${source}\nint helper(void) { return x + 1; } // x again`;
  const located = buildVerifyReport({
    file: '/w/p.bpf.c', sourceText: used, compiled: true, clangDiagnostics: [], programs,
    loaderError: { event: 'error', code: 'extern', errno: 2, reason },
  });
  assert.deepEqual(located.diagnostics.map((d) => d.line), [used.split('\n').length, lineOf('SEC("fentry/do_unlinkat")'), lineOf('SEC("xdp_custom")')]);

  const alone = buildVerifyReport({
    file: '/w/p.bpf.c', sourceText: source, compiled: true, clangDiagnostics: [], programs: [],
    loaderError: { event: 'error', code: 'bad-object', errno: 8, reason: 'not an ELF object' },
  });
  assert.deepEqual(alone.diagnostics.map((d) => [d.severity, d.line, d.message]), [['error', 1, 'not an ELF object']]);
});

test('a map definition is found by name next to its section, not by a mere mention', () => {
  const text = 'int events_seen;\nstruct { int x; } events SEC(".maps");\nstruct { int y; } events2 SEC(".maps");\n';
  assert.equal(lineOfMapDefinition(text, 'events'), 2);
  assert.equal(lineOfMapDefinition(text, 'events2'), 3);
  assert.equal(lineOfMapDefinition(text, 'missing'), undefined);
});
