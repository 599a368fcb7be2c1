/**
 * Every custom message between the extension client and the language server, and the settings
 * both read. Standard LSP covers the rest. Each message says who sends it and why.
 *
 * Kept free of vscode / vscode-languageserver imports so both sides (and other LSP editors'
 * glue) can use it: method names are plain strings, payloads plain JSON.
 */
import type { VerifierView } from '../../core/src/verifier/view';

/** Settings under the `bpfdev` section; declared in package.json `contributes.configuration`. */
export interface BpfdevSettings {
  /** Extra globs of BPF C files besides `**\/*.bpf.c`. */
  files: string[];
  clangPath: string;
  extraCflags: string[];
  verifyOnSave: boolean;
  /** Compile with the target host's clang instead of the local one. */
  compileOnTarget: boolean;
}

export const DEFAULT_SETTINGS: BpfdevSettings = {
  files: [],
  clangPath: 'clang',
  extraCflags: [],
  verifyOnSave: true,
  compileOnTarget: false,
};

/** A program of the verified object as the server reports it (mirrors the CLI's JSON). */
export interface ProgramSummary {
  name: string;
  section: string;
  verdict: 'ok' | 'rejected' | 'unsupported' | 'attach-target-missing' | 'not-loaded';
  insnsProcessed: number | null;
  stackDepth: number | null;
  /** 0-based line of the function the SEC() annotates, when found in the source. */
  line?: number;
}

/**
 * client → server request `bpfdev/verify`: compile and verify this document now (the
 * "Verify Now" command), whatever `verifyOnSave` says. Resolves when diagnostics are published.
 */
export const VerifyRequest = 'bpfdev/verify';
export interface VerifyParams { uri: string }
export interface VerifyResult {
  uri: string;
  compiled: boolean;
  programs: ProgramSummary[];
  diagnosticCount: number;
  durationMs: number;
  /** Set when the pipeline could not run at all (no clang, no BTF, no loader...), with what to do. */
  error?: string;
}

/**
 * server → client notification `bpfdev/verified`: a verification (on save, open or request)
 * finished. The client shows stats (status bar, CodeLens) and tests wait on it.
 */
export const VerifiedNotification = 'bpfdev/verified';
export type VerifiedParams = VerifyResult;

/**
 * client → server request `bpfdev/verifierView`: compile the document and load it in the
 * target's verifier at `logLevel` (1 by default; 2 prints every state, on the "Re-run at log level
 * 2" action), and return the step-through model of each program's log (core/src/verifier/view.ts)
 * for the verifier view. A fresh verification, not the last one: the log of a save is not kept.
 */
export const VerifierViewRequest = 'bpfdev/verifierView';
/** The client command that opens the verifier view; the server's CodeLens and code action send it with (uri, program name). */
export const ShowVerifierStateCommand = 'bpfdev.showVerifierState';
export interface VerifierViewParams {
  uri: string;
  /** Only this program (its function name); all programs when absent. */
  program?: string;
  logLevel?: 1 | 2;
}
export interface VerifierViewResult {
  uri: string;
  logLevel: number;
  programs: { name: string; section: string; verdict: ProgramSummary['verdict']; view: VerifierView }[];
  /** The compile or the load could not run, with what to do. */
  error?: string;
}

/**
 * client (or benchmark) → server request `bpfdev/stats`: the server's own latency samples per
 * feature (ms, measured inside the server) and its memory, for `npm run bench:lsp`.
 */
export const StatsRequest = 'bpfdev/stats';
export interface StatsResult {
  latency: Record<string, { count: number; p50: number; p99: number; max: number }>;
  rssBytes: number;
  heapUsedBytes: number;
  catalog?: {
    target: string; kernel: string; source: 'live' | 'cache' | 'snapshot';
    /** From the start of the load (cache read or fetch) until the catalog answered. */
    buildMs: number;
    tracepoints: number; kernelFunctions: number;
    /** What the target can attach (the loader's probe); absent fields were not probed. */
    capabilities: { kprobes?: boolean; btf?: boolean; fentry?: boolean; fentryReason?: string };
    /** The libbpf the target's loader is built on. */
    libbpfVersion?: string;
    /** Parsing the BTF, done in the background after the load; absent until it ran. */
    btfLoadMs?: number;
  };
}

// ---------------------------------------------------------------------------------------------
// The target bridge. The client holds the SSH session (it can ask the user about host keys and
// secrets); the server compiles and verifies for whatever target the client selected by asking
// the client to act on it. For the local target the server acts directly and these are unused.

/** client → server notification `bpfdev/didChangeTarget`: the user picked another target host. */
export const DidChangeTargetNotification = 'bpfdev/didChangeTarget';
export interface DidChangeTargetParams {
  /** `local`, or the host alias the client is connected to. */
  name: string;
}

/** server → client request `bpfdev/target/info`: identity of the selected remote target. */
export const TargetInfoRequest = 'bpfdev/target/info';
export interface TargetInfoResult { name: string; arch: string; release: string }

/** server → client request `bpfdev/target/exec`: run argv on the target (quoted by the client's SSH facade). */
export const TargetExecRequest = 'bpfdev/target/exec';
export interface TargetExecParams { argv: string[]; privileged?: boolean; inputBase64?: string; timeoutMs?: number }
export interface TargetExecResult { code: number | null; signal: string | null; stdoutBase64: string; stderr: string }

/** server → client request `bpfdev/target/readFile`: a file's bytes from the target (BTF, tracefs). */
export const TargetReadFileRequest = 'bpfdev/target/readFile';
export interface TargetReadFileParams { path: string }
export interface TargetReadFileResult { base64: string }

/** server → client request `bpfdev/target/upload`: copy a local file (an object the server compiled) to the target. */
export const TargetUploadRequest = 'bpfdev/target/upload';
export interface TargetUploadParams { localPath: string }
export interface TargetUploadResult { path: string }

/** server → client request `bpfdev/target/loaderPath`: where the loader is on the target (uploaded if needed). */
export const TargetLoaderPathRequest = 'bpfdev/target/loaderPath';
export interface TargetLoaderPathResult { path: string }

/**
 * Errors of target requests carry this data so the server can keep the error's code and hint
 * (e.g. NO_PRIVILEGE with what to configure).
 */
export interface TargetErrorData { code: string; hint?: string }

/**
 * server → client request `bpfdev/privilege/password`: sudo wants the user's password before the
 * server can load BPF programs on the local host. The client asks the user (a password box) and
 * answers; the server starts its one privileged session with it and drops it. Neither side
 * stores or logs it. No `password`: the user cancelled.
 */
export const PrivilegePasswordRequest = 'bpfdev/privilege/password';
export interface PrivilegePasswordParams { user: string; host: string }
export interface PrivilegePasswordResult { password?: string }
