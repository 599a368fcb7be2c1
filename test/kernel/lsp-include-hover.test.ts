/**
 * Hover on `#include` through the language server, as an editor asks for it (issue #9): the
 * header's file as this compile resolves it (the project's flags, our headers, the generated
 * vmlinux.h, clang's system directories) and where the flags came from.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createMessageConnection, MessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import type { Hover, MarkupContent } from 'vscode-languageserver-protocol';
import { kernelSkipReason, repoRoot } from '../support/kernel';

const skip = kernelSkipReason();
const SERVER = path.join(repoRoot, 'dist', 'server.js');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfdev-include-hover-'));
let child: ChildProcess | undefined;
let connection: MessageConnection | undefined;
after(async () => {
  if (connection) {
    await connection.sendRequest('shutdown').catch(() => undefined);
    await connection.sendNotification('exit').catch(() => undefined);
    connection.dispose();
  }
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  fs.rmSync(root, { recursive: true, force: true });
});

const PROGRAM = [
  '#include "vmlinux.h"',
  '#include <bpf/bpf_helpers.h>',
  '#include <asm/types.h>',
  '#include "common.h"',
  '#include "missing.h"',
  '',
];

async function hoverOn(uri: string, line: number): Promise<string> {
  const hover = await connection!.sendRequest<Hover | null>('textDocument/hover', { textDocument: { uri }, position: { line, character: 12 } });
  assert.ok(hover, `a hover on line ${line + 1}`);
  return (hover.contents as MarkupContent).value;
}

void test('hover on #include: the file read and the flags\' origin', { skip, timeout: 60_000 }, async () => {
  fs.mkdirSync(path.join(root, 'headers'));
  fs.mkdirSync(path.join(root, 'app'));
  fs.writeFileSync(path.join(root, 'headers', 'common.h'), '#define COMMON 1\n');
  fs.writeFileSync(path.join(root, 'app', 'main.go'), 'package main\n\n//go:generate go tool bpf2go -tags linux bpf prog.c -- -I../headers\n');
  const file = path.join(root, 'app', 'prog.c');
  fs.writeFileSync(file, PROGRAM.join('\n'));
  const uri = `file://${file}`;

  child = spawn(process.execPath, [SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, BPFDEV_CACHE_DIR: path.join(root, 'cache') } });
  connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  // No verify on open: this test is about hover.
  connection.onRequest('workspace/configuration', (params: { items: unknown[] }) => params.items.map(() => ({ verifyOnSave: false })));
  connection.onRequest('client/registerCapability', () => null);
  connection.onNotification(() => undefined);
  connection.listen();
  await connection.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: { workspace: { configuration: true } } });
  await connection.sendNotification('initialized', {});
  await connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'c', version: 1, text: PROGRAM.join('\n') } });

  const origin = `go:generate in ${path.join(root, 'app', 'main.go')}:3: -I ${path.join(root, 'headers')}`;
  const vmlinux = await hoverOn(uri, 0);
  assert.match(vmlinux, /generated from the target kernel's BTF/);
  assert.ok(vmlinux.includes(origin), vmlinux);
  assert.ok((await hoverOn(uri, 1)).includes(`\`${path.join(repoRoot, 'bpf-headers', 'bpf', 'bpf_helpers.h')}\``));
  const asm = /`([^`]+asm\/types\.h)`/.exec(await hoverOn(uri, 2));
  assert.ok(asm && fs.existsSync(asm[1]), 'a system directory\'s asm/types.h');
  assert.ok((await hoverOn(uri, 3)).includes(`\`${path.join(root, 'headers', 'common.h')}\``));
  const missing = await hoverOn(uri, 4);
  assert.match(missing, /not found; searched:/);
  assert.ok(missing.includes(`- \`${path.join(root, 'app')}\``), 'the source\'s own directory searched first for a quoted header');
});
