/**
 * What the VS Code tests share: the extension's test API, the fixture workspace, and waits that
 * end on an event (or, for kernel state that raises none, on a polled condition) with a deadline
 * and a message saying what never happened.
 */
import * as childProcess from 'node:child_process';
import * as fs from 'node:fs';
import { promisify } from 'node:util';
import * as vscode from 'vscode';
import type { BpfdevApi } from '../../../client/src/api';
import type { RunSummary } from '../../../client/src/trace/run-manager';
import type { VerifiedParams } from '../../../protocol/src/protocol';

export const EXTENSION_ID = 'bpfdev.bpfdev';

/** What the extension's activate() returns (client/src/api.ts): the tests wait on its events. */
export type BpfdevTestApi = BpfdevApi;

/** What the `bpfdev.run` command resolves to; undefined when it failed. */
export type RunCommandResult = RunSummary;

/** The program in hello.bpf.c, named as the kernel keeps it (15 characters at most). */
export const HELLO_PROGRAM = 'fx_hello_openat';

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

/** Resolves the next `bpfdev/verified` result for `uri` that satisfies `accept`. */
export function waitForVerified(
  api: BpfdevTestApi, uri: vscode.Uri, accept: (result: VerifiedParams) => boolean, expectation: string,
  timeoutMs = LANGUAGE_SERVER_TIMEOUT_MS,
): Promise<VerifiedParams> {
  return waitForEvent<VerifiedParams>((listener) => api.onVerified(listener),
    (result) => result.uri === uri.toString() && accept(result), expectation, timeoutMs);
}

/** Rejects, naming what did not answer, when `promise` takes longer than `timeoutMs`. */
export function withDeadline<T>(promise: Thenable<T>, timeoutMs: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not answer within ${timeoutMs / 1000}s`)), timeoutMs);
    promise.then((value) => { clearTimeout(timer); resolve(value); }, (error: unknown) => { clearTimeout(timer); reject(error); });
  });
}

export function labelOf(item: vscode.CompletionItem): string {
  return typeof item.label === 'string' ? item.label : item.label.label;
}

/** Completions at `position`, the way the suggest widget asks for them (no trigger character). */
export async function completionsAt(uri: vscode.Uri, position: vscode.Position, what: string): Promise<vscode.CompletionItem[]> {
  const list = await withDeadline(
    vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', uri, position),
    LANGUAGE_SERVER_TIMEOUT_MS, `completion ${what}`);
  return list.items;
}

/**
 * Replaces the whole text of the editor's document with `textWithCursor` minus its one `|`,
 * puts the cursor where the `|` was, and resolves that position (the way the language
 * service's own tests mark the cursor).
 */
export async function setTextWithCursor(editor: vscode.TextEditor, textWithCursor: string): Promise<vscode.Position> {
  const offset = textWithCursor.indexOf('|');
  if (offset < 0 || textWithCursor.indexOf('|', offset + 1) >= 0) throw new Error(`expected exactly one | cursor marker in ${JSON.stringify(textWithCursor)}`);
  const text = textWithCursor.slice(0, offset) + textWithCursor.slice(offset + 1);
  const document = editor.document;
  const whole = new vscode.Range(document.positionAt(0), document.positionAt(document.getText().length));
  const applied = await editor.edit((edit) => edit.replace(whole, text));
  if (!applied) throw new Error(`the edit of ${vscode.workspace.asRelativePath(document.uri)} was not applied`);
  const cursor = document.positionAt(offset);
  editor.selection = new vscode.Selection(cursor, cursor);
  return cursor;
}

const execFile = promisify(childProcess.execFile);

/** The BPF programs loaded in the kernel now (the extension host runs on this machine). */
export async function loadedPrograms(): Promise<{ id: number; name?: string }[]> {
  const { stdout } = await execFile('bpftool', ['prog', 'show', '--json']);
  return JSON.parse(stdout) as { id: number; name?: string }[];
}

/**
 * "pid 12 (cat)" for each process holding trace_pipe open, the way the loader finds them. The
 * kernel lets one process at a time read it: with another reader a run attaches but no line
 * can reach the extension, so tests check first and fail fast naming the holder.
 */
export function tracePipeReaders(): string[] {
  const readers: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // exited, or not ours to look at
    }
    const holds = fds.some((fd) => {
      try {
        return fs.readlinkSync(`/proc/${pid}/fd/${fd}`).endsWith('tracing/trace_pipe');
      } catch {
        return false;
      }
    });
    if (!holds) continue;
    let command = '?';
    try {
      command = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      // exited since: keep the pid
    }
    readers.push(`pid ${pid} (${command})`);
  }
  return readers;
}
