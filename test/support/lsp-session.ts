/**
 * The language server over stdio, driven as an editor drives it: one process and the client side
 * of its connection, with `|` cursor markers. Shared by the kernel-tier LSP tests.
 */
import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { createMessageConnection, MessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import type { CompletionItem, CompletionList, Diagnostic, Hover, Position, PublishDiagnosticsParams, TextEdit } from 'vscode-languageserver-protocol';
import { StatsRequest, StatsResult } from '../../protocol/src/protocol';
import { repoRoot } from './kernel';

export const SERVER = path.join(repoRoot, 'dist', 'server.js');

/** How to start the server: by default this node on this checkout's bundle, as this user. */
export interface ServerCommand {
  argv: string[];
  env: NodeJS.ProcessEnv;
  /**
   * False for a server running as another user: it cannot signal this process, so its parent
   * watchdog (initialize's `processId`) would take us for dead and exit.
   */
  watchParent?: boolean;
}

/** Splits `source` at its single `|` marker: the text and the marker's LSP position. */
export function at(source: string): { text: string; position: Position } {
  const offset = source.indexOf('|');
  assert.ok(offset !== -1 && source.indexOf('|', offset + 1) === -1, 'exactly one | marker');
  const before = source.slice(0, offset).split('\n');
  return { text: source.slice(0, offset) + source.slice(offset + 1), position: { line: before.length - 1, character: before[before.length - 1].length } };
}

export function offsetOf(text: string, position: Position): number {
  const lines = text.split('\n');
  return lines.slice(0, position.line).reduce((sum, line) => sum + line.length + 1, 0) + position.character;
}

export function applyEdits(text: string, edits: TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => offsetOf(text, b.range.start) - offsetOf(text, a.range.start));
  let result = text;
  for (const edit of sorted) result = result.slice(0, offsetOf(result, edit.range.start)) + edit.newText + result.slice(offsetOf(result, edit.range.end));
  return result;
}

/** One server process and the client side of its connection. */
export class Session {
  private readonly diagnostics = new Map<string, Diagnostic[]>();
  private readonly waiters: (() => void)[] = [];
  private version = 0;
  readonly log: string[] = [];

  private constructor(readonly child: ChildProcess, readonly connection: MessageConnection) {
    connection.onNotification('textDocument/publishDiagnostics', (params: PublishDiagnosticsParams) => {
      this.diagnostics.set(params.uri, params.diagnostics);
      for (const wake of this.waiters.splice(0)) wake();
    });
    connection.onNotification('window/logMessage', (params: { message: string }) => { this.log.push(params.message); });
    connection.onNotification(() => undefined);
    // Verification on open/save would compile; these tests are about the catalog features.
    connection.onRequest('workspace/configuration', (params: { items: unknown[] }) => params.items.map(() => ({ verifyOnSave: false })));
    connection.onRequest('client/registerCapability', () => null);
  }

  static async start(cacheDir: string, configure?: (connection: MessageConnection) => void, command?: ServerCommand): Promise<Session> {
    const { argv, env } = command ?? { argv: [process.execPath, SERVER, '--stdio'], env: { ...process.env, BPFDEV_CACHE_DIR: cacheDir, BPFDEV_SYSTEM_CACHE_DIR: `${cacheDir}/system` } };
    // The system cache is per test too: a root test must not leave a catalog in /var/cache.
    const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'inherit'], env });
    const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    const session = new Session(child, connection);
    configure?.(connection);
    connection.listen();
    await connection.sendRequest('initialize', { processId: command?.watchParent === false ? null : process.pid, rootUri: null, capabilities: { workspace: { configuration: true } } });
    await connection.sendNotification('initialized', {});
    return session;
  }

  async open(uri: string, text: string): Promise<void> {
    await this.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'c', version: ++this.version, text } });
  }

  async change(uri: string, text: string): Promise<void> {
    await this.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: ++this.version }, contentChanges: [{ text }] });
  }

  /** Sets the document to `source` (minus its marker) and asks for completions at the marker. */
  async complete(uri: string, source: string): Promise<CompletionList> {
    const { text, position } = at(source);
    await this.change(uri, text);
    return this.connection.sendRequest('textDocument/completion', { textDocument: { uri }, position });
  }

  async hover(uri: string, source: string): Promise<Hover | null> {
    const { text, position } = at(source);
    await this.change(uri, text);
    return this.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position });
  }

  resolve(item: CompletionItem): Promise<CompletionItem> {
    return this.connection.sendRequest('completionItem/resolve', item);
  }

  stats(): Promise<StatsResult> {
    return this.connection.sendRequest(StatsRequest);
  }

  /**
   * Resolves once the server has adopted the kernel's BTF (parsed in a worker after the catalog
   * loads; until then BTF answers are simply absent). Each check is one stats round trip.
   */
  async waitForBtf(timeoutMs = 60_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while ((await this.stats()).catalog?.btfLoadMs === undefined) {
      if (performance.now() > deadline) throw new Error(`the server had no BTF within ${timeoutMs} ms`);
    }
  }

  /** Resolves with the document's diagnostics once a publish satisfies `accept`; rejects at the deadline. */
  waitForDiagnostics(uri: string, accept: (diagnostics: Diagnostic[]) => boolean, timeoutMs = 30_000): Promise<Diagnostic[]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching diagnostics for ${uri} within ${timeoutMs} ms; last: ${JSON.stringify(this.diagnostics.get(uri))}`)), timeoutMs);
      const check = () => {
        const current = this.diagnostics.get(uri);
        if (current && accept(current)) {
          clearTimeout(timer);
          resolve(current);
        } else this.waiters.push(check);
      };
      check();
    });
  }

  /** Shuts the server down (idempotent); a server that does not exit on `exit` is killed. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private closing?: Promise<void>;

  private async shutdown(): Promise<void> {
    const exited = this.child.exitCode !== null || this.child.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => { timer = setTimeout(resolve, 10_000); });
    try {
      await Promise.race([this.connection.sendRequest('shutdown'), exited, deadline]);
      await this.connection.sendNotification('exit');
    } catch {
      // Already gone: nothing to shut down.
    }
    await Promise.race([exited, deadline]);
    clearTimeout(timer);
    this.connection.dispose();
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await exited;
  }
}
