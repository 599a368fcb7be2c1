/**
 * Record decoding and knobs on an object clang built (test/fixtures/events, captured by
 * scripts/capture-event-fixtures.sh). The oracle for the decoder is clang itself: `sample` is
 * initialized in C, so its bytes in .data are clang's layout of the values the source spells.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseBtf, Btf } from '../../core/src/btf/reader';
import { parseElf } from '../../core/src/elf/reader';
import { decodeRecordChecked, formatFields, recordLayout } from '../../core/src/events/decode';
import { eventMaps, findTypeByCName } from '../../core/src/events/maps';
import { recordCallSites } from '../../core/src/events/call-sites';
import { applyKnobs, listKnobs, parseKnobSetting } from '../../core/src/knobs/knobs';
import { createRecordDecoder } from '../../host/src/events/decoder';

const FIXTURES = path.resolve(__dirname, '../../../test/fixtures/events');
const object = new Uint8Array(readFileSync(path.join(FIXTURES, 'records.o')));
const source = readFileSync(path.join(FIXTURES, 'src/records.bpf.c'), 'utf8');

function section(name: string): Uint8Array {
  const found = parseElf(object).elf!.sections.find((candidate) => candidate.name === name)!;
  return object.subarray(found.offset, found.offset + found.size);
}
function btfOf(bytes: Uint8Array): Btf {
  const { btf, errors } = parseBtf(bytes);
  assert.deepEqual(errors, []);
  return btf!;
}
const btf = btfOf(section('.BTF'));
const dwarf = btfOf(new Uint8Array(readFileSync(path.join(FIXTURES, 'records.dwarf.btf'))));

function layoutOf(from: Btf, name: string) {
  const id = findTypeByCName(from, name);
  assert.ok(id !== undefined, `${name} not found`);
  const { layout, error } = recordLayout(from, id);
  assert.equal(error, undefined);
  return layout!;
}

/** `sample`'s bytes: it is the first variable of .data (the knob listing says where). */
function sampleBytes(): Uint8Array {
  const sample = listKnobs(object).knobs.find((knob) => knob.name === 'sample')!;
  return section('.data').subarray(sample.offset, sample.offset + sample.size);
}

test('decodes every shape of record as the C initializer wrote it', () => {
  const layout = layoutOf(btf, 'struct record');
  assert.equal(layout.size, sampleBytes().length);
  const { fields, problems } = decodeRecordChecked(layout, sampleBytes());
  assert.deepEqual(problems, []);
  assert.deepEqual(fields, {
    pid: -42,
    uid: 4000000000,
    big: '18446744073709551610',
    negative: '-9007199254740993',
    comm: 'bash',
    bytes: [1, 2, 3, 250],
    shorts: [-1, 0, 300],
    nested: { port: 8080, delta: -3 },
    either: { as_int: 0x01020304, as_bytes: [4, 3, 2, 1] },
    flag_a: 1,
    level: 5,
    signed_bits: -2,
    colour: 'BLUE',
    unnamed_colour: 7,
    ok: true,
    pointer: '0x0',
  });
  assert.deepEqual(layout.columns, Object.keys(fields));
  assert.match(formatFields(fields), /^pid=-42 uid=4000000000 big=18446744073709551610 .* comm=bash .* colour=BLUE /);
});

test('a short record decodes the fields it holds and names the rest; a long one says how much is extra', () => {
  const layout = layoutOf(btf, 'struct record');
  const short = decodeRecordChecked(layout, sampleBytes().subarray(0, 20));
  assert.deepEqual(short.fields, { pid: -42, uid: 4000000000, big: '18446744073709551610' });
  assert.match(short.problems[0], /record is 20 bytes, struct record is 88: negative, comm, .*pointer not in it/);
  const empty = decodeRecordChecked(layout, new Uint8Array(0));
  assert.deepEqual(empty.fields, {});
  const long = new Uint8Array(layout.size + 16);
  long.set(sampleBytes());
  const decoded = decodeRecordChecked(layout, long);
  assert.equal(decoded.fields.comm, 'bash');
  assert.deepEqual(decoded.problems, ['16 byte(s) after struct record']);
  // perf pads samples to 8 bytes: padding alone is not a problem.
  assert.deepEqual(decodeRecordChecked(layout, long.subarray(0, layout.size + 4)).problems, []);
});

test('event maps come from .maps: ring buffers and perf arrays, with a usable __type(value) only', () => {
  const maps = eventMaps(btf).map(({ name, kind, valueTypeId }) => ({ name, kind, typed: valueTypeId !== undefined }));
  assert.deepEqual(maps.sort((a, b) => a.name.localeCompare(b.name)), [
    { name: 'perf_events', kind: 'perf', typed: false },
    { name: 'rb_dwarf', kind: 'ringbuf', typed: false },
    { name: 'rb_typed', kind: 'ringbuf', typed: true },
    { name: 'rb_unknown', kind: 'ringbuf', typed: false },
  ]);
});

test('call sites tie maps to the record types the source writes into them', () => {
  assert.deepEqual(recordCallSites(source).map(({ map, typeName, helper }) => ({ map, typeName, helper })), [
    { map: 'rb_dwarf', typeName: 'struct dwarf_only', helper: 'bpf_ringbuf_reserve' },
    { map: 'perf_events', typeName: 'pkt_t', helper: 'bpf_perf_event_output' },
  ]);
  const shapes = `
    struct event *e; struct other o; typedef_t t;
    void f(struct param *p) {
      e = bpf_ringbuf_reserve(&a, sizeof(struct event), 0);
      bpf_ringbuf_output(&b, &o, sizeof(o), 0);
      bpf_ringbuf_output(&c, p, sizeof(*p), 0);
      bpf_perf_event_output(ctx, &d, BPF_F_CURRENT_CPU, &t, sizeof(t));
      /* bpf_ringbuf_reserve(&commented, sizeof(struct nope), 0); */
      bpf_ringbuf_reserve(&unsized, n, 0);
    }`;
  assert.deepEqual(recordCallSites(shapes).map(({ map, typeName }) => `${map}:${typeName}`), [
    'a:struct event', 'b:struct other', 'c:struct param', 'd:typedef_t',
  ]);
});

test('a type only DWARF has is found in pahole\'s BTF, not in the object\'s', () => {
  assert.equal(findTypeByCName(btf, 'struct dwarf_only'), undefined);
  const layout = layoutOf(dwarf, 'struct dwarf_only');
  assert.deepEqual(layout.columns, ['seq', 'name']);
  const bytes = new Uint8Array(12);
  new DataView(bytes.buffer).setUint32(0, 77, true);
  bytes.set([0x61, 0x62, 0x63], 4);
  assert.deepEqual(decodeRecordChecked(layout, bytes).fields, { seq: 77, name: 'abc' });
  assert.deepEqual(layoutOf(dwarf, 'pkt_t').columns, ['cookie', 'len']);
});

test('knobs list .rodata, .data and .bss globals with their types and the object\'s values', () => {
  const { knobs, errors } = listKnobs(object);
  assert.deepEqual(errors, []);
  const byName = new Map(knobs.map((knob) => [knob.name, knob]));
  assert.deepEqual(['target_pid', 'verbose', 'tag', 'wanted', 'small', 'counter', 'zeroed'].map((name) => [name, byName.get(name)?.value]), [
    ['target_pid', 0], ['verbose', true], ['tag', 'none'], ['wanted', 'GREEN'], ['small', 200], ['counter', 5], ['zeroed', 0],
  ]);
  assert.equal(byName.get('target_pid')!.section, '.rodata');
  assert.equal(byName.get('counter')!.section, '.data');
  assert.equal(byName.get('zeroed')!.settable, false);
  assert.deepEqual(byName.get('wanted')!.choices, ['RED', 'GREEN', 'BLUE']);
});

test('setting knobs writes them into a copy, which lists the new values', () => {
  const settings = ['target_pid=-7', 'verbose=false', 'tag=ssh', 'wanted=BLUE', 'small=0xff', 'counter=18446744073709551615']
    .map((text) => parseKnobSetting(text) as { name: string; value: string });
  const result = applyKnobs(object, settings);
  assert.deepEqual(result.errors, []);
  assert.ok(result.object);
  assert.equal(result.object.length, object.length);
  const values = new Map(listKnobs(result.object).knobs.map((knob) => [knob.name, knob.value]));
  assert.deepEqual(['target_pid', 'verbose', 'tag', 'wanted', 'small', 'counter'].map((name) => values.get(name)),
    [-7, false, 'ssh', 'BLUE', 255, '18446744073709551615']);
  // The original is untouched.
  assert.equal(listKnobs(object).knobs.find((knob) => knob.name === 'tag')!.value, 'none');
});

test('bad knob settings are refused with what the knob accepts, and nothing is written', () => {
  const attempt = (text: string) => applyKnobs(object, [parseKnobSetting(text) as { name: string; value: string }]);
  const unknown = attempt('nope=1');
  assert.equal(unknown.object, undefined);
  assert.match(unknown.errors[0], /no knob named "nope"; available: .*target_pid \(int, \.rodata\).*zeroed \(unsigned long long, \.bss, not settable\)/);
  assert.match(attempt('small=256').errors[0], /small \(unsigned char\): 256 is out of range; it accepts integer 0\.\.255/);
  assert.match(attempt('target_pid=2147483648').errors[0], /out of range; it accepts integer -2147483648\.\.2147483647/);
  assert.match(attempt('target_pid=12abc').errors[0], /"12abc" is not an integer/);
  assert.match(attempt('wanted=PURPLE').errors[0], /"PURPLE" is not an enumerator; it accepts one of RED\|GREEN\|BLUE/);
  assert.match(attempt('tag=12345678').errors[0], /"12345678" is 8 bytes, longer than 7/);
  assert.match(attempt('verbose=maybe').errors[0], /not a boolean/);
  assert.match(attempt('zeroed=1').errors[0], /zeroed .* cannot be set: \.bss has no bytes in the object/);
  assert.match(attempt('sample=1').errors[0], /cannot be set from text/);
  assert.deepEqual(parseKnobSetting('novalue'), { error: '--set wants NAME=VALUE, not "novalue"' });
});

test('garbage objects give errors, never exceptions', () => {
  assert.ok(listKnobs(new Uint8Array([1, 2, 3])).errors.length > 0);
  assert.ok(applyKnobs(object.subarray(0, 200), []).errors.length > 0);
  const layout = layoutOf(btf, 'struct record');
  for (let length = 0; length <= layout.size; length += 7) assert.doesNotThrow(() => decodeRecordChecked(layout, sampleBytes().subarray(0, length)));
});

test('the run session decoder: fields for known maps, undefined (raw) for others, each problem reported once', () => {
  const layout = layoutOf(btf, 'struct record');
  const problems: string[] = [];
  const decode = createRecordDecoder(new Map([['rb_typed', { map: 'rb_typed', layout, origin: 'btf' as const }]]), (map, problem) => problems.push(`${map}: ${problem}`));
  assert.equal(decode('rb_typed', sampleBytes())!.comm, 'bash');
  assert.equal(decode('rb_unknown', sampleBytes()), undefined);
  for (let round = 0; round < 3; round++) decode('rb_typed', sampleBytes().subarray(0, 10 + round));
  assert.equal(problems.length, 1, problems.join('\n'));
  assert.match(problems[0], /^rb_typed: record is 10 bytes, struct record is 88/);
});

test('big-endian objects: records decode and knobs are written in the object\'s byte order', () => {
  const bigEndian = new Uint8Array(readFileSync(path.join(FIXTURES, 'records.be.o')));
  const little = listKnobs(object).knobs.find((knob) => knob.name === 'sample')!.value as { either: object };
  // The same C values, bitfields included; only the bytes of the union's int read the other way round.
  assert.deepEqual(listKnobs(bigEndian).knobs.find((knob) => knob.name === 'sample')!.value,
    { ...little, either: { as_int: 0x01020304, as_bytes: [1, 2, 3, 4] } });
  const patched = applyKnobs(bigEndian, [{ name: 'target_pid', value: '0x01020304' }, { name: 'counter', value: '-0' }]);
  assert.deepEqual(patched.errors, []);
  const values = new Map(listKnobs(patched.object!).knobs.map((knob) => [knob.name, knob.value]));
  assert.equal(values.get('target_pid'), 0x01020304);
  assert.equal(values.get('counter'), 0);
});
