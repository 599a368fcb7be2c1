/**
 * The trace_pipe line parser against lines captured from this kernel
 * (test/fixtures/trace/trace_pipe.txt, scripts/capture-trace-lines.sh): bpf_printk output,
 * trace_marker lines from a task whose name holds a space and dashes, record-tgid and
 * irq-info variants.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseTraceLine, TraceRecord } from '../../core/src/trace/trace-line';

const fixture = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'trace', 'trace_pipe.txt');
const lines = fs.readFileSync(fixture, 'utf8').split('\n').filter(Boolean);

function record(needle: string): TraceRecord {
  const line = lines.find((candidate) => candidate.includes(needle));
  assert.ok(line, `the fixture has a line with ${needle}`);
  const parsed = parseTraceLine(line);
  assert.equal(parsed.kind, 'record', line);
  return parsed as TraceRecord;
}

void test('every captured line is a record whose columns rebuild the line', () => {
  assert.ok(lines.length >= 6);
  for (const line of lines) {
    const parsed = parseTraceLine(line);
    assert.equal(parsed.kind, 'record', line);
    const r = parsed as TraceRecord;
    // The columns are substrings of the line in the kernel's order, with nothing left over.
    const order = [`${r.task}-${r.pid}`, `[${String(r.cpu).padStart(3, '0')}]`, r.flags, `${r.timestamp}:`, `${r.event}:`, r.message];
    let at = 0;
    for (const part of order) {
      if (!part) continue;
      const found = line.indexOf(part, at);
      assert.ok(found >= at, `${JSON.stringify(part)} after column ${at} in ${line}`);
      at = found + part.length;
    }
    assert.equal(at, line.length);
    assert.ok(r.time > 0);
  }
});

void test('bpf_printk lines carry the program\'s message after the bpf_trace_printk event', () => {
  const r = record('bpf_trace_printk');
  assert.equal(r.event, 'bpf_trace_printk');
  assert.match(r.message, /^hello-openat: pid \d+ opened \//);
  // The program prints the tgid of the task that opened: the process in the task column.
  assert.equal(Number(/pid (\d+)/.exec(r.message)![1]), r.pid);
  assert.match(r.flags, /^[.\w]{4,5}$/);
});

void test('a task name with a space and dashes stays whole; the pid is the last number', () => {
  const r = record('task with a space');
  assert.equal(r.task, 'web content-x');
  assert.ok(Number.isInteger(r.pid) && r.pid > 0);
  assert.equal(r.event, 'tracing_mark_write');
  assert.equal(r.message, 'bpfdev-capture: task with a space and dashes');
});

void test('record-tgid adds the tgid column; irq-info off leaves the flags out', () => {
  const withTgid = record('record-tgid on');
  assert.equal(withTgid.tgid, withTgid.pid, 'bash writes from its main thread');
  assert.equal(withTgid.message, 'bpfdev-capture: record-tgid on');
  const withoutFlags = record('irq-info off');
  assert.equal(withoutFlags.flags, '');
  assert.equal(withoutFlags.tgid, undefined);
  assert.equal(withoutFlags.message, 'bpfdev-capture: irq-info off');
  assert.equal(record('default options').tgid, undefined);
});

void test('lost-events notices and foreign lines are recognized, never thrown on', () => {
  // The notice trace_pipe prints when a CPU's buffer overran (kernel/trace/trace.c format).
  assert.deepEqual(parseTraceLine('CPU:3 [LOST 1234 EVENTS]'), { kind: 'lost', cpu: 3, count: 1234 });
  for (const text of ['', 'garbage', '--- 5 trace line(s) dropped ---', '-1 [x] 1.0: y', '\u0000\uffff']) {
    assert.deepEqual(parseTraceLine(text), { kind: 'raw', text });
  }
});

void test('parsing keeps up with a flood: 200k lines well under a second', () => {
  const sample = lines.slice(0, 5);
  const started = performance.now();
  let records = 0;
  for (let index = 0; index < 200_000; index++) if (parseTraceLine(sample[index % sample.length]!).kind === 'record') records++;
  const elapsed = performance.now() - started;
  assert.equal(records, 200_000);
  assert.ok(elapsed < 1000, `took ${elapsed.toFixed(0)} ms`);
});
