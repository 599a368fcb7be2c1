/** The machine this process runs on, used directly (no SSH). */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import { ExecOptions, ExecResult, Target, TargetError, TargetProcess } from './target';
import { localLoaderPath } from './paths';
import { capLoaderPath } from '../../core/src/privilege/state';
import { detectPrivilege, Elevated, elevateLocal, ElevationOptions, PrivilegeState, wrapForSudo } from './privilege';

export class LocalTarget implements Target {
  readonly name = 'local';
  private privilege?: Promise<PrivilegeState>;
  private elevating?: Promise<Elevated>;
  private elevated?: Elevated;

  /** @param elevation how to ask for a password when sudo wants one (none: fail with advice) */
  constructor(private readonly elevation: ElevationOptions = {}) {}

  async exec(argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
    if (options.privileged) {
      const elevated = await this.elevate();
      if (elevated.how === 'session') return elevated.session.exec(argv, options);
      if (elevated.how === 'sudo') argv = wrapForSudo(argv);
    }
    return this.execDirect(argv, options);
  }

  private execDirect(argv: string[], options: ExecOptions): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      let timer: NodeJS.Timeout | undefined;
      if (options.timeoutMs) timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
      child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
      child.on('error', (error: NodeJS.ErrnoException) => {
        if (timer) clearTimeout(timer);
        reject(new TargetError(`cannot run ${argv[0]}: ${error.message}`, error.code ?? 'EXEC'));
      });
      child.on('close', (code, signal) => {
        if (timer) clearTimeout(timer);
        resolve({ code, signal, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr).toString('utf8') });
      });
      // A child that exits without reading its stdin must not crash us with EPIPE.
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.input ?? undefined);
    });
  }

  spawn(argv: string[], options: { privileged?: boolean } = {}): TargetProcess {
    if (options.privileged) {
      // loaderPath() has decided how to elevate by the time a loader is spawned; a caller that
      // skipped it gets non-interactive sudo, which fails fast instead of prompting.
      const elevated = this.elevated ?? (process.geteuid?.() === 0 ? undefined : { how: 'sudo' as const });
      if (elevated?.how === 'session') return elevated.session.spawn(argv);
      if (elevated?.how === 'sudo') argv = wrapForSudo(argv);
    }
    const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.on('error', () => undefined);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.on('error', () => resolve({ code: 127, signal: null }));
      child.on('close', (code, signal) => resolve({ code, signal }));
    });
    return {
      stdin: child.stdin,
      stdout: child.stdout,
      stderr: child.stderr,
      exited,
      kill: (signal: NodeJS.Signals = 'SIGTERM') => { child.kill(signal); },
    };
  }

  async readFile(path: string): Promise<Buffer> {
    try {
      // Synchronous on purpose: sysfs/tracefs files report odd sizes, and the promise API then
      // reads them in many small steps (70-100 ms for the 5.5 MB BTF, against 6 ms here).
      return readFileSync(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
      throw new TargetError(`cannot read ${path} on the local host: ${(error as Error).message}`, code);
    }
  }

  async upload(localPath: string): Promise<string> {
    return localPath;
  }

  /**
   * The loader to run, deciding first how privileged commands run (which may ask for a password,
   * unless `elevate` is false). The capability-enabled copy of `bpfdev setup` is preferred when
   * it is what lets us load at all; privilegeState() checked that its content is this build's.
   */
  async loaderPath(options: { elevate?: boolean } = {}): Promise<string> {
    const arch = await this.arch();
    const loader = localLoaderPath(arch);
    try {
      await fs.access(loader);
    } catch {
      throw new TargetError(`the loader is not built (${loader})`, 'NO_LOADER', 'run `npm run build` (needs clang, libbpf-dev, libelf-dev)');
    }
    if (options.elevate === false) {
      const state = process.geteuid?.() === 0 ? undefined : await this.privilegeState();
      return state?.kind === 'capabilities' ? capLoaderPath(arch) : loader;
    }
    const elevated = await this.elevate();
    return elevated.state.kind === 'capabilities' ? capLoaderPath(arch) : loader;
  }

  /** Who we are and what we may do here; read once (`bpfdev setup` in between needs a new target). */
  privilegeState(): Promise<PrivilegeState> {
    this.privilege ??= detectPrivilege(this);
    this.privilege.catch(() => { this.privilege = undefined; });
    return this.privilege;
  }

  /**
   * Starts the privileged session with a password the user already typed for another process of
   * the same editor (the client answers the server's question and passes the answer here), so one
   * prompt serves both. A no-op once elevation is decided. The password lives only in this call.
   */
  async usePassword(password: string): Promise<void> {
    if (this.elevating) return;
    this.elevating = (async () => {
      const elevated = await elevateLocal(await this.privilegeState(), { askPassword: async () => password });
      this.elevated = elevated;
      return elevated;
    })();
    this.elevating.catch(() => { this.elevating = undefined; });
    await this.elevating.catch(() => undefined);
  }

  private elevate(): Promise<Elevated> {
    this.elevating ??= (async () => {
      const elevated = await elevateLocal(await this.privilegeState(), this.elevation);
      this.elevated = elevated;
      return elevated;
    })();
    // A cancelled or refused prompt may be retried by the next command.
    this.elevating.catch(() => { this.elevating = undefined; });
    return this.elevating;
  }

  async arch(): Promise<string> {
    return os.machine();
  }

  async kernelRelease(): Promise<string> {
    return os.release();
  }

  async dispose(): Promise<void> {
    // The privileged session, if any, ends with us: its loaders see stdin close and detach.
    if (this.elevated?.how === 'session') this.elevated.session.dispose();
  }
}
