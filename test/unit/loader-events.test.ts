import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyLine, EVENT_MARK, LineSplitter } from '../../core/src/loader/events';
import { TraceBuffer } from '../../core/src/trace/trace-buffer';

test('event lines carry the record separator; everything else is trace', () => {
  assert.deepEqual(classifyLine(`${EVENT_MARK}{"event":"ready","pid":1,"attached":2,"failed":0}`),
    { type: 'event', event: { event: 'ready', pid: 1, attached: 2, failed: 0 } });
  assert.deepEqual(classifyLine('  cat-1 [000] d..31 1.0: bpf_trace_printk: {"event":"x"}'),
    { type: 'trace', line: '  cat-1 [000] d..31 1.0: bpf_trace_printk: {"event":"x"}' });
  assert.equal(classifyLine(`${EVENT_MARK}{not json`).type, 'malformed');
  assert.equal(classifyLine(`${EVENT_MARK}[1,2]`).type, 'malformed');
});

test('the splitter reassembles lines across chunks and bounds a runaway line', () => {
  const splitter = new LineSplitter(8);
  assert.deepEqual(splitter.push('ab'), []);
  assert.deepEqual(splitter.push('c\nde'), ['abc']);
  assert.deepEqual(splitter.push('fghijklmn'), ['defghijklmn']);
  assert.deepEqual(splitter.push('x'), []);
  assert.deepEqual(splitter.end(), ['x']);
  assert.deepEqual(splitter.end(), []);
  // Events are never cut: a program event carries a whole verifier log.
  const bigEvent = `${EVENT_MARK}{"event":"program","log":"${'x'.repeat(50)}"}`;
  assert.deepEqual(splitter.push(bigEvent.slice(0, 20)), []);
  assert.deepEqual(splitter.push(bigEvent.slice(20) + '\n'), [bigEvent]);
});

test('the splitter reassembles a 32 MB event line from 64 KB chunks in linear time', { timeout: 60_000 }, () => {
  // Re-joining the growing line on every chunk, as it once did, takes minutes for this one.
  const line = `${EVENT_MARK}{"event":"program","log":"${'0: (b7) r0 = 0\\n'.repeat(2 * 1024 * 1024)}"}`;
  const splitter = new LineSplitter();
  const lines: string[] = [];
  const text = `${line}\ntrace after it\n`;
  for (let at = 0; at < text.length; at += 65536) lines.push(...splitter.push(text.slice(at, at + 65536)));
  lines.push(...splitter.end());
  assert.equal(lines.length, 2);
  assert.ok(lines[0] === line, 'the event line came back whole');
  assert.equal(lines[1], 'trace after it');
});

test('the trace buffer keeps the newest lines and counts the dropped ones', () => {
  const buffer = new TraceBuffer(3);
  for (let i = 1; i <= 5; i++) buffer.push(`line ${i}`);
  assert.deepEqual(buffer.drain(), { lines: ['line 3', 'line 4', 'line 5'], dropped: 2 });
  buffer.push('line 6');
  assert.deepEqual(buffer.drain(), { lines: ['line 6'], dropped: 0 });
  assert.equal(buffer.totalDropped, 2);
});

test('the trace buffer absorbs a flood in linear time', () => {
  const buffer = new TraceBuffer(20_000);
  const started = performance.now();
  for (let i = 0; i < 1_000_000; i++) buffer.push('x');
  const elapsed = performance.now() - started;
  assert.equal(buffer.drain().dropped, 980_000);
  // A quadratic buffer (array shift) takes minutes here; linear takes tens of milliseconds.
  assert.ok(elapsed < 2000, `1M pushes took ${elapsed} ms`);
});
