/**
 * What the VS Code tests share: the extension's test API, the fixture workspace, and waits that
 * end on an event (or, for kernel state that raises none, on a polled condition) with a deadline
 * and a message saying what never happened.
 */
import * as vscode from 'vscode';

export const EXTENSION_ID = 'bpfdev.bpfdev';

/**
 * The part of the extension's activate() result (client/src/api.ts) the tests use, restated
 * because the test project does not reference the client project.
 */
export interface BpfdevTestApi {
  /** Called with each trace_pipe line of every running session. */
  onTraceLine(listener: (line: string) => void): vscode.Disposable;
  runningSessions(): number;
}

/** What the `bpfdev.run` command resolves to (client/src/trace/run-manager.ts RunSummary); undefined when it failed. */
export interface RunCommandResult {
  attached: { name: string; section: string; progId: number }[];
  failed: { name: string; section: string; reason: string }[];
}

/** Generous: the first verification generates vmlinux.h from the kernel's BTF. */
export const LANGUAGE_SERVER_TIMEOUT_MS = 60_000;

export async function activateExtension(): Promise<BpfdevTestApi> {
  const extension = vscode.extensions.getExtension<BpfdevTestApi>(EXTENSION_ID);
  if (!extension) {
    const loaded = vscode.extensions.all.map((e) => e.id).filter((id) => !id.startsWith('vscode.'));
    throw new Error(`extension ${EXTENSION_ID} is not loaded (non-builtin extensions: ${loaded.join(', ') || 'none'})`);
  }
  return extension.activate();
}

export function workspaceFile(relativePath: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('no workspace folder is open: run.ts opens the fixture workspace');
  return vscode.Uri.joinPath(folder.uri, relativePath);
}

/** The 0-based line that ends with `// <marker>`; the fixture must have exactly one. */
export function markedLine(document: vscode.TextDocument, marker: string): number {
  const lines = document.getText().split(/\r?\n/);
  const found = lines.flatMap((text, index) => (text.trimEnd().endsWith(`// ${marker}`) ? [index] : []));
  if (found.length !== 1) throw new Error(`${document.uri.fsPath}: ${found.length} lines end with // ${marker}, expected 1`);
  return found[0];
}

function describeDiagnostics(uri: vscode.Uri): string {
  const all = vscode.languages.getDiagnostics(uri);
  if (all.length === 0) return 'none';
  return all.map((d) => `line ${d.range.start.line + 1} [${d.source ?? 'no source'}] ${d.message}`).join('; ');
}

/**
 * Resolves the first diagnostic of `uri` that satisfies `accept`, looking at the current ones and
 * then at each change, and rejects after `timeoutMs` listing what the file had.
 */
export function waitForDiagnostic(
  uri: vscode.Uri, accept: (diagnostic: vscode.Diagnostic) => boolean, expectation: string,
  timeoutMs = LANGUAGE_SERVER_TIMEOUT_MS,
): Promise<vscode.Diagnostic> {
  const find = () => vscode.languages.getDiagnostics(uri).find(accept);
  return new Promise((resolve, reject) => {
    const subscription = vscode.languages.onDidChangeDiagnostics((event) => {
      if (!event.uris.some((changed) => changed.toString() === uri.toString())) return;
      const found = find();
      if (found) settle(() => resolve(found));
    });
    const timer = setTimeout(() => settle(() => reject(new Error(
      `no ${expectation} within ${timeoutMs / 1000}s; diagnostics of ${vscode.workspace.asRelativePath(uri)}: ${describeDiagnostics(uri)}`,
    ))), timeoutMs);
    const settle = (action: () => void) => { clearTimeout(timer); subscription.dispose(); action(); };
    const already = find();
    if (already) settle(() => resolve(already));
  });
}

/** Resolves the first value an event source delivers that satisfies `accept`. */
export function waitForEvent<T>(
  subscribe: (listener: (value: T) => void) => vscode.Disposable, accept: (value: T) => boolean,
  expectation: string, timeoutMs: number,
): Promise<T> {
  return new Promise((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => {
      done = true;
      subscription.dispose();
      reject(new Error(`no ${expectation} within ${timeoutMs / 1000}s`));
    }, timeoutMs);
    const subscription = subscribe((value) => {
      if (done || !accept(value)) return;
      done = true;
      clearTimeout(timer);
      // Disposed after this delivery returns: the emitter may still be iterating its listeners.
      queueMicrotask(() => subscription.dispose());
      resolve(value);
    });
  });
}

/**
 * Polls `condition` until it holds. Only for state that raises no event we can listen to, such
 * as the kernel freeing a BPF program some time after its last reference is closed.
 */
export async function waitUntil(condition: () => Promise<boolean>, expectation: string, timeoutMs: number, intervalMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${expectation} did not happen within ${timeoutMs / 1000}s`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
