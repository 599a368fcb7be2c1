/**
 * Run on a remote host over real SSH (loopback sshd, this machine's kernel): the program
 * attaches, its trace lines stream back, and every way a session can end leaves 0 of our
 * programs loaded and no loader process behind.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compileForTarget } from '../../host/src/compile';
import { RunSession } from '../../host/src/loader';
import { RemoteTarget } from '../../host/src/remote-target';
import { SshConnection } from '../../host/src/ssh/connection';
import { resolveHost } from '../../host/src/ssh/hosts';
import { kernelSkipReason, loadedProgramNames, repoRoot } from '../support/kernel';
import { sshdSessionPids, sshdSkipReason, startSshd, TestSshd } from '../support/sshd';

const skip = sshdSkipReason() ?? kernelSkipReason();
const PROGRAM = 'hello_openat';
let sshd: TestSshd;
let objectPath: string;

before(async () => {
  if (skip) return;
  sshd = await startSshd({ users: true });
  const target = await connect('bpfdev-test');
  try {
    objectPath = (await compileForTarget(path.join(repoRoot, 'examples', 'hello-openat.bpf.c'), target)).objectPath;
  } finally {
    await target.dispose();
  }
});
after(() => sshd?.stop());

async function connect(alias: string): Promise<RemoteTarget> {
  const host = resolveHost(alias, fs.readFileSync(sshd.configPath, 'utf8'));
  return new RemoteTarget(await SshConnection.connect(host, { askHostKey: async () => false }));
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Waits until the kernel no longer has our program and our loader (its pid from the ready
 * event: other sessions' loaders may run on this machine) has exited.
 */
async function untilDetached(what: string, loaderPid: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (loadedProgramNames().includes(PROGRAM) || isRunning(loaderPid)) {
    assert.ok(Date.now() < deadline, `${what}: ${PROGRAM} still loaded or loader ${loaderPid} still running after 15 s`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function startAndSeeTrace(target: RemoteTarget): Promise<{ session: RunSession; loaderPid: number }> {
  const session = await RunSession.start(target, objectPath, { trace: true });
  const marker = `/tmp/bpfdev-remote-${process.pid}-${Date.now()}`;
  const seen = new Promise<string>((resolve, reject) => {
    session.on('trace', (line) => { if (line.includes(marker)) resolve(line); });
    // Only one trace_pipe reader per kernel: fail with the reason instead of waiting for lines that cannot come.
    session.on('event', (event) => { if (event.event === 'trace-busy') reject(new Error(String(event.reason))); });
  });
  const ready = await session.ready;
  assert.equal(ready.attached, 1, `attach failed: ${JSON.stringify(session.attachFailures)}`);
  assert.ok(loadedProgramNames().includes(PROGRAM));
  const opener = setInterval(() => { try { fs.openSync(marker, 'r'); } catch { /* the openat is what counts */ } }, 20);
  try {
    assert.match(await seen, /hello-openat: pid \d+ opened/);
  } finally {
    clearInterval(opener);
  }
  return { session, loaderPid: ready.pid };
}

test('run over SSH as root streams trace lines; Stop detaches and removes the uploaded object', { skip, timeout: 90_000 }, async () => {
  const target = await connect('bpfdev-test');
  try {
    const { session, loaderPid } = await startAndSeeTrace(target);
    const uploaded = session.objectPath!;
    assert.ok(uploaded.startsWith('/root/.cache/bpfdev-0/'), `uploaded to ${uploaded}`);
    assert.ok(fs.existsSync(uploaded), 'the object is on the host while it runs');
    assert.equal(fs.statSync('/root/.cache/bpfdev-0').mode & 0o777, 0o700);
    await session.stop();
    await untilDetached('after Stop', loaderPid);
    assert.ok(!fs.existsSync(uploaded), 'Stop removes the uploaded object');
  } finally {
    await target.dispose();
  }
});

test('run over SSH through sudo -n as a non-root user', { skip, timeout: 90_000 }, async () => {
  const target = await connect('bpfdev-test-sudo');
  try {
    assert.equal(await target.privilegeMode(), 'sudo');
    const { session, loaderPid } = await startAndSeeTrace(target);
    await session.stop();
    await untilDetached('after Stop via sudo', loaderPid);
  } finally {
    await target.dispose();
  }
});

test('closing the client connection detaches', { skip, timeout: 90_000 }, async () => {
  const target = await connect('bpfdev-test');
  const { loaderPid } = await startAndSeeTrace(target);
  await target.dispose();
  await untilDetached('after the client closed its connection', loaderPid);
});

test('killing the SSH session from the host side detaches', { skip, timeout: 90_000 }, async () => {
  const target = await connect('bpfdev-test');
  try {
    const { loaderPid } = await startAndSeeTrace(target);
    const sessions = sshdSessionPids(sshd);
    assert.ok(sessions.length > 0);
    for (const pid of sessions) process.kill(pid, 'SIGKILL');
    await untilDetached('after sshd sessions were killed', loaderPid);
  } finally {
    await target.dispose().catch(() => undefined);
  }
});

test('killing the loader on the host detaches (FD-owned links die with it)', { skip, timeout: 90_000 }, async () => {
  const target = await connect('bpfdev-test');
  try {
    const { session, loaderPid } = await startAndSeeTrace(target);
    assert.ok(isRunning(loaderPid), 'the loader runs on the host');
    process.kill(loaderPid, 'SIGKILL');
    await session.exited;
    await untilDetached('after the loader was killed', loaderPid);
  } finally {
    await target.dispose();
  }
});
