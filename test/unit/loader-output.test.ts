/**
 * host/src/loader-output.ts: a loader's stdout with a big verifier log is decoded and parsed in
 * a worker thread (issue #9), and what comes back is what the in-place parse gives, except that
 * the log is already parsed and only its tail is kept. The log is generated from captured
 * instruction lines, as in verify-report-big-log.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { classifyLine, EVENT_MARK } from '../../core/src/loader/events';
import { parseVerifierLog } from '../../core/src/verifier/parse';
import { parseLoaderOutput, LoaderOutputProgress } from '../../host/src/loader-output';
import { LOG_TAIL_CHARS } from '../../host/src/loader-output-worker';

const LOGS = path.resolve(__dirname, '../../../test/fixtures/verifier/logs');

/** ~`bytes` of renumbered captured instruction lines, then a captured rejection. */
function generatedLog(bytes: number): string {
  const instructions = readFileSync(path.join(LOGS, 'accepted.level2.log'), 'utf8').split('\n').filter((line) => /^\d+: \([0-9a-f]{2}\) /.test(line));
  assert.ok(instructions.length > 5, 'the captured log has instruction lines');
  const parts: string[] = [];
  let size = 0;
  for (let index = 0; size < bytes; index++) {
    const line = instructions[index % instructions.length]!.replace(/^\d+:/, `${index}:`) + '\n';
    parts.push(line);
    size += line.length;
  }
  return parts.join('') + readFileSync(path.join(LOGS, 'null-deref-map-value.log'), 'utf8');
}

/** A loader stdout as `loader verify` writes it: events (0x1e + JSON), here with a trace line and a broken event among them. */
function loaderOutput(log: string): { text: string; bytes: Buffer } {
  const program = {
    event: 'program', name: 'long_path', section: 'tracepoint/syscalls/sys_enter_openat', progType: 'tracepoint', attachTo: 'syscalls/sys_enter_openat',
    verdict: 'rejected', errno: 13, errnoName: 'EACCES', log, libbpfLog: '', insnsProcessed: 1_000_001, stackDepth: '0', insnCount: 180_000,
  };
  const lines = [
    `${EVENT_MARK}${JSON.stringify({ event: 'program', name: 'small', section: 'xdp', progType: 'xdp', attachTo: null, verdict: 'ok', errno: 0, log: '', libbpfLog: '', insnsProcessed: 2, stackDepth: '0', insnCount: 2 })}`,
    `${EVENT_MARK}${JSON.stringify(program)}`,
    '  <idle>-0  [001] d.h1.  1.000: bpf_trace_printk: not an event, a trace line',
    `${EVENT_MARK}{"event": "program", "cut short`,
    `${EVENT_MARK}${JSON.stringify({ event: 'done', programs: 2, ok: 1, failed: 1 })}`,
  ];
  const text = `${lines.join('\n')}\n`;
  return { text, bytes: Buffer.from(text, 'utf8') };
}

void test('a small output is parsed in place, line by line, as classifyLine does', async () => {
  const { text, bytes } = loaderOutput('0: (b7) r0 = 0\n1: (95) exit\nprocessed 2 insns\n');
  const progress: LoaderOutputProgress[] = [];
  const output = await parseLoaderOutput(bytes, { onProgress: (p) => progress.push(p) });
  assert.deepEqual(output.items, text.split('\n').filter(Boolean).map(classifyLine));
  assert.equal(output.parsedLogs.size, 0);
  assert.deepEqual(progress, [], 'no progress for an in-place parse');
});

void test('a big output is parsed in a worker while the event loop keeps turning; the result matches the in-place parse', async () => {
  const log = generatedLog(4 * 1024 * 1024);
  const { text, bytes } = loaderOutput(log);
  const expected = text.split('\n').filter(Boolean).map(classifyLine);
  const size = bytes.length;

  const progress: LoaderOutputProgress[] = [];
  let done = false;
  let turnsDuringParse = 0;
  const parsing = parseLoaderOutput(bytes, { onProgress: (p) => progress.push(p) }).finally(() => { done = true; });
  // Each setImmediate callback is one event-loop turn; an in-place parse would allow none until it returns.
  await new Promise<void>((resolve) => {
    const turn = () => { if (done) resolve(); else { turnsDuringParse++; setImmediate(turn); } };
    setImmediate(turn);
  });
  const output = await parsing;

  assert.ok(turnsDuringParse >= 20, `only ${turnsDuringParse} event-loop turns while the worker parsed ${(size / 1e6).toFixed(0)} MB`);
  assert.deepEqual(progress.map((p) => [p.phase, p.offThread, p.bytes]), [['parsing', true, size], ['parsed', true, size]]);
  assert.equal(bytes.length, 0, 'the bytes were handed over to the worker, not copied');
  assert.equal(output.items.length, expected.length);
  // The big program: its log parsed there, its text cut to a tail that starts at a line.
  const big = output.items[1]!;
  assert.ok(big.type === 'event' && big.event.event === 'program');
  const tail = String(big.event.log);
  assert.ok(tail.length <= LOG_TAIL_CHARS && tail.length > 0, `tail of ${tail.length} chars`);
  assert.ok(log.endsWith(tail) && log[log.length - tail.length - 1] === '\n', 'the tail is the end of the log, from a line start');
  assert.deepEqual(output.parsedLogs.get(1), parseVerifierLog(log));
  assert.equal(output.parsedLogs.get(1)?.kind, 'null-deref-map-value');
  // Everything else is exactly what the in-place parse gives, the other program's empty log included.
  const withoutLog = (item: unknown) => JSON.parse(JSON.stringify(item, (key, value: unknown) => (key === 'log' ? undefined : value))) as unknown;
  assert.deepEqual(output.items.map(withoutLog), expected.map(withoutLog));
  assert.equal(output.parsedLogs.has(0), false, 'an empty log is not parsed');
  assert.equal(output.items[2]?.type, 'trace');
  assert.equal(output.items[3]?.type, 'malformed');
});

void test('a view into a larger buffer is copied to the worker, leaving that buffer usable', async () => {
  const { bytes } = loaderOutput(generatedLog(256 * 1024));
  const pool = Buffer.alloc(bytes.length + 16, 0x20);
  bytes.copy(pool, 8);
  const view = pool.subarray(8, 8 + bytes.length);
  const output = await parseLoaderOutput(view, { offThreadBytes: 0 });
  assert.equal(output.parsedLogs.get(1)?.kind, 'null-deref-map-value');
  assert.equal(pool.length, bytes.length + 16, 'the caller\'s buffer was not detached');
  assert.equal(pool[0], 0x20);
});
