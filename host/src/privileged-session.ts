/**
 * One privileged session for an editor's lifetime (issue #9): the user types their sudo
 * password once, `sudo -S` starts privileged-broker.js as root with it, and every privileged
 * command of this process then runs through that broker. The password is written to sudo's
 * stdin and dropped; it is never stored, logged or passed on.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { PassThrough, Writable } from 'node:stream';
import { packageRoot } from './paths';
import { ExecOptions, ExecResult, TargetError, TargetProcess } from './target';

/** Parent → broker. */
export type BrokerRequest =
  | { t: 'spawn'; id: number; argv: string[] }
  | { t: 'in'; id: number; b64: string }
  | { t: 'end'; id: number }
  | { t: 'kill'; id: number; signal: NodeJS.Signals };

/** Broker → parent. `ready` comes once, first; `exit` last for each id. */
export type BrokerReply =
  | { t: 'ready'; uid: number }
  | { t: 'out' | 'err'; id: number; b64: string }
  | { t: 'error'; id: number; message: string }
  | { t: 'exit'; id: number; code: number | null; signal: NodeJS.Signals | null };

interface Pending {
  stdout: PassThrough;
  stderr: PassThrough;
  resolveExit: (status: { code: number | null; signal: NodeJS.Signals | null }) => void;
}

export function brokerScriptPath(): string {
  return path.join(packageRoot(), 'dist', 'privileged-broker.js');
}

export class PrivilegedSession {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closed = false;

  private constructor(private readonly child: ReturnType<typeof spawn>, lines: readline.Interface) {
    lines.on('line', (line) => this.onLine(line));
    child.on('close', () => {
      this.closed = true;
      for (const entry of this.pending.values()) this.finish(entry, { code: null, signal: 'SIGKILL' });
      this.pending.clear();
    });
  }

  /**
   * Starts the broker with `sudo -S`. Rejects with code BAD_PASSWORD when sudo refuses the
   * password: we close sudo's stdin at its first complaint, so a wrong password is never
   * retried with whatever we would write next.
   */
  static start(password: string): Promise<PrivilegedSession> {
    const script = brokerScriptPath();
    if (!existsSync(script)) return Promise.reject(new TargetError(`the privileged helper is not built (${script})`, 'NO_BROKER', 'run `npm run build`'));
    // ELECTRON_RUN_AS_NODE lets VS Code's own runtime act as node; plain node ignores it. `-k`
    // makes sudo read the password even when a cached ticket exists, so stdin is consumed alike.
    const child = spawn('sudo', ['-S', '-k', '-p', '', '--', 'env', 'ELECTRON_RUN_AS_NODE=1', process.execPath, script],
      { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    child.stdin.on('error', () => undefined);
    return new Promise((resolve, reject) => {
      let stderr = '';
      let settled = false;
      const lines = readline.createInterface({ input: child.stdout, crlfDelay: Infinity });
      const fail = (error: TargetError) => {
        if (settled) return;
        settled = true;
        lines.close();
        child.stdin.end();
        child.kill('SIGTERM');
        reject(error);
      };
      const onStderr = (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
        if (/Sorry, try again|incorrect password/i.test(stderr)) {
          fail(new TargetError('sudo did not accept the password', 'BAD_PASSWORD'));
        }
      };
      child.stderr.on('data', onStderr);
      child.on('error', (error) => fail(new TargetError(`cannot run sudo: ${error.message}`, 'EXEC')));
      child.on('close', (code) => fail(new TargetError(`sudo exited with ${code} before the privileged session started: ${stderr.trim()}`, 'NO_PRIVILEGE')));
      lines.once('line', (first) => {
        let reply: BrokerReply | undefined;
        try { reply = JSON.parse(first) as BrokerReply; } catch { /* reported below */ }
        if (reply?.t !== 'ready' || reply.uid !== 0) {
          fail(new TargetError(`the privileged session did not start: ${first.slice(0, 200)}`, 'NO_PRIVILEGE'));
          return;
        }
        settled = true;
        child.stderr.off('data', onStderr);
        // Whatever the broker says on stderr later is its own trouble; keep the pipe drained.
        child.stderr.resume();
        resolve(new PrivilegedSession(child, lines));
      });
      child.stdin.write(password + '\n');
    });
  }

  get alive(): boolean {
    return !this.closed;
  }

  spawn(argv: string[]): TargetProcess {
    const id = this.nextId++;
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let resolveExit!: Pending['resolveExit'];
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => { resolveExit = resolve; });
    const entry: Pending = { stdout, stderr, resolveExit };
    if (this.closed) {
      this.finish(entry, { code: 127, signal: null });
    } else {
      this.pending.set(id, entry);
      this.send({ t: 'spawn', id, argv });
    }
    const stdin = new Writable({
      write: (chunk: Buffer, _encoding, callback) => { this.send({ t: 'in', id, b64: Buffer.from(chunk).toString('base64') }); callback(); },
      final: (callback) => { this.send({ t: 'end', id }); callback(); },
    });
    return { stdin, stdout, stderr, exited, kill: (signal: NodeJS.Signals = 'SIGTERM') => this.send({ t: 'kill', id, signal }) };
  }

  async exec(argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
    const child = this.spawn(argv);
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined;
    child.stdin.end(options.input ? Buffer.from(options.input) : undefined);
    const status = await child.exited;
    if (timer) clearTimeout(timer);
    return { ...status, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr).toString('utf8') };
  }

  /** Ends the session: the broker closes its children's stdin (loaders detach) and exits. */
  dispose(): void {
    this.child.stdin?.end();
  }

  private send(request: BrokerRequest): void {
    if (!this.closed) this.child.stdin?.write(JSON.stringify(request) + '\n');
  }

  private onLine(line: string): void {
    let reply: BrokerReply;
    try { reply = JSON.parse(line) as BrokerReply; } catch { return; }
    if (reply.t === 'ready') return;
    const entry = this.pending.get(reply.id);
    if (!entry) return;
    switch (reply.t) {
      case 'out': entry.stdout.write(Buffer.from(reply.b64, 'base64')); break;
      case 'err': entry.stderr.write(Buffer.from(reply.b64, 'base64')); break;
      case 'error': entry.stderr.write(`${reply.message}\n`); break;
      case 'exit': this.pending.delete(reply.id); this.finish(entry, { code: reply.code, signal: reply.signal }); break;
    }
  }

  private finish(entry: Pending, status: { code: number | null; signal: NodeJS.Signals | null }): void {
    entry.stdout.end();
    entry.stderr.end();
    // 'close' on the streams first, as a child process would: readers see all output before exit.
    setImmediate(() => entry.resolveExit(status));
  }
}
