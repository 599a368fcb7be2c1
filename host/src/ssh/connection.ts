/**
 * The one facade over ssh2 (STYLE.md #9): connect with verified host keys and the user's auth,
 * exec argv commands (quoted here, nowhere else), spawn long-running commands whose channel
 * closing ends them, upload with SFTP, keepalive so a dead network is noticed.
 *
 * Secrets (passphrases, passwords) come from the `askSecret` callback each time they are
 * needed and are never logged or stored here; the VS Code client backs it with SecretStorage.
 */
import * as fs from 'node:fs';
import { EventEmitter } from 'node:events';
import { Duplex, PassThrough } from 'node:stream';
import { AnyAuthMethod, Client, ClientChannel, ConnectConfig, NextAuthHandler, utils } from 'ssh2';
import { shellCommand } from '../../../core/src/ssh/shell-quote';
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

  /** For commands we compose ourselves from quoted parts (pipelines). Never pass user text here unquoted. */
  execCommand(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      this.channel(command).then((stream) => {
        const stdout: Buffer[] = [];
        const stderr: Buffer[] = [];
        let timer: NodeJS.Timeout | undefined;
        if (options.timeoutMs) timer = setTimeout(() => stream.close(), options.timeoutMs);
        stream.on('data', (chunk: Buffer) => stdout.push(chunk));
        stream.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
        stream.on('close', (code: number | null, signal?: string) => {
          if (timer) clearTimeout(timer);
          resolve({ code: code ?? null, signal: (signal ? `SIG${signal}` : null) as NodeJS.Signals | null, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr).toString('utf8') });
        });
        stream.end(options.input ? Buffer.from(options.input) : undefined);
      }, reject);
    });
  }

  /**
   * Starts argv on the host. Closing stdin (or the channel, or the connection) is what ends it:
   * the remote process sees EOF, which our loader treats as "detach and exit".
   */
  spawn(argv: string[]): TargetProcess {
    return this.spawnCommand(shellCommand(argv));
  }

  spawnCommand(command: string): TargetProcess {
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let channel: ClientChannel | undefined;
    let pendingKill = false;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      this.channel(command).then((stream) => {
        channel = stream;
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

  upload(localPath: string, remotePath: string, mode = 0o600): Promise<void> {
    return new Promise((resolve, reject) => {
      this.client.sftp((error, sftp) => {
        if (error) return reject(new SshError(`SFTP is not available on ${this.host.alias}: ${error.message}`, 'CONNECT_FAILED', 'enable the sftp subsystem in sshd_config'));
        sftp.fastPut(localPath, remotePath, { mode }, (putError) => {
          sftp.end();
          if (putError) reject(new SshError(`uploading to ${this.host.alias}:${remotePath} failed: ${putError.message}`, 'CONNECT_FAILED'));
          else resolve();
        });
      });
    });
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

  private channel(command: string): Promise<ClientChannel> {
    if (this.closed) return Promise.reject(new SshError(`the connection to ${this.host.alias} is closed`, 'DISCONNECTED'));
    return new Promise((resolve, reject) => {
      this.client.exec(command, (error, stream) => error
        ? reject(new SshError(`cannot run a command on ${this.host.alias}: ${error.message}`, 'DISCONNECTED'))
        : resolve(stream));
    });
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
