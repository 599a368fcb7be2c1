/**
 * Issue #11 in VS Code: a program's ring-buffer records in the trace view's table (fields as
 * columns, decoded with the record type from the object's DWARF), a field filter, Save as JSON
 * Lines; and the `bpfdev` run configuration: F5 starts a run with a knob, Shift+F5 stops it and
 * its program leaves the kernel. The fixture (events.bpf.c) sends one record per openat(2), so
 * the test makes its own records by opening a file whose name it chose.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { screenshot } from './screenshot';
import { activateExtension, BpfdevTestApi, loadedPrograms, RunCommandResult, waitForEvent, waitUntil, workspaceFile } from './support';
import type { DecodedRecord } from '../../../core/src/events/record';
import type { TraceViewState } from '../../../client/src/trace/trace-view';

const PROGRAM = 'fx_events_openat';
const MAP = 'fx_events';

async function traceState(): Promise<TraceViewState> {
  const state = await vscode.commands.executeCommand<TraceViewState>('bpfdev.showTrace');
  assert.ok(state, 'bpfdev.showTrace resolves the view state');
  return state;
}

/** Opens (creates) a file named with `marker` and resolves the first record of ours naming it. */
function ourRecord(api: BpfdevTestApi, marker: string, what: string): Promise<DecodedRecord> {
  const record = waitForEvent<readonly DecodedRecord[]>((listener) => api.onEventRecords(listener),
    (records) => records.some((candidate) => candidate.map === MAP && String(candidate.fields.filename ?? '').includes(marker)),
    `${MAP} record of ${what} naming ${marker}`, 60_000).then((records) => records.find((candidate) => String(candidate.fields.filename ?? '').includes(marker))!);
  record.catch(() => undefined); // awaited by the caller; a failure before must not go unhandled
  return record;
}

function touch(marker: string): void {
  fs.writeFileSync(workspaceFile(`${marker}.txt`).fsPath, 'opened by the VS Code events test\n');
}

suite('Events', () => {
  let api: BpfdevTestApi;
  suiteSetup(async () => { api = await activateExtension(); });
  teardown(async () => {
    // A failed test must not leave the fixture attached for the rest of the machine.
    if (api?.runningSessions() > 0) await vscode.commands.executeCommand('bpfdev.stop');
    if (vscode.debug.activeDebugSession) await vscode.debug.stopDebugging();
  });

  test('a ring buffer map as a table with its fields as columns, filtered, saved as JSON Lines', async () => {
    await vscode.commands.executeCommand('bpfdev.trace.clear');
    const document = await vscode.workspace.openTextDocument(workspaceFile('events.bpf.c'));
    await vscode.window.showTextDocument(document);
    const result = await vscode.commands.executeCommand<RunCommandResult | undefined>('bpfdev.run');
    assert.ok(result, 'bpfdev.run resolved a summary (undefined means it failed: see the eBPF log)');
    assert.ok(result.attached.some((program) => program.name === PROGRAM), `${PROGRAM} attached: ${JSON.stringify(result)}`);

    const marker = `bpfdev-events-${process.pid}`;
    const first = ourRecord(api, marker, 'the extension host');
    touch(marker);
    const record = await first;
    // The decoded struct, not bytes: every field of struct event, strings as text.
    assert.equal(record.fields.pid, process.pid, JSON.stringify(record));
    assert.equal(typeof record.fields.comm, 'string');
    assert.equal(record.raw, undefined);

    let state = await traceState();
    assert.deepEqual(state.events[MAP]?.columns, ['pid', 'uid', 'comm', 'filename'], JSON.stringify(state.events));

    // Everything else on the machine that opens files sends records too: the filter keeps ours.
    const filtered = await vscode.commands.executeCommand<{ filter: string; filterError?: string }>('bpfdev.trace.filterEvents', MAP,
      `pid == ${process.pid} && filename ~ /bpfdev-events/`);
    assert.equal(filtered?.filterError, undefined);
    const bad = await vscode.commands.executeCommand<{ filterError?: string }>('bpfdev.trace.filterEvents', MAP, 'pid = 1');
    assert.match(bad?.filterError ?? '', /'=='/, 'a bad filter says why');
    await vscode.commands.executeCommand('bpfdev.trace.filterEvents', MAP, `pid == ${process.pid} && filename ~ /bpfdev-events/`);
    await vscode.commands.executeCommand('bpfdev.trace.showEvents', MAP);
    await waitUntil(async () => ((await traceState()).events[MAP]?.shownRows ?? 0) > 0, `our ${MAP} rows drawn in the table`, 30_000);
    state = await traceState();
    assert.ok(state.events[MAP]!.total >= state.events[MAP]!.shownRows);
    await screenshot('events-view', { waitFor: `text=${marker}.txt` });

    const saved = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bpfdev-events-')), 'records.jsonl');
    const written = await vscode.commands.executeCommand<{ path: string; records: number } | undefined>('bpfdev.trace.saveEvents', MAP, vscode.Uri.file(saved));
    assert.ok(written && written.records > 0, `saved: ${JSON.stringify(written)}`);
    const lines = fs.readFileSync(saved, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as DecodedRecord & { time: string });
    assert.equal(lines.length, written.records);
    // Only what the filter keeps is saved.
    for (const line of lines) {
      assert.equal(line.map, MAP);
      assert.equal(line.fields.pid, process.pid);
      assert.match(String(line.fields.filename), /bpfdev-events/);
      assert.ok(!Number.isNaN(Date.parse(line.time)));
    }

    await vscode.commands.executeCommand('bpfdev.stop');
    assert.equal(api.runningSessions(), 0);
  });

  test('a flood of records keeps the view bounded and accounts for every record', async () => {
    await vscode.commands.executeCommand('bpfdev.trace.clear');
    const document = await vscode.workspace.openTextDocument(workspaceFile('events.bpf.c'));
    await vscode.window.showTextDocument(document);
    const result = await vscode.commands.executeCommand<RunCommandResult | undefined>('bpfdev.run');
    assert.ok(result?.attached.some((program) => program.name === 'fx_events_burst'), `fx_events_burst attached: ${JSON.stringify(result)}`);
    // kill(FX_BURST_PID, N): the fixture's kill tracepoint sends N records into fx_burst at once.
    const sent = 100_000;
    try { process.kill(0x7bf0f00d, sent); } catch { /* ESRCH (or EINVAL): the tracepoint fired before the check */ }
    await waitUntil(async () => {
      const burst = (await traceState()).events.fx_burst;
      return !!burst && burst.total + burst.viewDropped === sent;
    }, `all ${sent} fx_burst records either in the table or counted as dropped by the view`, 60_000);
    const burst = (await traceState()).events.fx_burst!;
    const maxRows = vscode.workspace.getConfiguration('bpfdev.trace').get<number>('maxRows', 5000);
    console.log(`    ${sent} sent: ${burst.total} reached the table (${burst.kept} kept, ${burst.shownRows} drawn), ` +
      `${burst.viewDropped} dropped on the way, ${burst.notDrawn} not drawn, ${burst.kernelLost} lost in the kernel`);
    assert.equal(burst.kernelLost, 0, 'a 16 MB ring holds the whole burst');
    assert.ok(burst.kept <= 50_000 && burst.kept <= burst.total, `kept ${burst.kept}`);
    assert.ok(burst.shownRows <= maxRows, `drawn ${burst.shownRows} <= maxRows ${maxRows}`);
    await vscode.commands.executeCommand('bpfdev.stop');
  });

  test('List Knobs names the program\'s const volatile globals with their types', async () => {
    const knobs = await vscode.commands.executeCommand<{ name: string; type: string; section: string; accepts: string }[] | undefined>(
      'bpfdev.listKnobs', workspaceFile('events.bpf.c'));
    assert.ok(knobs, 'bpfdev.listKnobs resolved a list (undefined means it failed: see the notification)');
    const knob = knobs.find((candidate) => candidate.name === 'only_tgid');
    assert.ok(knob, JSON.stringify(knobs));
    assert.equal(knob.section, '.rodata');
    assert.match(knob.accepts, /^integer 0\.\.4294967295$/);
  });

  test('F5 runs a bpfdev run configuration with a knob; Shift+F5 stops it and detaches', async () => {
    await vscode.commands.executeCommand('bpfdev.trace.clear');
    const folder = vscode.workspace.workspaceFolders![0]!;
    const started = waitForEvent<vscode.DebugSession>((listener) => vscode.debug.onDidStartDebugSession(listener),
      (session) => session.type === 'bpfdev', 'a bpfdev debug session', 60_000);
    started.catch(() => undefined);
    // What F5 does with this configuration selected in launch.json.
    const ok = await vscode.debug.startDebugging(folder, {
      type: 'bpfdev', request: 'launch', name: 'Run events.bpf.c', program: workspaceFile('events.bpf.c').fsPath,
      // The knob makes the kernel side send our records only: a knob that did not apply lets in every process's.
      knobs: { only_tgid: process.pid },
    });
    assert.ok(ok, 'startDebugging accepted the bpfdev configuration');
    const session = await started;
    await waitUntil(async () => api.runningSessions() === 1, 'the run started by F5', 120_000);
    const program = (await loadedPrograms()).find((candidate) => candidate.name === PROGRAM);
    assert.ok(program, `${PROGRAM} is loaded while the configuration runs`);

    const marker = `bpfdev-f5-${process.pid}`;
    const ours = ourRecord(api, marker, 'the F5 run');
    touch(marker);
    await ours;
    const state = await traceState();
    const saved = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bpfdev-f5-')), 'records.jsonl');
    await vscode.commands.executeCommand('bpfdev.trace.saveEvents', MAP, vscode.Uri.file(saved));
    const pids = new Set(fs.readFileSync(saved, 'utf8').split('\n').filter(Boolean).map((line) => (JSON.parse(line) as DecodedRecord).fields.pid));
    assert.deepEqual([...pids], [process.pid], `only_tgid=${process.pid} keeps other processes' opens out (${state.events[MAP]?.total} records)`);
    // Runtime cost from the loader's stats (every second): above the SEC and in Running Programs.
    let costLens = '';
    await waitUntil(async () => {
      const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', workspaceFile('events.bpf.c'));
      costLens = lenses.map((lens) => lens.command?.title ?? '').find((title) => / runs? · [\d.,]+ ns\/run/.test(title)) ?? '';
      return costLens !== '';
    }, 'a CodeLens with the run count and ns/run of the running program', 30_000);
    console.log(`    ${costLens}`);
    await vscode.commands.executeCommand('bpfdev.runs.focus');
    await screenshot('run-config', { waitFor: 'text=ns/run' });

    const ended = waitForEvent<vscode.DebugSession>((listener) => vscode.debug.onDidTerminateDebugSession(listener),
      (candidate) => candidate.id === session.id, 'the bpfdev session to end', 30_000);
    // Shift+F5.
    await vscode.commands.executeCommand('workbench.action.debug.stop');
    await ended;
    assert.equal(api.runningSessions(), 0);
    await waitUntil(async () => !(await loadedPrograms()).some((candidate) => candidate.id === program.id),
      `${PROGRAM} (id ${program.id}) leaving bpftool prog show`, 10_000);
  });
});
