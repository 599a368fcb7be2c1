/**
 * The loader binary (loader/) against this machine's kernel: verify verdicts and logs, run
 * with trace_pipe, and that every way a run can end (stdin closed, SIGTERM, SIGKILL of the
 * loader, SIGKILL of its parent) leaves no program in the kernel.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { classifyLine } from '../../core/src/loader/events';
import { kernelSkipReason, repoRoot } from '../support/kernel';

const skip = kernelSkipReason();
if (skip) console.log(`# skipping loader kernel tests: ${skip}`);

const run = promisify(execFile);
const loader = path.join(repoRoot, 'loader', 'out', 'bpfdev-loader');
const fixtures = path.join(repoRoot, 'test', 'fixtures', 'loader');
const MARKER = 'bpfdev-loader-marker';
/** Fixtures whose programs can stay attached; the kernel keeps 15 characters of a name. */
const OUR_PROGRAM_NAMES = ['bpfdev_tp_ok', 'bpfdev_kprobe', 'bpfdev_mixed_good', 'bpfdev_mixed_bad'].map((name) => name.slice(0, 15));

type LoaderEvent = { event: string; [key: string]: unknown };
type Item = { kind: 'event'; event: LoaderEvent } | { kind: 'trace'; line: string };

let workDir = '';
const object = (name: string) => path.join(workDir, `${name}.o`);

interface KernelProgram { id: number; name?: string }
function kernelPrograms(): KernelProgram[] {
  const result = spawnSync('bpftool', ['prog', 'show', '--json'], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`bpftool prog show failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as KernelProgram[];
}
function ourProgramsInKernel(): KernelProgram[] {
  return kernelPrograms().filter((program) => OUR_PROGRAM_NAMES.includes(program.name ?? ''));
}

/** Splits the loader's stdout into events and trace lines as they arrive, and lets a test wait for one. */
class LoaderSession {
  readonly items: Item[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr = '';
  private pending = Buffer.alloc(0);
  private waiters: { match: (item: Item) => boolean; resolve: (item: Item) => void }[] = [];

  constructor(readonly child: ChildProcess) {
    child.stdout!.on('data', (chunk: Buffer) => this.push(chunk));
    child.stderr!.on('data', (chunk: Buffer) => { this.stderr += chunk.toString('utf8'); });
    this.exited = new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  }

  static start(args: string[], command: string[] = [loader], extraPipe = false): LoaderSession {
    return new LoaderSession(spawn(command[0]!, [...command.slice(1), ...args], { stdio: ['pipe', 'pipe', 'pipe', ...(extraPipe ? ['pipe' as const] : [])] }));
  }

  get events(): LoaderEvent[] {
    return this.items.flatMap((item) => (item.kind === 'event' ? [item.event] : []));
  }

  /** Resolves with the first item (already seen or still to come) that matches; rejects if the loader exits first. */
  waitFor(description: string, match: (item: Item) => boolean, timeoutMs = 20_000): Promise<Item> {
    const seen = this.items.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = { match, resolve: (item: Item) => { clearTimeout(timer); resolve(item); } };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no ${description} within ${timeoutMs} ms; got:\n${this.describe()}`));
      }, timeoutMs);
      this.waiters.push(waiter);
      void this.exited.then(() => {
        if (!this.waiters.includes(waiter)) return;
        this.waiters = this.waiters.filter((w) => w !== waiter);
        clearTimeout(timer);
        reject(new Error(`loader exited before ${description}; got:\n${this.describe()}`));
      });
    });
  }

  async waitForEvent(name: string, extra: (event: LoaderEvent) => boolean = () => true): Promise<LoaderEvent> {
    const item = await this.waitFor(`"${name}" event`, (i) => i.kind === 'event' && i.event.event === name && extra(i.event));
    return (item as { event: LoaderEvent }).event;
  }

  private describe(): string {
    return [...this.items.map((item) => (item.kind === 'event' ? JSON.stringify(item.event).slice(0, 400) : `trace: ${item.line}`)), `stderr: ${this.stderr}`].join('\n');
  }

  private push(chunk: Buffer): void {
    this.pending = Buffer.concat([this.pending, chunk]);
    let newline: number;
    while ((newline = this.pending.indexOf(0x0a)) >= 0) {
      const line = this.pending.subarray(0, newline).toString('utf8');
      this.pending = this.pending.subarray(newline + 1);
      const classified = classifyLine(line);
      if (classified.type === 'malformed') throw new Error(`malformed event line: ${line.slice(0, 300)} (${classified.error})`);
      const item: Item = classified.type === 'event' ? { kind: 'event', event: classified.event as LoaderEvent } : { kind: 'trace', line };
      this.items.push(item);
      for (const waiter of this.waiters.filter((w) => w.match(item))) {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        waiter.resolve(item);
      }
    }
  }
}

/** Runs a one-shot mode to completion and returns its events. */
async function runToEnd(args: string[]): Promise<{ code: number | null; events: LoaderEvent[]; stderr: string }> {
  const session = LoaderSession.start(args);
  session.child.stdin!.end();
  const { code } = await session.exited;
  return { code, events: session.events, stderr: session.stderr };
}

function programEvent(events: LoaderEvent[], name: string): LoaderEvent {
  const found = events.find((e) => e.event === 'program' && e.name === name);
  assert.ok(found, `no program event for ${name} in ${JSON.stringify(events).slice(0, 2000)}`);
  return found;
}

/** Our own openat calls, so the trace line we wait for is certainly from this process. */
function keepOpening(): () => void {
  const timer = setInterval(() => { fs.readFileSync('/etc/hostname'); }, 20);
  fs.readFileSync('/etc/hostname');
  return () => clearInterval(timer);
}

void describe('bpfdev-loader', { skip, timeout: 120_000 }, () => {
  before(async () => {
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfdev-loader-test-'));
    await run('make', ['-s', '-C', path.join(repoRoot, 'loader')]);
    const vmlinux = await run('bpftool', ['btf', 'dump', 'file', '/sys/kernel/btf/vmlinux', 'format', 'c'], { maxBuffer: 1 << 30 });
    fs.writeFileSync(path.join(workDir, 'vmlinux.h'), vmlinux.stdout);
    const sources = fs.readdirSync(fixtures).filter((file) => file.endsWith('.bpf.c'));
    await Promise.all(sources.map((file) => run('clang', [
      '-target', 'bpf', '-g', '-O2', '-D__TARGET_ARCH_x86', `-I${workDir}`,
      '-c', path.join(fixtures, file), '-o', object(file.replace(/\.bpf\.c$/, '')),
    ])));
  });

  after(() => {
    if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
  });

  void test('--version prints one line', () => {
    const result = spawnSync(loader, ['--version'], { encoding: 'utf8' });
    assert.equal(result.status, 0);
    assert.match(result.stdout, /^bpfdev-loader \d+\.\d+\.\d+ \(libbpf \d+\.\d+\)\n$/);
  });

  void test('usage errors go to stderr with exit code 2', () => {
    for (const args of [[], ['frobnicate'], ['verify'], ['verify', 'a.o', '--log-level', 'x'], ['probe', 'extra']]) {
      const result = spawnSync(loader, args, { encoding: 'utf8' });
      assert.equal(result.status, 2, `args ${args.join(' ')}`);
      assert.equal(result.stdout, '');
      assert.match(result.stderr, /usage: bpfdev-loader/);
    }
  });

  void test('verify: an accepted program comes with its verifier statistics', async () => {
    const { code, events } = await runToEnd(['verify', object('tp_ok')]);
    assert.equal(code, 0);
    const program = programEvent(events, 'bpfdev_tp_ok');
    assert.equal(program.verdict, 'ok');
    assert.equal(program.progType, 'tracepoint');
    assert.equal(program.section, 'tracepoint/syscalls/sys_enter_openat');
    assert.equal(program.attachTo, 'syscalls/sys_enter_openat');
    assert.equal(program.errno, 0);
    assert.match(program.log as string, /processed \d+ insns/);
    assert.ok((program.insnsProcessed as number) > 0);
    assert.match(program.stackDepth as string, /^\d+(\+\d+)*$/);
    assert.ok((program.insnCount as number) > 0);
    assert.equal(typeof program.loadTimeUs, 'number');
    assert.deepEqual(events.at(-1), { event: 'done', programs: 1, ok: 1, failed: 0, unsupported: 0 });
  });

  void test('verify: a user-pointer dereference is rejected with the whole verifier log', async () => {
    const { code, events } = await runToEnd(['verify', object('bad_deref')]);
    assert.equal(code, 1);
    const program = programEvent(events, 'bpfdev_bad_deref');
    assert.equal(program.verdict, 'rejected');
    assert.equal(program.errnoName, 'EACCES');
    assert.match(program.log as string, /^0: R1=ctx/);
    assert.match(program.log as string, /invalid mem access 'scalar'/);
    assert.match(program.log as string, /bad_deref\.bpf\.c:\d+/, 'the log carries source lines from BTF line info');
    assert.ok((program.insnsProcessed as number) > 0);
    assert.match(program.libbpfLog as string, /BPF program load failed/);
  });

  void test('verify: each program of an object is judged on its own', async () => {
    const { code, events } = await runToEnd(['verify', object('mixed')]);
    assert.equal(code, 1);
    const good = programEvent(events, 'bpfdev_mixed_good');
    const bad = programEvent(events, 'bpfdev_mixed_bad');
    // The good one loads although its map was declared with max_entries 0.
    assert.equal(good.verdict, 'ok');
    assert.equal(bad.verdict, 'rejected');
    assert.match(bad.log as string, /invalid mem access 'map_value_or_null'/);
    assert.deepEqual(events.at(-1), { event: 'done', programs: 2, ok: 1, failed: 1, unsupported: 0 });
  });

  void test('verify: a missing fentry target is told apart from a verifier rejection', async () => {
    const { code, events } = await runToEnd(['verify', object('fentry_missing')]);
    assert.equal(code, 1);
    const program = programEvent(events, 'bpfdev_fentry_missing');
    assert.equal(program.verdict, 'attach-target-missing');
    assert.equal(program.attachTo, 'bpfdev_no_such_function');
    assert.equal(program.log, '');
    assert.match(program.reason as string, /bpfdev_no_such_function/);
  });

  void test('verify: a map the kernel cannot create means not-loaded, with the reason', async () => {
    const { code, events } = await runToEnd(['verify', object('big_map')]);
    assert.equal(code, 1);
    const program = programEvent(events, 'bpfdev_big_map');
    assert.equal(program.verdict, 'not-loaded');
    assert.equal(program.code, 'map-create');
    assert.equal(program.errnoName, 'E2BIG');
    assert.match(program.reason as string, /bpfdev_huge/);
  });

  void test('verify: CO-RE relocations follow the BTF given with --btf', async () => {
    const real = await runToEnd(['verify', object('core_read')]);
    assert.equal(programEvent(real.events, 'bpfdev_core_read').verdict, 'ok');

    // A BPF object's own BTF has no task_struct: the relocation cannot resolve.
    const unmatched = await runToEnd(['verify', object('core_read'), '--btf', object('tp_ok')]);
    const rejected = programEvent(unmatched.events, 'bpfdev_core_read');
    assert.equal(rejected.verdict, 'rejected');
    assert.equal(rejected.code, 'core-relo');
    assert.match(rejected.reason as string, /task_struct/);

    const garbage = path.join(workDir, 'not-btf.bin');
    fs.writeFileSync(garbage, 'not BTF at all');
    const broken = await runToEnd(['verify', object('core_read'), '--btf', garbage]);
    const notLoaded = programEvent(broken.events, 'bpfdev_core_read');
    assert.equal(notLoaded.verdict, 'not-loaded');
    assert.equal(notLoaded.code, 'bad-btf');
    assert.equal(broken.code, 1);
  });

  void test('verify: a log larger than the first buffer arrives whole', async () => {
    const { code, events } = await runToEnd(['verify', object('long_log')]);
    assert.equal(code, 1);
    const program = programEvent(events, 'bpfdev_long_log');
    const log = program.log as string;
    assert.equal(program.verdict, 'rejected');
    assert.ok(log.length > 1 << 20, `log is only ${log.length} bytes`);
    assert.match(log, /^0: R1=ctx/, 'the start of the log was lost');
    assert.match(log, /invalid mem access 'scalar'/);
    assert.match(log, /processed \d+ insns/);
    assert.equal(program.logTruncated, false);
  });

  void test('verify: files that are not BPF objects give an error event, not a crash', async () => {
    const garbage = path.join(workDir, 'garbage.o');
    fs.writeFileSync(garbage, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) & 0xff)));
    const truncated = path.join(workDir, 'truncated.o');
    fs.writeFileSync(truncated, fs.readFileSync(object('tp_ok')).subarray(0, 1500));
    const cases: [string, string][] = [
      [garbage, 'bad-object'], [truncated, 'bad-object'], [workDir, 'bad-object'], [path.join(workDir, 'missing.o'), 'no-file'],
    ];
    for (const [file, expected] of cases) {
      const { code, events } = await runToEnd(['verify', file]);
      assert.equal(code, 1, file);
      assert.equal(events.length, 1, JSON.stringify(events));
      assert.equal(events[0]!.event, 'error');
      assert.equal(events[0]!.code, expected, file);
      assert.ok((events[0]!.reason as string).length > 20);
    }
  });

  void test('run: attaches, streams trace_pipe, and detaches when stdin closes', async () => {
    assert.deepEqual(ourProgramsInKernel(), [], 'a previous run left programs behind');
    const session = LoaderSession.start(['run', object('tp_ok'), '--trace']);
    const attached = await session.waitForEvent('attached');
    assert.equal(attached.name, 'bpfdev_tp_ok');
    const ready = await session.waitForEvent('ready');
    assert.deepEqual(ready, { event: 'ready', pid: session.child.pid, attached: 1, failed: 0 });
    assert.ok(session.events.some((e) => e.event === 'tracing'), 'no "tracing" event');
    assert.ok(kernelPrograms().some((p) => p.id === attached.progId), `program ${String(attached.progId)} is not in bpftool's list`);

    const stopOpening = keepOpening();
    try {
      await session.waitFor('marker trace line', (i) => i.kind === 'trace' && i.line.includes(`${MARKER} openat pid=${process.pid}`));
    } finally {
      stopOpening();
    }

    session.child.stdin!.end();
    const detached = await session.waitForEvent('detached');
    assert.deepEqual(detached, { event: 'detached', count: 1, cause: 'stdin-closed' });
    assert.equal((await session.exited).code, 0);
    assert.deepEqual(ourProgramsInKernel(), []);
  });

  void test('run: SIGTERM detaches and exits 0', async () => {
    const session = LoaderSession.start(['run', object('tp_ok')]);
    const attached = await session.waitForEvent('attached');
    await session.waitForEvent('ready');
    session.child.kill('SIGTERM');
    assert.deepEqual(await session.waitForEvent('detached'), { event: 'detached', count: 1, cause: 'SIGTERM' });
    assert.equal((await session.exited).code, 0);
    assert.ok(!kernelPrograms().some((p) => p.id === attached.progId));
  });

  void test('run: SIGKILL of the loader leaves nothing attached (nothing is pinned)', async () => {
    const session = LoaderSession.start(['run', object('tp_ok')]);
    const attached = await session.waitForEvent('attached');
    await session.waitForEvent('ready');
    assert.ok(kernelPrograms().some((p) => p.id === attached.progId));
    session.child.kill('SIGKILL');
    assert.equal((await session.exited).signal, 'SIGKILL');
    assert.ok(!kernelPrograms().some((p) => p.id === attached.progId), 'the program outlived the loader');
  });

  void test('run: SIGKILL of the loader\'s parent (sudo, a login shell) detaches too', async () => {
    // bash -c with a second command cannot exec the loader, so bash stays its parent. The
    // loader reads fd 3, which this process keeps open (node closes a dead child's stdin,
    // fd 3 it does not): only the parent's death can tell the loader to stop.
    const session = LoaderSession.start([], ['bash', '-c', `"${loader}" run "${object('tp_ok')}" <&3 3<&-; exit 0`], true);
    const attached = await session.waitForEvent('attached');
    await session.waitForEvent('ready');
    session.child.kill('SIGKILL');
    const detached = await session.waitForEvent('detached');
    assert.deepEqual(detached, { event: 'detached', count: 1, cause: 'SIGTERM' });
    assert.ok(!kernelPrograms().some((p) => p.id === attached.progId));
    (session.child.stdio[3] as NodeJS.WritableStream).end();
  });

  void test('run: a kprobe on a kernel without kprobes fails to attach, with the reason in words', async () => {
    const session = LoaderSession.start(['run', object('kprobe')]);
    const hasKprobes = fs.existsSync('/sys/bus/event_source/devices/kprobe') || fs.existsSync('/sys/kernel/tracing/kprobe_events');
    if (hasKprobes) {
      await session.waitForEvent('attached');
      session.child.stdin!.end();
      assert.equal((await session.exited).code, 0);
      return;
    }
    const failed = await session.waitForEvent('attach-failed');
    assert.equal(failed.name, 'bpfdev_kprobe');
    assert.match(failed.reason as string, /no kprobe support/);
    assert.equal(typeof failed.errnoName, 'string');
    assert.deepEqual(await session.waitForEvent('ready'), { event: 'ready', pid: session.child.pid, attached: 0, failed: 1 });
    assert.equal((await session.exited).code, 1);
    assert.deepEqual(ourProgramsInKernel(), []);
  });

  void test('run: a verifier rejection reports which program failed and why', async () => {
    const session = LoaderSession.start(['run', object('mixed')]);
    const { code } = await session.exited;
    assert.equal(code, 1);
    const bad = programEvent(session.events, 'bpfdev_mixed_bad');
    assert.equal(bad.verdict, 'rejected');
    assert.match(bad.log as string, /map_value_or_null/);
    assert.ok(!session.events.some((e) => e.event === 'ready' || e.event === 'attached'));
    assert.deepEqual(ourProgramsInKernel(), []);
  });

  void test('run --trace: trace_pipe held by another reader gives trace-busy, and the programs still run', async () => {
    const holder = fs.openSync('/sys/kernel/tracing/trace_pipe', fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    try {
      const session = LoaderSession.start(['run', object('tp_ok'), '--trace']);
      const busy = await session.waitForEvent('trace-busy');
      assert.match(busy.reason as string, new RegExp(`another process is reading .*pid ${process.pid}`));
      assert.equal((await session.waitForEvent('ready')).attached, 1);
      session.child.stdin!.end();
      assert.equal((await session.waitForEvent('detached')).count, 1);
      assert.equal((await session.exited).code, 0);
    } finally {
      fs.closeSync(holder);
    }
  });

  void test('trace: copies trace_pipe until stdin closes', async () => {
    const runner = LoaderSession.start(['run', object('tp_ok')]);
    await runner.waitForEvent('ready');
    const tracer = LoaderSession.start(['trace']);
    try {
      await tracer.waitForEvent('tracing');
      const stopOpening = keepOpening();
      try {
        await tracer.waitFor('marker trace line', (i) => i.kind === 'trace' && i.line.includes(MARKER));
      } finally {
        stopOpening();
      }
      tracer.child.stdin!.end();
      assert.deepEqual(await tracer.waitForEvent('stopped'), { event: 'stopped', cause: 'stdin-closed' });
      assert.equal((await tracer.exited).code, 0);
    } finally {
      runner.child.stdin!.end();
      await runner.exited;
    }
  });

  void test('probe: describes this host quickly', async () => {
    const started = process.hrtime.bigint();
    const { code, events } = await runToEnd(['probe']);
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    assert.equal(code, 0);
    assert.equal(events.length, 1);
    const probe = events[0]!;
    assert.equal(probe.event, 'probe');
    assert.equal(probe.kernel, os.release());
    assert.equal(probe.arch, spawnSync('uname', ['-m'], { encoding: 'utf8' }).stdout.trim());
    assert.equal(probe.btf, fs.existsSync('/sys/kernel/btf/vmlinux'));
    assert.equal(probe.tracefs, fs.existsSync('/sys/kernel/tracing/trace_pipe') ? '/sys/kernel/tracing' : probe.tracefs);
    assert.equal(probe.kprobes, fs.existsSync('/sys/bus/event_source/devices/kprobe') || fs.existsSync('/sys/kernel/tracing/kprobe_events'));
    assert.equal(probe.uprobes, fs.existsSync('/sys/bus/event_source/devices/uprobe') || fs.existsSync('/sys/kernel/tracing/uprobe_events'));
    assert.equal(typeof probe.fentry, 'boolean');
    if (!probe.fentry) assert.equal(typeof probe.fentryReason, 'string');
    assert.equal(typeof probe.bpffs, 'boolean');
    assert.equal(typeof probe.lockdown, 'string');
    assert.equal(probe.euid, process.geteuid!());
    // The budget is 200 ms in the loader; spawning from node adds its own share.
    assert.ok(elapsedMs < 1000, `probe took ${elapsedMs} ms`);
  });
});
