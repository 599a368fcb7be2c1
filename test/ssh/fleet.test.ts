/**
 * Many targets at once (issue #10) against a real sshd: one login per connection, the program ×
 * kernel matrix of the local kernel and a loopback host, hosts from an Ansible inventory, a
 * baseline that catches a regression, and a fan-out run that leaves nothing attached anywhere.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { exitOf, kernelSkipReason, loadedProgramNames, repoRoot, waitForLine } from '../support/kernel';
import { sshdSkipReason, startSshd, TestSshd } from '../support/sshd';

const skip = sshdSkipReason() ?? kernelSkipReason()
  ?? (spawnSync('ansible-inventory', ['--version']).status === 0 ? undefined : 'needs ansible-inventory (scripts/setup.sh installs ansible-core)');
const cli = path.join(repoRoot, 'bin', 'bpfdev.js');
const kernel = fs.readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
let sshd: TestSshd;
let env: NodeJS.ProcessEnv;
let dir: string;

interface Result { file: string; host: string; kernel: string; compiled: boolean; programs: { name: string; verdict: string; insnsProcessed: number | null }[] }

const PROGRAM_HEAD = '#include "vmlinux.h"\n#include <bpf/bpf_helpers.h>\nchar LICENSE[] SEC("license") = "GPL";\n';
const SMALL = `${PROGRAM_HEAD}SEC("tp/syscalls/sys_enter_getpid")\nint probe(void *ctx) { return 0; }\n`;
/** Same program, many more instructions: each helper call and its check is a few. */
const GROWN = `${PROGRAM_HEAD}SEC("tp/syscalls/sys_enter_getpid")\nint probe(void *ctx) {\n  __u64 sum = 0;\n` +
  Array.from({ length: 20 }, () => '  sum += bpf_ktime_get_ns() & 7;\n').join('') + '  return sum > 1000;\n}\n';
/** Same program, now reading user memory directly: the verifier rejects it. */
const BROKEN = `${PROGRAM_HEAD}SEC("tp/syscalls/sys_enter_getpid")\nint probe(void *ctx) { return *(char *)(long)bpf_get_current_pid_tgid(); }\n`;

before(async () => {
  if (skip) return;
  sshd = await startSshd();
  env = { ...process.env, BPFDEV_SSH_CONFIG: sshd.configPath };
  dir = fs.mkdtempSync('/tmp/bpfdev-fleet-test-');
});
after(() => {
  sshd?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function bpfdev(args: string[], cwd = repoRoot) {
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env, cwd });
}

/** sshd logs one `Starting session` per channel, that is per login shell it starts. */
function sessionsLogged(): number {
  return fs.readFileSync(path.join(sshd.dir, 'sshd.log'), 'utf8').split('\n').filter((line) => line.includes('Starting session')).length;
}

test('verify --host pays one login: every step runs in one session shell', { skip, timeout: 90_000 }, () => {
  const before = sessionsLogged();
  const result = bpfdev(['verify', path.join(repoRoot, 'examples', 'hello-openat.bpf.c'), '--host', 'bpfdev-test']);
  assert.equal(result.status, 0, result.stdout + result.stderr);
  // Connect, identify, privilege, loader upload, verify: one channel where each used to take its own.
  assert.equal(sessionsLogged() - before, 1);
});

test('verify on the local kernel and a loopback host: one result per target and file, and a matrix', { skip, timeout: 120_000 }, () => {
  const files = ['hello-openat.bpf.c', 'broken-user-deref.bpf.c'].map((name) => path.join(repoRoot, 'examples', name));
  const json = bpfdev(['verify', ...files, '--host', 'local', '--host', 'bpfdev-test', '--json']);
  assert.equal(json.status, 1, 'the broken example fails on both');
  const results = (JSON.parse(json.stdout) as { results: Result[] }).results;
  assert.deepEqual(results.map((r) => `${r.host} ${path.basename(r.file)}`).sort(),
    ['bpfdev-test broken-user-deref.bpf.c', 'bpfdev-test hello-openat.bpf.c', 'local broken-user-deref.bpf.c', 'local hello-openat.bpf.c']);
  for (const result of results) {
    assert.equal(result.kernel, kernel);
    assert.equal(result.programs[0].verdict, result.file.includes('broken') ? 'rejected' : 'ok');
  }
  const human = bpfdev(['verify', ...files, '--host', 'local', '--host', 'bpfdev-test']);
  const lines = human.stdout.split('\n');
  const header = lines.find((line) => line.startsWith('program'));
  assert.ok(header?.includes(`local (${kernel})`) && header.includes(`bpfdev-test (${kernel})`), human.stdout);
  const hello = results.find((r) => r.host === 'local' && r.file.endsWith('hello-openat.bpf.c'))!.programs[0];
  const row = lines.find((line) => line.startsWith('examples/hello-openat.bpf.c:hello_openat'));
  assert.match(row ?? '', new RegExp(`ok, ${hello.insnsProcessed} insns, stack \\d+, [\\d.]+ ms\\s+ok, \\d+ insns`));
  assert.match(human.stdout, new RegExp(`==> .*broken-user-deref\\.bpf\\.c on bpfdev-test, ${kernel.replace(/[.]/g, '\\.')} <==`));
});

test('--inventory --group takes hosts and their connection variables from ansible-inventory', { skip, timeout: 120_000 }, () => {
  // An alias whose ssh_config port is wrong: only the inventory's ansible_port reaches the sshd.
  const config = path.join(dir, 'ssh_config');
  const base = fs.readFileSync(sshd.configPath, 'utf8');
  const key = /IdentityFile (\S+)/.exec(base)![1];
  fs.writeFileSync(config, `${base}\nHost inv-box\n  HostName 127.0.0.1\n  Port 1\n  User nobody\n  IdentityFile ${key}\n  IdentitiesOnly yes\n  UserKnownHostsFile ${sshd.knownHostsPath}\n`);
  const inventory = path.join(dir, 'hosts.ini');
  fs.writeFileSync(inventory, `[lab]\nlocalhost ansible_connection=local\ninv-box ansible_port=${sshd.port} ansible_user=root\n\n[other]\nunreachable.invalid\n\n[all_labs:children]\nlab\n`);
  const file = path.join(repoRoot, 'examples', 'hello-openat.bpf.c');
  const result = spawnSync(process.execPath, [cli, 'verify', file, file, '--inventory', inventory, '--group', 'all_labs', '--json'],
    { encoding: 'utf8', env: { ...env, BPFDEV_SSH_CONFIG: config } });
  assert.equal(result.status, 0, result.stdout + result.stderr);
  const results = (JSON.parse(result.stdout) as { results: Result[] }).results;
  assert.deepEqual(results.map((r) => r.host).sort(), ['inv-box', 'local']);
  assert.ok(results.every((r) => r.programs[0].verdict === 'ok'));
  const missing = spawnSync(process.execPath, [cli, 'verify', file, '--inventory', inventory, '--group', 'nope'], { encoding: 'utf8', env });
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /no group "nope" in the inventory \(groups: .*lab/);
});

test('--baseline: ok → rejected and insns growth past --max-growth exit 1 naming program and target', { skip, timeout: 180_000 }, () => {
  const source = path.join(dir, 'prog.bpf.c');
  const baseline = path.join(dir, 'baseline.json');
  fs.writeFileSync(source, SMALL);
  const first = bpfdev(['verify', source, source, '--host', 'local', '--host', 'bpfdev-test', '--json'], dir);
  assert.equal(first.status, 0, first.stderr);
  fs.writeFileSync(baseline, first.stdout);

  const same = bpfdev(['verify', source, '--host', 'local', '--host', 'bpfdev-test', '--baseline', baseline], dir);
  assert.equal(same.status, 0, same.stdout + same.stderr);
  assert.match(same.stdout, /no regressions against the baseline/);

  fs.writeFileSync(source, GROWN);
  const grown = bpfdev(['verify', source, '--host', 'local', '--host', 'bpfdev-test', '--baseline', baseline], dir);
  assert.equal(grown.status, 1, grown.stdout + grown.stderr);
  for (const host of ['local', 'bpfdev-test']) {
    assert.match(grown.stdout, new RegExp(`prog\\.bpf\\.c:probe on ${host} \\(${kernel.replace(/[.]/g, '\\.')}\\): ok → ok, insns \\d+ → \\d+ \\(\\+[\\d.]+%\\).*REGRESSION: insns processed grew`));
  }
  const lenient = bpfdev(['verify', source, '--host', 'bpfdev-test', '--baseline', baseline, '--max-growth', '100000'], dir);
  assert.equal(lenient.status, 0, lenient.stdout + lenient.stderr);

  fs.writeFileSync(source, BROKEN);
  const broken = bpfdev(['verify', source, '--host', 'local', '--host', 'bpfdev-test', '--baseline', baseline, '--json'], dir);
  assert.equal(broken.status, 1);
  assert.match(broken.stderr, /prog\.bpf\.c:probe on bpfdev-test .*ok → rejected.*REGRESSION: ok → rejected/);
  assert.match(broken.stderr, /prog\.bpf\.c:probe on local .*REGRESSION: ok → rejected/);
  assert.match(broken.stderr, /2 regression\(s\) against the baseline/);
});

test('run --host A --host B: both attach, lines are tagged with their host, Ctrl-C detaches everywhere', { skip, timeout: 120_000 }, async () => {
  const child = spawn(process.execPath, [cli, 'run', path.join(repoRoot, 'examples', 'hello-openat.bpf.c'), '--host', 'local', '--host', 'bpfdev-test'],
    { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
  const attached = (host: string) => waitForLine(child, new RegExp(`^bpfdev: \\[${host}\\] \\d+ program\\(s\\) attached on ${host}`), 60_000, 'stderr');
  await Promise.all([attached('local'), attached('bpfdev-test')]);
  assert.equal(loadedProgramNames().filter((name) => name === 'hello_openat').length, 2, 'one instance per host');
  // Both hosts are this kernel, whose trace_pipe has one reader: the one that got it tags its lines.
  const marker = `/tmp/bpfdev-fleet-run-${process.pid}`;
  const opener = setInterval(() => { try { fs.openSync(marker, 'r'); } catch { /* the openat counts */ } }, 50);
  try {
    // When another process holds trace_pipe, both runs say so (trace-busy): fail with that, not a bare timeout.
    const line = await waitForLine(child, new RegExp(`opened ${marker}`), 30_000)
      .catch((error: Error) => { throw new Error(`${error.message}; the CLI said:\n${stderr}`); });
    assert.match(line, /^\[(local|bpfdev-test)\] /);
  } finally {
    clearInterval(opener);
  }
  child.kill('SIGINT');
  assert.equal(await exitOf(child), 0, stderr);
  assert.match(stderr, /\[local\] detached 1 program/);
  assert.match(stderr, /\[bpfdev-test\] detached 1 program/);
  assert.deepEqual(loadedProgramNames().filter((name) => name === 'hello_openat'), []);
});
