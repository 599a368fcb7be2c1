/**
 * Quick-fix edits (core/src/verifier/fixes.ts): the fix the explainer derives from each captured
 * corpus log, applied to the corpus program, gives exactly the code we mean to write; odd or
 * stale source gives no edit rather than a wrong one. Whether the fixed programs pass the real
 * verifier is test/kernel/verify-pipeline-fixes.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseVerifierLog } from '../../core/src/verifier/parse';
import { explainVerifierError, QuickFix } from '../../core/src/verifier/explain';
import { applyTextEdits, computeAttachTargetEdits, computeFixEdits, FixContext } from '../../core/src/verifier/fixes';

const CORPUS = path.resolve(__dirname, '../../../test/fixtures/verifier');
const sourceOf = (name: string) => readFileSync(path.join(CORPUS, `${name}.bpf.c`), 'utf8');
const sectionOf = (source: string) => /SEC\("((?!license|\.maps)[^"]*)"\)/.exec(source)?.[1];

/** The fix for a corpus program as the server computes it: from the captured log, at the diagnostic's line. */
function fixed(name: string, logFile = `${name}.log`): { text: string; title: string } | undefined {
  const report = parseVerifierLog(new Uint8Array(readFileSync(path.join(CORPUS, 'logs', logFile))));
  const { fix } = explainVerifierError(report);
  assert.ok(fix, `${name}: the explainer gives no fix`);
  const source = sourceOf(name);
  const context: FixContext = { ...(report.source?.line ? { line: report.source.line } : {}), ...(sectionOf(source) ? { section: sectionOf(source) } : {}) };
  const edits = computeFixEdits(source, fix, context);
  return edits && { text: applyTextEdits(source, edits.edits), title: edits.title };
}

/** The lines the fix added or changed, around `anchor` (a substring of a line in the result). */
function around(text: string, anchor: string, before: number, after: number): string[] {
  const lines = text.split('\n');
  const at = lines.findIndex((line) => line.includes(anchor));
  assert.ok(at >= 0, `no line contains ${anchor}`);
  return lines.slice(at - before, at + after + 1);
}

test('NULL check goes right after the lookup, indented like it, returning 0', () => {
  const result = fixed('null-deref-map-value');
  assert.ok(result);
  assert.deepEqual(around(result.text, '= bpf_map_lookup_elem(', 0, 3), [
    '\tu64 *count = bpf_map_lookup_elem(&open_counts, &pid);',
    '\tif (!count)',
    '\t\treturn 0;',
    '',
  ]);
});

test('a global function argument is checked where it is used', () => {
  const result = fixed('null-deref-pointer');
  assert.ok(result);
  assert.deepEqual(around(result.text, 'sample->count += 1', 2, 0), ['\tif (!sample)', '\t\treturn 0;', '\tsample->count += 1; /* EXPECT: null-deref-pointer */']);
});

test('raw pointer dereference becomes a probe read into the declared local', () => {
  const result = fixed('raw-pointer-deref');
  assert.ok(result);
  assert.deepEqual(around(result.text, 'char first', 0, 1), [
    '\tchar first; /* EXPECT: raw-pointer-deref */',
    '\tbpf_probe_read_user(&first, sizeof(first), &filename[0]);',
  ]);
});

test('array index checks go through one pinned 64-bit index used by the access too', () => {
  for (const [name, variable, bound] of [['out-of-bounds-map-value', 'slot', 4], ['unbounded-variable-offset', 'bucket', 32], ['negative-offset', 'bucket', 32]] as const) {
    const result = fixed(name);
    assert.ok(result, name);
    assert.deepEqual(around(result.text, `__u64 ${variable}_index`, 0, 4), [
      `\t__u64 ${variable}_index = ${variable};`,
      `\tbarrier_var(${variable}_index);`,
      `\tif (${variable}_index >= ${bound})`,
      '\t\treturn 0;',
      result.text.split('\n').find((line) => line.includes(`[${variable}_index] += 1`))!,
    ], name);
    assert.ok(!result.text.includes(`[${variable}] += 1`), `${name}: the access still uses the unchecked index`);
  }
});

test('packet checks use data_end when the program has it, else the XDP context, and let the packet pass', () => {
  const unchecked = fixed('unchecked-packet-pointer');
  assert.ok(unchecked);
  assert.deepEqual(around(unchecked.text, 'eth + 1', 0, 1), ['\tif ((void *)(eth + 1) > (void *)(long)ctx->data_end)', '\t\treturn XDP_PASS;']);
  const short = fixed('packet-out-of-bounds');
  assert.ok(short);
  assert.deepEqual(around(short.text, 'ip + 1', 0, 2), ['\tif ((void *)(ip + 1) > data_end)', '\t\treturn XDP_PASS;', '\tif (ip->protocol == 17) /* EXPECT: packet-out-of-bounds */']);
});

test('the license string is changed in place', () => {
  const result = fixed('gpl-only-helper');
  assert.ok(result);
  assert.equal(result.text, sourceOf('gpl-only-helper').replace('"Proprietary"', '"GPL"'));
});

test('a missing license is appended', () => {
  const source = '#include "vmlinux.h"\nSEC("tp/a/b")\nint f(void *ctx) { return 0; }';
  const edits = computeFixEdits(source, { kind: 'set-gpl-license', title: 'Declare a GPL license', license: 'GPL', statement: 'char LICENSE[] SEC("license") = "GPL";' });
  assert.ok(edits);
  assert.equal(applyTextEdits(source, edits.edits), `${source}\n\nchar LICENSE[] SEC("license") = "GPL";\n`);
});

test('stack over 512 bytes: the largest array moves to a per-CPU map, the function bails out with 0', () => {
  const result = fixed('stack-too-large');
  assert.ok(result);
  assert.match(result.title, /'scratch' \(320 bytes, in fill_inner\(\)\)/);
  assert.deepEqual(around(result.text, '} fill_inner_scratch SEC(".maps");', 5, 8), [
    'struct {',
    '\t__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);',
    '\t__uint(max_entries, 1);',
    '\t__type(key, __u32);',
    '\t__type(value, char[320]);',
    '} fill_inner_scratch SEC(".maps");',
    '',
    'static __noinline int fill_inner(int seed)',
    '{',
    '\t__u32 scratch_key = 0;',
    '\tvolatile char *scratch = bpf_map_lookup_elem(&fill_inner_scratch, &scratch_key);',
    '',
    '\tif (!scratch)',
    '\t\treturn 0;',
  ]);
  // One array is enough for 640 bytes: fill_outer keeps its own.
  assert.match(result.text, /static __noinline int fill_outer\(int seed\)\n\{\n\tvolatile char scratch\[320\];/);
});

test('an unreleased ring buffer record is discarded before the leaking return only', () => {
  const result = fixed('unreleased-reference');
  assert.ok(result);
  assert.deepEqual(around(result.text, 'bpf_ringbuf_discard', 1, 1), ['\tbpf_get_current_comm(event->comm, sizeof(event->comm));', '\tbpf_ringbuf_discard(event, 0);', '\treturn 0;']);
  assert.equal(result.text.split('bpf_ringbuf_discard').length - 1, 1, 'discarded more than once');
  // The NULL check's return is left alone: there is nothing to release there.
  assert.deepEqual(around(result.text, 'if (!event)', 0, 1), ['\tif (!event)', '\t\treturn 0;']);
});

test('a leak on a brace-less branch gets braces; the path that submits is left alone', () => {
  const result = fixed('unreleased-reference-on-branch');
  assert.ok(result);
  assert.deepEqual(around(result.text, 'event->pid == 1', 0, 5), [
    '\tif (event->pid == 1) {',
    '\t\tbpf_ringbuf_discard(event, 0);',
    '\t\treturn 0;',
    '\t}',
    '\tbpf_ringbuf_submit(event, 0);',
    '\treturn 0;',
  ]);
});

test('a sleepable helper is replaced by its non-sleeping twin', () => {
  const result = fixed('sleepable-helper');
  assert.ok(result);
  assert.equal(result.text, sourceOf('sleepable-helper').replace('\tbpf_copy_from_user(', '\tbpf_probe_read_user('));
});

test('the file\'s own indentation and line endings are kept', () => {
  const source = [
    '#include "vmlinux.h"',
    '#include <bpf/bpf_helpers.h>',
    'SEC("tracepoint/syscalls/sys_enter_openat")',
    'int f(void *ctx)',
    '{',
    '    u32 key = 0;',
    '    u64 *value = bpf_map_lookup_elem(&m,',
    '                                     &key);',
    '    return *value;',
    '}',
    '',
  ].join('\r\n');
  const fix: QuickFix = { kind: 'insert-null-check', title: 't', line: 9, variable: 'value', insertAfterLine: 7, statement: 'if (!value)\n\treturn 0;' };
  const edits = computeFixEdits(source, fix);
  assert.ok(edits);
  const lines = applyTextEdits(source, edits.edits).split('\r\n');
  // After the whole statement, which spans two lines.
  assert.deepEqual(lines.slice(6, 10), ['    u64 *value = bpf_map_lookup_elem(&m,', '                                     &key);', '    if (!value)', '        return 0;']);
});

test('probe reads keep trailing comments and handle assignments and expressions', () => {
  const source = [
    'SEC("kprobe/do_sys_open")',
    'int f(struct pt_regs *ctx)',
    '{',
    '\tconst char *name = (const char *)PT_REGS_PARM2(ctx);',
    '\tchar c;',
    '\tc = *name; // first byte',
    '\treturn name[1] == \'/\';',
    '}',
  ].join('\n');
  const assignment = computeFixEdits(source, { kind: 'use-probe-read', title: 't', line: 6, pointer: 'name', helper: 'bpf_probe_read_kernel', alternatives: [] });
  assert.ok(assignment);
  assert.equal(applyTextEdits(source, assignment.edits).split('\n')[5], '\tbpf_probe_read_kernel(&c, sizeof(c), name); // first byte');
  const expression = computeFixEdits(source, { kind: 'use-probe-read', title: 't', line: 7, pointer: 'name', helper: 'bpf_probe_read_kernel', alternatives: [] });
  assert.ok(expression);
  assert.deepEqual(applyTextEdits(source, expression.edits).split('\n').slice(6, 9), [
    '\t__typeof__(name[1]) name_value;',
    '\tbpf_probe_read_kernel((void *)&name_value, sizeof(name_value), &name[1]);',
    '\treturn name_value == \'/\';',
  ]);
});

test('bail-outs return nothing from void functions and 1 from cgroup_skb programs', () => {
  const source = 'static __noinline void g(struct s *p)\n{\n\tp->x = 1;\n}\nSEC("cgroup_skb/ingress")\nint h(struct __sk_buff *skb)\n{\n\tstruct s *q = lookup();\n\treturn q->x;\n}\n';
  const inVoid = computeFixEdits(source, { kind: 'insert-null-check', title: 't', line: 3, variable: 'p', statement: '' });
  assert.ok(inVoid);
  assert.match(applyTextEdits(source, inVoid.edits), /\tif \(!p\)\n\t\treturn;\n\tp->x = 1;/);
  const inCgroup = computeFixEdits(source, { kind: 'insert-null-check', title: 't', line: 9, variable: 'q', statement: '' });
  assert.ok(inCgroup);
  assert.match(applyTextEdits(source, inCgroup.edits), /\tif \(!q\)\n\t\treturn 1;\n\treturn q->x;/);
});

test('no edit when the source no longer matches what the verifier saw', () => {
  const source = sourceOf('null-deref-map-value');
  const report = parseVerifierLog(new Uint8Array(readFileSync(path.join(CORPUS, 'logs', 'null-deref-map-value.log'))));
  const fix = explainVerifierError(report).fix!;
  // Two lines inserted at the top: the lines named by the log now hold other code.
  const edited = '// a\n// b\n' + source;
  assert.equal(computeFixEdits(edited, fix, { line: report.source?.line }), undefined);
  for (const text of ['', '{{{{', '}', 'int f(', '"unterminated', '/* open comment']) {
    assert.equal(computeFixEdits(text, fix, { line: 3 }), undefined, JSON.stringify(text));
  }
});

test('releases: a path that already submitted in its own block, or ends after a nested submit, is left alone', () => {
  const source = [
    'SEC("tp/a/b")',
    'int f(void *ctx)',
    '{',
    '\tstruct ev *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);',
    '\tif (e == NULL) {',
    '\t\treturn 0;',
    '\t}',
    '\tif (e->x) {',
    '\t\tbpf_ringbuf_submit(e, 0);',
    '\t\treturn 1;',
    '\t}',
    '\tif (e->y) return 2;',
    '\treturn 3;',
    '}',
  ].join('\n');
  const edits = computeFixEdits(source, {
    kind: 'release-reference', title: 'Call bpf_ringbuf_discard() before returning', variable: 'e', acquiredBy: 'bpf_ringbuf_reserve',
    releaseFunction: 'bpf_ringbuf_discard', statement: 'bpf_ringbuf_discard(e, 0);', acquireLine: 4,
  });
  assert.ok(edits);
  assert.deepEqual(applyTextEdits(source, edits.edits).split('\n').slice(4, 15), [
    '\tif (e == NULL) {',
    '\t\treturn 0;',
    '\t}',
    '\tif (e->x) {',
    '\t\tbpf_ringbuf_submit(e, 0);',
    '\t\treturn 1;',
    '\t}',
    '\tif (e->y) { bpf_ringbuf_discard(e, 0); return 2; }',
    '\tbpf_ringbuf_discard(e, 0);',
    '\treturn 3;',
    '}',
  ]);
});

test('attach target "did you mean" renames the SEC() target', () => {
  const source = 'SEC("fentry/do_nanosleepx")\nint BPF_PROG(f, void *a) { return 0; }\n// SEC("fentry/do_nanosleepx") in a comment stays\n';
  const edits = computeAttachTargetEdits(source, 'fentry/do_nanosleepx', 'do_nanosleep');
  assert.ok(edits);
  assert.equal(edits.title, "Attach to 'do_nanosleep'");
  assert.equal(applyTextEdits(source, edits.edits), source.replace('SEC("fentry/do_nanosleepx")\n', 'SEC("fentry/do_nanosleep")\n'));
});

test('edits at the same position apply in the order given', () => {
  const at = { line: 1, character: 0 };
  assert.equal(applyTextEdits('a\nb\n', [{ range: { start: at, end: at }, newText: '1\n' }, { range: { start: at, end: at }, newText: '2\n' }]), 'a\n1\n2\nb\n');
});
