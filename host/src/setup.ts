/** `bpfdev setup` on the local host: the facts its plan needs, and running the plan as root. */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { quoteShellArgument } from '../../core/src/ssh/shell-quote';
import { CAP_LOADER_GROUP } from '../../core/src/privilege/state';
import { parseSetupManifest, SETUP_MANIFEST, SetupFacts, SetupPlan } from '../../core/src/privilege/setup-plan';
import { localLoaderPath } from './paths';
import { TargetError } from './target';

/**
 * @param user who gets the group; by default the user who ran us (through sudo: SUDO_USER),
 *   none when that is root.
 */
export function gatherSetupFacts(user?: string): SetupFacts {
  const arch = os.machine();
  const builtLoader = localLoaderPath(arch);
  if (!fs.existsSync(builtLoader)) throw new TargetError(`the loader is not built (${builtLoader})`, 'NO_LOADER', 'run `npm run build` first');
  const invoking = process.geteuid?.() === 0 ? process.env.SUDO_USER : os.userInfo().username;
  const grantee = user ?? (invoking && invoking !== 'root' ? invoking : undefined);
  if (grantee && spawnSync('id', ['-u', grantee]).status !== 0) throw new TargetError(`no such user: ${grantee}`, 'NO_USER');
  const groupExists = spawnSync('getent', ['group', CAP_LOADER_GROUP]).status === 0;
  // /etc/group, not this process's groups: a user added by an earlier setup who has not logged in again is a member already.
  const members = grantee ? spawnSync('id', ['-nG', grantee], { encoding: 'utf8' }).stdout.split(/\s+/) : [];
  let manifest;
  try { manifest = parseSetupManifest(fs.readFileSync(SETUP_MANIFEST, 'utf8')); } catch { manifest = undefined; }
  return { arch, builtLoader, ...(grantee ? { user: grantee } : {}), groupExists, userInGroup: members.includes(CAP_LOADER_GROUP), ...(manifest ? { manifest } : {}) };
}

/** The plan as one POSIX shell script that stops at the first failing step. */
export function planScript(plan: SetupPlan): string {
  return ['set -e', ...plan.steps.map((step) => step.argv.map(quoteShellArgument).join(' '))].join('\n');
}

/**
 * Runs the plan as root: directly when we are root, else through sudo, whose own prompt appears
 * on the terminal (one prompt for the whole plan). Without a terminal sudo must not need a
 * password; it fails at once when it does.
 */
export function runPlanAsRoot(plan: SetupPlan): Promise<void> {
  const script = planScript(plan);
  const argv = process.geteuid?.() === 0 ? ['sh', '-c', script]
    : process.stdin.isTTY ? ['sudo', '-p', '[sudo] password for %u (bpfdev setup): ', '--', 'sh', '-c', script]
      : ['sudo', '-n', '--', 'sh', '-c', script];
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: 'inherit' });
    child.on('error', (error) => reject(new TargetError(`cannot run ${argv[0]}: ${error.message}`, 'EXEC')));
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new TargetError(`the setup commands failed (exit ${code}); the steps before the failing one were applied`, 'SETUP_FAILED',
        process.stdin.isTTY || process.geteuid?.() === 0 ? undefined : 'bpfdev setup needs root: run it in a terminal (sudo asks for your password) or as root'));
    });
  });
}
