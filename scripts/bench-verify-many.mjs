// `bpfdev verify` over many files as a CI job runs it (issue #9): one call over 7 small programs,
// against what a CI script does without bpfdev, per file: clang, then `bpftool prog loadall`
// into a bpffs directory, then removing it. Both sides compile with the same flags (compile.ts's
// compileFlags: the same vmlinux.h, our bpf-headers, -g -O2) and load every program in the
// kernel's verifier; neither side pays for generating vmlinux.h in the timed runs. The runs
// alternate between the two, so load on this shared machine hits both alike.
//   npm run bench:verify-many           BENCH_RUNS=7 by default; needs root and `npm run build`
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const require = createRequire(import.meta.url);
const { compileFlags } = require(path.join(root, 'out', 'host', 'src', 'compile.js'));
const RUNS = Number(process.env.BENCH_RUNS ?? 7);

if (process.geteuid?.() !== 0) {
  console.error('bench-verify-many: needs root (BPF loads)');
  process.exit(2);
}

// Programs a user writes first: the examples and the New eBPF Program templates (tracepoint,
// kprobe + kretprobe, uretprobe, XDP; one rejected by the verifier), three different preambles.
const FILES = [
  'examples/hello-openat.bpf.c', 'examples/count-execs.bpf.c', 'examples/broken-user-deref.bpf.c',
  'templates/tracepoint.bpf.c', 'templates/kprobe.bpf.c', 'templates/uprobe.bpf.c', 'templates/xdp.bpf.c',
].map((file) => path.join(root, file));

// A cache of our own: the first call is then a true first run (vmlinux.h, precompiled headers).
const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfdev-bench-many-cache-'));
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfdev-bench-many-'));
const env = { ...process.env, BPFDEV_CACHE_DIR: cacheDir };

// CPU time of waited-for children (and theirs): clang, bpftool, the loader, and the verifier's
// work in the kernel, which is system time of the process that loads. On a machine shared with
// other jobs, wall time varies with their load; CPU time much less.
const CLOCK_TICK_MS = 1000 / Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || 100);
function childCpuMs() {
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields from 3 (state) on: cutime is field 16, cstime 17.
  return (Number(fields[13]) + Number(fields[14])) * CLOCK_TICK_MS;
}

function timed(fn) {
  const started = performance.now();
  const cpuBefore = childCpuMs();
  const value = fn();
  return { ms: performance.now() - started, cpuMs: childCpuMs() - cpuBefore, value };
}

function bpfdevVerify() {
  const result = spawnSync(process.execPath, [path.join(root, 'bin', 'bpfdev.js'), 'verify', '--json', ...FILES], { env, encoding: 'utf8' });
  if (result.status !== 0 && result.status !== 1) throw new Error(`bpfdev verify failed (${result.status}): ${result.stderr}`);
  const { results } = JSON.parse(result.stdout);
  return results.flatMap((report) => report.programs.map((program) => program.verdict));
}

const cold = timed(bpfdevVerify);
const vmlinuxDir = path.join(cacheDir, 'targets', fs.readdirSync(path.join(cacheDir, 'targets'))[0]);
const vmlinuxHeaderDir = path.join(vmlinuxDir, fs.readdirSync(vmlinuxDir).find((name) => name.startsWith('vmlinux-')));
const flags = compileFlags(os.machine(), vmlinuxHeaderDir);

function baseline() {
  const verdicts = [];
  FILES.forEach((file, index) => {
    const object = path.join(workDir, `${index}.o`);
    const pinDir = `/sys/fs/bpf/bpfdev-bench-many-${process.pid}-${index}`;
    const clang = spawnSync('clang', [...flags, '-c', file, '-o', object], { cwd: path.dirname(file), encoding: 'utf8' });
    if (clang.status !== 0) throw new Error(`clang failed on ${file}: ${clang.stderr}`);
    const load = spawnSync('bpftool', ['prog', 'loadall', object, pinDir], { encoding: 'utf8' });
    verdicts.push(load.status === 0 ? 'loaded' : 'refused');
    fs.rmSync(pinDir, { recursive: true, force: true });
  });
  return verdicts;
}

const ours = [];
const theirs = [];
const oursCpu = [];
const theirsCpu = [];
let verdicts;
let baselineVerdicts;
for (let run = 0; run < RUNS; run++) {
  const a = timed(baseline);
  theirs.push(a.ms);
  theirsCpu.push(a.cpuMs);
  baselineVerdicts = a.value;
  const b = timed(bpfdevVerify);
  ours.push(b.ms);
  oursCpu.push(b.cpuMs);
  verdicts = b.value;
}
fs.rmSync(workDir, { recursive: true, force: true });
fs.rmSync(cacheDir, { recursive: true, force: true });

const median = (values) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)];
const ms = (value) => `${Math.round(value)} ms`;
console.log(`${FILES.length} files; bpfdev verdicts: ${verdicts.join(' ')}; bpftool loadall per file: ${baselineVerdicts.join(' ')}`);
console.log(`machine: ${os.availableParallelism()} CPUs, kernel ${os.release()}, ${RUNS} runs each, alternating`);
const load = os.loadavg()[0].toFixed(1);
console.log(`load average at the end: ${load} (other jobs on this machine slow both sides' wall time)`);
console.log(`clang + bpftool prog loadall, per file: median ${ms(median(theirs))} (${ms(Math.min(...theirs))}–${ms(Math.max(...theirs))}), CPU ${ms(median(theirsCpu))}`);
console.log(`bpfdev verify, one call:              median ${ms(median(ours))} (${ms(Math.min(...ours))}–${ms(Math.max(...ours))}), CPU ${ms(median(oursCpu))}`);
console.log(`bpfdev verify, first call (empty cache: vmlinux.h + precompiled headers built): ${ms(cold.ms)}`);
console.log(`speed-up: ${(median(theirs) / median(ours)).toFixed(2)}x wall, ${(median(theirsCpu) / median(oursCpu)).toFixed(2)}x CPU (target: >= 3x wall)`);
