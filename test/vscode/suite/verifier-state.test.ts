/**
 * The verifier view (issue #11 item 7) in a real VS Code against this machine's verifier: the
 * "Show verifier state" code action on a verifier diagnostic and the "Verifier state" CodeLens
 * open a webview that steps through the log; the step it opens on is the rejected instruction at
 * the diagnostic's line; "Re-run at log level 2" gives the detailed log.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ShownVerifierState } from '../../../client/src/verifier/verifier-view';
import { screenshot } from './screenshot';
import { activateExtension, BpfdevTestApi, LANGUAGE_SERVER_TIMEOUT_MS, markedLine, waitForDiagnostic, waitForEvent, withDeadline, workspaceFile } from './support';

suite('verifier state view', () => {
  let api: BpfdevTestApi;
  suiteSetup(async () => { api = await activateExtension(); });
  teardown(() => vscode.commands.executeCommand('workbench.action.closeAllEditors'));

  test('the code action on a verifier error opens the steps that led to it, ending at its line', async () => {
    const uri = workspaceFile('broken_deref.bpf.c');
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document);
    const expectedLine = markedLine(document, 'EXPECT-VERIFIER-ERROR');
    const diagnostic = await waitForDiagnostic(uri,
      (d) => d.source === 'verifier' && d.severity === vscode.DiagnosticSeverity.Error && d.range.start.line === expectedLine,
      `verifier error on line ${expectedLine + 1}`);

    const actions = await withDeadline(
      vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, diagnostic.range, vscode.CodeActionKind.QuickFix.value),
      LANGUAGE_SERVER_TIMEOUT_MS, 'code actions');
    const show = actions.find((action) => action.title === 'Show verifier state');
    assert.ok(show?.command, `a "Show verifier state" action; offered: ${actions.map((a) => a.title).join(', ')}`);
    assert.equal(show.command.command, 'bpfdev.showVerifierState');

    // The page reports the step it shows once it has rendered the log.
    const rendered = waitForEvent<number>((listener) => api.onVerifierViewStep(listener), () => true, 'the verifier view showing a step', LANGUAGE_SERVER_TIMEOUT_MS);
    const shown = await vscode.commands.executeCommand<ShownVerifierState>(show.command.command, ...(show.command.arguments ?? []));
    assert.equal(shown.result.error, undefined, shown.result.error);
    const program = shown.result.programs.find((p) => p.verdict === 'rejected');
    assert.ok(program, `a rejected program; got ${shown.result.programs.map((p) => `${p.name}:${p.verdict}`).join(', ')}`);
    const { view } = program;
    assert.ok(view.error, 'the view names the error');
    // With a docs link the diagnostic's code is `{ value, target }`.
    const code = typeof diagnostic.code === 'object' ? diagnostic.code.value : diagnostic.code;
    assert.equal(view.error.kind, code, 'same kind as the diagnostic');
    const failing = view.steps[view.error.step!];
    assert.equal(failing.failed, true);
    assert.equal(failing.source?.line, expectedLine + 1, 'the rejected step is at the diagnostic line');
    assert.ok(failing.registers.R10, 'the state at the step has the frame pointer');
    assert.equal(view.errorPath[view.errorPath.length - 1], view.error.step, 'the path ends at the error');
    assert.equal(await rendered, view.error.step, 'the page opened on the rejected step');
    console.log(`    ${program.name}: ${view.steps.length} steps, error "${view.error.title}" at insn ${failing.insn}, state ${Object.keys(failing.registers).join(' ')}`);
    await screenshot('verifier-state', { waitFor: '.tab >> text=Verifier:' });
  });

  test('the CodeLens offers the view, and re-running at log level 2 gives the detailed log', async () => {
    const uri = workspaceFile('broken_deref.bpf.c');
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document);
    await waitForDiagnostic(uri, (d) => d.source === 'verifier', 'a verifier diagnostic');
    const lenses = await withDeadline(vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri), LANGUAGE_SERVER_TIMEOUT_MS, 'code lenses');
    const lens = lenses.find((l) => l.command?.title === 'Verifier state');
    assert.ok(lens?.command, `a "Verifier state" lens; got ${lenses.map((l) => l.command?.title).join(', ')}`);
    const [lensUri, name] = lens.command.arguments as [string, string];
    const detailed = await vscode.commands.executeCommand<ShownVerifierState>(lens.command.command, lensUri, name, 2);
    assert.equal(detailed.result.logLevel, 2);
    const program = detailed.result.programs.find((p) => p.name === name);
    assert.ok(program, `program ${name} in the level-2 result`);
    assert.equal(program.view.detailed, true, 'level-2 output recognised');
    assert.ok(program.view.steps.length > 0);
  });
});
