/**
 * The verifier view model (core/src/verifier/view.ts) on logs the kernel really wrote
 * (test/fixtures/verifier/logs/, captured by scripts/capture-verifier-logs.mjs): replayed
 * register/stack state per instruction, source lines, and the path to the error through its branches.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { buildVerifierView } from '../../core/src/verifier/view';

const CORPUS = path.resolve(__dirname, '../../../test/fixtures/verifier');
const log = (name: string) => readFileSync(path.join(CORPUS, 'logs', name), 'utf8');
const expectLine = (name: string) => readFileSync(path.join(CORPUS, `${name}.bpf.c`), 'utf8').split('\n').findIndex((line) => line.includes('/* EXPECT: ')) + 1;
const lineOf = (name: string, needle: string) => readFileSync(path.join(CORPUS, `${name}.bpf.c`), 'utf8').split('\n').findIndex((line) => line.includes(needle)) + 1;

test('a rejected program: the last step is the failing one, at the EXPECT line, with the state the verifier had', () => {
  const view = buildVerifierView(log('null-deref-map-value.log'));
  assert.equal(view.verdict, 'rejected');
  assert.equal(view.error?.kind, 'null-deref-map-value');
  assert.ok(view.error?.title && view.error.explanation);
  const last = view.steps[view.steps.length - 1];
  assert.equal(view.error?.step, last.step);
  assert.equal(last.failed, true);
  assert.equal(last.text, 'r1 = *(u64 *)(r0 +0)');
  assert.equal(last.source?.line, expectLine('null-deref-map-value'));
  assert.match(last.registers.R0, /^map_value_or_null\(/);
  assert.equal(last.registers.R10, 'fp0');
  assert.equal(last.stack['fp-8'], 'mmmm????');
  // The lookup is a helper call: R1-R5 are unreadable after it, R0 is what it returned.
  const call = view.steps.find((step) => step.text === 'call bpf_map_lookup_elem#1')!;
  assert.equal(call.registers.R1, undefined);
  assert.deepEqual(call.changed, ['R0']);
  assert.equal(call.source?.line, lineOf('null-deref-map-value', '= bpf_map_lookup_elem('));
  const before = view.steps[call.step - 1];
  assert.match(before.registers.R1, /^map_ptr\(/, 'the state before the call still has the map pointer');
  assert.deepEqual(view.errorPath, view.steps.map((step) => step.step), 'a straight-line program: every step is on the path');
});

test('level 2: the path to the error skips the branch the verifier finished first, and names its branch points', () => {
  const view = buildVerifierView(log('unreleased-reference-on-branch.level2.log'));
  assert.equal(view.detailed, true);
  assert.equal(view.error?.kind, 'unreleased-reference');
  const insns = view.errorPath.map((i) => view.steps[i].insn);
  const resumed = view.steps.find((step) => step.branchFrom !== undefined)!;
  assert.ok(resumed, 'a step resumes a set-aside branch');
  const jump = view.steps.filter((step) => step.insn === resumed.branchFrom && step.step < resumed.step).pop()!;
  assert.match(jump.text, /^if /);
  // On the path: everything up to the jump, then the resumed branch; not the fall-through path in between.
  const jumpAt = insns.indexOf(jump.insn);
  assert.deepEqual(insns.slice(jumpAt), [jump.insn, ...view.steps.slice(resumed.step).map((step) => step.insn)]);
  for (let i = jump.step + 1; i < resumed.step; i++) assert.equal(view.steps[i].onErrorPath, false, `step ${i} was a finished path`);
  assert.ok(view.branchPoints.includes(jump.step) && view.branchPoints.includes(resumed.step));
  // The branch's state comes from `from A to B:` (whole frame), then the instruction's own delta.
  assert.equal(resumed.registers.R0, '0');
  assert.match(resumed.registers.R6, /^ringbuf_mem\(/);
  assert.deepEqual(resumed.refs, [2]);
  assert.equal(resumed.source?.line, view.steps.find((step) => step.insn === resumed.insn && step.step < resumed.step)?.source?.line);
});

test('level 1 resumes a branch on the jump\'s own line; the view follows it', () => {
  const view = buildVerifierView(log('unreleased-reference-on-branch.log'));
  const resumed = view.steps.find((step) => step.branchFrom !== undefined)!;
  assert.equal(view.steps[resumed.step - 1].insn, resumed.branchFrom);
  assert.equal(resumed.registers.R0, '0');
  assert.equal(view.errorPath[view.errorPath.length - 1], view.steps.length - 1);
});

test('calls into BPF functions: each step is shown in its own frame', () => {
  const view = buildVerifierView(log('call-stack-too-deep.level2.log'));
  assert.equal(view.steps[0].frame, 0);
  const frames = view.steps.map((step) => step.frame);
  assert.ok(Math.max(...frames) >= 2, `frames seen: ${frames.join(',')}`);
  assert.equal(view.steps[view.steps.length - 1].registers.R10, 'fp0', 'every frame has its own frame pointer');
});

test('an accepted program has steps and no error; a long log keeps only the last steps', () => {
  const view = buildVerifierView(log('accepted.level2.log'));
  assert.equal(view.verdict, 'accepted');
  assert.equal(view.error, undefined);
  assert.ok(view.steps.length > 3);
  const small = buildVerifierView(log('accepted.level2.log'), { maxSteps: 2 });
  assert.equal(small.steps.length, 2);
  assert.equal(small.droppedSteps, view.steps.length - 2);
  assert.deepEqual(small.steps.map((step) => step.insn), view.steps.slice(-2).map((step) => step.insn));
  assert.deepEqual(small.steps.map((step) => step.step), [0, 1]);
  assert.ok(small.notes.some((note) => note.includes('not shown')));
});

test('garbage and empty logs give an empty view, never an exception', () => {
  for (const text of ['', '\n\n', '0: (85) call', 'from x to y:', '12: R1=(((', ';', '\u0000\uffff']) {
    const view = buildVerifierView(text);
    assert.ok(Array.isArray(view.steps));
  }
});
