/**
 * kprobe and fentry programs on real Debian kernels (QEMU guests; this machine's kernel has
 * neither): the host report says they are available, programs compiled against the guest's own
 * BTF attach and print through trace_pipe over SSH, Stop leaves nothing loaded, and a kprobe on
 * a function the kernel does not have fails to attach with a reason a person can act on.
 * Suites: BPFDEV_VM_SUITES, by default all of bookworm (6.1), bullseye (5.10) and trixie (6.12).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compileForTarget } from '../../host/src/compile';
import { formatHostReport, hostReport } from '../../host/src/host-report';
import { RunSession } from '../../host/src/loader';
import { RemoteTarget } from '../../host/src/remote-target';
import { HostKeyQuestion, SshConnection } from '../../host/src/ssh/connection';
import { resolveHost } from '../../host/src/ssh/hosts';
import { repoRoot } from '../support/kernel';
import { ensureVmImage, startVm, TestVm, VM_KERNELS, vmSkipReason, vmSuites } from '../support/vm';

const skip = vmSkipReason();
const programs = path.join(repoRoot, 'test', 'vm', 'programs');

/** The guest's key is in known_hosts from the image build: being asked would mean it is not. */
const neverAsked = async (question: HostKeyQuestion): Promise<boolean> => {
  throw new Error(`asked to trust ${question.fingerprint}: the VM's host key should have been known`);
};

async function loadedOnGuest(target: RemoteTarget): Promise<{ id: number; name: string }[]> {
  const result = await target.exec(['bpftool', 'prog', 'show', '--json'], { privileged: true });
  assert.equal(result.code, 0, `bpftool prog show failed on the guest: ${result.stderr}`);
  return (JSON.parse(result.stdout.toString('utf8')) as { id: number; name?: string }[]).map(({ id, name }) => ({ id, name: name ?? '' }));
}

for (const suite of skip ? ['bookworm' as const] : vmSuites()) {
  describe(`Debian ${suite} (Linux ${VM_KERNELS[suite]}) in QEMU`, { skip }, () => {
    let vm: TestVm;
    let target: RemoteTarget;

    before(async () => {
      await ensureVmImage([suite]);
      vm = await startVm(suite);
      console.log(`${suite}: VM ${vm.kernelRelease} ${vm.boot} in ${Math.round(vm.bootMs)} ms on 127.0.0.1:${vm.port}`);
      const host = resolveHost(vm.alias, fs.readFileSync(vm.configPath, 'utf8'));
      target = new RemoteTarget(await SshConnection.connect(host, { askHostKey: neverAsked }));
    }, { timeout: 20 * 60_000 });

    after(async () => {
      await target?.dispose();
      vm?.stop();
    });

    test('the host report shows BTF, kprobes and fentry', { timeout: 120_000 }, async () => {
      const report = await hostReport(target);
      console.log(formatHostReport(report));
      assert.equal(report.kernel, vm.kernelRelease);
      assert.ok(report.kernel.startsWith(`${VM_KERNELS[suite]}.`), `${report.kernel} is a ${VM_KERNELS[suite]} kernel`);
      assert.equal(report.arch, 'x86_64');
      assert.equal(report.privilege, 'root');
      assert.equal(report.btf, true);
      assert.equal(report.kprobes, true);
      assert.equal(report.fentry, true);
      assert.ok(report.tracefs);
      assert.deepEqual(report.problems, []);
    });

    test('a kprobe and an fentry program compiled for the guest attach, trace over SSH, and Stop leaves none loaded', { timeout: 300_000 }, async () => {
      const compiled = await compileForTarget(path.join(programs, 'vm-probes.bpf.c'), target);
      assert.ok(compiled.ok, compiled.output);
      assert.equal(compiled.build.release, vm.kernelRelease, "compiled against the guest's own BTF");

      const started = performance.now();
      const session = await RunSession.start(target, compiled.objectPath, { trace: true });
      const marker = `/tmp/bpfdev-vm-${process.pid}-${Date.now()}`;
      const wanted = new Map([
        ['kprobe', new RegExp(`bpfdev-vm kprobe do_unlinkat ${marker}`)],
        ['fentry', new RegExp(`bpfdev-vm fentry do_sys_openat2 ${marker}`)],
      ]);
      const seen = new Promise<void>((resolve) => {
        session.on('trace', (line) => {
          for (const [kind, pattern] of wanted) if (pattern.test(line)) wanted.delete(kind);
          if (wanted.size === 0) resolve();
        });
      });
      const ready = await session.ready;
      assert.equal(ready.attached, 2, `attach failures: ${JSON.stringify(session.attachFailures)}`);
      const attached = session.attached.map(({ name, progId }) => ({ name, progId })).sort((a, b) => a.name.localeCompare(b.name));
      assert.deepEqual(attached.map(({ name }) => name), ['vm_fentry_openat2', 'vm_kprobe_unlinkat']);
      const loaded = await loadedOnGuest(target);
      for (const { progId } of attached) assert.ok(loaded.some(({ id }) => id === progId), `program ${progId} is loaded on the guest`);

      // touch opens the marker (do_sys_openat2), rm unlinks it (do_unlinkat). Repeated until
      // both lines arrive: the guest is emulated, and one trigger can race the first read.
      let triggers = 0;
      const trigger = async () => {
        triggers++;
        await target.exec(['sh', '-c', `touch ${marker} && rm ${marker}`]);
      };
      await trigger();
      const retrigger = setInterval(() => { void trigger(); }, 3000);
      try {
        await seen;
      } finally {
        clearInterval(retrigger);
      }
      console.log(`${suite}: kprobe and fentry lines ${Math.round(performance.now() - started)} ms after start (${triggers} trigger(s))`);

      await session.stop();
      const after = await loadedOnGuest(target);
      for (const { progId, name } of attached) {
        assert.ok(!after.some(({ id }) => id === progId), `${name} (id ${progId}) still loaded after Stop`);
      }
      assert.deepEqual(after.filter(({ name }) => name.startsWith('vm_')), [], 'none of our programs is loaded on the guest');
      const loaders = await target.exec(['sh', '-c', 'pgrep -af "[b]pfdev-loader" || true']);
      assert.equal(loaders.stdout.toString('utf8').trim(), '', 'no loader left running on the guest');
    });

    test('a kprobe on a function the kernel lacks yields attach-failed with a clear reason', { timeout: 180_000 }, async () => {
      const compiled = await compileForTarget(path.join(programs, 'missing-kprobe.bpf.c'), target);
      assert.ok(compiled.ok, compiled.output);
      const session = await RunSession.start(target, compiled.objectPath, { trace: false });
      const ready = await session.ready.catch(() => undefined);
      const status = await session.exited;
      assert.equal(ready?.attached ?? 0, 0);
      assert.equal(session.attachFailures.length, 1, `events: ${session.stderr}`);
      const [failure] = session.attachFailures;
      assert.equal(failure.name, 'vm_kprobe_missing');
      assert.match(failure.reason, /function not found in kernel: 'bpfdev_no_such_function'/);
      assert.notEqual(status.code, 0, 'a run that attached nothing is a failed run');
      assert.deepEqual((await loadedOnGuest(target)).filter(({ name }) => name === 'vm_kprobe_missing'), [], 'the failed program was unloaded');
    });
  });
}
