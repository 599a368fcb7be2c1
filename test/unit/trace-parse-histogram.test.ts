/** Log2 histogram rendering, the trace view's line history and the pure parts of map dumps (hex, per-CPU slots, histogram shapes). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { log2HistogramRows, log2SlotLabel, powerOfTwoText, renderLog2Histogram } from '../../core/src/trace/histogram';
import { hexToBytes, MapDump, perCpuSlices } from '../../core/src/trace/map-dump';
import { LineHistory } from '../../core/src/trace/line-history';
import { formatHex, formatMapEntries, histogramShape, integerValue, mapHistograms } from '../../core/src/trace/map-values';

void test('slot labels are half-open power-of-two ranges with K/M/G suffixes', () => {
  assert.equal(log2SlotLabel(0), '[0, 2)');
  assert.equal(log2SlotLabel(1), '[2, 4)');
  assert.equal(log2SlotLabel(9), '[512, 1K)');
  assert.equal(log2SlotLabel(10), '[1K, 2K)');
  assert.equal(log2SlotLabel(19), '[512K, 1M)');
  assert.equal(log2SlotLabel(33), '[8G, 16G)');
  assert.equal(powerOfTwoText(63), '8E');
});

void test('bars scale to the largest count, empty edge slots are trimmed, inner ones kept', () => {
  const text = renderLog2Histogram([0, 0, 3, 8, 0, 12, 0]);
  const bar = (cells: number) => `|${'@'.repeat(cells)}${' '.repeat(52 - cells)}|`;
  assert.equal(text, [
    `[4, 8)    3 ${bar(13)}`,
    `[8, 16)   8 ${bar(34)}`,
    `[16, 32)  0 ${bar(0)}`,
    `[32, 64) 12 ${bar(52)}`,
  ].join('\n'));
  assert.equal(renderLog2Histogram([0, 0, 0]), '');
  assert.deepEqual(log2HistogramRows([5], { width: 4, fill: '#' }), [{ slot: 0, label: '[0, 2)', count: 5, bar: '####' }]);
});

void test('hex and per-CPU slots decode the loader\'s layout', () => {
  assert.deepEqual([...hexToBytes('00ff10')], [0, 255, 16]);
  assert.deepEqual([...hexToBytes('0g')], []);
  // valueSize 4 on 3 CPUs: three 8-byte slots.
  const slices = perCpuSlices(hexToBytes('010000000000000002000000000000000300000000000000'), 4, 3);
  assert.deepEqual(slices.map((slice) => [...slice]), [[1, 0, 0, 0], [2, 0, 0, 0], [3, 0, 0, 0]]);
  assert.equal(formatHex(hexToBytes('0a0b')), '0a 0b');
  assert.equal(integerValue(undefined, 0, hexToBytes('2a00000000000000')), 42n);
  assert.equal(integerValue(undefined, 0, hexToBytes('2a0000')), undefined);
});

void test('a per-CPU array named like a histogram is one histogram keyed by slot, summed over CPUs', () => {
  const entry = (slot: number, perCpu: number[]) => ({
    key: slot.toString(16).padStart(2, '0') + '000000',
    value: perCpu.map((count) => count.toString(16).padStart(2, '0') + '00000000000000').join(''),
  });
  const map: MapDump = {
    name: 'latency_hist', type: 'percpu_array', keySize: 4, valueSize: 8, percpu: true, cpus: 2,
    entries: [entry(0, [0, 0]), entry(1, [1, 2]), entry(3, [4, 0])],
  };
  const shape = histogramShape(map, undefined);
  assert.deepEqual(shape, { kind: 'slot-keyed', keySigned: false, valueSigned: false });
  assert.deepEqual(mapHistograms(map, shape!, undefined), [{ counts: [0, 3, 0, 4] }]);
  assert.deepEqual(formatMapEntries(map, undefined)[1], { key: '01 00 00 00', value: '3 (sum of 2 CPUs)' });
  // The same layout under another name is just a map.
  assert.equal(histogramShape({ ...map, name: 'counts' }, undefined), undefined);
  assert.equal(histogramShape({ ...map, type: 'ringbuf' }, undefined), undefined);
});

void test('line history keeps the newest lines in order, across wrap-around and oversized batches', () => {
  const history = new LineHistory(4);
  history.push(['a', 'b', 'c']);
  assert.deepEqual(history.newest(), ['a', 'b', 'c']);
  history.push(['d', 'e']);
  assert.deepEqual(history.newest(), ['b', 'c', 'd', 'e']);
  assert.deepEqual(history.newest(2), ['d', 'e']);
  history.push(['1', '2', '3', '4', '5', '6']);
  assert.deepEqual(history.newest(), ['3', '4', '5', '6']);
  assert.equal(history.total, 11);
  assert.equal(history.length, 4);
  const smaller = history.withCapacity(2);
  assert.deepEqual(smaller.newest(), ['5', '6']);
  assert.equal(smaller.total, 11);
  history.clear();
  assert.deepEqual(history.newest(), []);
  assert.equal(history.total, 0);
});
