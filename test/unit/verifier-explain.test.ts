/**
 * Explanations and quick fixes for verifier rejections, checked against the captured corpus logs
 * (test/fixtures/verifier/logs/). Whether the fixes really satisfy the verifier is checked in
 * test/kernel/verifier-corpus.test.ts, which applies them and loads the result.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseVerifierLog, VerifierReport } from '../../core/src/verifier/parse';
import { VERIFIER_ERROR_KINDS } from '../../core/src/verifier/kinds';
import { explainVerifierError, KIND_INFO, QuickFix } from '../../core/src/verifier/explain';

const CORPUS = path.resolve(__dirname, '../../../test/fixtures/verifier');
const report = (logFile: string): VerifierReport => parseVerifierLog(new Uint8Array(readFileSync(path.join(CORPUS, 'logs', logFile))));
const fixOf = (logFile: string): QuickFix | undefined => explainVerifierError(report(logFile)).fix;
const lineContaining = (name: string, needle: string) =>
  readFileSync(path.join(CORPUS, `${name}.bpf.c`), 'utf8').split('\n').findIndex((line) => line.includes(needle)) + 1;

test('every kind has a title, a 2-4 sentence explanation and a docs link', () => {
  for (const kind of VERIFIER_ERROR_KINDS) {
    const info = KIND_INFO[kind];
    assert.ok(info, kind);
    assert.ok(info.title.length > 5 && !info.title.endsWith('.'), `${kind}: title`);
    const sentences = info.explanation.split(/(?<=[.!?])\s+(?=[A-Z`])/).filter(Boolean);
    assert.ok(sentences.length >= 2 && sentences.length <= 4, `${kind}: ${sentences.length} sentences`);
    assert.match(info.docsLink, /^https:\/\/(docs\.kernel\.org|man7\.org)\//, kind);
  }
});

test('a bare kind explains without a fix; an unknown id falls back to "unknown"', () => {
  const explained = explainVerifierError('null-deref-map-value');
  assert.equal(explained.kind, 'null-deref-map-value');
  assert.equal(explained.fix, undefined);
  assert.equal(explainVerifierError('no-such-kind').kind, 'unknown');
  const accepted = explainVerifierError(report('accepted.log'));
  assert.equal(accepted.fix, undefined, 'nothing to fix in an accepted program');
});

test('insert-null-check names the variable and the line it was assigned on', () => {
  assert.deepEqual(fixOf('null-deref-map-value.log'), {
    kind: 'insert-null-check', title: "Check 'count' for NULL before using it",
    line: lineContaining('null-deref-map-value', 'EXPECT'), variable: 'count', register: 'R0',
    insertAfterLine: lineContaining('null-deref-map-value', '= bpf_map_lookup_elem('), statement: 'if (!count)\n\treturn 0;',
  });
  // A global function's argument has no assignment in the log: check it where it is used.
  const pointer = fixOf('null-deref-pointer.log');
  assert.equal(pointer?.kind, 'insert-null-check');
  assert.ok(pointer?.kind === 'insert-null-check' && pointer.variable === 'sample' && pointer.insertAfterLine === undefined);
});

test('use-probe-read for a user pointer taken from syscall arguments', () => {
  const fix = fixOf('raw-pointer-deref.log');
  assert.ok(fix?.kind === 'use-probe-read');
  assert.equal(fix.pointer, 'filename');
  assert.equal(fix.helper, 'bpf_probe_read_user');
});

test('add-bounds-check works out the index and its limit from the map value size', () => {
  const expectations: [string, string, number, number | undefined][] = [
    ['out-of-bounds-map-value.log', 'slot', 4, undefined],
    ['unbounded-variable-offset.log', 'bucket', 32, undefined],
    ['negative-offset.log', 'bucket', 32, 0],
  ];
  for (const [logFile, variable, upperBound, lowerBound] of expectations) {
    const fix = fixOf(logFile);
    assert.ok(fix?.kind === 'add-bounds-check', logFile);
    assert.equal(fix.target, 'index');
    assert.equal(fix.variable, variable, logFile);
    assert.equal(fix.upperBound, upperBound, logFile);
    assert.equal(fix.lowerBound, lowerBound, logFile);
  }
  const negative = fixOf('negative-offset.log');
  assert.equal(negative?.kind === 'add-bounds-check' && negative.statement, 'barrier_var(bucket);\nif (bucket < 0 || bucket >= 32)\n\treturn 0;');
});

test('packet bounds checks know how many bytes the access needs', () => {
  const unchecked = fixOf('unchecked-packet-pointer.log');
  assert.ok(unchecked?.kind === 'add-bounds-check' && unchecked.target === 'packet');
  assert.equal(unchecked.variable, 'eth');
  assert.equal(unchecked.bytesNeeded, 14);
  const short = fixOf('packet-out-of-bounds.log');
  assert.ok(short?.kind === 'add-bounds-check');
  assert.equal(short.variable, 'ip');
  assert.equal(short.bytesNeeded, 24);
  assert.equal(short.statement, 'if ((void *)(ip + 1) > data_end)\n\treturn XDP_PASS;');
});

test('helper-size-unbounded bounds the size argument the register names', () => {
  const fix = fixOf('helper-size-unbounded.log');
  assert.ok(fix?.kind === 'add-bounds-check' && fix.target === 'helper-size');
  assert.equal(fix.variable, 'count');
  assert.equal(fix.statement, 'if (count > sizeof(buf))\n\treturn 0;');
});

test('release-reference pairs the acquiring helper with its release', () => {
  const fix = fixOf('unreleased-reference.log');
  assert.ok(fix?.kind === 'release-reference');
  assert.equal(fix.acquiredBy, 'bpf_ringbuf_reserve');
  assert.equal(fix.statement, 'bpf_ringbuf_discard(event, 0);');
  assert.equal(fix.acquireLine, lineContaining('unreleased-reference', '= bpf_ringbuf_reserve('));
  // When the log cannot say which line leaked, the fix does not invent one.
  const uncertain = fixOf('unreleased-reference-on-branch.log');
  assert.ok(uncertain?.kind === 'release-reference');
  assert.equal(uncertain.line, undefined);
});

test('license, sleepable helper, stack and loop fixes', () => {
  assert.deepEqual(fixOf('gpl-only-helper.log'), {
    kind: 'set-gpl-license', title: 'Declare a GPL license', license: 'GPL', statement: 'char LICENSE[] SEC("license") = "GPL";',
  });
  const sleepable = fixOf('sleepable-helper.log');
  assert.ok(sleepable?.kind === 'replace-helper' && sleepable.from === 'bpf_copy_from_user' && sleepable.to === 'bpf_probe_read_user');
  const stack = fixOf('stack-too-large.log');
  assert.ok(stack?.kind === 'move-to-percpu-array' && stack.stackBytes === 640 && stack.line === undefined);
  assert.equal(fixOf('unbounded-loop.log')?.kind, 'use-bpf-loop');
  assert.equal(fixOf('too-many-instructions.log')?.kind, 'use-bpf-loop');
});

test('no fix is offered where none is mechanical', () => {
  for (const logFile of ['helper-not-allowed.log', 'write-to-read-only.log', 'misaligned-access.log', 'call-stack-too-deep.log']) {
    assert.equal(fixOf(logFile), undefined, logFile);
  }
});

test('odd source text never makes explain throw', () => {
  const base = report('null-deref-map-value.log');
  for (const text of ['', '(((', '*', '->', 'x[', '= bpf_map_lookup_elem(', '\u0000\uffff', 'a'.repeat(10_000)]) {
    const mangled: VerifierReport = {
      ...base,
      source: { text, line: 3, confidence: 'exact' },
      related: base.related.map((r) => ({ ...r, source: { text, confidence: 'exact' as const } })),
    };
    const explained = explainVerifierError(mangled);
    assert.equal(explained.kind, 'null-deref-map-value');
  }
});
