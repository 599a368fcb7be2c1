/** A real sshd on 127.0.0.1 for the ssh tier, started and stopped by the test itself. */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from './kernel';

export interface TestSshd {
  dir: string;
  port: number;
  /** ssh_config with aliases bpfdev-test (root), bpfdev-test-sudo, bpfdev-test-nosudo. */
  configPath: string;
  knownHostsPath: string;
  hostPublicKey: string;
  stop(): void;
}

export function sshdSkipReason(): string | undefined {
  if (process.geteuid?.() !== 0) return 'needs root to run a test sshd and log in as test users (CI runs as root)';
  if (!fs.existsSync('/usr/sbin/sshd')) return 'needs openssh-server (scripts/setup.sh installs it)';
  return undefined;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function startSshd(options: { users?: boolean } = {}): Promise<TestSshd> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfdev-sshd-'));
  const scripts = path.join(repoRoot, 'scripts', 'test-hosts');
  execFileSync('bash', [path.join(scripts, 'start-sshd-host.sh'), String(port), dir, ...(options.users ? ['--users'] : [])], { stdio: ['ignore', 'ignore', 'inherit'] });
  return {
    dir,
    port,
    configPath: path.join(dir, 'ssh_config'),
    knownHostsPath: path.join(dir, 'known_hosts'),
    hostPublicKey: fs.readFileSync(path.join(dir, 'host_key.pub'), 'utf8').trim(),
    stop: () => {
      execFileSync('bash', [path.join(scripts, 'stop-sshd-host.sh'), dir], { stdio: 'inherit' });
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** PIDs of sshd session processes serving logged-in clients (children of the listener). */
export function sshdSessionPids(sshd: TestSshd): number[] {
  const listener = fs.readFileSync(path.join(sshd.dir, 'sshd.child.pid'), 'utf8').trim();
  try {
    return execFileSync('pgrep', ['-P', listener], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
