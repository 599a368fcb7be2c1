/** The CLI against a real sshd: `--host` for host/verify/run, and host-key refusal without a terminal. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { exitOf, kernelSkipReason, lineContaining, loadedProgramNames, repoRoot, waitForLine } from '../support/kernel';
import { sshdSkipReason, startSshd, TestSshd } from '../support/sshd';

const skip = sshdSkipReason() ?? kernelSkipReason();
const cli = path.join(repoRoot, 'bin', 'bpfdev.js');
let sshd: TestSshd;
let env: NodeJS.ProcessEnv;

before(async () => {
  if (skip) return;
  sshd = await startSshd();
  env = { ...process.env, BPFDEV_SSH_CONFIG: sshd.configPath };
});
after(() => sshd?.stop());

test('bpfdev host --host reports the remote kernel in under a second of work', { skip, timeout: 60_000 }, () => {
  const result = spawnSync(process.execPath, [cli, 'host', '--json', '--host', 'bpfdev-test'], { encoding: 'utf8', env });
  assert.equal(result.status, 0, result.stderr);
  const report = JSON.parse(result.stdout) as { target: string; kernel: string; privilege: string; btf: boolean; durationMs: number };
  assert.equal(report.target, 'bpfdev-test');
  assert.equal(report.kernel, fs.readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim());
  assert.equal(report.privilege, 'root');
  assert.equal(report.btf, true);
  console.log(`host report over loopback SSH: ${Math.round(report.durationMs)} ms`);
});

test('bpfdev verify --host puts the verifier error at the source line', { skip, timeout: 90_000 }, () => {
  const file = path.join(repoRoot, 'examples', 'broken-user-deref.bpf.c');
  const result = spawnSync(process.execPath, [cli, 'verify', file, '--host', 'bpfdev-test'], { encoding: 'utf8', env });
  assert.equal(result.status, 1, result.stderr);
  const line = lineContaining(fs.readFileSync(file, 'utf8'), 'char first = *user_path;');
  assert.match(result.stdout, new RegExp(`^${file.replace(/[.]/g, '\\.')}:${line}:\\d+: error: `, 'm'));
});

test('bpfdev run --host streams and detaches', { skip, timeout: 90_000 }, async () => {
  const child = spawn(process.execPath, [cli, 'run', path.join(repoRoot, 'examples', 'hello-openat.bpf.c'), '--host', 'bpfdev-test', '--duration', '4'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  await waitForLine(child, /attached hello_openat/, 60_000, 'stderr');
  const marker = `/tmp/bpfdev-cli-remote-${process.pid}`;
  const opener = setInterval(() => { try { fs.openSync(marker, 'r'); } catch { /* the openat counts */ } }, 50);
  try {
    await waitForLine(child, new RegExp(`opened ${marker}`));
  } finally {
    clearInterval(opener);
  }
  assert.equal(await exitOf(child), 0);
  assert.ok(!loadedProgramNames().includes('hello_openat'));
});

test('an unknown host key is refused without a terminal, with the fingerprint to check', { skip, timeout: 60_000 }, () => {
  const emptyKnownHosts = path.join(sshd.dir, 'cli_empty_known_hosts');
  fs.writeFileSync(emptyKnownHosts, '');
  const config = path.join(sshd.dir, 'cli_ssh_config');
  fs.writeFileSync(config, fs.readFileSync(sshd.configPath, 'utf8').replaceAll(sshd.knownHostsPath, emptyKnownHosts));
  const result = spawnSync(process.execPath, [cli, 'host', '--host', 'bpfdev-test'], { encoding: 'utf8', env: { ...env, BPFDEV_SSH_CONFIG: config }, stdio: ['ignore', 'pipe', 'pipe'] });
  assert.equal(result.status, 1);
  assert.match(result.stderr, /host key of 127\.0\.0\.1:\d+ is unknown \(ssh-ed25519 SHA256:[A-Za-z0-9+/]+\)/);
  assert.match(result.stderr, /--trust-host-key SHA256:/);
  assert.equal(fs.readFileSync(emptyKnownHosts, 'utf8'), '', 'nothing was added to known_hosts');
  const fingerprint = /--trust-host-key (SHA256:\S+)/.exec(result.stderr)![1];
  const trusted = spawnSync(process.execPath, [cli, 'host', '--host', 'bpfdev-test', '--trust-host-key', fingerprint], { encoding: 'utf8', env: { ...env, BPFDEV_SSH_CONFIG: config } });
  assert.equal(trusted.status, 0, trusted.stderr);
  assert.match(fs.readFileSync(emptyKnownHosts, 'utf8'), /ssh-ed25519/);
});

test('--remote-compile builds with the host\'s clang and maps its diagnostics back to local paths', { skip, timeout: 90_000 }, () => {
  const dir = fs.mkdtempSync('/tmp/bpfdev-remote-compile-test-');
  const file = path.join(dir, 'typo.bpf.c');
  fs.writeFileSync(path.join(dir, 'local.h'), '#define ANSWER 42\n');
  fs.writeFileSync(file, '#include "vmlinux.h"\n#include <bpf/bpf_helpers.h>\n#include "local.h"\nchar LICENSE[] SEC("license") = "GPL";\nSEC("tp/syscalls/sys_enter_openat")\nint f(void *ctx) { return ANSWER + missing_name; }\n');
  const failed = spawnSync(process.execPath, [cli, 'verify', file, '--host', 'bpfdev-test', '--remote-compile'], { encoding: 'utf8', env });
  assert.equal(failed.status, 1);
  assert.match(failed.stdout, new RegExp(`^${file.replace(/[.]/g, '\\.')}:6:\\d+: error: use of undeclared identifier 'missing_name'`, 'm'));
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(' + missing_name', ''));
  const passed = spawnSync(process.execPath, [cli, 'verify', file, '--json', '--host', 'bpfdev-test', '--remote-compile'], { encoding: 'utf8', env });
  assert.equal(passed.status, 0, passed.stdout + passed.stderr);
  assert.equal((JSON.parse(passed.stdout) as { programs: { verdict: string }[] }).programs[0].verdict, 'ok');
});

test('--remote-compile takes the project\'s macros and system include dirs, and says which local include dirs it left behind', { skip, timeout: 90_000 }, () => {
  const dir = fs.mkdtempSync('/tmp/bpfdev-remote-flags-test-');
  const file = path.join(dir, 'prog.bpf.c');
  fs.writeFileSync(path.join(dir, 'compile_flags.txt'), '-DFROM_PROJECT=1\n-Ilocal-only\n');
  fs.writeFileSync(file, '#include <linux/bpf.h>\n#include <asm/errno.h>\n#include <bpf/bpf_helpers.h>\n_Static_assert(FROM_PROJECT && EPERM == 1, "project macro, host system headers");\n' +
    'char LICENSE[] SEC("license") = "GPL";\nSEC("xdp")\nint f(struct xdp_md *ctx) { return XDP_PASS; }\n');
  const result = spawnSync(process.execPath, [cli, 'verify', file, '--json', '--host', 'bpfdev-test', '--remote-compile'], { encoding: 'utf8', env });
  assert.equal(result.status, 0, result.stdout + result.stderr);
  const document = JSON.parse(result.stdout) as { flagsSource: { kind: string }; diagnostics: { severity: string; message: string }[]; programs: { verdict: string }[] };
  assert.equal(document.flagsSource.kind, 'compile_flags.txt');
  assert.equal(document.programs[0].verdict, 'ok');
  const warning = document.diagnostics.find((d) => d.severity === 'warning' && d.message.includes('not uploaded'));
  assert.ok(warning?.message.includes(`-I ${path.join(dir, 'local-only')}`), JSON.stringify(document.diagnostics));
});
