/**
 * Debian kernels in QEMU for the vm tier: the attach types this machine's kernel lacks (kprobe,
 * fentry) are tested there. The image is built once into a cache outside the repo by
 * scripts/test-hosts/build-vm-image.sh; each test file restores a saved, ssh-ready VM state in a
 * few seconds and reaches the guest's sshd through a loopback port. The guest's host key comes
 * from the image build and is written to known_hosts before connecting: it is never learned.
 */
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from './kernel';
import { freePort } from './sshd';

export type VmSuite = 'bookworm' | 'bullseye' | 'trixie';

/** The Debian kernel each suite boots. */
export const VM_KERNELS: Record<VmSuite, string> = { bookworm: '6.1', bullseye: '5.10', trixie: '6.12' };

export interface TestVm {
  suite: VmSuite;
  dir: string;
  port: number;
  /** ssh_config aliases: bpfdev-vm (root), bpfdev-vm-sudo (passwordless sudo), bpfdev-vm-nosudo. */
  alias: 'bpfdev-vm';
  configPath: string;
  knownHostsPath: string;
  /** `uname -r` of the guest, from the image build. */
  kernelRelease: string;
  boot: 'cold' | 'restored';
  bootMs: number;
  stop(): void;
}

const scripts = path.join(repoRoot, 'scripts', 'test-hosts');
const inCI = process.env.CI === 'true' || process.env.CI === '1';

export function vmCacheDir(): string {
  return process.env.BPFDEV_VM_CACHE ?? '/var/cache/bpfdev-vm';
}

/** The suites a run covers: BPFDEV_VM_SUITES (all three by default: ~11 s each once the image is cached). */
export function vmSuites(): VmSuite[] {
  const requested = (process.env.BPFDEV_VM_SUITES ?? 'bookworm bullseye trixie').split(/[\s,]+/).filter(Boolean);
  for (const suite of requested) if (!(suite in VM_KERNELS)) throw new Error(`BPFDEV_VM_SUITES: unknown suite ${suite}`);
  return requested as VmSuite[];
}

function imageReady(suite: VmSuite): boolean {
  return [`image-${suite}.ready`, `vmlinux-${suite}`, `initrd-${suite}.img`].every((file) => fs.existsSync(path.join(vmCacheDir(), file)));
}

/**
 * Why the vm tier cannot run here. In CI nothing but missing root excuses it: the image is built
 * when absent (tests call ensureVmImage). Outside CI a missing image or QEMU is a reason to skip,
 * since the first build downloads Debian packages for about a minute and a half.
 */
export function vmSkipReason(suites: VmSuite[] = vmSuites()): string | undefined {
  if (process.platform !== 'linux' || process.arch !== 'x64') return 'the test VMs are x86_64 Debian guests';
  if (process.geteuid?.() !== 0) return 'needs root (the image build uses debootstrap and chroot; the cached keys are root-only)';
  if (inCI) return undefined;
  if (spawnSync('qemu-system-x86_64', ['--version']).status !== 0) {
    return 'qemu-system-x86_64 is missing: run scripts/test-hosts/build-vm-image.sh (it installs QEMU and builds the image)';
  }
  const missing = suites.filter((suite) => !imageReady(suite));
  if (missing.length) return `no VM image for ${missing.join(', ')} in ${vmCacheDir()}: run scripts/test-hosts/build-vm-image.sh ${vmCacheDir()} "${missing.join(' ')}"`;
  return undefined;
}

function run(script: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('bash', [path.join(scripts, script), ...args], { encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, BPFDEV_VM_CACHE: vmCacheDir() } },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${script} ${args.join(' ')} failed: ${error.message}\n${stderr.trim()}`));
        else resolve(stdout);
      });
  });
}

/** Builds what is missing (image, then saved state); a no-op costing milliseconds when both are cached. */
export async function ensureVmImage(suites: VmSuite[] = vmSuites()): Promise<void> {
  await run('build-vm-image.sh', [vmCacheDir(), suites.join(' ')], 15 * 60_000);
  for (const suite of suites) await run('snapshot-vm.sh', [suite], 5 * 60_000);
}

export async function startVm(suite: VmSuite = 'bookworm'): Promise<TestVm> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bpfdev-vm-${suite}-`));
  const started = performance.now();
  let boot: string;
  try {
    boot = (await run('start-vm.sh', [suite, String(port), dir], 5 * 60_000)).trim();
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    suite,
    dir,
    port,
    alias: 'bpfdev-vm',
    configPath: path.join(dir, 'ssh_config'),
    knownHostsPath: path.join(dir, 'known_hosts'),
    kernelRelease: fs.readFileSync(path.join(dir, 'kernel-release'), 'utf8').trim(),
    boot: boot === 'cold' ? 'cold' : 'restored',
    bootMs: performance.now() - started,
    stop: () => {
      spawnSync('bash', [path.join(scripts, 'stop-vm.sh'), dir], { stdio: 'inherit' });
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
