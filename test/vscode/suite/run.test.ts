import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { screenshot } from './screenshot';
import {
  activateExtension, BpfdevTestApi, HELLO_PROGRAM, loadedPrograms, RunCommandResult, tracePipeReaders, waitForEvent, waitUntil, workspaceFile,
} from './support';

suite('Run on Target', () => {
  let api: BpfdevTestApi;
  suiteSetup(async () => { api = await activateExtension(); });
  suiteTeardown(async () => {
    // A failed test must not leave the fixture attached for the rest of the machine.
    if (api?.runningSessions() > 0) await vscode.commands.executeCommand('bpfdev.stop');
  });

  test('runs hello.bpf.c, streams its trace line, and stop detaches it', async () => {
    // The kernel lets one process at a time read trace_pipe: with another reader, the run
    // attaches but no line can reach the extension, and waiting would only end in a timeout.
    const readers = tracePipeReaders();
    assert.deepEqual(readers, [], `trace_pipe is already being read by ${readers.join(', ')}; stop it and run again`);

    const document = await vscode.workspace.openTextDocument(workspaceFile('hello.bpf.c'));
    await vscode.window.showTextDocument(document);

    // hello.bpf.c prints the tgid of every process calling openat(2): ours is this extension host.
    const marker = `bpfdev-hello-fixture tgid=${process.pid}`;
    const ourLine = waitForEvent<string>((listener) => api.onTraceLine(listener), (line) => line.includes(marker),
      `trace line containing '${marker}'`, 60_000);
    ourLine.catch(() => undefined); // awaited below; a run that fails first must not leave it unhandled

    const result = await vscode.commands.executeCommand<RunCommandResult | undefined>('bpfdev.run');
    assert.ok(result, 'bpfdev.run resolved a summary (undefined means it failed: see the eBPF log)');
    const ours = result.attached.find((program) => program.name === HELLO_PROGRAM);
    assert.ok(ours, `${HELLO_PROGRAM} attached: ${JSON.stringify(result)}`);
    assert.equal(api.runningSessions(), 1);
    assert.ok((await loadedPrograms()).some((program) => program.id === ours.progId && program.name === HELLO_PROGRAM),
      `bpftool prog show lists ${HELLO_PROGRAM} as id ${ours.progId} while it runs`);

    fs.writeFileSync(workspaceFile(`trigger-${process.pid}.txt`).fsPath, 'opened by the VS Code test\n');
    console.log(`    ${(await ourLine).trim()}`);
    // The webview draws rows after the extension sends them: wait until the page reports some.
    await waitUntil(async () => ((await vscode.commands.executeCommand<{ shownRows: number } | undefined>('bpfdev.showTrace'))?.shownRows ?? 0) > 0,
      'rows in the trace view', 30_000);
    await screenshot('trace-view', { waitFor: 'text=bpfdev-hello-fixture' });

    await vscode.commands.executeCommand('bpfdev.stop');
    assert.equal(api.runningSessions(), 0);
    // The kernel frees a program once its last reference is gone, a moment after the loader exits.
    await waitUntil(async () => !(await loadedPrograms()).some((program) => program.id === ours.progId || program.name === HELLO_PROGRAM),
      `${HELLO_PROGRAM} (id ${ours.progId}) leaving bpftool prog show`, 10_000);
  });
});
