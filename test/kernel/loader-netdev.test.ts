/**
 * XDP and tc programs of `loader run --iface` (issue #11) on a veth pair this test creates (one
 * end in a network namespace of its own): attached while the run lasts, and nothing left on the
 * interface or in the kernel after a stop, and after kill -9 of the loader.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { compileForTarget } from '../../host/src/compile';
import { RunSession } from '../../host/src/loader';
import { LocalTarget } from '../../host/src/local-target';
import { kernelSkipReason, repoRoot } from '../support/kernel';

const skip = kernelSkipReason() ?? (spawnSync('ip', ['-V']).status === 0 ? undefined : 'needs iproute2 (ip)');
const source = path.join(repoRoot, 'test', 'fixtures', 'events', 'netdev.bpf.c');
const target = new LocalTarget();
// Names unique to this process: helpers and CI jobs may run this test side by side.
const netns = `bpfdev-nd-${process.pid}`;
const iface = `bnd${process.pid % 100_000}a`;
let objectPath = '';

/** The id of the XDP program on the interface, or undefined. */
function xdpProgram(): number | undefined {
  const [link] = JSON.parse(execFileSync('ip', ['-j', 'link', 'show', 'dev', iface], { encoding: 'utf8' })) as { xdp?: { prog?: { id: number } } }[];
  return link?.xdp?.prog?.id;
}

function linkedPrograms(): number[] {
  return (JSON.parse(execFileSync('bpftool', ['link', 'show', '--json'], { encoding: 'utf8' })) as { prog_id: number }[]).map((link) => link.prog_id);
}

function programExists(id: number): boolean {
  return spawnSync('bpftool', ['prog', 'show', 'id', String(id)]).status === 0;
}

void describe('loader run --iface: XDP and tc on a veth pair', { skip, timeout: 120_000 }, () => {
  before(async () => {
    execFileSync('ip', ['netns', 'add', netns]);
    execFileSync('ip', ['link', 'add', iface, 'type', 'veth', 'peer', 'name', 'peer0', 'netns', netns]);
    execFileSync('ip', ['link', 'set', iface, 'up']);
    const compiled = await compileForTarget(source, target, { precompiledHeader: 'off' });
    assert.ok(compiled.ok, compiled.output);
    objectPath = compiled.objectPath;
  });

  after(() => {
    spawnSync('ip', ['link', 'del', iface]);
    spawnSync('ip', ['netns', 'del', netns]);
  });

  /** Starts a run, checks both programs hold the interface, and returns what to check after. */
  async function attachBoth(session: RunSession): Promise<number[]> {
    await session.ready;
    const xdp = session.attached.find((event) => event.name === 'pass_xdp');
    const tc = session.attached.find((event) => event.name === 'pass_tc');
    assert.ok(xdp && tc, `attached: ${session.attached.map((event) => event.name).join(', ')}; failures: ${session.attachFailures.map((event) => event.reason).join('; ')}`);
    assert.equal(xdp.mode, 'xdp-link');
    // tcx links exist since 6.6; older kernels fall back to a clsact filter.
    assert.equal(tc.mode, 'tcx');
    assert.equal(xdp.attachTo, iface);
    assert.equal(tc.attachTo, `${iface} ingress`);
    assert.equal(xdpProgram(), xdp.progId);
    assert.ok(linkedPrograms().includes(tc.progId), 'the tc program is held by a link');
    return [xdp.progId, tc.progId];
  }

  function assertGone(ids: number[]): void {
    assert.equal(xdpProgram(), undefined, 'an XDP program is still on the interface');
    for (const id of ids) assert.ok(!linkedPrograms().includes(id), `program ${id} is still linked`);
    for (const id of ids) assert.ok(!programExists(id), `program ${id} is still loaded`);
  }

  void test('attached on --iface; stop leaves nothing behind', async () => {
    const session = await RunSession.start(target, objectPath, { trace: false, iface });
    const ids = await attachBoth(session);
    await session.stop();
    assertGone(ids);
  });

  void test('kill -9 of the loader leaves nothing behind either', async () => {
    const loader = await target.loaderPath();
    const child = target.spawn([loader, 'run', objectPath, '--iface', iface], { privileged: true });
    const session = new RunSession(child);
    const ids = await attachBoth(session);
    child.kill('SIGKILL');
    await session.exited;
    assertGone(ids);
  });

  void test('without --iface, each says what it needs; a missing interface is named', async () => {
    const none = await RunSession.start(target, objectPath, { trace: false });
    assert.equal((await none.ready).attached, 0);
    assert.deepEqual(none.attachFailures.map((event) => event.name).sort(), ['pass_tc', 'pass_xdp']);
    assert.ok(none.attachFailures.every((event) => /--iface/.test(event.reason)));
    await none.stop();

    const missing = await RunSession.start(target, objectPath, { trace: false, iface: 'nosuch0' });
    assert.equal((await missing.ready).attached, 0);
    assert.ok(missing.attachFailures.every((event) => /no network interface 'nosuch0'/.test(event.reason)), missing.attachFailures.map((event) => event.reason).join('; '));
    await missing.stop();
  });
});
