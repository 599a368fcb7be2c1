// Ring-buffer records per second decoded into `bpfdev run --json` (issue #11: at least 200k/s,
// with bounded memory), and what the run-time statistics cost a program run.
//
// The program is test/fixtures/events/events.bpf.c: kill(MAGIC, N) makes it send N records of
// `struct record` from one tracepoint hit. The bench paces bursts to a target rate for a few
// seconds and counts the `{"type":"event"}` lines the CLI prints; the CLI's output is read as
// fast as it comes, as a consumer piping into jq or a file would. The CLI is the real run
// command (cli/src/run-command.ts) in a child process; its decoder is W2's recordTypes() when
// it is built, else a hand-written decoder of the fixture's struct (same output shape).
//   npm run bench:events          BENCH_EVENTS_RATES=200000,400000 BENCH_EVENTS_SECONDS=5
// Needs root and `npm run build`.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const require = createRequire(import.meta.url);
const fixture = path.join(root, 'test', 'fixtures', 'events', 'events.bpf.c');
const fixtureText = fs.readFileSync(fixture, 'utf8');
const magic = (name) => Number(new RegExp(`#define ${name} (0x[0-9a-f]+)`).exec(fixtureText)[1]);
const MAGIC_RINGBUF = magic('MAGIC_RINGBUF');
const RATES = (process.env.BENCH_EVENTS_RATES ?? '200000,400000').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_EVENTS_SECONDS ?? 5);

function burst(count) {
  try { process.kill(MAGIC_RINGBUF, count); } catch { /* ESRCH/EINVAL: the tracepoint fired already */ }
}

/** The child: the CLI's run command with a decoder, printing to our stdout. */
async function child() {
  const { runRun } = require(path.join(root, 'out', 'cli', 'src', 'run-command.js'));
  const recordTypesPath = path.join(root, 'out', 'host', 'src', 'events', 'record-types.js');
  let decoderFor;
  if (fs.existsSync(recordTypesPath)) {
    const { recordTypes } = require(recordTypesPath);
    const { decodeRecord } = require(path.join(root, 'out', 'core', 'src', 'events', 'decode.js'));
    decoderFor = async (objectPath, sourcePath) => {
      const { types } = await recordTypes(objectPath, { sourceText: fs.readFileSync(sourcePath, 'utf8') });
      return (map, bytes) => { const type = types.get(map); return type ? decodeRecord(type.layout, bytes) : undefined; };
    };
    process.stderr.write('bench-events: decoding with recordTypes()\n');
  } else {
    const text = new TextDecoder();
    decoderFor = async () => (map, bytes) => {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const comm = bytes.subarray(16, 32);
      const end = comm.indexOf(0);
      return { pid: view.getUint32(0, true), seq: view.getUint32(4, true), burst: Number(view.getBigUint64(8, true)), comm: text.decode(end < 0 ? comm : comm.subarray(0, end)) };
    };
    process.stderr.write('bench-events: decoding with the bench\'s own decoder of struct record\n');
  }
  const code = await runRun(fixture, {
    json: true, only: ['ringbuf_burst'], compile: { precompiledHeader: 'off' }, target: {}, decoderFor,
    stats: process.env.BENCH_EVENTS_STATS !== '0',
  });
  process.exitCode = code;
}

function rssKb(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  } catch { return 0; }
}

/** utime + stime in seconds (clock ticks of 100 Hz, as Linux reports them to user space). */
function cpuSeconds(pid) {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch { return 0; }
}

function childrenOf(pid) {
  try { return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number); } catch { return []; }
}

/** One run at `rate` records/s: returns what arrived, what was dropped where, and peak RSS. */
async function measure(rate) {
  const cli = spawn(process.execPath, [new URL(import.meta.url).pathname, '--child'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  cli.stderr.on('data', (chunk) => { stderr += chunk; });
  let events = 0, viewLost = 0, kernelLost = 0, pending = Buffer.alloc(0), stats;
  let resolveReady;
  const ready = new Promise((resolve) => { resolveReady = resolve; });
  cli.stderr.on('data', () => { if (/attached on/.test(stderr)) resolveReady(); });
  // Counted on the bytes: the bench must read faster than the CLI writes, or it measures itself.
  // `{"type":"` is 9 bytes; the next one tells an event line from the rare others.
  cli.stdout.on('data', (chunk) => {
    const buffer = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    let start = 0, end;
    while ((end = buffer.indexOf(10, start)) >= 0) {
      if (buffer[start + 9] === 0x65 /* e */) events++;
      else {
        const value = JSON.parse(buffer.toString('utf8', start, end));
        if (value.type === 'lost') { if (value.where === 'view') viewLost += value.count; else kernelLost += value.count; }
        else if (value.type === 'stats') stats = value;
      }
      start = end + 1;
    }
    pending = buffer.subarray(start);
  });
  const exited = new Promise((resolve) => cli.on('exit', resolve));
  await Promise.race([ready, exited]);
  if (cli.exitCode !== null) throw new Error(`the CLI exited: ${stderr}`);

  let peakCli = 0, peakLoader = 0, cliCpu = 0, loaderCpu = 0;
  const loaderPid = childrenOf(cli.pid)[0];
  const cliCpuStart = cpuSeconds(cli.pid), loaderCpuStart = loaderPid ? cpuSeconds(loaderPid) : 0;
  // CPU time per record does not depend on what else the machine runs, unlike records/s.
  const sample = () => {
    peakCli = Math.max(peakCli, rssKb(cli.pid));
    cliCpu = Math.max(cliCpu, cpuSeconds(cli.pid) - cliCpuStart);
    if (loaderPid) {
      peakLoader = Math.max(peakLoader, rssKb(loaderPid));
      loaderCpu = Math.max(loaderCpu, cpuSeconds(loaderPid) - loaderCpuStart);
    }
  };
  const sampler = setInterval(sample, 200);
  // Bursts every 5 ms: small enough to pace, big enough that one syscall sends many records.
  const perBurst = Math.max(1, Math.round(rate / 200));
  const startEvents = events;
  const started = process.hrtime.bigint();
  let sent = 0;
  await new Promise((resolve) => {
    const tick = () => {
      const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
      if (elapsed >= SECONDS) { resolve(); return; }
      while (sent < rate * elapsed) { burst(perBurst); sent += perBurst; }
      setTimeout(tick, 5);
    };
    tick();
  });
  const sendSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  sample();
  const receivedBySample = events - startEvents;
  // Whatever is still on its way arrives before the CLI ends (the loader drains at detach).
  cli.kill('SIGINT');
  await exited;
  clearInterval(sampler);
  const received = events - startEvents;
  return { rate, sent, received, perSecond: Math.round(received / sendSeconds), viewLost, kernelLost, reserveFailed: sent - received - viewLost, peakCliMb: peakCli / 1024, peakLoaderMb: peakLoader / 1024, stats,
    cliUsPerRecord: (cliCpu / receivedBySample) * 1e6, loaderUsPerRecord: (loaderCpu / receivedBySample) * 1e6 };
}

/** ns per kill() that runs the program (no records): with statistics on and off. */
async function statsOverhead() {
  const result = {};
  for (const stats of [true, false]) {
    process.env.BENCH_EVENTS_STATS = stats ? '1' : '0';
    const cli = spawn(process.execPath, [new URL(import.meta.url).pathname, '--child'], { stdio: ['ignore', 'ignore', 'pipe'], env: process.env });
    let stderr = '';
    await new Promise((resolve, reject) => {
      cli.stderr.on('data', (chunk) => { stderr += chunk; if (/attached on/.test(stderr)) resolve(); });
      cli.on('exit', () => reject(new Error(stderr)));
    });
    const calls = 300_000;
    let best = Infinity;
    for (let round = 0; round < 5; round++) {
      const start = process.hrtime.bigint();
      for (let index = 0; index < calls; index++) burst(0);
      best = Math.min(best, Number(process.hrtime.bigint() - start) / calls);
    }
    result[stats ? 'on' : 'off'] = best;
    cli.kill('SIGINT');
    await new Promise((resolve) => cli.on('exit', resolve));
  }
  delete process.env.BENCH_EVENTS_STATS;
  return result;
}

if (process.argv[2] === '--child') {
  await child();
} else {
  if (process.geteuid?.() !== 0) { console.error('bench-events: needs root (BPF loads)'); process.exit(2); }
  if (!fs.existsSync(path.join(root, 'out', 'cli', 'src', 'run-command.js'))) { console.error('bench-events: run `npm run build` first'); process.exit(2); }
  console.log(`bench-events: ${SECONDS}s per rate, ${spawnSync('nproc', { encoding: 'utf8' }).stdout.trim()} CPUs, kernel ${fs.readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()}`);
  for (const rate of RATES) {
    const r = await measure(rate);
    console.log(`target ${r.rate}/s: received ${r.received} of ${r.sent} -> ${r.perSecond}/s decoded into --json; dropped: view ${r.viewLost}, kernel (perf) ${r.kernelLost}, ring buffer full ${r.reserveFailed}; peak RSS: CLI ${r.peakCliMb.toFixed(0)} MB, loader ${r.peakLoaderMb.toFixed(1)} MB`);
    console.log(`  CPU per record: CLI ${r.cliUsPerRecord.toFixed(2)} µs, loader ${r.loaderUsPerRecord.toFixed(2)} µs -> one free CPU for the CLI carries ${Math.round(1e6 / r.cliUsPerRecord)}/s, for the loader ${Math.round(1e6 / r.loaderUsPerRecord)}/s`);
  }
  const overhead = await statsOverhead();
  console.log(`run-time statistics: kill() running the program takes ${overhead.on.toFixed(0)} ns with them on, ${overhead.off.toFixed(0)} ns off (${(overhead.on - overhead.off).toFixed(0)} ns per run)`);
}
