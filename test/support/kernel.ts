/** Shared helpers for kernel-tier tests: privilege checks, `bpftool prog show`, waiting on a child's output. */
import { spawnSync, ChildProcess } from 'node:child_process';
import * as path from 'node:path';

export const repoRoot = path.resolve(__dirname, '..', '..', '..');

/** Why kernel tests cannot run here, or undefined when they can. */
export function kernelSkipReason(): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux';
  if (process.geteuid?.() !== 0) return 'needs root to load BPF programs (run as root; CI does)';
  return undefined;
}

/** Names of the BPF programs currently loaded in the kernel. */
export function loadedProgramNames(): string[] {
  const result = spawnSync('bpftool', ['prog', 'show', '--json'], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`bpftool prog show failed: ${result.stderr}`);
  return (JSON.parse(result.stdout) as { name?: string }[]).map((program) => program.name ?? '');
}

/**
 * Resolves with the first line of the child's stdout that matches, or rejects when the child
 * exits first or the deadline passes. Event-driven: no polling, no sleeps.
 */
export function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs = 20_000, stream: 'stdout' | 'stderr' = 'stdout'): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const source = child[stream]!;
    const cleanup = () => { clearTimeout(timer); source.off('data', onData); child.off('exit', onExit); };
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      const hit = lines.find((line) => pattern.test(line));
      if (hit !== undefined) { cleanup(); resolve(hit); }
    };
    const onExit = (code: number | null) => { cleanup(); reject(new Error(`process exited (${code}) before printing ${pattern}`)); };
    const timer = setTimeout(() => { cleanup(); reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms`)); }, timeoutMs);
    source.on('data', onData);
    child.on('exit', onExit);
  });
}

export function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** The 1-based line of the first source line containing `needle`: tests derive lines from files, never hard-code them. */
export function lineContaining(text: string, needle: string): number {
  const index = text.split('\n').findIndex((line) => line.includes(needle));
  if (index < 0) throw new Error(`no line contains ${JSON.stringify(needle)}`);
  return index + 1;
}
