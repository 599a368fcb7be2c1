/**
 * A Target is a machine whose kernel we compile for, verify on and attach to. Everything that
 * touches a host goes through this interface so the local kernel and a remote one over SSH
 * (issue #5) are interchangeable. Commands are argv arrays, never shell strings: a remote
 * implementation quotes each argument itself, so file names cannot inject commands.
 */
import type { Readable, Writable } from 'node:stream';
import type { PrivilegeState } from '../../core/src/privilege/state';

export interface ExecResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

export interface ExecOptions {
  input?: Uint8Array;
  timeoutMs?: number;
  /** Needs root (BPF loads, tracefs): run as root, through sudo, or as is when the loader has capabilities (see privilege.ts). */
  privileged?: boolean;
}

export interface TargetProcess {
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Resolves once the process has exited (never rejects). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): void;
}

export interface Target {
  /** `local`, or the host alias. */
  readonly name: string;
  exec(argv: string[], options?: ExecOptions): Promise<ExecResult>;
  spawn(argv: string[], options?: { privileged?: boolean }): TargetProcess;
  /** Reads a whole file; rejects with a TargetError (code `ENOENT`, `EACCES`, ...) when it cannot. */
  readFile(path: string): Promise<Buffer>;
  /** Makes a local file available on the target and returns its path there. */
  upload(localPath: string): Promise<string>;
  /** Removes a file that upload() placed (a stopped run's object); a no-op for the local host. */
  discard?(path: string): Promise<void>;
  /**
   * The path of a loader binary runnable on the target. Decides how privileged commands run,
   * which may ask for a password; `elevate: false` never asks (the host report's probe).
   */
  loaderPath(options?: { elevate?: boolean }): Promise<string>;
  /** Who runs commands there and how they may load BPF (root, sudo, capabilities...); never prompts. */
  privilegeState?(): Promise<PrivilegeState>;
  /** Machine architecture as `uname -m` prints it. */
  arch(): Promise<string>;
  /** Kernel release as `uname -r` prints it. */
  kernelRelease(): Promise<string>;
  /**
   * First 16 hex digits of the sha256 of the kernel's BTF, computed where the BTF is (so it
   * need not travel); undefined when the target cannot (no BTF, no sha256sum).
   */
  btfDigest?(): Promise<string | undefined>;
  dispose(): Promise<void>;
}

export class TargetError extends Error {
  constructor(message: string, readonly code: string, readonly hint?: string) {
    super(message);
    this.name = 'TargetError';
  }
}

/** The `__TARGET_ARCH_<x>` name libbpf's PT_REGS macros select on, from `uname -m`. */
export function bpfTargetArch(machine: string): string {
  switch (machine) {
    case 'x86_64': case 'i686': case 'i386': return 'x86';
    case 'aarch64': case 'arm64': return 'arm64';
    case 'armv7l': case 'armv6l': case 'arm': return 'arm';
    case 's390x': return 's390';
    case 'ppc64le': case 'ppc64': return 'powerpc';
    case 'riscv64': return 'riscv';
    case 'loongarch64': return 'loongarch';
    case 'mips': case 'mips64': return 'mips';
    default: return machine;
  }
}
