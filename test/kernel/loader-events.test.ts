/**
 * Event maps, runtime statistics and program selection of `loader run` (issue #11), through
 * RunSession: the fixture's programs send exactly as many records as kill(MAGIC, N) asks for,
 * so every count below is known in advance, and every wait is on a record or event arriving.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compileForTarget } from '../../host/src/compile';
import { DecodedRecord, RunOptions, RunSession } from '../../host/src/loader';
import { LocalTarget } from '../../host/src/local-target';
import type { LoaderEvent, OtherEvent, StatsEvent } from '../../core/src/loader/events';
import { kernelSkipReason, loadedProgramNames, repoRoot } from '../support/kernel';

const skip = kernelSkipReason();
const source = path.join(repoRoot, 'test', 'fixtures', 'events', 'events.bpf.c');
const fixtureText = fs.readFileSync(source, 'utf8');
const magic = (name: string) => Number(new RegExp(`#define ${name} (0x[0-9a-f]+)`).exec(fixtureText)![1]);
const MAGIC_RINGBUF = magic('MAGIC_RINGBUF');
const MAGIC_PERF = magic('MAGIC_PERF');
const target = new LocalTarget();
let objectPath = '';

/** kill(MAGIC, count): the tracepoint fires on entry; the call itself fails (no such process). */
function burst(magicPid: number, count: number): void {
  try { process.kill(magicPid, count); } catch { /* ESRCH or EINVAL: expected, the program ran already */ }
}

/** The fixture's `struct record` (u32 pid, u32 seq, u64 burst, char comm[16]), read by hand: the decoder is another module's. */
function parse(record: DecodedRecord): { pid: number; seq: number; burst: number; comm: string } {
  const bytes = Buffer.from(record.raw!, 'hex');
  const comm = bytes.subarray(16, 32);
  return { pid: bytes.readUInt32LE(0), seq: bytes.readUInt32LE(4), burst: Number(bytes.readBigUInt64LE(8)), comm: comm.subarray(0, comm.indexOf(0)).toString() };
}

/** Collects one map's records from our own pid until `done` says enough. */
function collect(session: RunSession, map: string, done: (records: DecodedRecord[]) => boolean, timeoutMs = 20_000): Promise<DecodedRecord[]> {
  const got: DecodedRecord[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { session.off('records', onRecords); reject(new Error(`only ${got.length} records of ${map} within ${timeoutMs} ms`)); }, timeoutMs);
    const onRecords = (records: DecodedRecord[]) => {
      for (const record of records) if (record.map === map && parse(record).pid === process.pid) got.push(record);
      if (done(got)) { clearTimeout(timer); session.off('records', onRecords); resolve(got); }
    };
    session.on('records', onRecords);
  });
}

function nextEvent<T extends LoaderEvent | OtherEvent>(session: RunSession, predicate: (event: LoaderEvent | OtherEvent) => boolean): Promise<T> {
  return new Promise((resolve) => {
    const onEvent = (event: LoaderEvent | OtherEvent) => { if (predicate(event)) { session.off('event', onEvent); resolve(event as T); } };
    session.on('event', onEvent);
  });
}

async function start(options: RunOptions = {}): Promise<RunSession> {
  const session = await RunSession.start(target, objectPath, { trace: false, ...options });
  await session.ready;
  return session;
}

/** bpftool omits the counters while they are 0. */
function runCount(id: number): number {
  const result = spawnSync('bpftool', ['prog', 'show', 'id', String(id), '--json'], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return Number((JSON.parse(result.stdout) as { run_cnt?: number }).run_cnt ?? 0);
}
const statsSysctl = () => fs.readFileSync('/proc/sys/kernel/bpf_stats_enabled', 'utf8').trim();
const myComm = fs.readFileSync('/proc/self/comm', 'utf8').trim();

void describe('loader run: event maps, stats, program selection', { skip, timeout: 180_000 }, () => {
  before(async () => {
    const compiled = await compileForTarget(source, target, { precompiledHeader: 'off' });
    assert.ok(compiled.ok, compiled.output);
    objectPath = compiled.objectPath;
  });

  void describe('one run with both programs', () => {
    let session: RunSession;
    before(async () => { session = await start(); });
    after(async () => { await session?.stop(); });

    void test('ring buffer records arrive whole and in order, without a CPU', async () => {
      const count = 1000;
      const arriving = collect(session, 'records_rb', (records) => records.length >= count);
      burst(MAGIC_RINGBUF, count);
      const records = await arriving;
      assert.equal(records.length, count);
      const parsed = records.map(parse);
      assert.deepEqual(parsed.map((record) => record.seq), [...Array(count).keys()]);
      assert.ok(parsed.every((record) => record.comm === myComm && record.burst === parsed[0]!.burst));
      assert.ok(records.every((record) => record.cpu === -1 && record.fields && Object.keys(record.fields).length === 0));
    });

    void test('perf event array records carry the CPU that sent them', async () => {
      const count = 200;
      const arriving = collect(session, 'records_perf', (records) => records.length >= count);
      burst(MAGIC_PERF, count);
      const records = await arriving;
      assert.deepEqual(records.map((record) => parse(record).seq), [...Array(count).keys()]);
      // One syscall, one CPU: the whole burst was sent from wherever kill() ran.
      const cpus = new Set(records.map((record) => record.cpu));
      assert.equal(cpus.size, 1);
      const cpu = [...cpus][0]!;
      assert.ok(cpu >= 0 && cpu < os.cpus().length, `cpu ${cpu}`);
    });

    void test('stats: the run count and run time grow with every run', async () => {
      const first = await nextEvent<StatsEvent>(session, (event) => event.event === 'stats');
      const before = first.programs.find((program) => program.name === 'ringbuf_burst')!;
      assert.ok(before.id > 0);
      for (let index = 0; index < 5; index++) burst(MAGIC_RINGBUF, 0);
      const later = await nextEvent<StatsEvent>(session, (event) => event.event === 'stats');
      const after = later.programs.find((program) => program.name === 'ringbuf_burst')!;
      assert.ok(after.runCount >= before.runCount + 5, `${before.runCount} -> ${after.runCount}`);
      assert.ok(after.runTimeNs > before.runTimeNs);
    });
  });

  void test('a perf buffer too small for a burst: what was lost is counted, and received + lost = sent', async () => {
    const session = await start({ perfPages: 1, only: ['perf_burst'] });
    try {
      const count = 20_000;
      let lost = 0;
      let received = 0;
      let tails = 0;
      let firstBurst: number | undefined;
      // The kernel writes its "lost" record only in front of the next sample that fits, so
      // one-record bursts follow until one of them arrives; each is either received or lost.
      // Tails sent before that one arrived may still be in flight: once one has arrived the
      // buffer has room, so they all arrive too, and the count settles.
      let tailSeen = false;
      const done = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`received ${received} + lost ${lost} never reached the ${count + tails} sent`)), 20_000);
        const settle = () => {
          if (tailSeen && received + lost === count + tails) { clearTimeout(timer); resolve(); }
        };
        session.on('lost', (event) => {
          if (event.map === 'records_perf') lost += event.count;
          settle();
        });
        session.on('records', (records) => {
          for (const record of records) {
            const parsed = parse(record);
            if (record.map !== 'records_perf' || parsed.pid !== process.pid) continue;
            received++;
            firstBurst ??= parsed.burst;
            if (parsed.burst !== firstBurst) tailSeen = true;
          }
          if (!tailSeen) { tails++; burst(MAGIC_PERF, 1); }
          settle();
        });
      });
      burst(MAGIC_PERF, count);
      await done;
      assert.ok(lost > 0, 'a 1-page buffer cannot hold 20000 records sent in one go');
      assert.equal(received + lost, count + tails);
      assert.equal(session.lost.get('records_perf'), lost);
    } finally {
      await session.stop();
    }
  });

  void test('--only and --skip: the others are not even loaded, and say why', async () => {
    const only = await RunSession.start(target, objectPath, { trace: false, only: ['perf_burst'] });
    const skipped = nextEvent<OtherEvent>(only, (event) => event.event === 'skipped');
    await only.ready;
    assert.deepEqual(only.attached.map((event) => event.name), ['perf_burst']);
    assert.equal((await skipped).name, 'ringbuf_burst');
    assert.ok(!loadedProgramNames().includes('ringbuf_burst'));
    await only.stop();

    const without = await start({ skip: ['perf_burst'] });
    assert.deepEqual(without.attached.map((event) => event.name), ['ringbuf_burst']);
    await without.stop();

    const typo = await RunSession.start(target, objectPath, { trace: false, only: ['perf_brust'] });
    await assert.rejects(typo.ready, /perf_brust.*ringbuf_burst, perf_burst/);
    assert.equal(typo.loadFailures[0]?.code, 'bad-argument');
  });

  void test('run-time statistics are on while a loader watches, and off again after kill -9 of it', async (t) => {
    // The sysctl shows only its own setting, never the loaders' requests: it must not change.
    if (statsSysctl() !== '0') { t.skip('kernel.bpf_stats_enabled is on already: nothing to see restored'); return; }
    // A run that does not ask for statistics: its program's counters tell whether they are on.
    const quiet = await start({ stats: false, only: ['ringbuf_burst'] });
    try {
      const id = quiet.attached[0]!.progId;
      assert.equal(runCount(id), 0);
      const loader = await target.loaderPath();
      const child = target.spawn([loader, 'run', objectPath, '--only', 'perf_burst'], { privileged: true });
      const watcher = new RunSession(child);
      await watcher.ready;
      for (let index = 0; index < 3; index++) burst(MAGIC_RINGBUF, 0);
      const counted = runCount(id);
      assert.ok(counted >= 3, `run count ${counted} while another loader holds the statistics on`);
      // kill() is itself a syscall the program counts, so the baseline is taken after it.
      child.kill('SIGKILL');
      await watcher.exited;
      const afterKill = runCount(id);
      for (let index = 0; index < 3; index++) burst(MAGIC_RINGBUF, 0);
      assert.equal(runCount(id), afterKill, 'statistics still on after the loader that asked for them was killed');
      assert.equal(statsSysctl(), '0');
      assert.ok(!loadedProgramNames().includes('perf_burst'));
    } finally {
      await quiet.stop();
    }
  });
});
