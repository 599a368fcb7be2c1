import assert from 'node:assert/strict';
import * as childProcess from 'node:child_process';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { screenshot } from './screenshot';
import {
  activateExtension, BpfdevTestApi, completionsAt, HELLO_PROGRAM, labelOf, LANGUAGE_SERVER_TIMEOUT_MS, loadedPrograms, markedLine,
  RunCommandResult, setTextWithCursor, tracePipeReaders, waitForDiagnostic, waitForEvent, waitUntil, withDeadline, workspaceFile,
} from './support';
import { readTestHosts, TEST_HOSTS_ENV, TestHosts } from './test-hosts';

/**
 * Target hosts over SSH (issues #5, #6): selecting a host makes it the source of completions and
 * the verifier. run.ts starts the hosts; the extension reads their aliases from BPFDEV_SSH_CONFIG.
 */
suite('target hosts', () => {
  const hosts = readTestHosts();

  let api: BpfdevTestApi;

  suiteSetup(async () => { api = await activateExtension(); });
  suiteTeardown(async () => {
    if (api?.runningSessions() > 0) await vscode.commands.executeCommand('bpfdev.stop');
    // The selection is remembered per workspace: later suites expect this machine's kernel.
    await vscode.commands.executeCommand('bpfdev.selectHost', 'local');
    await vscode.commands.executeCommand('hideSuggestWidget');
    for (const editor of vscode.window.visibleTextEditors.filter((e) => e.document.isDirty)) {
      await vscode.window.showTextDocument(editor.document);
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    }
  });

  function requireLoopback(): NonNullable<TestHosts['loopback']> {
    assert.ok(hosts, `${TEST_HOSTS_ENV} is not set: run the tier with run.js, which starts the test hosts`);
    assert.ok(hosts.loopback, `the loopback sshd did not start: ${hosts.loopbackError ?? 'no reason given'}`);
    return hosts.loopback;
  }

  /** Runs hello.bpf.c (open in the active editor) on `host` and checks it is attached in this kernel. */
  async function runHello(host: string): Promise<{ progId: number }> {
    const result = await withDeadline(vscode.commands.executeCommand<RunCommandResult | undefined>('bpfdev.run', workspaceFile('hello.bpf.c')),
      LANGUAGE_SERVER_TIMEOUT_MS, `bpfdev.run on ${host}`);
    assert.ok(result, 'bpfdev.run resolved a summary (undefined means it failed: see the eBPF log)');
    assert.equal(result.target, host, 'the run went to the selected host');
    const ours = result.attached.find((program) => program.name === HELLO_PROGRAM);
    assert.ok(ours, `${HELLO_PROGRAM} attached on ${host}: ${JSON.stringify(result)}`);
    assert.ok((await loadedPrograms()).some((program) => program.id === ours.progId),
      `bpftool prog show lists ${HELLO_PROGRAM} as id ${ours.progId} while it runs on ${host}`);
    return ours;
  }

  test('the loopback SSH host: selecting it logs in, verification runs through it, local again logs out', async () => {
    const loopback = requireLoopback();
    const logins = () => (fs.readFileSync(loopback.logFile, 'utf8').match(/Accepted publickey for root/g) ?? []).length;
    const sessions = () => sshdSessions(loopback.listenerPidFile);
    const loginsBefore = logins();

    await selectHost(loopback.alias);
    assert.equal(logins(), loginsBefore + 1, `the extension logged in to the test sshd once (${loopback.logFile})`);
    assert.ok(sessions().length > 0, 'the test sshd serves a session while the host is selected');
    await screenshot('remote-host', { waitFor: `.part.statusbar >> text=${loopback.alias}` });

    // Same kernel as local, so the verdict must match the local one: rejected at the marked line.
    const uri = workspaceFile('broken_deref.bpf.c');
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document);
    const line = markedLine(document, 'EXPECT-VERIFIER-ERROR');
    const result = await withDeadline(vscode.commands.executeCommand<{ programs: { name: string; verdict: string }[]; error?: string }>('bpfdev.verify', uri),
      LANGUAGE_SERVER_TIMEOUT_MS, `bpfdev.verify on ${loopback.alias}`);
    assert.equal(result?.error, undefined, `verification ran on ${loopback.alias}`);
    assert.deepEqual(result.programs.map((p) => `${p.name}=${p.verdict}`), ['fx_broken_deref=rejected']);
    await waitForDiagnostic(uri, (d) => d.source === 'verifier' && d.range.start.line === line, `verifier diagnostic on line ${line + 1} from ${loopback.alias}`);

    await selectHost('local');
    // Leaving a host closes its connection: nothing of ours stays logged in there.
    await waitUntil(async () => sessions().length === 0, `the SSH session to ${loopback.alias} closing after selecting local`, 10_000);
  });

  // The loopback host runs this machine's kernel: bpftool here sees what a run there attached.
  test('Run on the SSH host streams its trace line over SSH, and Stop detaches it', async () => {
    const loopback = requireLoopback();
    const readers = tracePipeReaders();
    assert.deepEqual(readers, [], `trace_pipe is already being read by ${readers.join(', ')}; stop it and run again`);
    await selectHost(loopback.alias);
    const document = await vscode.workspace.openTextDocument(workspaceFile('hello.bpf.c'));
    await vscode.window.showTextDocument(document);

    const marker = `bpfdev-hello-fixture tgid=${process.pid}`;
    const ourLine = waitForEvent<string>((listener) => api.onTraceLine(listener), (line) => line.includes(marker),
      `trace line containing '${marker}' from ${loopback.alias}`, 60_000);
    ourLine.catch(() => undefined); // awaited below; a run that fails first must not leave it unhandled
    const ours = await runHello(loopback.alias);
    fs.writeFileSync(workspaceFile(`trigger-remote-${process.pid}.txt`).fsPath, 'opened by the VS Code test\n');
    console.log(`    over SSH: ${(await ourLine).trim()}`);

    await vscode.commands.executeCommand('bpfdev.stop');
    assert.equal(api.runningSessions(), 0);
    await waitUntil(async () => !(await loadedPrograms()).some((program) => program.id === ours.progId),
      `${HELLO_PROGRAM} (id ${ours.progId}) leaving bpftool prog show after Stop`, 10_000);
    await waitUntil(async () => tracePipeReaders().length === 0, 'the host\'s trace_pipe reader exiting after Stop', 10_000);
  });

  test('the host dropping the SSH connection detaches the running program', async () => {
    const loopback = requireLoopback();
    await selectHost(loopback.alias);
    const ours = await runHello(loopback.alias);
    const sessions = sshdSessions(loopback.listenerPidFile);
    assert.ok(sessions.length > 0, 'the test sshd serves our session');
    // What a host reboot or an admin's `kill` does to the connection: sshd's session ends under us.
    for (const pid of sessions) process.kill(pid, 'SIGTERM');
    await waitUntil(async () => !(await loadedPrograms()).some((program) => program.id === ours.progId),
      `${HELLO_PROGRAM} (id ${ours.progId}) leaving bpftool prog show after the connection dropped`, 20_000);
    await waitUntil(async () => api.runningSessions() === 0, 'the run ending in the extension after the connection dropped', 20_000);
    await waitUntil(async () => tracePipeReaders().length === 0, 'the host\'s trace_pipe reader exiting with the connection', 10_000);
  });

  test('completions and attach-point checks come from the selected host\'s kernel', async function () {
    assert.ok(hosts, `${TEST_HOSTS_ENV} is not set: run the tier with run.js, which starts the test hosts`);
    if (hosts.vmSkipReason) {
      console.log(`    skipped: no second kernel to switch to: ${hosts.vmSkipReason}`);
      this.skip();
    }
    const vm = hosts.vm;
    assert.ok(vm, `the test VM did not start: ${hosts.vmError ?? 'no reason given'}`);
    // fchmodat2(2) came with Linux 6.6: this machine's kernel traces it, the VM's 6.1 cannot.
    const newer = 'sys_enter_fchmodat2';
    const older = 'sys_enter_fchmodat';
    assert.ok(fs.existsSync(`/sys/kernel/tracing/events/syscalls/${newer}`), `this machine's kernel has the ${newer} tracepoint`);

    const document = await vscode.workspace.openTextDocument(workspaceFile('typing.bpf.c'));
    const editor = await vscode.window.showTextDocument(document);
    const fixtureText = document.getText();
    const typing = `${fixtureText}\nSEC("tracepoint/syscalls/sys_enter_fchmod|")\n`;
    const offered = async (where: string) => (await completionsAt(document.uri, await setTextWithCursor(editor, typing), where)).map(labelOf);

    const local = await offered('on local');
    assert.ok(local.includes(newer) && local.includes(older), `local offers ${older} and ${newer}: ${local.join(', ')}`);

    await selectHost(vm.alias);
    const remote = await offered(`on ${vm.alias} (${vm.kernelRelease})`);
    assert.ok(remote.includes(older), `${vm.alias} offers ${older}: ${remote.join(', ')}`);
    assert.ok(!remote.includes(newer), `${vm.alias} (Linux ${vm.kernelRelease}) does not offer ${newer}: ${remote.join(', ')}`);
    await vscode.commands.executeCommand('editor.action.triggerSuggest');
    await screenshot('host-completion', { waitFor: `.editor-widget.suggest-widget.visible .monaco-list-row >> text=${older}` });
    await vscode.commands.executeCommand('hideSuggestWidget');

    // A program for the newer tracepoint is flagged on the older kernel, before any compile.
    await setTextWithCursor(editor, `${fixtureText}\nSEC("tracepoint/syscalls/${newer}")|\nint fx_fchmodat2(void *ctx)\n{\n\treturn 0;\n}\n`);
    const secLine = document.getText().split('\n').findIndex((text) => text.includes(newer));
    const onSecLine = (d: vscode.Diagnostic) => d.source === 'bpfdev' && d.range.start.line === secLine && d.message.includes('fchmodat2');
    const missing = await waitForDiagnostic(document.uri, onSecLine, `attach-point diagnostic for ${newer} on ${vm.alias}`);
    console.log(`    on ${vm.alias}: ${missing.message}`);

    await selectHost('local');
    await waitForDiagnosticGone(document.uri, onSecLine, `the ${newer} diagnostic leaving after switching back to local`);
    const back = await offered('on local again');
    assert.ok(back.includes(newer), `local offers ${newer} again: ${back.join(', ')}`);
  });
});

async function selectHost(name: string): Promise<void> {
  const selected = await withDeadline(vscode.commands.executeCommand<string | undefined>('bpfdev.selectHost', name),
    LANGUAGE_SERVER_TIMEOUT_MS, `bpfdev.selectHost ${name}`);
  assert.equal(selected, name, 'bpfdev.selectHost resolves the host it switched to (undefined: it failed, see the notification)');
}

/** Children of the listening sshd: one per logged-in client. */
function sshdSessions(listenerPidFile: string): number[] {
  const listener = fs.readFileSync(listenerPidFile, 'utf8').trim();
  const result = childProcess.spawnSync('pgrep', ['-P', listener], { encoding: 'utf8' });
  return result.stdout.split('\n').filter(Boolean).map(Number);
}

function waitForDiagnosticGone(uri: vscode.Uri, matches: (d: vscode.Diagnostic) => boolean, expectation: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const gone = () => !vscode.languages.getDiagnostics(uri).some(matches);
    const settle = (action: () => void) => { clearTimeout(timer); subscription.dispose(); action(); };
    const subscription = vscode.languages.onDidChangeDiagnostics((event) => {
      if (event.uris.some((changed) => changed.toString() === uri.toString()) && gone()) settle(resolve);
    });
    const timer = setTimeout(() => settle(() => reject(new Error(`${expectation} did not happen within ${LANGUAGE_SERVER_TIMEOUT_MS / 1000}s`))),
      LANGUAGE_SERVER_TIMEOUT_MS);
    if (gone()) settle(resolve);
  });
}
