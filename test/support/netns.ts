/**
 * A second host for the ssh tier: sshd inside a network namespace of our own (10.231.N.2, joined
 * to this machine by a veth pair, no default route). It shares this machine's kernel, so BPF
 * programs loaded through it are visible to `bpftool` here, but its network can be cut without
 * touching loopback: that is how the network-loss guarantee is tested.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from './kernel';

export interface NetnsHost {
  name: string;
  index: number;
  /** sshd's address inside the namespace: 10.231.N.2 (port 22). */
  address: string;
  dir: string;
  /** ssh_config with the aliases bpfdev-test (root), bpfdev-test-sudo, bpfdev-test-nosudo. */
  configPath: string;
  knownHostsPath: string;
  /** Takes the namespace's end of the link down: packets vanish, nobody is told (no RST, no FIN). */
  cutLink(): void;
  /** PIDs of the processes living in the namespace (sshd and whatever it started). */
  pids(): number[];
  stop(): void;
}

const scripts = path.join(repoRoot, 'scripts', 'test-hosts');

export function netnsSkipReason(): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux network namespaces';
  if (process.geteuid?.() !== 0) return 'needs root to create a network namespace (CI runs as root)';
  if (!fs.existsSync('/usr/sbin/sshd')) return 'needs openssh-server (scripts/setup.sh installs it)';
  if (spawnSync('ip', ['-V']).status !== 0) return 'needs iproute2 (ip)';
  return undefined;
}

function addressInUse(index: number): boolean {
  return execFileSync('ip', ['-o', 'addr', 'show'], { encoding: 'utf8' }).includes(` 10.231.${index}.`);
}

/**
 * Starts the host on the first free 10.231.N.0/30 from 200 upwards (leaving the low ones to
 * people's manual use of the scripts). `clientAliveSeconds` makes sshd drop a client that stops
 * answering its keepalives (3 missed), as a production sshd with ClientAliveInterval would.
 */
export function startNetnsHost(options: { clientAliveSeconds?: number } = {}): NetnsHost {
  const existing = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  for (let index = 200; index <= 254; index++) {
    const name = `bpfns${index}`;
    if (new RegExp(`^${name}\\b`, 'm').test(existing) || addressInUse(index)) continue;
    const dir = fs.mkdtempSync(`/tmp/bpfdev-netns-${name}-`);
    const started = spawnSync('bash', [path.join(scripts, 'start-netns-host.sh'), name, String(index), dir], {
      encoding: 'utf8',
      env: { ...process.env, CLIENT_ALIVE: String(options.clientAliveSeconds ?? 0) },
    });
    if (started.status !== 0) {
      fs.rmSync(dir, { recursive: true, force: true });
      // Another test process may have taken this index between our check and the script: try the next.
      if (/exists|in use/.test(started.stderr)) continue;
      throw new Error(`start-netns-host.sh failed: ${started.stderr.trim()}`);
    }
    return {
      name,
      index,
      address: `10.231.${index}.2`,
      dir,
      configPath: path.join(dir, 'ssh_config'),
      knownHostsPath: path.join(dir, 'known_hosts'),
      cutLink: () => { execFileSync('ip', ['-n', name, 'link', 'set', `${name}-n`, 'down']); },
      pids: () => execFileSync('ip', ['netns', 'pids', name], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number),
      stop: () => {
        execFileSync('bash', [path.join(scripts, 'stop-netns-host.sh'), name, dir], { stdio: 'inherit' });
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  throw new Error('no free network namespace index in 10.231.200-254');
}
