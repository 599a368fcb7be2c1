/**
 * The privilege of the user on a target, read in one command through the Target's exec (so the
 * same code serves the local host and remote ones), and how privileged commands then run:
 * directly (root, or the capability-enabled loader of `bpfdev setup`), through `sudo -n`, or
 * through one privileged session started with the user's password (privileged-session.ts).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  capLoaderPath, parsePrivilegeProbe, PRIVILEGE_PROBE_SCRIPT, PrivilegeState, REQUIRED_LOADER_CAPS,
} from '../../core/src/privilege/state';
import { localLoaderPath } from './paths';
import { PrivilegedSession } from './privileged-session';
import { Target, TargetError } from './target';

export type { PrivilegeState, PrivilegeKind } from '../../core/src/privilege/state';

const builtDigests = new Map<string, string | undefined>();

/** sha256 of the loader this build ships for `arch`, undefined when it is not built. */
export function builtLoaderSha256(arch: string): string | undefined {
  if (!builtDigests.has(arch)) {
    let digest: string | undefined;
    try { digest = createHash('sha256').update(readFileSync(localLoaderPath(arch))).digest('hex'); } catch { digest = undefined; }
    builtDigests.set(arch, digest);
  }
  return builtDigests.get(arch);
}

/** Runs the probe script on the target, unprivileged and without ever prompting. */
export async function detectPrivilege(target: Target): Promise<PrivilegeState> {
  const arch = await target.arch();
  const result = await target.exec(['sh', '-c', PRIVILEGE_PROBE_SCRIPT, 'privilege', capLoaderPath(arch)], { timeoutMs: 20_000 });
  const { state, errors } = parsePrivilegeProbe(result.stdout.toString('utf8'), builtLoaderSha256(arch));
  if (!Number.isInteger(state.uid)) {
    throw new TargetError(`cannot tell the privileges on ${target.name}: ${errors.join('; ') || result.stderr.trim()}`, 'PROBE_FAILED');
  }
  return state;
}

/**
 * How a process asks for elevation when sudo wants a password.
 * - `terminal`: sudo's own prompt on the terminal, once (`sudo -v`), then `sudo -n` for the
 *   real commands; only used when stdin is a TTY.
 * - `askPassword`: an editor asks the user and starts one privileged session with the answer.
 */
export interface ElevationOptions {
  terminal?: boolean;
  askPassword?: (request: { user: string; host: string }) => Promise<string | undefined>;
}

/** How this process runs a privileged command, decided once. */
export type Elevated =
  | { how: 'direct'; state: PrivilegeState }
  | { how: 'sudo'; state: PrivilegeState }
  | { how: 'session'; state: PrivilegeState; session: PrivilegedSession };

export function wrapForSudo(argv: string[]): string[] {
  return ['sudo', '-n', '--', ...argv];
}

/** The error for a user who would need to type a password where nobody can. */
export function needsPasswordError(state: PrivilegeState, host: string): TargetError {
  return new TargetError(
    `${host}: loading BPF programs needs root, and sudo wants ${state.user}'s password, which cannot be asked here (no terminal)`,
    'NEEDS_PASSWORD',
    `run \`bpfdev setup\` once in a terminal (installs a loader with ${REQUIRED_LOADER_CAPS.join(', ')}: no password afterwards), ` +
    `or run this command in a terminal, or allow passwordless sudo ("${state.user} ALL=(root) NOPASSWD: ALL" in /etc/sudoers.d/bpfdev)`);
}

export function noPrivilegeError(state: PrivilegeState, host: string): TargetError {
  return new TargetError(`${host}: loading BPF programs needs root, and ${state.user} is not root, may not use sudo and has no capability-enabled loader`,
    'NO_PRIVILEGE', state.advice.slice(1).join('; ') || 'ask an administrator to run `bpfdev setup` for you, or to grant sudo');
}

/** Decides how privileged commands run on the local host, asking for a password if it must. */
export async function elevateLocal(state: PrivilegeState, options: ElevationOptions): Promise<Elevated> {
  switch (state.kind) {
    case 'root': case 'capabilities': return { how: 'direct', state };
    case 'sudo': return { how: 'sudo', state };
    case 'none':
      // sudoers may name the user without an admin group; in a terminal, sudo itself can tell.
      if (!(state.sudo === 'password' && options.terminal && process.stdin.isTTY)) throw noPrivilegeError(state, 'local');
      break;
    case 'sudo-password': break;
  }
  if (options.terminal && process.stdin.isTTY) {
    await sudoValidateOnTerminal();
    return { how: 'sudo', state };
  }
  if (options.askPassword) {
    const password = await options.askPassword({ user: state.user, host: 'local' });
    if (password === undefined) throw new TargetError('no password given: BPF programs cannot be loaded without privileges', 'CANCELLED');
    return { how: 'session', state, session: await PrivilegedSession.start(password) };
  }
  throw needsPasswordError(state, 'local');
}

/**
 * `sudo -v`: sudo's own prompt, on the terminal, once. Its ticket is tied to this terminal
 * (sudo's default timestamp_type), so the `sudo -n` of every later command of this process
 * passes without asking again.
 */
function sudoValidateOnTerminal(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('sudo', ['-v', '-p', '[sudo] password for %u (bpfdev loads BPF programs as root): '], { stdio: 'inherit' });
    child.on('error', (error) => reject(new TargetError(`cannot run sudo: ${error.message}`, 'EXEC')));
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new TargetError('sudo did not grant root (wrong password or cancelled)', 'NO_PRIVILEGE', 'run `bpfdev setup` to load BPF programs without sudo'));
    });
  });
}
