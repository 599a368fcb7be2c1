/**
 * Issue #11 on this kernel: a record type known only from DWARF decodes the bytes the kernel
 * wrote, a `const volatile` knob set with --set filters what the program records, a knob can
 * change the verifier's verdict, and bad settings are refused with the knobs there are.
 * The program writes its last record into an array map as well as the ring buffer, so the
 * bytes can be read back through the loader's `maps` command whatever reads ring buffers.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeRecordChecked, DecodedValue, RecordLayout } from '../../core/src/events/decode';
import { hexToBytes } from '../../core/src/trace/map-dump';
import { compileForTarget } from '../../host/src/compile';
import { recordTypes } from '../../host/src/events/record-types';
import { objectWithKnobs } from '../../host/src/knobs';
import { RunSession } from '../../host/src/loader';
import { LocalTarget } from '../../host/src/local-target';
import { kernelSkipReason, repoRoot } from '../support/kernel';

const skip = kernelSkipReason();
const source = path.join(repoRoot, 'test', 'fixtures', 'events', 'src', 'knob-filter.bpf.c');
const cli = path.join(repoRoot, 'bin', 'bpfdev.js');
const target = new LocalTarget();
const myComm = fs.readFileSync('/proc/self/comm', 'utf8').trim();

/**
 * Runs the object and yields each record the program last wrote (decoded), while this process
 * and a busy neighbour both open files, until `enough` says stop or 15 s pass.
 */
async function watchRecords(objectPath: string, layout: RecordLayout, enough: (record: { [field: string]: DecodedValue }) => boolean): Promise<{ [field: string]: DecodedValue }[]> {
  const session = await RunSession.start(target, objectPath, { trace: false });
  const neighbour: ChildProcess = spawn('sh', ['-c', 'while :; do : < /etc/hostname; done'], { stdio: 'ignore' });
  const seen: { [field: string]: DecodedValue }[] = [];
  try {
    await session.ready;
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      fs.closeSync(fs.openSync('/etc/hostname', 'r'));
      const last = (await session.dumpMaps()).maps.find((map) => map.name === 'last');
      assert.ok(last, 'the array map is dumped');
      assert.equal(last.valueSize, layout.size, 'the DWARF layout has the size the kernel map was created with');
      const value = last.entries[0]?.value;
      if (!value) continue;
      const { fields, problems } = decodeRecordChecked(layout, hexToBytes(value));
      assert.deepEqual(problems, []);
      if (fields.seq === 0) continue;
      seen.push(fields);
      if (enough(fields)) return seen;
    }
    return seen;
  } finally {
    neighbour.kill();
    await session.stop();
  }
}

void describe('knobs and records on this kernel', { skip, timeout: 120_000 }, () => {
  let objectPath = '';
  let layout: RecordLayout;

  before(async () => {
    const compiled = await compileForTarget(source, target, { precompiledHeader: 'off' });
    assert.ok(compiled.ok, compiled.output);
    objectPath = compiled.objectPath;
  });
  after(() => target.dispose());

  void test('the ring buffer\'s record type comes from DWARF (a local\'s type), tied by the reserve call', async () => {
    const { types, notes } = await recordTypes(objectPath);
    assert.deepEqual(notes, []);
    const events = types.get('events');
    assert.ok(events, 'the ring buffer has a record type');
    assert.equal(events.origin, 'dwarf');
    assert.equal(events.layout.typeName, 'struct opened');
    assert.deepEqual(events.layout.columns, ['pid', 'seq', 'comm', 'cookie']);
    layout = events.layout;
  });

  void test('with --set target_pid, only this process is recorded; the kernel\'s bytes decode with the DWARF type', async () => {
    assert.ok(layout);
    const { objectPath: patched, applied } = await objectWithKnobs(objectPath, [
      { name: 'target_pid', value: String(process.pid) }, { name: 'cookie', value: '0x1122334455667788' },
    ]);
    assert.equal(applied.length, 2);
    const records = await watchRecords(patched, layout, (record) => Number(record.seq) >= 5);
    assert.ok(records.length > 0 && Number(records.at(-1)!.seq) >= 5, `too few records: ${JSON.stringify(records)}`);
    for (const record of records) {
      assert.equal(record.pid, process.pid);
      assert.equal(record.comm, myComm);
      assert.equal(record.cookie, BigInt('0x1122334455667788').toString());
    }
  });

  void test('without the knob, the busy neighbour\'s opens are recorded too', async () => {
    assert.ok(layout);
    const records = await watchRecords(objectPath, layout, (record) => record.pid !== process.pid);
    assert.ok(records.some((record) => record.pid !== process.pid), 'no other process was recorded');
    assert.ok(records.every((record) => record.cookie === 0));
  });

  void test('bpfdev verify --set: a knob changes the verdict', () => {
    const plain = spawnSync(process.execPath, [cli, 'verify', source], { encoding: 'utf8' });
    assert.equal(plain.status, 0, plain.stdout + plain.stderr);
    assert.match(plain.stdout, /record_open \(tracepoint\/syscalls\/sys_enter_openat\): ok/);
    const bad = spawnSync(process.execPath, [cli, 'verify', source, '--set', 'take_bad_branch=1'], { encoding: 'utf8' });
    assert.equal(bad.status, 1, bad.stdout + bad.stderr);
    assert.match(bad.stdout, /record_open \(tracepoint\/syscalls\/sys_enter_openat\): rejected/);
  });

  void test('bad --set values are refused with the knobs and what they accept', () => {
    const unknown = spawnSync(process.execPath, [cli, 'verify', source, '--set', 'target=1'], { encoding: 'utf8' });
    assert.notEqual(unknown.status, 0);
    assert.match(unknown.stderr, /no knob named "target"; available: target_pid \(pid_t, \.rodata\), take_bad_branch \(int, \.rodata\), cookie \(__u64, \.rodata\), seq \(__u32, \.data\)/);
    const range = spawnSync(process.execPath, [cli, 'run', source, '--set', 'target_pid=99999999999', '--duration', '1'], { encoding: 'utf8' });
    assert.notEqual(range.status, 0);
    assert.match(range.stderr, /target_pid \(pid_t\): 99999999999 is out of range; it accepts integer -2147483648\.\.2147483647/);
    const malformed = spawnSync(process.execPath, [cli, 'verify', source, '--set', 'target_pid'], { encoding: 'utf8' });
    assert.match(malformed.stderr, /--set wants NAME=VALUE, not "target_pid"/);
  });

  void test('bpfdev knobs lists the knobs with types and defaults', () => {
    const result = spawnSync(process.execPath, [cli, 'knobs', source, '--json'], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    const { knobs } = JSON.parse(result.stdout) as { knobs: { name: string; section: string; type: string; value: unknown; settable: boolean }[] };
    assert.deepEqual(knobs.map(({ name, section, type, value, settable }) => [name, section, type, value, settable]), [
      ['target_pid', '.rodata', 'pid_t', 0, true],
      ['take_bad_branch', '.rodata', 'int', 0, true],
      ['cookie', '.rodata', '__u64', 0, true],
      ['seq', '.data', '__u32', 1, true],
    ]);
  });
  void test('bpfdev run --json --filter prints only the records the filter matches, decoded', async () => {
    const child = spawn(process.execPath, [cli, 'run', source, '--json', '--duration', '20', '--filter', `pid == ${process.pid} && comm ~ /./`], { stdio: ['ignore', 'pipe', 'pipe'] });
    const neighbour: ChildProcess = spawn('sh', ['-c', 'while :; do : < /etc/hostname; done'], { stdio: 'ignore' });
    const opener = setInterval(() => fs.closeSync(fs.openSync('/etc/hostname', 'r')), 20);
    try {
      const events: { pid: unknown; comm: unknown }[] = [];
      let buffered = '';
      await new Promise<void>((resolve, reject) => {
        child.on('exit', (code) => reject(new Error(`bpfdev run exited (${code}) after ${events.length} matching record(s)`)));
        child.stdout!.on('data', (chunk: Buffer) => {
          const lines = (buffered + chunk.toString('utf8')).split('\n');
          buffered = lines.pop() ?? '';
          for (const line of lines) {
            const item = JSON.parse(line) as { type: string; map?: string; fields?: { pid: unknown; comm: unknown } };
            if (item.type === 'event' && item.map === 'events') events.push(item.fields!);
          }
          if (events.length >= 5) resolve();
        });
      });
      // The neighbour opens far more often than we do: anything but our pid means the filter leaked.
      for (const fields of events) assert.deepEqual(fields, { ...fields, pid: process.pid, comm: myComm });
    } finally {
      clearInterval(opener);
      neighbour.kill();
      child.kill('SIGINT');
      await new Promise((resolve) => child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve));
    }
  });
});
