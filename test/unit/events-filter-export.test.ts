/**
 * The record filter language, the JSONL / CSV formatters and the runtime-cost arithmetic of
 * issue #11 (core/src/events/): pure, so driven with records built here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFilter } from '../../core/src/events/filter';
import { toCsv, toJsonLines } from '../../core/src/events/export';
import { CostTracker, describeCost } from '../../core/src/events/stats';
import type { DecodedRecord } from '../../core/src/events/record';

const sshd: DecodedRecord = { map: 'rb', cpu: 1, fields: { pid: 1234, comm: 'sshd', ret: -1, ts: '18446744073709551615', flags: { rw: true, mode: 'O_RDONLY' }, args: [1, 2, 3] } };
const bash: DecodedRecord = { map: 'rb', cpu: 0, fields: { pid: 99, comm: 'bash', ret: 0, ts: '9007199254740993', flags: { rw: false, mode: 'O_WRONLY' }, args: [4] } };
const other: DecodedRecord = { map: 'events', cpu: 0, fields: { latency_ns: 5000 } };
const records = [sshd, bash, other];

function select(expression: string): DecodedRecord[] {
  const { filter, error } = parseFilter(expression);
  assert.equal(error, undefined, `${expression} parses`);
  assert.ok(filter);
  return records.filter((record) => filter.matches(record));
}

void test('comparisons on top-level fields, numbers as numbers', () => {
  assert.deepEqual(select('pid == 1234'), [sshd]);
  assert.deepEqual(select('pid != 1234'), [bash, other]);
  assert.deepEqual(select('pid < 1000'), [bash]);
  assert.deepEqual(select('pid >= 99 && pid <= 99'), [bash]);
  assert.deepEqual(select('ret == -1'), [sshd]);
  assert.deepEqual(select('pid == 0x4d2'), [sshd]);
  // 100 < 99 as text, not as numbers: the comparison must be numeric.
  assert.deepEqual(select('pid > 100'), [sshd]);
});

void test('64-bit values beyond 2^53 compare exactly', () => {
  assert.deepEqual(select('ts == 18446744073709551615'), [sshd]);
  assert.deepEqual(select('ts > 9007199254740992'), [sshd, bash]);
  assert.deepEqual(select('ts == 9007199254740992'), []);
});

void test('regex and text matches, && || ! and parentheses', () => {
  assert.deepEqual(select('comm ~ /ssh/'), [sshd]);
  assert.deepEqual(select('comm ~ /^B/i'), [bash]);
  assert.deepEqual(select('comm !~ /ssh/'), [bash, other]);
  assert.deepEqual(select('comm == "bash" || pid == 1234'), [sshd, bash]);
  assert.deepEqual(select("comm == 'sshd' && cpu == 1"), [sshd]);
  assert.deepEqual(select('!(comm ~ /ssh/) && map == rb'), [bash]);
  assert.deepEqual(select('latency_ns > 1000'), [other]);
});

void test('nested fields, array elements, booleans and enum names', () => {
  assert.deepEqual(select('flags.rw == true'), [sshd]);
  assert.deepEqual(select('flags.mode == O_WRONLY'), [bash]);
  assert.deepEqual(select('args[2] == 3'), [sshd]);
  assert.deepEqual(select('args ~ /4/'), [bash]);
});

void test('bad expressions give an error with its offset, never a throw', () => {
  for (const [expression, offset, words] of [
    ['pid = 1', 4, /'=='/],
    ['pid ==', 6, /value/],
    ['comm ~ /(/', 7, /bad regex/],
    ['(pid == 1', 9, /'\)'/],
    ['pid == 1 pid', 9, /unexpected/],
    ['== 3', 0, /field name/],
    ['comm == "ssh', 8, /unterminated/],
  ] as const) {
    const { filter, error } = parseFilter(expression);
    assert.equal(filter, undefined, expression);
    assert.ok(error, expression);
    assert.equal(error.offset, offset, `${expression}: ${error.message}`);
    assert.match(error.message, words, expression);
  }
  assert.deepEqual(parseFilter('   '), {});
});

void test('JSON Lines keep every value exactly and parse back', () => {
  const text = toJsonLines([{ ...sshd, time: '2026-12-04T16:00:00.000Z' }, { map: 'rb', cpu: 0, fields: {}, raw: '00ff' }]);
  const lines = text.split('\n');
  assert.equal(lines.length, 3);
  assert.equal(lines[2], '');
  assert.deepEqual(JSON.parse(lines[0]!), { map: 'rb', cpu: 1, time: '2026-12-04T16:00:00.000Z', fields: sshd.fields });
  assert.deepEqual(JSON.parse(lines[1]!), { map: 'rb', cpu: 0, fields: {}, raw: '00ff' });
});

void test('CSV quotes what needs it and renders nested values as compact JSON', () => {
  const tricky: DecodedRecord = { map: 'rb', cpu: 0, fields: { comm: 'a,"b"\nc', pid: 7 } };
  const csv = toCsv([sshd, tricky], ['pid', 'comm']);
  const rows = csv.split('\r\n');
  assert.equal(rows[0], 'time,map,cpu,pid,comm,ret,ts,flags,args');
  assert.equal(rows[1], ',rb,1,1234,sshd,-1,18446744073709551615,"{""rw"":true,""mode"":""O_RDONLY""}","[1,2,3]"');
  assert.equal(rows[2], ',rb,0,7,"a,""b""\nc",,,,');
  assert.equal(rows[3], '');
  // A record that could not be decoded keeps its bytes in a raw column.
  assert.equal(toCsv([{ map: 'x', cpu: 2, fields: {}, raw: 'abcd' }]).split('\r\n')[1], ',x,2,abcd');
});

void test('runtime cost: average since start, % of one CPU over the last interval', () => {
  const tracker = new CostTracker();
  const [first] = tracker.update([{ name: 'handle_exec', id: 7, runCount: 0, runTimeNs: 0 }], 1_000_000_000);
  assert.equal(first!.avgNs, undefined);
  assert.equal(first!.cpuPercent, undefined);
  const [second] = tracker.update([{ name: 'handle_exec', id: 7, runCount: 1000, runTimeNs: 5_000_000 }], 2_000_000_000);
  assert.equal(second!.avgNs, 5000);
  assert.equal(second!.cpuPercent, 0.5);
  assert.equal(describeCost(second!), '1,000 runs · 5,000 ns/run · 0.5% CPU');
  assert.equal(tracker.byName('handle_exec')?.runCount, 1000);
});
