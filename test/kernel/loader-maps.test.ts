/**
 * The loader's `maps` command during `run` (loader/README.md, "Commands of run"), through
 * RunSession.dumpMaps(): the dump matches what bpftool reads from the same maps, values decode
 * with the object's BTF (structs, bitfields, globals), histograms are recognized, commands do
 * not end the run, and closing stdin still detaches.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseBtf } from '../../core/src/btf/reader';
import type { Btf } from '../../core/src/btf/reader';
import { hexToBytes, MapDump, MapsEvent } from '../../core/src/trace/map-dump';
import { datasecVariables, formatMapEntries, formatValue, histogramShape, mapHistograms } from '../../core/src/trace/map-values';
import { log2SlotLabel, renderLog2Histogram } from '../../core/src/trace/histogram';
import { compileForTarget } from '../../host/src/compile';
import { RunSession } from '../../host/src/loader';
import { LocalTarget } from '../../host/src/local-target';
import { kernelSkipReason, loadedProgramNames, repoRoot } from '../support/kernel';

const skip = kernelSkipReason();
const source = path.join(repoRoot, 'test', 'fixtures', 'maps', 'maps_dump.bpf.c');
const target = new LocalTarget();
let objectPath = '';

function map(event: MapsEvent, suffix: string): MapDump {
  const found = event.maps.find((candidate) => candidate.name === suffix || candidate.name.endsWith(suffix));
  assert.ok(found, `no map ${suffix} in ${event.maps.map((m) => m.name).join(', ')}`);
  return found;
}

function btfOf(event: MapsEvent): Btf {
  assert.equal(typeof event.btf, 'string', 'asked with btf, the event carries the object BTF');
  const parsed = parseBtf(hexToBytes(event.btf!));
  assert.deepEqual(parsed.errors, []);
  return parsed.btf!;
}

function bpftoolDump(id: number): { key: string[]; value: string[]; formatted?: { key: unknown; value: unknown } }[] {
  const result = spawnSync('bpftool', ['map', 'dump', 'id', String(id), '--json'], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as { key: string[]; value: string[]; formatted?: { key: unknown; value: unknown } }[];
}

/** Our own openat calls: the program counts them under this process's pid. */
function openSome(count: number): void {
  for (let index = 0; index < count; index++) fs.closeSync(fs.openSync('/etc/hostname', 'r'));
}

const hexOfBpftool = (bytes: string[]) => bytes.map((byte) => byte.replace(/^0x/, '').padStart(2, '0')).join('');
const log2 = (value: number) => Math.floor(Math.log2(value));
const myComm = fs.readFileSync('/proc/self/comm', 'utf8').trim();

void describe('loader maps command', { skip, timeout: 120_000 }, () => {
  let session: RunSession;

  before(async () => {
    const compiled = await compileForTarget(source, target, { precompiledHeader: 'off' });
    assert.ok(compiled.ok, compiled.output);
    objectPath = compiled.objectPath;
    session = await RunSession.start(target, objectPath, { trace: false });
    await session.ready;
    assert.equal(session.attached.length, 1, session.stderr);
  });

  after(async () => {
    await session?.stop();
  });

  void test('every map is listed; hash values match bpftool byte for byte and decode with BTF', async () => {
    openSome(5);
    // bpftool first: spawning it opens files in this process too, and they must be counted by then.
    const opensId = map(await session.dumpMaps(), 'opens_by_pid').id!;
    const oracleEntries = bpftoolDump(opensId);
    const event = await session.dumpMaps({ btf: true });
    const btf = btfOf(event);
    const opens = map(event, 'opens_by_pid');
    assert.equal(opens.type, 'hash');
    assert.equal(opens.keySize, 4);
    assert.equal(opens.truncated, false);
    const mine = opens.entries.find((entry) => Buffer.from(hexToBytes(entry.key)).readUInt32LE(0) === process.pid);
    assert.ok(mine, `our pid ${process.pid} is a key`);

    const oracle = oracleEntries.find((entry) => hexOfBpftool(entry.key) === mine.key);
    assert.ok(oracle, 'bpftool sees the same key');
    assert.equal(hexOfBpftool(oracle.value), mine.value, 'same value bytes (nothing else writes our entry now)');

    const decoded = formatValue(btf, opens.btfValueTypeId!, hexToBytes(mine.value));
    const formatted = oracle.formatted!.value as { count: number; comm: string; low_bits: number; odd: number };
    assert.ok(formatted.count >= 5);
    assert.equal(formatted.comm, myComm);
    assert.equal(decoded, `{count: ${formatted.count}, comm: "${formatted.comm}", low_bits: ${process.pid & 0xf}, odd: ${process.pid & 1}}`);
    assert.equal(formatValue(btf, opens.btfKeyTypeId!, hexToBytes(mine.key)), String(process.pid));
    assert.ok(formatMapEntries(opens, btf).some((entry) => entry.key === String(process.pid) && entry.value === decoded));
  });

  void test('histograms: a per-CPU array keyed by slot and a struct of slots per key', async () => {
    openSome(3);
    const event = await session.dumpMaps({ btf: true });
    const btf = btfOf(event);
    const slot = log2(process.pid);

    const perCpu = map(event, 'pid_log2_hist');
    assert.equal(perCpu.percpu, true);
    assert.ok(perCpu.cpus! >= 1);
    assert.equal(perCpu.entries.length, 24, 'an array map lists every index');
    const keyed = histogramShape(perCpu, btf);
    assert.equal(keyed?.kind, 'slot-keyed');
    const [whole] = mapHistograms(perCpu, keyed!, btf);
    assert.ok(whole!.counts[slot]! >= 3, `slot ${slot} holds our opens: ${whole!.counts.join(',')}`);
    // bpftool's per-CPU values, summed, are the same counts.
    const oracleSum = bpftoolDump(perCpu.id!).map((entry) => {
      const cpus = (entry as unknown as { values: { value: string[] }[] }).values;
      return cpus.reduce((sum, cpu) => sum + Number(Buffer.from(hexOfBpftool(cpu.value), 'hex').readBigUInt64LE(0)), 0);
    });
    // Other processes open files between the two reads: ours may only be behind.
    whole!.counts.forEach((count, index) => assert.ok(count <= oracleSum[index]!, `slot ${index}: ${count} <= ${oracleSum[index]}`));
    assert.match(renderLog2Histogram(whole!.counts), new RegExp(`^${log2SlotLabel(slot).replace(/[[\]()]/g, '\\$&')}\\s+\\d+ \\|@*\\s*\\|$`, 'm'));

    const perKey = map(event, 'per_pid_hist');
    const shape = histogramShape(perKey, btf);
    assert.deepEqual(shape, { kind: 'slots-array', offset: 0, elementSize: 4, slots: 24, signed: false, field: 'slots' });
    const mine = mapHistograms(perKey, shape, btf).find((histogram) => histogram.key === String(process.pid));
    assert.ok(mine && mine.counts[slot]! >= 3);
    assert.equal(mine.counts.reduce((sum, count) => sum + count, 0), mine.counts[slot], 'one pid lands in one slot');
    assert.equal(histogramShape(map(event, 'opens_by_pid'), btf), undefined, 'a map of structs is not a histogram');
  });

  void test('globals decode from the finalized datasec; ring buffers say why they are not dumped', async () => {
    openSome(2);
    const event = await session.dumpMaps({ btf: true });
    const btf = btfOf(event);
    const bss = map(event, '.bss');
    assert.equal(bss.entries.length, 1);
    const variables = datasecVariables(btf, bss.btfValueTypeId!, hexToBytes(bss.entries[0]!.value));
    assert.ok(variables, 'the .bss value type is a datasec');
    const total = Number(variables.find((variable) => variable.key === 'total_opens')?.value);
    assert.ok(total >= 2);
    assert.match(variables.find((variable) => variable.key === 'last_pid')?.value ?? '', /^\d+$/);
    const rodata = map(event, '.rodata');
    assert.deepEqual(datasecVariables(btf, rodata.btfValueTypeId!, hexToBytes(rodata.entries[0]!.value)), [{ key: 'step', value: '1' }]);
    const ring = map(event, 'events');
    assert.equal(ring.type, 'ringbuf');
    assert.deepEqual(ring.entries, []);
    assert.match(ring.error ?? '', /ring buffer/);
  });

  void test('a limit truncates; without btf no BTF is sent; concurrent requests each get an answer', async () => {
    openSome(1);
    spawnSync('cat', ['/etc/hostname']);
    const [limited, plain] = await Promise.all([session.dumpMaps({ maxEntries: 1 }), session.dumpMaps()]);
    assert.equal(limited.maxEntries, 1);
    assert.equal(plain.maxEntries, 256);
    assert.equal(map(limited, 'opens_by_pid').entries.length, 1);
    assert.equal(map(limited, 'opens_by_pid').truncated, true, 'at least two processes opened files');
    assert.equal(limited.btf, undefined);
    assert.ok(map(plain, 'opens_by_pid').entries.length >= 2);
  });

  void test('bad commands are answered with command-error and the programs stay attached', async () => {
    const process = target.spawn([await target.loaderPath(), 'run', objectPath], { privileged: true });
    const raw = new RunSession(process);
    const events: { event: string; [key: string]: unknown }[] = [];
    const errors = new Promise<void>((resolve) => {
      raw.on('event', (event) => {
        events.push(event as { event: string; [key: string]: unknown });
        if (events.filter((e) => e.event === 'command-error').length === 2) resolve();
      });
    });
    await raw.ready;
    process.stdin.write('frobnicate\nmaps lots\n');
    await errors;
    const refused = events.filter((event) => event.event === 'command-error');
    assert.deepEqual(refused.map((event) => event.command), ['frobnicate', 'maps lots']);
    assert.match(String(refused[1]!.reason), /MAX_ENTRIES/);
    await assert.rejects(raw.dumpMaps({ maxEntries: 70_000 }), /MAX_ENTRIES/);
    assert.ok(loadedProgramNames().filter((name) => name === 'count_opens').length >= 2, 'both runs still attached');
    await raw.stop();
    const detached = events.find((event) => event.event === 'detached');
    assert.equal(detached?.cause, 'stdin-closed');
    await assert.rejects(raw.dumpMaps(), /stopping/);
  });
});
