/**
 * A host reached over SSH. Files go to a private per-user directory on the host (mode 700);
 * the loader is uploaded once per content hash and reused; privileged commands run as root
 * directly or through `sudo -n`, and a host with neither gets an error that says what to set up.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { quoteShellArgument } from '../../core/src/ssh/shell-quote';
import { SshCallbacks, SshConnection } from './ssh/connection';
import { ExecOptions, ExecResult, Target, TargetError, TargetProcess } from './target';
import { localLoaderPath } from './paths';
import { capLoaderPath } from '../../core/src/privilege/state';
import { detectPrivilege, needsPasswordError, noPrivilegeError, PrivilegeState } from './privilege';

/** Files up to this size go with their existence check (one round trip); bigger ones (the loader) only when missing. */
const SEND_ALONG_BYTES = 256 * 1024;

/** How privileged commands run on the host: as root, via `sudo -n`, or as is with the capability-enabled loader. */
type Privilege = 'root' | 'sudo' | 'capabilities';

export class RemoteTarget implements Target {
  private identity?: Promise<{ arch: string; release: string; home: string; uid: number; btfDigest: string | undefined }>;
  private privilege?: Promise<Privilege>;
  private state?: Promise<PrivilegeState>;
  private knownPrivilege?: Privilege;
  private workDir?: Promise<string>;
  private readonly uploaded = new Map<string, Promise<string>>();

  constructor(readonly connection: SshConnection) {
    // Every target asks who the host is first; its shell's login starts now (issue #10).
    connection.prewarm();
  }

  static async connect(hostSpec: string, callbacks: SshCallbacks): Promise<RemoteTarget> {
    return new RemoteTarget(await SshConnection.connect(hostSpec, callbacks));
  }

  get name(): string {
    return this.connection.host.alias;
  }

  async exec(argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
    return this.connection.exec(options.privileged ? await this.asRoot(argv) : argv, options);
  }

  spawn(argv: string[], options: { privileged?: boolean } = {}): TargetProcess {
    if (!options.privileged || this.knownPrivilege === 'root' || this.knownPrivilege === 'capabilities') return this.connection.spawn(argv);
    if (this.knownPrivilege === 'sudo') return this.connection.spawn(['sudo', '-n', '--', ...argv]);
    // Privilege is known by the time anything is spawned (upload/loaderPath ran first); if
    // not, resolve it inside the remote shell so spawn stays synchronous.
    return this.connection.spawnCommand(
      `if [ "$(id -u)" = 0 ]; then exec ${argv.map(quoteShellArgument).join(' ')}; else exec sudo -n -- ${argv.map(quoteShellArgument).join(' ')}; fi`);
  }

  async readFile(file: string): Promise<Buffer> {
    // tracefs and kallsyms addresses need root; plain files do not, so privilege is a bonus here, not a requirement.
    const privileged = (await this.tryPrivilege()) !== undefined;
    const result = await this.exec(['cat', '--', file], { privileged });
    if (result.code !== 0) {
      const code = /No such file/.test(result.stderr) ? 'ENOENT' : /Permission denied/.test(result.stderr) ? 'EACCES' : 'EIO';
      throw new TargetError(`cannot read ${file} on ${this.name}: ${result.stderr.trim()}`, code);
    }
    return result.stdout;
  }

  /** Uploads a file into the private work dir, keyed by content so a re-run reuses it. */
  upload(localPath: string, mode = 0o600): Promise<string> {
    const content = fs.readFileSync(localPath);
    const digest = createHash('sha256').update(content).digest('hex').slice(0, 16);
    const key = `${digest}:${mode}`;
    let pending = this.uploaded.get(key);
    if (!pending) {
      pending = (async () => {
        const remote = `${await this.privateDir()}/${digest}-${path.basename(localPath).replace(/[^A-Za-z0-9._-]/g, '_')}`;
        if (content.length <= SEND_ALONG_BYTES) {
          // Small (an object): send it along with the check, one round trip whether or not it is there.
          const placed = await this.connection.exec(['sh', '-c', '[ -f "$1" ] || { umask 077 && cat >"$1.part" && chmod "$2" "$1.part" && mv -f "$1.part" "$1"; }',
            'upload', remote, mode.toString(8)], { input: content });
          if (placed.code !== 0) throw new TargetError(`cannot place ${remote} on ${this.name}: ${placed.stderr.trim()}`, 'EIO');
          return remote;
        }
        const present = await this.connection.exec(['test', '-f', remote]);
        if (present.code !== 0) {
          // Upload under a temporary name then rename: a dropped connection never leaves a half file under the real name.
          await this.connection.upload(localPath, `${remote}.part`, mode);
          const moved = await this.connection.exec(['mv', '-f', `${remote}.part`, remote]);
          if (moved.code !== 0) throw new TargetError(`cannot place ${remote} on ${this.name}: ${moved.stderr.trim()}`, 'EIO');
        }
        return remote;
      })();
      this.uploaded.set(key, pending);
      pending.catch(() => this.uploaded.delete(key));
    }
    return pending;
  }

  /** Removes an uploaded file (objects of a stopped run). The loader stays cached. */
  async discard(remotePath: string): Promise<void> {
    for (const [key, pending] of this.uploaded) if (await pending.catch(() => undefined) === remotePath) this.uploaded.delete(key);
    await this.connection.exec(['rm', '-f', '--', remotePath]);
  }

  async loaderPath(options: { elevate?: boolean } = {}): Promise<string> {
    const arch = await this.arch();
    const local = localLoaderPath(arch);
    if (!fs.existsSync(local)) {
      throw new TargetError(`${this.name} is ${arch} and no loader is built for ${arch}`, 'NO_LOADER',
        `build it with \`make -C loader ARCH=${arch}\` on a ${arch} machine, or choose a host of a supported architecture`);
    }
    // The host report probes with whatever privilege there is; everything else needs some.
    const privilege = options.elevate === false ? await this.tryPrivilege() : await this.requirePrivilege();
    if (privilege === 'capabilities') return capLoaderPath(arch);
    return this.upload(local, 0o700);
  }

  async arch(): Promise<string> {
    return (await this.identify()).arch;
  }

  async kernelRelease(): Promise<string> {
    return (await this.identify()).release;
  }

  async privilegeMode(): Promise<Privilege> {
    return this.requirePrivilege();
  }

  async dispose(): Promise<void> {
    await this.connection.dispose();
  }

  async btfDigest(): Promise<string | undefined> {
    return (await this.identify()).btfDigest;
  }

  private identify() {
    // One round trip for everything about the host that does not change while connected, and
    // the private work dir made on the way (chmod too: `mkdir -p -m` leaves an existing one's
    // mode alone). Hashing the BTF (~6 MB) costs a few hundred ms of the host's CPU; BTF cannot
    // change without a reboot, so its digest is kept per boot id and read back on later connections.
    this.identity ??= (async () => {
      const result = await this.connection.execCommand([
        'uname -rm', 'u=$(id -u)', 'printf "%s\\n%s\\n" "$HOME" "$u"', 'c="$HOME/.cache/bpfdev-$u"',
        '{ [ -d "$c" ] || mkdir -p -m 700 -- "$c"; } && chmod 700 -- "$c" && printf "%s\\n" "$c" || echo',
        'read -r b </proc/sys/kernel/random/boot_id 2>/dev/null || b=',
        'if [ -n "$b" ] && [ -s "$c/btf-digest-$b" ]; then read -r x <"$c/btf-digest-$b"; echo "$x"',
        'else x=$( (sha256sum /sys/kernel/btf/vmlinux 2>/dev/null || echo -) | cut -c1-16); echo "$x"; [ -n "$b" ] && [ -d "$c" ] && echo "$x" >"$c/btf-digest-$b"; fi',
      ].join('; '));
      const [machine, home, uid, dir, digest] = result.stdout.toString('utf8').split('\n');
      const [release, arch] = (machine ?? '').split(' ');
      if (!arch || !release) throw new TargetError(`cannot identify ${this.name}: ${result.stderr.trim()}`, 'EIO');
      if (dir) this.workDir ??= Promise.resolve(dir);
      return { arch, release, home: home || '/tmp', uid: Number(uid), btfDigest: /^[0-9a-f]{16}$/.test(digest ?? '') ? digest : undefined };
    })();
    return this.identity;
  }

  private async tryPrivilege(): Promise<Privilege | undefined> {
    return this.requirePrivilege().catch(() => undefined);
  }

  /** Who we are on the host and what we may do there (one round trip, never prompts). */
  privilegeState(): Promise<PrivilegeState> {
    this.state ??= detectPrivilege(this);
    this.state.catch(() => { this.state = undefined; });
    return this.state;
  }

  private requirePrivilege(): Promise<Privilege> {
    this.privilege ??= (async () => {
      const state = await this.privilegeState();
      // Over SSH there is no terminal of ours for sudo to prompt on: a password-only sudoer
      // is told how to do without (bpfdev setup on the host, or NOPASSWD).
      if (state.kind === 'sudo-password') throw needsPasswordError(state, this.name);
      if (state.kind === 'none') throw noPrivilegeError(state, this.name);
      this.knownPrivilege = state.kind;
      return state.kind;
    })();
    return this.privilege;
  }

  private async asRoot(argv: string[]): Promise<string[]> {
    const privilege = await this.requirePrivilege();
    return privilege === 'sudo' ? ['sudo', '-n', '--', ...argv] : argv;
  }

  private privateDir(): Promise<string> {
    this.workDir ??= (async () => {
      const { home, uid } = await this.identify();
      // identify() made it and set workDir; this runs only when it could not.
      const dir = `${home}/.cache/bpfdev-${uid}`;
      // chmod too: `mkdir -p -m` leaves the mode of an existing directory alone.
      const made = await this.connection.exec(['sh', '-c', 'mkdir -p -m 700 -- "$1" && chmod 700 -- "$1"', 'mkdir', dir]);
      if (made.code !== 0) throw new TargetError(`cannot create ${dir} on ${this.name}: ${made.stderr.trim()}`, 'EIO');
      return dir;
    })();
    return this.workDir;
  }
}
