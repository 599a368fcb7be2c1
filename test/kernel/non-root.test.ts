/**
 * A developer's own account with password sudo (issue #9, "a normal user"), as a real user
 * created by the test (test/support/test-user.ts): the host report says what it can do, verify
 * without a terminal fails saying what to set up, with a terminal (a real pty through `script`)
 * it works after one sudo prompt, an editor's privileged session asks once, and after
 * `bpfdev setup` nothing is asked at all; `--undo` restores the machine.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { quoteShellArgument } from '../../core/src/ssh/shell-quote';
import { CAP_LOADER_GROUP, capLoaderPath } from '../../core/src/privilege/state';
import { SETUP_MANIFEST } from '../../core/src/privilege/setup-plan';
import { compileForTarget } from '../../host/src/compile';
import { LocalTarget } from '../../host/src/local-target';
import { kernelSkipReason } from '../support/kernel';
import { asTestUser, ensureTestUser, readableCheckout, TestUser, testUserSkipReason } from '../support/test-user';

const skip = kernelSkipReason() ?? testUserSkipReason()
  ?? (spawnSync('sh', ['-c', 'command -v script']).status !== 0 ? 'needs script(1) for a pty (util-linux)' : undefined);
// A program of our own, so "nothing left attached" is about what these tests loaded.
const PROGRAM = 'nonroot_probe';
const SOURCE = `#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
SEC("tracepoint/sched/sched_process_exec")
int ${PROGRAM}(void *ctx)
{
	bpf_printk("nonroot-probe: exec");
	return 0;
}
`;
const SUDO_PROMPT = /\[sudo\] password for [^\n]*:/g;

let user: TestUser;
let checkout: string;
let work: string;
let source: string;
let setupWasInstalled = false;

interface Outcome { code: number | null; output: string; stderr: string; prompts: number }

/** Runs the CLI as the test user. `pty`: in a terminal (script(1)) that answers sudo's prompts with the password. */
function bpfdev(args: string[], options: { pty?: boolean; timeoutMs?: number } = {}): Promise<Outcome> {
  const cli = [path.join(checkout, 'bin', 'bpfdev.js'), ...args];
  const command = options.pty ? ['script', '-qec', ['node', ...cli].map(quoteShellArgument).join(' '), '/dev/null'] : ['node', ...cli];
  const run = asTestUser(user, command);
  const child = spawn(run.argv[0], run.argv.slice(1), { env: run.env, cwd: work, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  let stderr = '';
  let prompts = 0;
  let answered = 0;
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
    prompts = output.match(SUDO_PROMPT)?.length ?? 0;
    // One answer per prompt seen; a second prompt would be counted and fail the assertion on prompts.
    for (; answered < prompts; answered++) child.stdin.write(`${user.password}\n`);
  });
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
  if (!options.pty) child.stdin.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
  return new Promise((resolve) => child.on('close', (code) => {
    clearTimeout(timer);
    child.stdin.destroy();
    resolve({ code, output, stderr, prompts });
  }));
}

/** Programs named ours that are still loaded. */
function ourPrograms(): string[] {
  const result = spawnSync('bpftool', ['prog', 'show', '--json'], { encoding: 'utf8' });
  return (JSON.parse(result.stdout || '[]') as { name?: string }[]).map((program) => program.name ?? '').filter((name) => name === PROGRAM);
}

function forgetSudoTickets(): void {
  // Tickets of this user's earlier ptys must not spare a later test its prompt.
  const run = asTestUser(user, ['sudo', '-K']);
  spawnSync(run.argv[0], run.argv.slice(1), { env: run.env });
}

before(() => {
  if (skip) return;
  user = ensureTestUser();
  checkout = readableCheckout(user);
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfdev-nonroot-'));
  source = path.join(work, 'nonroot-probe.bpf.c');
  fs.writeFileSync(source, SOURCE);
  fs.chownSync(work, user.uid, user.gid);
  fs.chownSync(source, user.uid, user.gid);
  setupWasInstalled = fs.existsSync(SETUP_MANIFEST);
  forgetSudoTickets();
});

after(() => {
  if (skip) return;
  forgetSudoTickets();
  fs.rmSync(work, { recursive: true, force: true });
});

test('bpfdev host as a user with password sudo reports "sudo with password" and what to do, and exits 0', { skip: skip ?? (fs.existsSync(capLoaderPath(os.machine())) ? 'a bpfdev setup is installed on this machine' : undefined), timeout: 60_000 }, async () => {
  const result = await bpfdev(['host']);
  assert.equal(result.code, 0, result.output + result.stderr);
  assert.match(result.output, /^privilege\s+sudo with password$/m);
  assert.match(result.output, /bpfdev setup/);
  assert.match(result.output, /^kernel\s+\S+/m, 'the probe ran without privileges');
  const json = await bpfdev(['host', '--json']);
  const report = JSON.parse(json.output) as { privilege: string; privilegeAdvice: string[] };
  assert.equal(report.privilege, 'sudo-password');
  assert.ok(report.privilegeAdvice.length > 0);
});

test('bpfdev verify without a terminal fails saying what to set up, not with the loader\'s exit', { skip, timeout: 120_000 }, async () => {
  const result = await bpfdev(['verify', source]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /sudo wants bpfdev-test's password/);
  assert.match(result.stderr, /bpfdev setup/);
  assert.match(result.stderr, /NOPASSWD/);
  assert.doesNotMatch(result.output + result.stderr, /loader exited/);
});

test('bpfdev verify in a terminal works after exactly one sudo prompt, and the password never shows', { skip, timeout: 120_000 }, async () => {
  const result = await bpfdev(['verify', source], { pty: true });
  assert.equal(result.code, 0, result.output);
  assert.equal(result.prompts, 1, result.output);
  assert.match(result.output, new RegExp(`${PROGRAM} \\(tracepoint/sched/sched_process_exec\\): ok`));
  assert.ok(!result.output.includes(user.password), 'the password was echoed');
  assert.deepEqual(ourPrograms(), []);
});

test('an editor\'s privileged session: one password for a verify and a run, a wrong one is asked again', { skip, timeout: 120_000 }, async () => {
  const compiled = await compileForTarget(source, new LocalTarget(), {});
  assert.ok(compiled.ok, JSON.stringify(compiled.diagnostics));
  const object = path.join(work, 'nonroot-probe.o');
  fs.copyFileSync(compiled.objectPath, object);
  fs.chmodSync(object, 0o644);
  // What server and client do (host/src/privileged-session.ts), as the user, with the test's
  // password on stdin; the first answer is wrong, so the session must ask again.
  const script = `
    const { LocalTarget } = require(${JSON.stringify(path.join(checkout, 'out/host/src/local-target.js'))});
    const { verifyOnTarget, RunSession } = require(${JSON.stringify(path.join(checkout, 'out/host/src/loader.js'))});
    const password = require('node:fs').readFileSync(0, 'utf8').trim();
    const answers = ['not-the-password', password];
    let asked = 0;
    (async () => {
      const target = new LocalTarget({ askPassword: async () => answers[asked++] });
      const firstError = await verifyOnTarget(target, process.argv[1]).then(() => 'none', (error) => error.code);
      const verified = await verifyOnTarget(target, process.argv[1]);
      const session = await RunSession.start(target, process.argv[1], { trace: false });
      const ready = await session.ready;
      await session.stop();
      await target.dispose();
      console.log(JSON.stringify({ asked, firstError, verdicts: verified.programs.map((p) => p.verdict), attached: ready.attached, attachedIds: session.attached.map((a) => a.progId) }));
    })().catch((error) => { console.error(error); process.exit(1); });`;
  const run = asTestUser(user, ['node', '-e', script, object]);
  const result = spawnSync(run.argv[0], run.argv.slice(1), { env: run.env, cwd: work, input: `${user.password}\n`, encoding: 'utf8', timeout: 90_000 });
  assert.equal(result.status, 0, result.stdout + result.stderr);
  const outcome = JSON.parse(result.stdout.trim().split('\n').pop()!) as { asked: number; firstError: string; verdicts: string[]; attached: number };
  assert.equal(outcome.firstError, 'BAD_PASSWORD');
  assert.equal(outcome.asked, 2, 'asked again after the wrong password, then never again');
  assert.deepEqual(outcome.verdicts, ['ok']);
  assert.equal(outcome.attached, 1);
  assert.ok(!result.stdout.includes(user.password) && !result.stderr.includes(user.password));
  assert.deepEqual(ourPrograms(), []);
});

test('after bpfdev setup, verify and run need no password; setup --undo restores sudo with password', { skip: skip ?? (setupWasInstalled ? 'a bpfdev setup is already installed on this machine; not touching it' : undefined), timeout: 240_000 }, async () => {
  const loader = capLoaderPath(os.machine());
  const groupExisted = spawnSync('getent', ['group', CAP_LOADER_GROUP]).status === 0;
  try {
    forgetSudoTickets();
    const setup = await bpfdev(['setup', '--yes'], { pty: true });
    assert.equal(setup.code, 0, setup.output);
    assert.equal(setup.prompts, 1, setup.output);
    assert.match(setup.output, /setcap cap_bpf,cap_perfmon,cap_dac_read_search,cap_net_admin\+ep/, 'setup prints the commands it runs');
    assert.match(setup.output, /--undo/);
    const stat = fs.statSync(loader);
    assert.equal(stat.uid, 0, 'the capability loader is root-owned');
    assert.equal(stat.mode & 0o777, 0o750);
    assert.match(spawnSync('getcap', [loader], { encoding: 'utf8' }).stdout, /cap_bpf/);

    forgetSudoTickets();
    const host = await bpfdev(['host']);
    assert.match(host.output, /^privilege\s+capabilities/m, host.output + host.stderr);
    const verify = await bpfdev(['verify', source]);
    assert.equal(verify.code, 0, verify.output + verify.stderr);
    assert.match(verify.output, new RegExp(`${PROGRAM} \\(tracepoint/sched/sched_process_exec\\): ok`));

    // A run reads trace_pipe through the loader's CAP_DAC_READ_SEARCH: wait for our own line.
    const run = asTestUser(user, ['node', path.join(checkout, 'bin', 'bpfdev.js'), 'run', source, '--duration', '20']);
    const child = spawn(run.argv[0], run.argv.slice(1), { env: run.env, cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
    const closed = new Promise((resolve) => child.once('close', resolve));
    const traced = await new Promise<boolean>((resolve) => {
      let stdout = '';
      const poke = setInterval(() => spawnSync('true'), 200);
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString('utf8');
        if (stdout.includes('nonroot-probe: exec')) { clearInterval(poke); resolve(true); }
      });
      child.on('close', () => { clearInterval(poke); resolve(false); });
    });
    child.kill('SIGINT');
    await closed;
    assert.ok(traced, `no trace line from ${PROGRAM}:\n${stderr}`);
    assert.match(stderr, /detached 1 program/);
    assert.deepEqual(ourPrograms(), []);
  } finally {
    forgetSudoTickets();
    const undo = await bpfdev(['setup', '--undo', '--yes'], { pty: true });
    assert.equal(undo.code, 0, undo.output);
    assert.equal(fs.existsSync(loader), false);
    assert.equal(fs.existsSync(SETUP_MANIFEST), false);
    assert.equal(spawnSync('getent', ['group', CAP_LOADER_GROUP]).status === 0, groupExisted, 'undo deletes the group only when setup created it');
  }
  forgetSudoTickets();
  const host = await bpfdev(['host']);
  assert.match(host.output, /^privilege\s+sudo with password$/m);
});
