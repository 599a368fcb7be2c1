/**
 * STAND-IN with the shared contract of test/support/test-user.ts (owned by the "privilege"
 * helper; the lead keeps one at merge): the real non-root account that tests of non-root paths
 * run as (issue #9).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from './kernel';

export interface TestUser { name: string; uid: number; gid: number; home: string; password: string }

const NAME = 'bpfdev-test';

function has(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}

/** Why non-root tests cannot run here (not root, no useradd/sudo/runuser), else undefined. */
export function testUserSkipReason(): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux';
  if (process.geteuid?.() !== 0) return 'needs root to create the test user';
  for (const tool of ['useradd', 'runuser', 'sudo', 'chpasswd']) if (!has(tool)) return `needs ${tool}`;
  return undefined;
}

/** Creates (idempotently) the account `bpfdev-test`: home dir, a fresh random password, member of group `sudo` (password sudo, not NOPASSWD). */
export function ensureTestUser(): TestUser {
  if (spawnSync('id', ['-u', NAME]).status !== 0) {
    const made = spawnSync('useradd', ['--create-home', '--shell', '/bin/bash', NAME], { encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`useradd ${NAME} failed: ${made.stderr}`);
  }
  spawnSync('usermod', ['-aG', 'sudo', NAME]);
  const password = randomBytes(12).toString('base64url');
  const set = spawnSync('chpasswd', [], { input: `${NAME}:${password}\n`, encoding: 'utf8' });
  if (set.status !== 0) throw new Error(`chpasswd failed: ${set.stderr}`);
  const field = (flag: string) => Number(spawnSync('id', [flag, NAME], { encoding: 'utf8' }).stdout.trim());
  const home = spawnSync('getent', ['passwd', NAME], { encoding: 'utf8' }).stdout.split(':')[5];
  return { name: NAME, uid: field('-u'), gid: field('-g'), home, password };
}

/** argv/env to run a command as that user with `runuser -u NAME --`, HOME set, a clean env. */
export function asTestUser(user: TestUser, argv: string[], env: Record<string, string> = {}): { argv: string[]; env: NodeJS.ProcessEnv } {
  return {
    argv: ['runuser', '-u', user.name, '--', 'env', '-i', `HOME=${user.home}`, `USER=${user.name}`, `LOGNAME=${user.name}`,
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', ...Object.entries(env).map(([key, value]) => `${key}=${value}`), ...argv],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  };
}

/** A copy of what the user needs to run bpfdev (bin/, dist/, loader/out, bpf-headers, node_modules if needed) in a directory that user can read, since the checkout may live under a root-only path. */
export function readableCheckout(user: TestUser): string {
  const dir = path.join('/tmp', `bpfdev-checkout-${user.uid}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  for (const part of ['package.json', 'bin', 'dist', 'bpf-headers', 'catalog-snapshot', path.join('loader', 'out')]) {
    const from = path.join(repoRoot, part);
    if (fs.existsSync(from)) fs.cpSync(from, path.join(dir, part), { recursive: true, dereference: true });
  }
  spawnSync('chmod', ['-R', 'a+rX', dir]);
  return dir;
}
