/**
 * A real non-root account for tests of what a normal user sees (issue #9): `bpfdev-test`, in
 * group `sudo` with a password (never NOPASSWD), so sudo asks it for one as it asks a developer.
 *
 * Left harmless between runs: its password is random, known only to root (a 0600 file under
 * /run, which a reboot clears), and no sudoers rule names it. Every test process of one run
 * shares that password, because test files run in parallel and each calls ensureTestUser().
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from './kernel';

export interface TestUser { name: string; uid: number; gid: number; home: string; password: string }

const NAME = 'bpfdev-test';
const PASSWORD_FILE = '/run/bpfdev-test-user.password';
const RUNUSER = ['/usr/sbin/runuser', '/sbin/runuser', '/usr/bin/runuser'].find((file) => fs.existsSync(file)) ?? 'runuser';

/** Why non-root tests cannot run here (not root, no useradd/sudo/runuser), else undefined. */
export function testUserSkipReason(): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux';
  if (process.geteuid?.() !== 0) return 'needs root to create the non-root test user (CI runs as root)';
  for (const tool of ['useradd', 'usermod', 'chpasswd', 'runuser', 'sudo']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`], { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } }).status !== 0) return `needs ${tool} (apt install passwd sudo util-linux)`;
  }
  if (spawnSync('getent', ['group', 'sudo']).status !== 0) return 'needs the group sudo (Debian\'s /etc/sudoers grants it password sudo)';
  return undefined;
}

/** Creates (idempotently) the account `bpfdev-test`: home dir, a fresh random password, member of group `sudo` (password sudo, not NOPASSWD). */
export function ensureTestUser(): TestUser {
  if (spawnSync('id', ['-u', NAME]).status !== 0) {
    const made = spawnSync('useradd', ['--create-home', '--shell', '/bin/bash', '--groups', 'sudo', NAME], { encoding: 'utf8' });
    // 9: created meanwhile by a test file running in parallel.
    if (made.status !== 0 && made.status !== 9) throw new Error(`useradd ${NAME} failed: ${made.stderr}`);
  }
  execFileSync('usermod', ['-aG', 'sudo', NAME]);
  const password = sharedPassword();
  execFileSync('chpasswd', { input: `${NAME}:${password}\n` });
  const [uid, gid, home] = [execFileSync('id', ['-u', NAME], { encoding: 'utf8' }), execFileSync('id', ['-g', NAME], { encoding: 'utf8' }),
    execFileSync('getent', ['passwd', NAME], { encoding: 'utf8' }).trim().split(':')[5]];
  return { name: NAME, uid: Number(uid), gid: Number(gid), home, password };
}

/** One password per boot for every test process: the first creates it exclusively, the others read it. */
function sharedPassword(): string {
  const fresh = randomBytes(18).toString('base64url');
  try {
    fs.writeFileSync(PASSWORD_FILE, fresh, { flag: 'wx', mode: 0o600 });
    return fresh;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return fs.readFileSync(PASSWORD_FILE, 'utf8').trim();
  }
}

/** argv/env to run a command as that user with `runuser -u NAME --`, HOME set, a clean env. */
export function asTestUser(user: TestUser, argv: string[], env: Record<string, string> = {}): { argv: string[]; env: NodeJS.ProcessEnv } {
  return {
    // By absolute path: the clean PATH below (the user's) has no sbin, and spawn resolves with it.
    argv: [RUNUSER, '-u', user.name, '--', ...argv],
    env: {
      HOME: user.home, USER: user.name, LOGNAME: user.name, SHELL: '/bin/bash', LANG: 'C.UTF-8',
      // The node running the tests, so the user runs the same version.
      PATH: [path.dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(':'),
      ...env,
    },
  };
}

/**
 * A copy of what the user needs to run bpfdev (bin/, dist/, loader/out, bpf-headers, node_modules if needed) in a directory that user can read, since the checkout may live under a root-only path.
 * Keyed by content, made under a temporary name and renamed: parallel test files share one copy
 * and never see a half-made one. Root-owned, so the user cannot change what root later installs
 * from it (bpfdev setup copies its loader).
 */
export function readableCheckout(_user: TestUser): string {
  // out/core and out/host too: tests drive host/ modules as the user (an editor's privileged session).
  const parts = ['package.json', 'bin', 'dist', 'bpf-headers', 'catalog-snapshot', path.join('loader', 'out'), path.join('out', 'core'), path.join('out', 'host')];
  const digest = createHash('sha256');
  for (const part of parts) digestTree(path.join(repoRoot, part), digest);
  const target = path.join('/var/tmp', `bpfdev-checkout-${digest.digest('hex').slice(0, 16)}`);
  if (fs.existsSync(path.join(target, 'package.json'))) return target;
  const staging = `${target}.${process.pid}.tmp`;
  fs.rmSync(staging, { recursive: true, force: true });
  for (const part of parts) {
    const from = path.join(repoRoot, part);
    if (!fs.existsSync(from)) continue;
    fs.mkdirSync(path.dirname(path.join(staging, part)), { recursive: true });
    // The loader's object files are not needed, and `cp` keeps the binaries' exec bits.
    fs.cpSync(from, path.join(staging, part), { recursive: true, filter: (source) => !/\/obj-[^/]+$/.test(source) });
  }
  // dist/ bundles every npm dependency; nothing in node_modules is needed at run time.
  execFileSync('chmod', ['-R', 'u+rwX,go+rX,go-w', staging]);
  fs.chmodSync(staging, 0o755);
  try {
    fs.renameSync(staging, target);
  } catch {
    // Another process renamed its identical copy first.
    fs.rmSync(staging, { recursive: true, force: true });
  }
  return target;
}

function digestTree(file: string, digest: ReturnType<typeof createHash>): void {
  let stat: fs.Stats;
  try { stat = fs.statSync(file); } catch { return; }
  digest.update(file);
  if (stat.isDirectory()) {
    for (const entry of fs.readdirSync(file).sort()) digestTree(path.join(file, entry), digest);
  } else {
    digest.update(`${stat.size}:${stat.mtimeMs}`);
  }
}
