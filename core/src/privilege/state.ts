/**
 * How the user on a target can load BPF programs, and what to tell them when they cannot
 * (issue #9, "a normal user"). Pure: host/src/privilege.ts runs PRIVILEGE_PROBE_SCRIPT on the
 * target (locally or over SSH, one round trip) and hands its output to parsePrivilegeProbe().
 */

/** Ordered by how we use them: the first that applies wins. */
export type PrivilegeKind = 'root' | 'sudo' | 'capabilities' | 'sudo-password' | 'none';

/** Capabilities the loader needs to verify, attach tracing programs and read trace_pipe. */
/** Groups Debian, Fedora/Arch and Ubuntu's older releases give password sudo to. */
const SUDO_GROUPS = ['sudo', 'wheel', 'admin'];

export const REQUIRED_LOADER_CAPS = ['cap_bpf', 'cap_perfmon', 'cap_dac_read_search'] as const;
/**
 * What `bpfdev setup` grants: the required ones plus CAP_NET_ADMIN, which XDP and tc attach
 * ask for. CAP_SYS_ADMIN is deliberately absent: it is root in all but name.
 */
export const SETUP_LOADER_CAPS = [...REQUIRED_LOADER_CAPS, 'cap_net_admin'] as const;

/** Where `bpfdev setup` installs the capability-enabled loader (root-owned, group `bpfdev`, 0750). */
export const CAP_LOADER_DIR = '/usr/local/lib/bpfdev';
export const CAP_LOADER_GROUP = 'bpfdev';
export function capLoaderPath(arch: string): string {
  return `${CAP_LOADER_DIR}/bpfdev-loader-${arch}`;
}

export interface CapLoaderState {
  path: string;
  /** Lower-case capability names with the effective+permitted flags set (`cap_bpf`, ...). */
  caps: string[];
  /** Required capabilities it lacks. */
  missing: string[];
  /** We may execute it (member of its group). */
  executable: boolean;
  /** sha256 of its content, when readable. */
  sha256?: string;
  /** Its content equals the loader this bpfdev build ships; a rebuilt loader makes it stale. */
  matchesBuilt?: boolean;
}

export interface PrivilegeState {
  kind: PrivilegeKind;
  user: string;
  uid: number;
  groups: string[];
  /** What `sudo -n true` said: works without a password, wants one, refuses, or is not installed. */
  sudo: 'not-needed' | 'nopasswd' | 'password' | 'denied' | 'absent';
  /** The loader installed by `bpfdev setup`, when there is one. */
  capLoader?: CapLoaderState;
  /** trace_pipe can be opened by this user as is (tracefs is root-only by default). */
  tracefsReadable: boolean;
  /** One line per thing the user can do, most useful first; empty for root. */
  advice: string[];
}

/**
 * Prints `key=value` lines. $1 is the capability loader's path. `sudo -n` never prompts; LC_ALL=C
 * keeps its message matchable; sbin joins PATH because getcap lives there on Debian.
 */
export const PRIVILEGE_PROBE_SCRIPT = [
  'LC_ALL=C; export LC_ALL; PATH="$PATH:/usr/sbin:/sbin"',
  'echo "uid=$(id -u)"; echo "user=$(id -un)"; echo "groups=$(id -Gn)"',
  'if [ "$(id -u)" != 0 ]; then',
  '  if command -v sudo >/dev/null 2>&1; then',
  '    if out=$(sudo -n true 2>&1); then echo sudo=nopasswd; else echo sudo=fail; printf "sudoerr=%s\\n" "$(printf %s "$out" | head -n 1)"; fi',
  '  else echo sudo=absent; fi',
  'fi',
  'if [ -e "$1" ]; then',
  '  echo "caploader=$1"',
  '  if [ -x "$1" ]; then echo capexec=1; else echo capexec=0; fi',
  '  if [ -r "$1" ]; then echo "capsha=$(sha256sum < "$1" | cut -c1-64)"; fi',
  '  if command -v getcap >/dev/null 2>&1; then echo "getcap=$(getcap "$1" 2>/dev/null)"; else echo getcap=absent; fi',
  'fi',
  'if [ -r /sys/kernel/tracing/trace_pipe ]; then echo tracefs=readable; else echo tracefs=closed; fi',
].join('\n');

/**
 * Capability names from one line of `getcap FILE`, in both the libcap >= 2.30 form
 * (`/f cap_bpf,cap_perfmon=ep`) and the older one (`/f = cap_bpf,cap_perfmon+ep`). Only sets
 * that are effective and permitted count: a file capability that is not effective does nothing
 * for a program that does not raise it itself, and the loader does not.
 */
export function parseGetcapLine(line: string): string[] {
  const text = line.trim();
  if (!text) return [];
  const caps = new Set<string>();
  // Clauses are separated by spaces: `cap_a,cap_b=ep cap_c+i`; the leading path has none of = + -.
  for (const clause of text.split(/\s+/)) {
    const match = /^([a-z_,0-9]+)([=+-])([eip]*)$/i.exec(clause);
    if (!match) continue;
    const [, names, operator, flags] = match;
    const effectivePermitted = flags.includes('e') && flags.includes('p');
    for (const name of names.toLowerCase().split(',').filter(Boolean)) {
      if (operator === '-') caps.delete(name);
      else if (effectivePermitted) caps.add(name);
      else if (operator === '=') caps.delete(name);
    }
  }
  return [...caps].sort();
}

/**
 * Parses the probe script's output. `builtSha256` is the digest of the loader this build ships;
 * the capability loader is only used when it has the same content (a user who rebuilt the
 * loader would otherwise run an old one without noticing).
 */
export function parsePrivilegeProbe(text: string, builtSha256?: string): { state: PrivilegeState; errors: string[] } {
  const errors: string[] = [];
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) values.set(line.slice(0, at), line.slice(at + 1));
  }
  const uid = Number(values.get('uid'));
  if (!Number.isInteger(uid)) errors.push('the privilege probe did not report a uid');
  const user = values.get('user') ?? '?';
  const groups = (values.get('groups') ?? '').split(/\s+/).filter(Boolean);
  let sudo: PrivilegeState['sudo'] = 'not-needed';
  if (uid !== 0) {
    const reported = values.get('sudo');
    if (reported === 'nopasswd') sudo = 'nopasswd';
    else if (reported === 'absent') sudo = 'absent';
    // sudo asks for the password before it looks at the rules, so "a password is required" is
    // also what a user whom sudoers does not name is told; "may not run sudo" is the only refusal.
    else sudo = /password is required/i.test(values.get('sudoerr') ?? '') ? 'password' : 'denied';
  }
  let capLoader: CapLoaderState | undefined;
  const capPath = values.get('caploader');
  if (capPath) {
    const getcap = values.get('getcap');
    if (getcap === 'absent') errors.push('getcap is not installed (Debian: apt install libcap2-bin), so file capabilities cannot be read');
    const caps = getcap && getcap !== 'absent' ? parseGetcapLine(getcap) : [];
    const sha256 = values.get('capsha') || undefined;
    capLoader = {
      path: capPath, caps, missing: REQUIRED_LOADER_CAPS.filter((cap) => !caps.includes(cap)),
      executable: values.get('capexec') === '1',
      ...(sha256 ? { sha256 } : {}),
      ...(sha256 && builtSha256 ? { matchesBuilt: sha256 === builtSha256 } : {}),
    };
  }
  const tracefsReadable = values.get('tracefs') === 'readable';
  const capsUsable = !!capLoader && capLoader.executable && capLoader.missing.length === 0 && capLoader.matchesBuilt === true;
  // Without reading sudoers (root-only) membership of an admin group is the best sign that a
  // password would be accepted; CLI users outside one may still try in a terminal (privilege.ts).
  const sudoGroup = groups.some((group) => SUDO_GROUPS.includes(group));
  const kind: PrivilegeKind = uid === 0 ? 'root' : sudo === 'nopasswd' ? 'sudo' : capsUsable ? 'capabilities'
    : sudo === 'password' && sudoGroup ? 'sudo-password' : 'none';
  const state: PrivilegeState = { kind, user, uid, groups, sudo, ...(capLoader ? { capLoader } : {}), tracefsReadable, advice: [] };
  state.advice = privilegeAdvice(state);
  return { state, errors };
}

/** What to do about a privilege state, in the words the CLI and the host report print. */
export function privilegeAdvice(state: PrivilegeState): string[] {
  if (state.kind === 'root' || state.kind === 'sudo') return [];
  const advice: string[] = [];
  const cap = state.capLoader;
  if (cap && state.kind !== 'capabilities') {
    if (!cap.executable) advice.push(`${cap.path} exists but ${state.user} may not run it: join its group (\`sudo usermod -aG ${CAP_LOADER_GROUP} ${state.user}\`, then log in again or run \`newgrp ${CAP_LOADER_GROUP}\`)`);
    else if (cap.missing.length) advice.push(`${cap.path} lacks ${cap.missing.join(', ')}: run \`bpfdev setup\` again`);
    else if (cap.matchesBuilt === false) advice.push(`${cap.path} is an older loader than this bpfdev's: run \`bpfdev setup\` again to replace it`);
  }
  if (state.kind === 'sudo-password') {
    advice.push('bpfdev asks for your sudo password once per command in a terminal (once per editor session in VS Code)');
  }
  if (state.kind === 'sudo-password' || state.kind === 'none') {
    if (!cap) advice.push(`\`bpfdev setup\` (as a user who may sudo) installs a loader with ${REQUIRED_LOADER_CAPS.join(', ')} so no password is needed; \`bpfdev setup --undo\` removes it`);
    advice.push(`or allow passwordless sudo for the loader: "${state.user} ALL=(root) NOPASSWD: ALL" in /etc/sudoers.d/bpfdev (visudo -f)`);
  }
  if (state.kind === 'none') advice.unshift(`${state.user} is not root, may not use sudo and has no capability-enabled loader: BPF programs cannot be loaded`);
  if (!state.tracefsReadable && state.kind === 'capabilities') {
    advice.push('tracefs is root-only: trace_pipe is read through the loader (CAP_DAC_READ_SEARCH); tracepoint formats come from BTF or an earlier privileged fetch');
  }
  return advice;
}

/** The one-word label `bpfdev host` prints. */
export function privilegeLabel(kind: PrivilegeKind): string {
  switch (kind) {
    case 'root': return 'root';
    case 'sudo': return 'passwordless sudo';
    case 'capabilities': return 'capabilities (loader installed by bpfdev setup)';
    case 'sudo-password': return 'sudo with password';
    case 'none': return 'none';
  }
}
