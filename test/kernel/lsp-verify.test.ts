/**
 * The verify loop through the real language server (dist/server.js over stdio, as an editor
 * runs it) on this machine's kernel: a rejected program gets its diagnostic at the right line,
 * the quick fix the server offers makes the next save pass, passing programs get their code
 * lenses; and while a 30+ MB verifier log is being parsed, the server answers requests first.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createMessageConnection, MessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { kernelSkipReason, lineContaining, repoRoot } from '../support/kernel';
import { applyTextEdits, TextEdit } from '../../core/src/verifier/fixes';
import type { VerifierViewResult } from '../../protocol/src/protocol';

const serverBundle = path.join(repoRoot, 'dist', 'server.js');
const skip = kernelSkipReason()
  ?? (spawnSync('clang', ['--version']).error ? 'needs clang' : undefined)
  ?? (fs.existsSync(serverBundle) ? undefined : 'needs the server bundle (npm run build)');

interface LspDiagnostic {
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  severity?: number;
  code?: string;
  source?: string;
  message: string;
  codeDescription?: { href: string };
  relatedInformation?: unknown[];
  data?: unknown;
}
interface Verified { uri: string; compiled: boolean; programs: { name: string; verdict: string; insnsProcessed: number | null }[]; durationMs: number }
interface CodeAction { title: string; kind?: string; isPreferred?: boolean; edit?: { changes: Record<string, TextEdit[]> } }
interface CodeLens { range: { start: { line: number } }; command?: { title: string; command: string; arguments?: unknown[] } }

const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfdev-lsp-verify-'));
const cacheDir = path.join(workDir, 'cache');

/** One server process per test file; documents are files in `workDir`. */
class Session {
  readonly connection: MessageConnection;
  readonly child: ChildProcess;
  readonly diagnostics = new Map<string, LspDiagnostic[]>();
  codeLensRefreshes = 0;
  private readonly waiters = new Map<string, (verified: Verified) => void>();
  private readonly logWaiters: { pattern: RegExp; resolve: (match: RegExpExecArray) => void }[] = [];
  private versions = new Map<string, number>();

  constructor() {
    this.child = spawn(process.execPath, [serverBundle, '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, BPFDEV_CACHE_DIR: cacheDir } });
    this.connection = createMessageConnection(new StreamMessageReader(this.child.stdout!), new StreamMessageWriter(this.child.stdin!));
    this.connection.onNotification('textDocument/publishDiagnostics', (params: { uri: string; diagnostics: LspDiagnostic[] }) => {
      this.diagnostics.set(params.uri, params.diagnostics);
    });
    this.connection.onNotification('bpfdev/verified', (params: Verified) => {
      const waiter = this.waiters.get(params.uri);
      this.waiters.delete(params.uri);
      waiter?.(params);
    });
    this.connection.onNotification('window/logMessage', (params: { message: string }) => {
      for (const waiter of [...this.logWaiters]) {
        const match = waiter.pattern.exec(params.message);
        if (!match) continue;
        this.logWaiters.splice(this.logWaiters.indexOf(waiter), 1);
        waiter.resolve(match);
      }
    });
    this.connection.onNotification(() => undefined);
    this.connection.onRequest('workspace/configuration', (params: { items: unknown[] }) => params.items.map(() => ({ verifyOnSave: true })));
    this.connection.onRequest('client/registerCapability', () => null);
    this.connection.onRequest('workspace/codeLens/refresh', () => { this.codeLensRefreshes++; return null; });
    this.connection.listen();
  }

  async initialize(): Promise<void> {
    await this.connection.sendRequest('initialize', {
      processId: process.pid, rootUri: `file://${workDir}`,
      capabilities: { workspace: { configuration: true, codeLens: { refreshSupport: true } }, textDocument: { publishDiagnostics: { relatedInformation: true } } },
    });
    await this.connection.sendNotification('initialized', {});
  }

  /** The next line of the server's log (window/logMessage) that matches `pattern`. */
  nextLog(pattern: RegExp): Promise<RegExpExecArray> {
    return new Promise((resolve) => this.logWaiters.push({ pattern, resolve }));
  }

  private nextVerified(uri: string): Promise<Verified> {
    return new Promise((resolve) => this.waiters.set(uri, resolve));
  }

  async open(file: string): Promise<Verified> {
    const uri = `file://${file}`;
    this.versions.set(uri, 1);
    const verified = this.nextVerified(uri);
    await this.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'c', version: 1, text: fs.readFileSync(file, 'utf8') } });
    return verified;
  }

  async change(file: string, text: string): Promise<void> {
    const uri = `file://${file}`;
    const version = (this.versions.get(uri) ?? 1) + 1;
    this.versions.set(uri, version);
    await this.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text }] });
  }

  /** What an editor does on save: the new text, written to disk, then didSave. */
  async save(file: string, text: string): Promise<Verified> {
    fs.writeFileSync(file, text);
    await this.change(file, text);
    const uri = `file://${file}`;
    const verified = this.nextVerified(uri);
    await this.connection.sendNotification('textDocument/didSave', { textDocument: { uri } });
    return verified;
  }

  dispose(): void {
    this.connection.dispose();
    this.child.kill();
  }
}

let session: Session | undefined;
async function server(): Promise<Session> {
  if (!session) {
    session = new Session();
    await session.initialize();
  }
  return session;
}

test.after(() => {
  session?.dispose();
  fs.rmSync(workDir, { recursive: true, force: true });
});

function copyToWorkDir(source: string): string {
  const file = path.join(fs.mkdtempSync(path.join(workDir, 'doc-')), path.basename(source));
  fs.copyFileSync(source, file);
  return file;
}

test('a rejected program: the error at its line with explanation, a quick fix, and after the fix a verified code lens with Run', { skip, timeout: 180_000 }, async () => {
  const lsp = await server();
  const file = copyToWorkDir(path.join(repoRoot, 'test/fixtures/verifier/null-deref-map-value.bpf.c'));
  const uri = `file://${file}`;
  const text = fs.readFileSync(file, 'utf8');
  const verified = await lsp.open(file);
  assert.equal(verified.programs[0]?.verdict, 'rejected');

  const error = lsp.diagnostics.get(uri)?.find((d) => d.source === 'verifier' && d.severity === 1);
  assert.ok(error, JSON.stringify(lsp.diagnostics.get(uri)));
  assert.equal(error.range.start.line, lineContaining(text, 'EXPECT: null-deref-map-value') - 1);
  assert.equal(error.code, 'null-deref-map-value');
  assert.match(error.message, /NULL/);
  assert.ok(error.codeDescription?.href.startsWith('https://'));
  assert.ok((error.relatedInformation?.length ?? 0) > 0, 'no instruction path in relatedInformation');

  // A rejected program has no Run lens, only its verdict and the verifier view.
  const rejectedLenses = await lsp.connection.sendRequest('textDocument/codeLens', { textDocument: { uri } }) as CodeLens[];
  assert.deepEqual(rejectedLenses.map((lens) => lens.command?.command), ['', 'bpfdev.showVerifierState']);
  assert.match(rejectedLenses[0].command?.title ?? '', /rejected/);

  // The verifier view's model: a fresh load, the steps ending at the diagnostic's line.
  const shown = await lsp.connection.sendRequest('bpfdev/verifierView', { uri }) as VerifierViewResult;
  assert.equal(shown.error, undefined, shown.error);
  const view = shown.programs[0].view;
  assert.equal(view.error?.kind, error.code);
  assert.equal(view.steps[view.error!.step!].source?.line, error.range.start.line + 1);

  const actions = await lsp.connection.sendRequest('textDocument/codeAction', {
    textDocument: { uri }, range: error.range, context: { diagnostics: [error], only: ['quickfix'] },
  }) as CodeAction[];
  const nullCheck = actions.find((action) => /NULL/.test(action.title));
  assert.ok(nullCheck?.edit, JSON.stringify(actions));
  assert.equal(nullCheck.kind, 'quickfix');
  assert.equal(nullCheck.isPreferred, true);

  // The first verify of this preamble started building its PCH; the save below should use it.
  await until(() => fs.readdirSync(cacheDir, { recursive: true }).some((name) => String(name).endsWith('.pch')), 'no PCH built');
  const refreshesBefore = lsp.codeLensRefreshes;
  const fixed = await lsp.save(file, applyTextEdits(text, nullCheck.edit.changes[uri]));
  assert.deepEqual(fixed.programs.map((program) => program.verdict), ['ok']);
  const after = lsp.diagnostics.get(uri) ?? [];
  assert.ok(!after.some((d) => d.severity === 1), JSON.stringify(after));
  const hint = after.find((d) => d.code === 'verified');
  assert.equal(hint?.severity, 4, 'the verified hint');
  assert.ok(lsp.codeLensRefreshes > refreshesBefore, 'the server did not ask the editor to refresh code lenses');

  const lenses = await lsp.connection.sendRequest('textDocument/codeLens', { textDocument: { uri } }) as CodeLens[];
  const secLine = lineContaining(fs.readFileSync(file, 'utf8'), 'SEC("tracepoint/syscalls/sys_enter_openat")') - 1;
  assert.equal(lenses.length, 3, JSON.stringify(lenses));
  for (const lens of lenses) assert.equal(lens.range.start.line, secLine);
  assert.match(lenses[0].command?.title ?? '', new RegExp(`^✓ verified: ${fixed.programs[0].insnsProcessed} insns, stack \\d+ bytes$`));
  assert.deepEqual(lenses[1].command, { title: 'Run', command: 'bpfdev.run', arguments: [uri] });
  assert.equal(lenses[2].command?.command, 'bpfdev.showVerifierState');

  // The server keeps a clang waiting for this file's next save, and stops it when the file is closed.
  assert.ok(clangChildren(lsp).length > 0, 'no warm clang waiting for the next save');
  await lsp.connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
  await lsp.connection.sendRequest('bpfdev/stats'); // handled after didClose: the close has been processed
  await until(() => clangChildren(lsp).length === 0, 'clang still running after didClose');
});

/** Resolves once `condition` holds (re-checked every 25 ms, so as not to steal the CPU from what it waits for); fails after 60 s. */
async function until(condition: () => boolean, failure: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!condition()) {
    assert.ok(Date.now() < deadline, failure);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Pids of the server's clang children (the warm compilers). */
function clangChildren(lsp: Session): string[] {
  const result = spawnSync('pgrep', ['-P', String(lsp.child.pid), '-x', 'clang'], { encoding: 'utf8' });
  return result.stdout.split('\n').filter(Boolean);
}

test('no verifier quick fix once the document has changed since the verify', { skip, timeout: 180_000 }, async () => {
  const lsp = await server();
  const file = copyToWorkDir(path.join(repoRoot, 'examples/broken-user-deref.bpf.c'));
  const uri = `file://${file}`;
  await lsp.open(file);
  const error = lsp.diagnostics.get(uri)?.find((d) => d.source === 'verifier' && d.severity === 1);
  assert.ok(error);
  const ask = () => lsp.connection.sendRequest('textDocument/codeAction', { textDocument: { uri }, range: error.range, context: { diagnostics: [error] } }) as Promise<CodeAction[]>;
  assert.ok((await ask()).some((action) => /bpf_probe_read_user/.test(action.title)));
  await lsp.change(file, '// edited above the program\n' + fs.readFileSync(file, 'utf8'));
  assert.deepEqual((await ask()).filter((action) => /bpf_probe_read_user/.test(action.title)), []);
});

/** A straight path of ~420k instructions ending in a NULL dereference: its level-1 log is ~40 MB. */
function longPathProgram(): string {
  return [
    '#include "vmlinux.h"',
    '#include <bpf/bpf_helpers.h>',
    '',
    'char LICENSE[] SEC("license") = "GPL";',
    '',
    'struct {',
    '\t__uint(type, BPF_MAP_TYPE_HASH);',
    '\t__uint(max_entries, 1);',
    '\t__type(key, u32);',
    '\t__type(value, u64);',
    '} sink SEC(".maps");',
    '',
    'SEC("tracepoint/syscalls/sys_enter_openat")',
    'int long_path(void *ctx)',
    '{',
    '\tu64 acc = bpf_get_prandom_u32();',
    '\tu32 key = 0;',
    '\tu64 *slot;',
    '',
    '#pragma clang loop unroll(full)',
    '\tfor (int i = 0; i < 60000; i++) {',
    '\t\tacc = acc * 3 + i;',
    '\t\tacc ^= acc >> 7;',
    '\t}',
    '\tslot = bpf_map_lookup_elem(&sink, &key);',
    '\t*slot = acc;',
    '\treturn 0;',
    '}',
    '',
  ].join('\n');
}

test('requests sent while the server parses a 30+ MB loader output are answered before that parse ends', { skip, timeout: 300_000 }, async () => {
  const lsp = await server();
  const file = path.join(fs.mkdtempSync(path.join(workDir, 'doc-')), 'long-path.bpf.c');
  fs.writeFileSync(file, longPathProgram());
  const uri = `file://${file}`;

  // The server logs both ends of the parse of a big loader output (host/src/loader-output.ts).
  const parsing = lsp.nextLog(/^verify .*long-path\.bpf\.c: parsing ([\d.]+) MB of loader output off the main thread$/);
  const order: string[] = [];
  void lsp.nextLog(/^verify .*long-path\.bpf\.c: loader output parsed in \d+ ms$/).then(() => order.push('parse ended'));
  const opened = lsp.open(file).then((result) => { order.push('verified'); return result; });

  const began = await Promise.race([parsing, opened.then(() => undefined)]);
  assert.ok(began, 'verified without parsing the loader output off the main thread');
  const megabytes = Number(began[1]);
  assert.ok(megabytes > 30, `only ${megabytes} MB of loader output`);
  // Asked after the parse began: had it held the event loop, each answer would come after its end.
  const asked = 5;
  await Promise.all(Array.from({ length: asked }, () => lsp.connection.sendRequest('bpfdev/stats').then(() => order.push('answer'))));
  const verified = await opened;
  assert.deepEqual(order, [...Array<string>(asked).fill('answer'), 'parse ended', 'verified']);

  assert.equal(verified.programs[0]?.verdict, 'rejected');
  assert.ok((verified.programs[0]?.insnsProcessed ?? 0) > 400_000, `only ${verified.programs[0]?.insnsProcessed} insns processed`);
  const error = lsp.diagnostics.get(uri)?.find((d) => d.severity === 1);
  assert.equal(error?.code, 'null-deref-map-value');
  assert.equal(error?.range.start.line, lineContaining(longPathProgram(), '*slot = acc;') - 1);
});
