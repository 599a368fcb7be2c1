/** What `bpfdev run` makes of the loader's records/stats events (issue #11), without a kernel. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRecords, runArgv } from '../../host/src/loader';
import { formatRecordHuman, formatStatsHuman } from '../../cli/src/run-command';
import { classifyLine, RecordsEvent } from '../../core/src/loader/events';

const bytes = [Uint8Array.of(1, 0, 0, 0, 0x41, 0x42), Uint8Array.of(0xff)];
const line = '\x1e' + JSON.stringify({ event: 'records', map: 'rb', cpus: [-1, 3], data: bytes.map((b) => Buffer.from(b).toString('base64')) });

void test('records: each record gets its CPU and its bytes, as hex when no decoder knows the map', () => {
  const item = classifyLine(line);
  assert.equal(item.type, 'event');
  const records = decodeRecords((item as { event: RecordsEvent }).event);
  assert.deepEqual(records, [
    { map: 'rb', cpu: -1, fields: {}, raw: '010000004142' },
    { map: 'rb', cpu: 3, fields: {}, raw: 'ff' },
  ]);
});

void test('records: a decoder sees the exact bytes, and a map it does not know stays raw', () => {
  const seen: number[][] = [];
  const records = decodeRecords((classifyLine(line) as { event: RecordsEvent }).event, (map, data) => {
    seen.push([...data]);
    return data.length > 1 ? { first: data[0], map } : undefined;
  });
  assert.deepEqual(seen, bytes.map((b) => [...b]));
  assert.deepEqual(records[0], { map: 'rb', cpu: -1, fields: { first: 1, map: 'rb' } });
  assert.equal(records[1]!.raw, 'ff');
});

void test('human lines: map: field=value, strings with spaces quoted, nested values as JSON', () => {
  assert.equal(formatRecordHuman({ map: 'events', cpu: 0, fields: { pid: 7, comm: 'sshd', path: 'a b', args: [1, 2], big: '18446744073709551615' } }),
    'events: pid=7 comm=sshd path="a b" args=[1,2] big=18446744073709551615');
  assert.equal(formatRecordHuman({ map: 'events', cpu: 0, fields: {}, raw: '00ff' }), 'events: raw=00ff');
});

void test('stats line: average ns per run and share of one CPU over the run', () => {
  const [text] = formatStatsHuman({ event: 'stats', programs: [{ name: 'p', id: 1, runCount: 4, runTimeNs: 2_000_000_000 }] }, 10);
  assert.equal(text, 'bpfdev: stats p: 4 runs, 500000000 ns/run, 20.00% of one CPU');
});

void test('run argv: each knob becomes its loader flag, repeated names repeated', () => {
  assert.deepEqual(runArgv('L', 'O', { only: ['a', 'b'], skip: ['c'], iface: 'eth0', perfPages: 4, stats: false }, 15),
    ['L', 'run', 'O', '--trace', '--heartbeat', '15', '--only', 'a', '--only', 'b', '--skip', 'c', '--iface', 'eth0', '--perf-pages', '4', '--no-stats']);
  assert.deepEqual(runArgv('L', 'O', { trace: false }), ['L', 'run', 'O']);
});
