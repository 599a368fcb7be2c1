/**
 * Verify as veristat does (issue #9): the loader fixes up what a project's user space sets
 * before load (one fixture per kind), a program this kernel cannot load at all is
 * `unsupported` (decided by what the kernel says, checked here against bpftool), and every
 * SEC() function appears in the report even when libbpf cannot open the object.
 * Fixtures: test/fixtures/loader-verdicts/, compiled through the product's own compile path.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { classifyLine } from '../../core/src/loader/events';
import { compileForTarget } from '../../host/src/compile';
import { LocalTarget } from '../../host/src/local-target';
import { verifyFile } from '../../host/src/verify';
import { exitOf, kernelSkipReason, lineContaining, repoRoot, waitForLine } from '../support/kernel';

const skip = kernelSkipReason() ?? (spawnSync('bpftool', ['version']).error ? 'needs bpftool' : undefined);
const loader = path.join(repoRoot, 'loader', 'out', 'bpfdev-loader');
const fixtures = path.join(repoRoot, 'test', 'fixtures', 'loader-verdicts');
const cli = path.join(repoRoot, 'bin', 'bpfdev.js');
const target = new LocalTarget();

type Event = { event: string; [key: string]: unknown };
let workDir = '';
const objects = new Map<string, string>();

function verify(fixture: string): { code: number | null; events: Event[] } {
  const object = objects.get(fixture);
  assert.ok(object, `${fixture} did not compile`);
  const result = spawnSync(loader, ['verify', object], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const events = result.stdout.split('\n').filter(Boolean).map((line) => {
    const item = classifyLine(line);
    assert.equal(item.type, 'event', `not an event: ${line.slice(0, 200)}`);
    return (item as { event: Event }).event;
  });
  return { code: result.status, events };
}

function program(events: Event[], name: string): Event {
  const found = events.find((event) => event.event === 'program' && event.name === name);
  assert.ok(found, `no program event for ${name} in ${JSON.stringify(events).slice(0, 3000)}`);
  return found;
}

/** The kernel's possible CPUs (what perf event arrays are sized to), e.g. "0-3,5". */
function possibleCpus(): number {
  return fs.readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim().split(',').reduce((count, range) => {
    const [first, last] = range.split('-').map(Number);
    return count + (last === undefined ? 1 : last - first! + 1);
  }, 0);
}

const fixups = (events: Event[]) => events.filter((event) => event.event === 'fixup');

/**
 * What bpftool (its own libbpf, no fix-ups) says about loading the object: the oracle for
 * `unsupported`. A refusal with a verifier log is the verifier's; one without is the kernel's.
 */
function bpftoolLoad(object: string): 'loaded' | 'verifier-rejected' | 'refused-before-verifier' {
  const pins = fs.mkdtempSync('/sys/fs/bpf/bpfdev-verdicts-');
  try {
    const result = spawnSync('bpftool', ['prog', 'loadall', object, pins], { encoding: 'utf8' });
    if (result.status === 0) return 'loaded';
    return /BEGIN PROG LOAD LOG/.test(result.stderr) ? 'verifier-rejected' : 'refused-before-verifier';
  } finally {
    fs.rmSync(pins, { recursive: true, force: true });
  }
}

const expectedVerdict = { loaded: 'ok', 'verifier-rejected': 'rejected', 'refused-before-verifier': 'unsupported' } as const;

/** The active LSMs, read as root in a private mount namespace when securityfs is not mounted. */
function activeLsms(): string[] | undefined {
  const direct = spawnSync('cat', ['/sys/kernel/security/lsm'], { encoding: 'utf8' });
  const text = direct.status === 0 ? direct.stdout
    : spawnSync('unshare', ['-m', 'sh', '-c', 'mount -t securityfs none /sys/kernel/security && cat /sys/kernel/security/lsm'], { encoding: 'utf8' }).stdout;
  return text ? text.trim().split(',') : undefined;
}

void describe('loader verdicts and fix-ups', { skip, timeout: 240_000 }, () => {
  before(async () => {
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfdev-verdicts-'));
    assert.equal(spawnSync('make', ['-s', '-C', path.join(repoRoot, 'loader')]).status, 0);
    for (const file of fs.readdirSync(fixtures).filter((name) => name.endsWith('.bpf.c'))) {
      const compiled = await compileForTarget(path.join(fixtures, file), target, {
        outputPath: path.join(workDir, file.replace(/\.bpf\.c$/, '.o')), precompiledHeader: 'off',
        // The extern fixture calls a function it never declares, on purpose.
        extraFlags: ['-Wno-implicit-function-declaration'],
      });
      assert.ok(compiled.ok, `${file}: ${compiled.output}`);
      objects.set(file.replace(/\.bpf\.c$/, ''), compiled.objectPath);
    }
  });

  after(() => {
    if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
  });

  // [fixture, program, map or program the fix-up names, kinds expected, what the value must become]
  const cases: [string, string, string, string[], ((fixup: Event) => void)?][] = [
    ['fixup_hash_zero', 'bpfdev_fix_hash', 'bpfdev_sized_later', ['max-entries'], (f) => assert.ok((f.to as number) > 0)],
    ['fixup_ringbuf_zero', 'bpfdev_fix_rb', 'bpfdev_rb_unsized', ['max-entries', 'value-size'], (f) => {
      if (f.kind === 'max-entries') {
        const size = f.to as number;
        assert.ok(size >= 4096 && (size & (size - 1)) === 0, `ring buffer size ${size} is not a power-of-two page multiple`);
      } else {
        assert.equal(f.to, 0);
      }
    }],
    ['fixup_perf_array', 'bpfdev_fix_perf', 'bpfdev_perf_unsized', ['max-entries', 'key-size', 'value-size'], (f) => {
      if (f.kind === 'max-entries') assert.equal(f.to, possibleCpus(), 'one slot per CPU');
      else assert.equal(f.to, 4);
    }],
    ['fixup_stack_trace', 'bpfdev_fix_stack', 'bpfdev_stacks', ['value-size', 'max-entries'], (f) => {
      if (f.kind === 'value-size') assert.equal(f.to, 127 * 8, 'room for 127 frames of 8 bytes');
    }],
    ['fixup_inner_map', 'bpfdev_fix_inner', 'bpfdev_outer', ['inner-map']],
    ['fixup_inner_declared', 'bpfdev_fix_inner_decl', 'bpfdev_outer_declared', ['inner-map']],
    ['fixup_pinned', 'bpfdev_fix_pinned', 'bpfdev_pinned_counts', ['pinning']],
    ['fixup_unknown_section', 'bpfdev_fix_section', 'bpfdev_fix_section', ['prog-type']],
  ];
  for (const [fixture, name, subject, kinds, check] of cases) {
    void test(`verify: ${fixture} loads after the ${kinds.join(' + ')} fix-up, reported as a note`, () => {
      const pin = path.join('/sys/fs/bpf', subject);
      const pinnedBefore = fs.existsSync(pin);
      const { code, events } = verify(fixture);
      const verdict = program(events, name);
      assert.equal(verdict.verdict, 'ok', `${String(verdict.reason)}\n${String(verdict.libbpfLog)}`);
      assert.equal(code, 0);
      const notes = fixups(events);
      assert.deepEqual(notes.map((note) => note.kind).sort(), [...kinds].sort(), JSON.stringify(notes));
      for (const note of notes) {
        assert.equal(note.map ?? note.program, subject);
        assert.match(note.message as string, new RegExp(subject));
        check?.(note);
      }
      // Reported once per object, although each program is loaded in an object of its own.
      assert.ok(events.findIndex((event) => event.event === 'fixup') < events.findIndex((event) => event.event === 'program'));
      if (kinds.includes('pinning')) assert.equal(fs.existsSync(pin), pinnedBefore, `verify changed ${pin}`);
    });
  }

  void test('verify: a ring buffer size that is no power-of-two page multiple still loads', () => {
    // libbpf 1.x rounds this one itself, so there may be nothing left for the loader to note.
    const { code, events } = verify('fixup_ringbuf_odd');
    assert.equal(program(events, 'bpfdev_fix_rb_odd').verdict, 'ok');
    assert.equal(code, 0);
  });

  void test('run: a perf event array is sized to the CPU count for a run too', async () => {
    const child = spawn(loader, ['run', objects.get('fixup_perf_array')!], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString('utf8'); });
    await waitForLine(child, /"event":"ready"/);
    child.stdin.end();
    assert.equal(await exitOf(child), 0, stdout);
    const events = stdout.split('\n').filter(Boolean).map((line) => (classifyLine(line) as { event: Event }).event);
    assert.ok(events.some((event) => event.event === 'attached' && event.name === 'bpfdev_fix_perf'), stdout);
    const sized = fixups(events).find((event) => event.kind === 'max-entries');
    assert.equal(sized?.to, possibleCpus());
  });

  void test('run: programs this kernel cannot load are left out, and the others run', async () => {
    const object = objects.get('run_with_unsupported')!;
    const fentry = expectedVerdict[bpftoolLoad(objects.get('unsupported_fentry')!)];
    const child = spawn(loader, ['run', object], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString('utf8'); });
    await waitForLine(child, /"event":"ready"/);
    child.stdin.end();
    assert.equal(await exitOf(child), 0, stdout);
    const events = stdout.split('\n').filter(Boolean).map((line) => (classifyLine(line) as { event: Event }).event);
    const attached = events.filter((event) => event.event === 'attached').map((event) => event.name);
    assert.ok(attached.includes('bpfdev_mixed_tp'), stdout);
    if (fentry === 'unsupported') {
      assert.equal(events.find((event) => event.event === 'program' && event.name === 'bpfdev_mixed_fentry')?.verdict, 'unsupported');
      assert.ok(events.some((event) => event.event === 'skipped' && event.name === 'bpfdev_mixed_fentry'), stdout);
      assert.deepEqual(attached, ['bpfdev_mixed_tp']);
    }
  });

  void test('verify: fentry and fexit get the verdict the kernel gives (unsupported when it refuses them before verifying)', () => {
    const expected = expectedVerdict[bpftoolLoad(objects.get('unsupported_fentry')!)];
    const { code, events } = verify('unsupported_fentry');
    for (const name of ['bpfdev_unsup_fentry', 'bpfdev_unsup_fexit']) {
      const verdict = program(events, name);
      assert.equal(verdict.verdict, expected, String(verdict.reason));
      if (expected === 'unsupported') {
        assert.match(verdict.reason as string, /do-nothing trace_f(entry|exit) program on 'do_nanosleep' is refused too/);
        assert.equal(verdict.log, '', 'the verifier never ran');
        assert.equal(verdict.insnsProcessed, null);
      }
    }
    // Unsupported alone is not a failure.
    assert.equal(code, expected === 'rejected' ? 1 : 0);
    const done = events.at(-1)!;
    assert.equal(done.event, 'done');
    assert.equal(done.unsupported, expected === 'unsupported' ? 2 : 0);
  });

  void test('verify: an LSM program gets the verdict the kernel gives, and the reason says whether the BPF LSM is active', () => {
    const expected = expectedVerdict[bpftoolLoad(objects.get('unsupported_lsm')!)];
    const lsms = activeLsms();
    const { events } = verify('unsupported_lsm');
    const verdict = program(events, 'bpfdev_unsup_lsm');
    assert.equal(verdict.verdict, expected, String(verdict.reason));
    if (expected !== 'unsupported') return;
    if (lsms && !lsms.includes('bpf')) assert.match(verdict.reason as string, /BPF LSM is not active.*lsm=/);
    else if (lsms) assert.match(verdict.reason as string, /although the BPF LSM is active/);
  });

  void test('verify: a kprobe program on a kernel without kprobes is unsupported, though the verifier accepts it', () => {
    const hasKprobes = fs.existsSync('/sys/bus/event_source/devices/kprobe') || fs.existsSync('/sys/kernel/tracing/kprobe_events');
    const { code, events } = verify('unsupported_kprobe');
    const verdict = program(events, 'bpfdev_unsup_kprobe');
    assert.equal(verdict.verdict, hasKprobes ? 'ok' : 'unsupported', String(verdict.reason));
    assert.ok((verdict.insnsProcessed as number) > 0, 'the verifier ran and accepted it');
    if (!hasKprobes) assert.match(verdict.reason as string, /no kprobes/);
    assert.equal(code, 0);
  });

  void test('verify: every SEC() function appears, with the real cause, when libbpf cannot open the object', () => {
    const { code, events } = verify('unopenable_extern');
    assert.equal(code, 1);
    const error = events.find((event) => event.event === 'error');
    assert.equal(error?.code, 'extern');
    assert.doesNotMatch(error?.reason as string, /No such file or directory/);
    for (const name of ['bpfdev_unopen_a', 'bpfdev_unopen_b']) {
      const verdict = program(events, name);
      assert.equal(verdict.verdict, 'not-loaded');
      assert.equal(verdict.code, 'extern');
      assert.match(verdict.reason as string, /bpfdev_not_declared/);
      assert.match(verdict.libbpfLog as string, /failed to find BTF for extern 'bpfdev_not_declared'/);
    }
    assert.equal(program(events, 'bpfdev_unopen_a').section, 'tracepoint/syscalls/sys_enter_openat');
    assert.equal(program(events, 'bpfdev_unopen_a').progType, 'tracepoint');
  });

  void test('the report: an object libbpf cannot open names the extern where the source uses it, and each program', async () => {
    const file = path.join(fixtures, 'unopenable_extern.bpf.c');
    const text = fs.readFileSync(file, 'utf8');
    const report = await verifyFile(file, target, { precompiledHeader: 'off', extraFlags: ['-Wno-implicit-function-declaration'] });
    assert.deepEqual(report.programs.map((p) => [p.name, p.verdict]), [['bpfdev_unopen_a', 'not-loaded'], ['bpfdev_unopen_b', 'not-loaded']]);
    const errors = report.diagnostics.filter((d) => d.severity === 'error').map((d) => d.line);
    assert.deepEqual(errors, [
      lineContaining(text, 'return bpfdev_not_declared(1);'),
      lineContaining(text, 'SEC("tracepoint/syscalls/sys_enter_openat")'),
      lineContaining(text, 'SEC("tracepoint/syscalls/sys_enter_close")'),
    ]);
  });

  void test('the report: each fix-up is an info at its map\'s definition, and bpfdev verify prints it', async () => {
    const file = path.join(fixtures, 'fixup_perf_array.bpf.c');
    const report = await verifyFile(file, target, { precompiledHeader: 'off' });
    const line = lineContaining(fs.readFileSync(file, 'utf8'), '} bpfdev_perf_unsized SEC(".maps")');
    const infos = report.diagnostics.filter((d) => d.source === 'loader' && d.kind.startsWith('fixup-'));
    assert.equal(infos.length, 3, JSON.stringify(report.diagnostics));
    for (const info of infos) {
      assert.equal(info.severity, 'info');
      assert.equal(info.line, line);
    }
    const printed = spawnSync(process.execPath, [cli, 'verify', file], { encoding: 'utf8' });
    assert.equal(printed.status, 0, printed.stdout + printed.stderr);
    assert.match(printed.stdout, new RegExp(`${file}:${line}:\\d+: note: set before load, .*max_entries 0 -> ${possibleCpus()}`));
  });

  void test('bpfdev verify: unsupported programs are warnings at their SEC line and not a failure', () => {
    const file = path.join(fixtures, 'unsupported_fentry.bpf.c');
    const expected = expectedVerdict[bpftoolLoad(objects.get('unsupported_fentry')!)];
    const printed = spawnSync(process.execPath, [cli, 'verify', file], { encoding: 'utf8' });
    assert.match(printed.stdout, new RegExp(`bpfdev_unsup_fentry \\(fentry/do_nanosleep\\): ${expected}`));
    if (expected !== 'unsupported') return;
    assert.equal(printed.status, 0, printed.stdout + printed.stderr);
    const line = lineContaining(fs.readFileSync(file, 'utf8'), 'SEC("fentry/do_nanosleep")');
    assert.match(printed.stdout, new RegExp(`${file}:${line}:\\d+: warning: bpfdev_unsup_fentry: unsupported by this kernel`));
  });
});
