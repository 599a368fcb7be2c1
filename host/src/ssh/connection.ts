/**
 * The one facade over ssh2 (STYLE.md #9): connect with verified host keys and the user's auth,
 * exec argv commands (quoted here, nowhere else), spawn long-running commands whose channel
 * closing ends them, upload with SFTP, keepalive so a dead network is noticed.
 *
 * Secrets (passphrases, passwords) come from the `askSecret` callback each time they are
 * needed and are never logged or stored here; the VS Code client backs it with SecretStorage.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { EventEmitter } from 'node:events';
import { Duplex, PassThrough } from 'node:stream';
import { AnyAuthMethod, Client, ClientChannel, ConnectConfig, NextAuthHandler, utils } from 'ssh2';
import { quoteShellArgument, shellCommand } from '../../../core/src/ssh/shell-quote';
import type { ExecOptions, ExecResult, TargetProcess } from '../target';
import { describeHostKey, KnownHostsStore, OfferedHostKey } from './known-hosts-store';
import { ResolvedHost, resolveHost } from './hosts';

export type SshErrorCode =
  | 'HOST_KEY_CHANGED' | 'HOST_KEY_REVOKED' | 'HOST_KEY_REJECTED' | 'AUTH_FAILED' | 'CONNECT_FAILED'
  | 'DISCONNECTED' | 'TIMEOUT';

export class SshError extends Error {
  constructor(message: string, readonly code: SshErrorCode, readonly hint?: string) {
    super(message);
    this.name = 'SshError';
  }
}

export interface HostKeyQuestion extends OfferedHostKey {
  host: string;
  port: number;
}

export interface SshCallbacks {
  /** Unknown host key: return true to trust it (it is then added to known_hosts). */
  askHostKey(question: HostKeyQuestion): Promise<boolean>;
  /** A passphrase for a key file or a password for the account; undefined when the user cancels. */
  askSecret?(request: { kind: 'passphrase' | 'password'; id: string; prompt: string }): Promise<string | undefined>;
  /** Diagnostic messages; never receives secrets. */
  log?(message: string): void;
}

export interface SshConnectOptions extends SshCallbacks {
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
}

const KEY_TYPE_ALGORITHMS: Record<string, string[]> = {
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};
const ALL_HOST_KEY_ALGORITHMS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

export class SshConnection extends EventEmitter<{ close: [Error | undefined] }> {
  private closed = false;
  private closeError: Error | undefined;

  private constructor(private readonly client: Client, readonly host: ResolvedHost, jump?: SshConnection) {
    super();
    client.on('error', (error) => { this.closeError ??= error; });
    client.on('close', () => {
      this.closed = true;
      // Commands queued for a session shell fail now rather than wait for one that cannot come.
      for (const waiter of this.waiting.splice(0)) waiter(undefined);
      this.emit('close', this.closeError);
      void jump?.dispose();
    });
  }

  static async connect(hostOrSpec: ResolvedHost | string, options: SshConnectOptions): Promise<SshConnection> {
    const host = typeof hostOrSpec === 'string' ? resolveHost(hostOrSpec) : hostOrSpec;
    let jump: SshConnection | undefined;
    let sock: Duplex | undefined;
    if (host.proxyJump) {
      // Only the first hop of a comma-separated chain is ours to open; it resolves its own ProxyJump.
      jump = await SshConnection.connect(host.proxyJump.split(',')[0], options);
      sock = await jump.forward(host.hostName, host.port);
    }
    const knownHosts = new KnownHostsStore(host.knownHostsFiles);
    const client = new Client();
    let hostKeyFailure: SshError | undefined;
    const preferred = knownHosts.preferredKeyTypes(host.hostName, host.port).flatMap((type) => KEY_TYPE_ALGORITHMS[type] ?? [type]);
    const config: ConnectConfig = {
      host: host.hostName,
      port: host.port,
      username: host.user,
      readyTimeout: host.connectTimeoutMs,
      keepaliveInterval: options.keepaliveIntervalMs ?? 5000,
      keepaliveCountMax: options.keepaliveCountMax ?? 3,
      ...(sock ? { sock } : {}),
      algorithms: { serverHostKey: [...new Set([...preferred, ...ALL_HOST_KEY_ALGORITHMS])] as never },
      hostVerifier: (blob: Buffer, verify: (valid: boolean) => void) => {
        const key = describeHostKey(blob);
        const decision = knownHosts.decide(host.hostName, host.port, key);
        switch (decision.verdict) {
          case 'trusted':
            verify(true);
            return;
          case 'changed':
            hostKeyFailure = new SshError(
              `the host key of ${host.alias} (${host.hostName}:${host.port}) has CHANGED: it offered ${key.keyType} ${key.fingerprint}, ` +
              `which is not the key recorded in ${decision.file} line ${decision.line}. This can mean someone is intercepting the connection.`,
              'HOST_KEY_CHANGED',
              `if the host was reinstalled, remove line ${decision.line} of ${decision.file} (or run: ssh-keygen -R '${host.port === 22 ? host.hostName : `[${host.hostName}]:${host.port}`}') and connect again`);
            verify(false);
            return;
          case 'revoked':
            hostKeyFailure = new SshError(`the host key of ${host.alias} is marked @revoked in ${decision.file} line ${decision.line}`, 'HOST_KEY_REVOKED');
            verify(false);
            return;
          case 'unknown':
            options.askHostKey({ host: host.hostName, port: host.port, ...key }).then((accepted) => {
              if (accepted) {
                const file = knownHosts.add(host.hostName, host.port, key);
                options.log?.(`added ${key.keyType} ${key.fingerprint} for ${host.hostName}:${host.port} to ${file}`);
              } else {
                hostKeyFailure = new SshError(`the host key of ${host.alias} (${key.fingerprint}) was not trusted`, 'HOST_KEY_REJECTED');
              }
              verify(accepted);
            }, () => {
              hostKeyFailure = new SshError(`the host key of ${host.alias} could not be confirmed`, 'HOST_KEY_REJECTED');
              verify(false);
            });
        }
      },
      authHandler: authenticator(host, options),
    };
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error & { level?: string }) => {
        client.removeListener('ready', onReady);
        void jump?.dispose();
        if (hostKeyFailure) return reject(hostKeyFailure);
        if (error.level === 'client-authentication') {
          return reject(new SshError(`authentication to ${host.user}@${host.alias} failed (tried: ${triedMethods(host).join(', ')})`, 'AUTH_FAILED',
            'add your key to ssh-agent, or set IdentityFile for this host in ~/.ssh/config'));
        }
        if (/timed out/i.test(error.message)) return reject(new SshError(`connecting to ${host.alias} timed out`, 'TIMEOUT'));
        reject(new SshError(`cannot connect to ${host.alias} (${host.hostName}:${host.port}): ${error.message}`, 'CONNECT_FAILED'));
      };
      const onReady = () => { client.removeListener('error', onError); resolve(); };
      client.once('ready', onReady);
      client.once('error', onError);
      client.connect(config);
    });
    return new SshConnection(client, host, jump);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Runs argv (each argument quoted) and collects its output. */
  exec(argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
    return this.execCommand(shellCommand(argv), options);
  }

  /**
   * For commands we compose ourselves from quoted parts (pipelines). Never pass user text here unquoted.
   * Runs in one of the connection's session shells (see SessionShell): a round trip, not a login.
   */
  async execCommand(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const shell = await this.idleShell();
    try {
      return await shell.run(command, options.input ? Buffer.from(options.input) : undefined, options.timeoutMs);
    } finally {
      this.releaseShell(shell);
    }
  }

  /**
   * Starts argv on the host. Closing stdin (or the channel, or the connection) is what ends it:
   * the remote process sees EOF, which our loader treats as "detach and exit".
   */
  spawn(argv: string[]): TargetProcess {
    // exec: the command itself, not a shell above it, is the session's process and gets its signals.
    return this.spawnCommand(`exec ${shellCommand(argv)}`);
  }

  spawnCommand(command: string): TargetProcess {
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let channel: ClientChannel | undefined;
    let pendingKill = false;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      this.takeSpareChannel().then((stream) => {
        channel = stream;
        // The spare shell reads exactly this many bytes and execs the command in its place, so
        // the command's stdin is the channel itself: our EOF is its EOF (the detach guarantee).
        const script = Buffer.from(command);
        stream.write(`${script.length}\n`);
        stream.write(script);
        stdin.pipe(stream);
        stream.pipe(stdout);
        stream.stderr.pipe(stderr);
        stream.on('close', (code: number | null, signal?: string) => {
          stdout.end();
          stderr.end();
          resolve({ code: code ?? null, signal: (signal ? `SIG${signal}` : null) as NodeJS.Signals | null });
        });
        if (pendingKill) stream.close();
      }, (error: Error) => {
        stderr.end(`${error.message}\n`);
        stdout.end();
        resolve({ code: 255, signal: null });
      });
    });
    return {
      stdin, stdout, stderr, exited,
      kill: (signal: NodeJS.Signals = 'SIGTERM') => {
        if (!channel) { pendingKill = true; return; }
        // Not every sshd honours signal requests; closing the channel always ends the session.
        try { channel.signal(signal.replace(/^SIG/, '')); } catch { /* channel already gone */ }
        if (signal === 'SIGKILL') channel.close();
      },
    };
  }

  /** Writes a local file on the host through a session shell (no SFTP subsystem, so no extra login). */
  async upload(localPath: string, remotePath: string, mode = 0o600): Promise<void> {
    const content = await fs.promises.readFile(localPath);
    const result = await this.execCommand(
      `umask 077 && cat > ${quoteShellArgument(remotePath)} && chmod ${mode.toString(8)} ${quoteShellArgument(remotePath)}`, { input: content });
    if (result.code !== 0) throw new SshError(`uploading to ${this.host.alias}:${remotePath} failed: ${result.stderr.trim()}`, 'CONNECT_FAILED');
  }

  /**
   * Opens the first session shell now (and, for a caller about to run something, the spare
   * that spawn execs into), so the logins they cost (the user's shell rc runs for each
   * channel) overlap the caller's own first steps.
   */
  prewarm(options: { spawn?: boolean } = {}): void {
    if (this.closed) return;
    if (this.live.size === 0 && this.opening === 0) this.openShell().then((shell) => this.releaseShell(shell), () => undefined);
    if (options.spawn) this.spare ??= this.openSpare();
  }

  /** A TCP stream to host:port as seen from this host (for ProxyJump). */
  forward(host: string, port: number): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      this.client.forwardOut('127.0.0.1', 0, host, port, (error, stream) => error ? reject(new SshError(`jump through ${this.host.alias} to ${host}:${port} failed: ${error.message}`, 'CONNECT_FAILED')) : resolve(stream));
    });
  }

  dispose(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.client.once('close', () => resolve());
      this.client.end();
    });
  }

  private readonly live = new Set<SessionShell>();
  private readonly idle: SessionShell[] = [];
  private readonly waiting: ((shell: SessionShell | undefined) => void)[] = [];
  private opening = 0;
  private spare: Promise<ClientChannel> | undefined;

  /**
   * An idle session shell. Another one (another login) opens only when every shell is busy and
   * none is on its way, up to MAX_SHELLS; otherwise the command waits its turn.
   */
  private async idleShell(): Promise<SessionShell> {
    for (;;) {
      const ready = this.idle.pop();
      if (ready) return ready;
      // Another login costs seconds on a host with a slow rc: worth it only when commands pile up.
      if (this.opening === 0 && (this.live.size === 0 || (this.waiting.length >= 2 && this.live.size < MAX_SHELLS))) {
        const shell = await this.openShell();
        return shell;
      }
      const handed = await new Promise<SessionShell | undefined>((resolve) => this.waiting.push(resolve));
      if (handed) return handed;
    }
  }

  private releaseShell(shell: SessionShell): void {
    // A dead shell already woke a waiter (see openShell), who opens another.
    if (shell.dead) return;
    const next = this.waiting.shift();
    if (next) next(shell);
    else this.idle.push(shell);
  }

  private async openShell(): Promise<SessionShell> {
    this.opening++;
    let shell: SessionShell;
    try {
      const mark = `bpfdev-${randomBytes(12).toString('hex')}`;
      shell = new SessionShell(await this.channel(SessionShell.command(mark)), this.host.alias, mark);
    } catch (error) {
      this.opening--;
      // Those waiting for this shell try (and fail) for themselves rather than wait forever.
      for (const waiter of this.waiting.splice(0)) waiter(undefined);
      throw error;
    }
    this.opening--;
    this.live.add(shell);
    shell.once('dead', () => {
      this.live.delete(shell);
      const index = this.idle.indexOf(shell);
      if (index !== -1) this.idle.splice(index, 1);
      this.waiting.shift()?.(undefined);
    });
    return shell;
  }

  private openSpare(): Promise<ClientChannel> {
    const spare = this.channel(SPARE_SHELL);
    spare.catch(() => { if (this.spare === spare) this.spare = undefined; });
    return spare;
  }

  private async takeSpareChannel(): Promise<ClientChannel> {
    const taken = this.spare ?? this.openSpare();
    this.spare = undefined;
    const channel = await taken;
    // A connection that spawned once (a run, a restart) likely spawns again: keep one ready.
    if (!this.closed) this.spare = this.openSpare();
    return channel;
  }

  private channel(command: string): Promise<ClientChannel> {
    if (this.closed) return Promise.reject(new SshError(`the connection to ${this.host.alias} is closed`, 'DISCONNECTED'));
    return new Promise((resolve, reject) => {
      this.client.exec(command, (error, stream) => error
        ? reject(new SshError(`cannot run a command on ${this.host.alias}: ${error.message}`, 'DISCONNECTED'))
        : resolve(stream));
    });
  }
}

/** Session shells at once per connection (sshd allows 10 channels by default; spawns need theirs). */
const MAX_SHELLS = 3;

/**
 * Issue #10: sshd runs every channel's command through the user's login shell, whose rc files
 * may take a second (conda, pyenv, corporate profiles). A session shell pays that once and then
 * runs each command we send it, in its own `sh` (so no command can change the loop's state).
 *
 * Request: `c INPUT_LEN SCRIPT` on one line, or `f INPUT_LEN SCRIPT_LEN` when the script spans
 * lines, then the input bytes, then (for `f`) the script bytes. `read` (a builtin that
 * never reads past the newline) and `head -c` consume exactly their share of the channel, which
 * is why the loop is the `-c` argument rather than a script the shell would read ahead of.
 * Reply: the command's stdout as it comes, `\n<MARK>o CODE\n`, its stderr, `\n<MARK>e\n`. The
 * marker is random per shell; stdout streams (a catalog is megabytes) and a command costs one
 * process, which matters on a loaded host where every fork takes tens of milliseconds.
 */
function sessionLoop(mark: string): string {
  return [
    'd=$(mktemp -d) || exit 1',
    'trap \'rm -rf "$d"\' EXIT',
    'while read -r k m s; do',
    'i=/dev/null; if [ "$m" -gt 0 ]; then head -c "$m" >"$d/i"; i="$d/i"; fi',
    'if [ "$k" = f ]; then head -c "$s" >"$d/s"; sh "$d/s" <"$i" 2>"$d/e"; else sh -c "$s" <"$i" 2>"$d/e"; fi; r=$?',
    `printf '\\n${mark}o %s\\n' "$r"`,
    'if [ -s "$d/e" ]; then cat "$d/e"; fi',
    `printf '\\n${mark}e\\n'`,
    'done',
  ].join('\n');
}
/** Waits for one length-prefixed command and becomes it (exec), keeping the channel as its stdin. */
const SPARE_SHELL = `exec sh -c ${quoteShellArgument('read -r n && c=$(head -c "$n") && eval "$c"')}`;

class SessionShell extends EventEmitter<{ dead: [] }> {
  dead = false;
  private readonly stdoutEnd: Buffer;
  private readonly stderrEnd: Buffer;
  private chunks: Buffer[] = [];
  private size = 0;
  /** Bytes already searched for the current marker. */
  private scanned = 0;
  private pending: { resolve: (result: ExecResult | Error) => void; stdout?: Buffer; code?: number } | undefined;

  static command(mark: string): string {
    return `exec sh -c ${quoteShellArgument(sessionLoop(mark))}`;
  }

  constructor(private readonly stream: ClientChannel, private readonly alias: string, mark: string) {
    super();
    this.stdoutEnd = Buffer.from(`\n${mark}o `);
    this.stderrEnd = Buffer.from(`\n${mark}e`);
    stream.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.size += chunk.length;
      this.drain();
    });
    stream.stderr.resume();
    stream.on('close', () => this.kill(new SshError(`the command shell on ${alias} closed`, 'DISCONNECTED')));
  }

  run(script: string, input: Buffer | undefined, timeoutMs: number | undefined): Promise<ExecResult> {
    if (this.dead) return Promise.reject(new SshError(`the command shell on ${this.alias} closed`, 'DISCONNECTED'));
    const body = Buffer.from(script);
    const oneLine = !/[\n\r]/.test(script);
    return new Promise<ExecResult>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      // A command past its time takes its shell with it: the shell cannot be interrupted mid-command.
      if (timeoutMs) timer = setTimeout(() => this.kill(undefined), timeoutMs);
      this.pending = {
        resolve: (result) => {
          if (timer) clearTimeout(timer);
          if (result instanceof Error) reject(result);
          else resolve(result);
        },
      };
      const header = oneLine ? `c ${input?.length ?? 0} ${script}\n` : `f ${input?.length ?? 0} ${body.length}\n`;
      // One write: one SSH packet for a small command.
      this.stream.write(Buffer.concat([Buffer.from(header), ...(input?.length ? [Buffer.from(input)] : []), ...(oneLine ? [] : [body])]));
    });
  }

  /** Linear in the output: each byte is searched about once, and the chunks are joined once per reply. */
  private drain(): void {
    for (;;) {
      const pending = this.pending;
      if (!pending) return;
      const marker = pending.stdout === undefined ? this.stdoutEnd : this.stderrEnd;
      const from = Math.max(0, this.scanned - marker.length);
      const window = this.bytesFrom(from);
      const at = window.indexOf(marker);
      const newline = at === -1 ? -1 : window.indexOf(0x0a, at + marker.length - 1);
      if (newline === -1) {
        // Found without its line end yet: search again from the marker when more comes.
        this.scanned = at === -1 ? this.size : from + at;
        return;
      }
      const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
      const before = all.subarray(0, from + at);
      const rest = all.subarray(from + newline + 1);
      this.chunks = rest.length ? [rest] : [];
      this.size = rest.length;
      this.scanned = 0;
      if (pending.stdout === undefined) {
        pending.stdout = Buffer.from(before);
        pending.code = Number(window.subarray(at + marker.length, newline).toString('latin1'));
        continue;
      }
      this.pending = undefined;
      // sh reports death by signal N as 128+N, as a login shell's exec would have.
      pending.resolve({ code: pending.code ?? null, signal: null, stdout: pending.stdout, stderr: before.toString('utf8') });
    }
  }

  private bytesFrom(offset: number): Buffer {
    let start = this.size;
    let index = this.chunks.length;
    while (index > 0 && start > offset) start -= this.chunks[--index].length;
    const joined = index === this.chunks.length - 1 ? this.chunks[index] : Buffer.concat(this.chunks.slice(index));
    return joined.subarray(offset - start);
  }

  /** Ends the shell: a timed-out command's result is a closed channel (code null), as before. */
  private kill(error: Error | undefined): void {
    if (this.dead) return;
    this.dead = true;
    const pending = this.pending;
    this.pending = undefined;
    if (pending) pending.resolve(error ?? { code: null, signal: null, stdout: Buffer.alloc(0), stderr: 'timed out' });
    this.stream.close();
    this.emit('dead');
  }
}

function triedMethods(host: ResolvedHost): string[] {
  return [...(process.env.SSH_AUTH_SOCK ? ['ssh-agent'] : []), ...host.identityFiles.filter((file) => fs.existsSync(file)).map((file) => `key ${file}`), 'password'];
}

/** Tries ssh-agent, then each identity file (asking for its passphrase), then a password. */
function authenticator(host: ResolvedHost, callbacks: SshCallbacks) {
  const candidates: (() => Promise<AnyAuthMethod | undefined>)[] = [];
  if (process.env.SSH_AUTH_SOCK) candidates.push(async () => ({ type: 'agent' as const, username: host.user, agent: process.env.SSH_AUTH_SOCK! }));
  for (const file of host.identityFiles) {
    candidates.push(async () => {
      let data: Buffer;
      try { data = fs.readFileSync(file); } catch { return undefined; }
      let parsed = utils.parseKey(data);
      if (parsed instanceof Error && /passphrase/i.test(parsed.message) && callbacks.askSecret) {
        const passphrase = await callbacks.askSecret({ kind: 'passphrase', id: `passphrase:${file}`, prompt: `Passphrase for ${file}` });
        if (passphrase === undefined) return undefined;
        parsed = utils.parseKey(data, passphrase);
      }
      if (parsed instanceof Error) {
        callbacks.log?.(`skipping key ${file}: ${parsed.message}`);
        return undefined;
      }
      return { type: 'publickey', username: host.user, key: Array.isArray(parsed) ? parsed[0] : parsed };
    });
  }
  if (callbacks.askSecret) {
    candidates.push(async () => {
      const password = await callbacks.askSecret!({ kind: 'password', id: `password:${host.user}@${host.hostName}:${host.port}`, prompt: `Password for ${host.user}@${host.alias}` });
      return password === undefined ? undefined : { type: 'password' as const, username: host.user, password };
    });
  }
  let next = 0;
  return (_methodsLeft: unknown, _partialSuccess: unknown, callback: NextAuthHandler) => {
    const tryNext = (): void => {
      const candidate = candidates[next++];
      // ssh2 takes `false` as "no more methods", which its typings do not admit.
      if (!candidate) return callback(false as unknown as AnyAuthMethod);
      candidate().then((auth) => auth ? callback(auth) : tryNext(), () => tryNext());
    };
    tryNext();
  };
}
