/** The machine this process runs on, used directly (no SSH). */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import { ExecOptions, ExecResult, Target, TargetError, TargetProcess } from './target';
import { localLoaderPath } from './paths';

export class LocalTarget implements Target {
  readonly name = 'local';

  exec(argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
    if (options.privileged) argv = asRoot(argv);
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
    if (options.privileged) argv = asRoot(argv);
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

  async loaderPath(): Promise<string> {
    const loader = localLoaderPath(await this.arch());
    try {
      await fs.access(loader);
    } catch {
      throw new TargetError(`the loader is not built (${loader})`, 'NO_LOADER', 'run `npm run build` (needs clang, libbpf-dev, libelf-dev)');
    }
    return loader;
  }

  async arch(): Promise<string> {
    return os.machine();
  }

  async kernelRelease(): Promise<string> {
    return os.release();
  }

  async dispose(): Promise<void> {
    // Nothing held open.
  }
}

/** Root runs commands directly; anyone else goes through non-interactive sudo, which fails fast with a clear message instead of prompting. */
function asRoot(argv: string[]): string[] {
  return process.geteuid?.() === 0 ? argv : ['sudo', '-n', '--', ...argv];
}
