/**
 * A flood of trace lines over loopback SSH (issue #5): memory must stay bounded while lines
 * arrive faster than anyone can read them, the bounded consumer (TraceBuffer, as the trace view
 * uses it) must count what it drops, and the event loop must stay responsive.
 *
 * Two producers, one path (SshConnection channel → RunSession line splitting/classifying →
 * 'trace' events → TraceBuffer): a synthetic one (`seq` on the host printing trace_pipe-shaped
 * lines), which measures what our side sustains, and the real one (the loader reading trace_pipe
 * while a bpf_printk fires on every getppid()), which is bounded by what the kernel produces.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { TraceBuffer } from '../../core/src/trace/trace-buffer';
import { compileForTarget } from '../../host/src/compile';
import { RunSession } from '../../host/src/loader';
import { RemoteTarget } from '../../host/src/remote-target';
import { SshConnection } from '../../host/src/ssh/connection';
import { resolveHost } from '../../host/src/ssh/hosts';
import { exitOf, kernelSkipReason, repoRoot } from '../support/kernel';
import { sshdSkipReason, startSshd, TestSshd } from '../support/sshd';

const skip = sshdSkipReason() ?? kernelSkipReason();
/** What a trace view keeps on screen, and how often it repaints. */
const VIEW_CAPACITY = 10_000;
const VIEW_REFRESH_MS = 100;
/** Retaining every line of a flood would cost hundreds of MB; the consumer may use this much. */
const HEAP_GROWTH_LIMIT = 64 * 1024 * 1024;
const FLOOD_LINE = /bpfdev-flood (\d+)$/;

let sshd: TestSshd;
let target: RemoteTarget;

before(async () => {
  if (skip) return;
  sshd = await startSshd();
  const host = resolveHost('bpfdev-test', fs.readFileSync(sshd.configPath, 'utf8'));
  target = new RemoteTarget(await SshConnection.connect(host, { askHostKey: async () => false }));
});
after(async () => {
  await target?.dispose();
  sshd?.stop();
});

interface FloodStats {
  lines: number;
  bytes: number;
  seconds: number;
  linesPerSecond: number;
  kept: number;
  dropped: number;
  heapGrowth: number;
  lagMaxMs: number;
  lagP99Ms: number;
}

/**
 * Consumes a session's trace lines the way the trace view does: push into a bounded buffer,
 * drain on a timer. `isLast` ends the measurement at a line (the producer's end marker).
 */
function consume(session: RunSession, onLine: (line: string) => void, isLast: (line: string) => boolean): Promise<FloodStats> {
  const buffer = new TraceBuffer(VIEW_CAPACITY);
  const lag = monitorEventLoopDelay({ resolution: 10 });
  const baseHeap = process.memoryUsage().heapUsed;
  let maxHeap = baseHeap;
  let lines = 0, bytes = 0, kept = 0, firstAt = 0, lastAt = 0;
  lag.enable();
  const refresh = setInterval(() => {
    kept += buffer.drain().lines.length;
    maxHeap = Math.max(maxHeap, process.memoryUsage().heapUsed);
  }, VIEW_REFRESH_MS);
  return new Promise((resolve) => {
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearInterval(refresh);
      lag.disable();
      session.off('trace', onTrace);
      kept += buffer.drain().lines.length;
      maxHeap = Math.max(maxHeap, process.memoryUsage().heapUsed);
      const seconds = (lastAt - firstAt) / 1000;
      resolve({
        lines, bytes, seconds, linesPerSecond: seconds > 0 ? lines / seconds : 0, kept, dropped: buffer.totalDropped,
        heapGrowth: maxHeap - baseHeap, lagMaxMs: lag.max / 1e6, lagP99Ms: lag.percentile(99) / 1e6,
      });
    };
    const onTrace = (line: string) => {
      lastAt = performance.now();
      if (lines === 0) firstAt = lastAt;
      lines++;
      bytes += line.length + 1;
      buffer.push(line);
      onLine(line);
      if (isLast(line)) finish();
    };
    session.on('trace', onTrace);
    // A producer that ends without its last line still ends the measurement.
    void session.exited.then(finish);
  });
}

function describeStats(label: string, stats: FloodStats): string {
  const mib = (value: number) => (value / 1024 / 1024).toFixed(1);
  return `${label}: ${stats.lines} lines (${mib(stats.bytes)} MiB) in ${stats.seconds.toFixed(2)} s = ` +
    `${Math.round(stats.linesPerSecond).toLocaleString('en')} lines/s; view kept ${stats.kept}, dropped ${stats.dropped}; ` +
    `heap +${mib(stats.heapGrowth)} MiB; event loop lag p99 ${stats.lagP99Ms.toFixed(0)} ms, max ${stats.lagMaxMs.toFixed(0)} ms`;
}

function assertBounded(stats: FloodStats): void {
  assert.equal(stats.kept + stats.dropped, stats.lines, 'every line is either shown or counted as dropped');
  assert.ok(stats.heapGrowth < HEAP_GROWTH_LIMIT, `heap grew ${stats.heapGrowth} bytes while ${stats.bytes} bytes streamed`);
  assert.ok(stats.lagMaxMs < 1000, `the event loop stalled for ${stats.lagMaxMs} ms`);
}

test('synthetic flood through SSH and RunSession: >= 100k lines/s, nothing lost before the view, memory bounded', { skip, timeout: 120_000 }, async () => {
  const total = 3_000_000;
  // ~270 MiB of trace_pipe-shaped lines, numbered: more than the heap limit many times over.
  const producer = target.connection.spawnCommand(
    `seq -f '            perl-4242    [001] ...21  1234.567890: bpf_trace_printk: bpfdev-flood %.0f' 1 ${total}`);
  const session = new RunSession(producer);
  let expected = 1;
  let outOfOrder = 0;
  const stats = await consume(session, (line) => {
    const number = Number(FLOOD_LINE.exec(line)?.[1]);
    if (number !== expected) outOfOrder++;
    expected = number + 1;
  }, (line) => line.endsWith(`bpfdev-flood ${total}`));
  console.log(describeStats('synthetic', stats));
  assert.equal(stats.lines, total, 'SSH and line splitting lose nothing');
  assert.equal(outOfOrder, 0, 'lines arrive whole and in order');
  assert.ok(stats.dropped > 0, 'the flood outran the view, so the buffer had to drop');
  assertBounded(stats);
  assert.ok(stats.linesPerSecond >= 100_000, `${Math.round(stats.linesPerSecond)} lines/s end to end`);
  assert.equal((await session.exited).code, 0);
});

/** Starts the flood program; waits while another process holds trace_pipe (the kernel allows one reader). */
async function startWhenTraceFree(objectPath: string, withinMs: number): Promise<RunSession> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const session = await RunSession.start(target, objectPath, { trace: true });
    let busy: string | undefined;
    session.on('event', (event) => { if (event.event === 'trace-busy') busy = String(event.reason); });
    await session.ready;
    if (!busy) return session;
    await session.stop();
    assert.ok(Date.now() < deadline, `trace_pipe stayed busy for ${withinMs} ms: ${busy}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

test('real bpf_printk flood through the loader and SSH: kernel rate measured, memory bounded', { skip, timeout: 300_000 }, async () => {
  const compiled = await compileForTarget(path.join(repoRoot, 'test', 'fixtures', 'flood', 'flood.bpf.c'), target);
  assert.ok(compiled.ok, compiled.output);
  const session = await startWhenTraceFree(compiled.objectPath, 180_000);
  try {
    assert.equal(session.attached.length, 2, JSON.stringify(session.attachFailures));
    const calls = 2_000_000;
    let floodLines = 0;
    let produced = -1;
    const measuring = consume(session, (line) => {
      if (FLOOD_LINE.test(line)) floodLines++;
      const end = /bpfdev-flood-end (\d+)$/.exec(line);
      if (end) produced = Number(end[1]);
    }, (line) => line.includes('bpfdev-flood-end'));
    // The generator runs on this machine: the sshd host shares its kernel.
    const started = performance.now();
    const generator = spawn('perl', ['-e', `getppid() for 1..${calls}; getpriority(0, 0)`], { stdio: 'ignore' });
    assert.equal(await exitOf(generator), 0);
    const generatorSeconds = (performance.now() - started) / 1000;
    const stats = await measuring;
    console.log(describeStats('bpf_printk', stats));
    const lostInKernel = produced - floodLines;
    console.log(`bpf_printk: the kernel printed ${produced} flood lines in ${generatorSeconds.toFixed(2)} s ` +
      `(${Math.round(produced / generatorSeconds).toLocaleString('en')}/s); ${floodLines} reached us, ` +
      `${lostInKernel} were overwritten in the kernel's ring buffer before trace_pipe was read`);
    assert.ok(produced >= calls, 'the end line reports at least one flood line per getppid() call');
    assert.ok(floodLines > 0 && floodLines <= produced);
    assertBounded(stats);
  } finally {
    await session.stop();
  }
});
