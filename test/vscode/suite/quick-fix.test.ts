import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { screenshot } from './screenshot';
import {
  activateExtension, BpfdevTestApi, LANGUAGE_SERVER_TIMEOUT_MS, markedLine, waitForDiagnostic, waitForVerified, withDeadline, workspaceFile,
} from './support';

/** The verifier's diagnostic, its explanation, and a quick fix that makes the verifier accept the program (issue #4). */
suite('verifier quick fix', () => {
  let api: BpfdevTestApi;
  suiteSetup(async () => { api = await activateExtension(); });

  test('a NULL check quick fix for a map lookup makes the verifier accept the program', async () => {
    const uri = workspaceFile('missing_null_check.bpf.c');
    const document = await vscode.workspace.openTextDocument(uri);
    const editor = await vscode.window.showTextDocument(document);
    const expectedLine = markedLine(document, 'EXPECT-VERIFIER-ERROR');

    // Opening the file verifies it.
    const diagnostic = await waitForDiagnostic(uri,
      (d) => d.source === 'verifier' && d.severity === vscode.DiagnosticSeverity.Error && d.range.start.line === expectedLine,
      `verifier error diagnostic on line ${expectedLine + 1}`);
    const [headline, ...explanation] = diagnostic.message.split('\n\n');
    console.log(`    line ${expectedLine + 1} [${String(codeOf(diagnostic))}]: ${headline}`);
    assert.match(headline, /map_value_or_null/, 'the verifier\'s own words come first');
    assert.ok(explanation.join(' ').includes('NULL'), `an explanation in plain words follows: ${JSON.stringify(diagnostic.message)}`);

    const actions = await withDeadline(
      vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, diagnostic.range, vscode.CodeActionKind.QuickFix.value),
      LANGUAGE_SERVER_TIMEOUT_MS, 'the code action provider');
    // The API command does not hand back which diagnostics an action fixes: find it by what it says.
    const fix = actions.find((action) => action.kind?.value === vscode.CodeActionKind.QuickFix.value && /NULL/.test(action.title));
    assert.ok(fix, `a NULL-check quick fix for the verifier error; code actions offered: ${actions.map((a) => a.title).join(', ') || 'none'}`);
    assert.equal(fix.isPreferred, true, `'${fix.title}' is the preferred fix (what Ctrl+. then Enter applies)`);
    assert.ok(fix.edit, `the quick fix '${fix.title}' carries its edit`);
    console.log(`    quick fix: ${fix.title}`);

    // The diagnostic's hover, then the light bulb menu, as the user sees them on that line.
    const onLine = diagnostic.range.start;
    editor.selection = new vscode.Selection(onLine, onLine);
    editor.revealRange(diagnostic.range, vscode.TextEditorRevealType.InCenter);
    await showHoverScreenshot('verifier-explanation', '.monaco-hover >> text=map_value_or_null');
    await vscode.commands.executeCommand('editor.action.quickFix');
    await screenshot('quick-fix', { waitFor: `.action-widget >> text=${fix.title}` });
    await vscode.commands.executeCommand('hideCodeActionWidget');

    const before = document.getText();
    assert.ok(await vscode.workspace.applyEdit(fix.edit), 'the quick fix applied');
    assert.notEqual(document.getText(), before, 'the quick fix changed the program');
    const added = document.getText().split('\n').filter((line) => !before.split('\n').includes(line));
    console.log(`    lines the fix added: ${added.map((line) => line.trim()).join(' / ')}`);

    // Saving verifies again: the verifier must accept what the fix produced.
    const verified = waitForVerified(api, uri, () => true, 'verification after the quick fix');
    const accepted = waitForDiagnostic(uri,
      (d) => d.source === 'verifier' && d.severity === vscode.DiagnosticSeverity.Hint && /accepted by the verifier/.test(d.message),
      'verifier diagnostic saying the fixed program was accepted');
    assert.ok(await document.save(), 'the document saved');
    const result = await verified;
    assert.deepEqual(result.programs.map((program) => `${program.name}=${program.verdict}`), ['fx_count_openat=ok'],
      `the verifier accepts the fixed program: ${JSON.stringify(result)}`);
    await accepted;
    const errors = vscode.languages.getDiagnostics(uri).filter((d) => d.severity === vscode.DiagnosticSeverity.Error);
    assert.deepEqual(errors.map((d) => `line ${d.range.start.line + 1}: ${d.message}`), [], 'no error diagnostic is left');
  });
});

function codeOf(diagnostic: vscode.Diagnostic): string | number | undefined {
  return typeof diagnostic.code === 'object' ? diagnostic.code.value : diagnostic.code;
}

/**
 * The hover command does nothing while the editor is still taking focus after opening, and says
 * nothing about it: ask again, a few times, each time waiting for the hover to render.
 */
async function showHoverScreenshot(name: string, waitFor: string): Promise<void> {
  const attempts = 4;
  for (let attempt = 1; ; attempt++) {
    await vscode.commands.executeCommand('workbench.action.focusActiveEditorGroup');
    await vscode.commands.executeCommand('editor.action.showHover');
    try {
      await screenshot(name, { waitFor, timeoutMs: 5_000 });
      return;
    } catch (error) {
      if (attempt === attempts) throw error;
    }
  }
}
