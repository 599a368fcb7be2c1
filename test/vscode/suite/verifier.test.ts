import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { screenshot } from './screenshot';
import { activateExtension, markedLine, waitForDiagnostic, workspaceFile } from './support';

suite('verifier diagnostics', () => {
  suiteSetup(activateExtension);

  test('saving a program the verifier rejects puts a diagnostic on the failing line', async () => {
    const uri = workspaceFile('broken_deref.bpf.c');
    const document = await vscode.workspace.openTextDocument(uri);
    const editor = await vscode.window.showTextDocument(document);
    // Shift the program down a line before saving: a diagnostic left over from the verification
    // on open sits one line too high, so only a verification of the saved text can match.
    const edited = await editor.edit((edit) => edit.insert(new vscode.Position(0, 0), '// edited by the VS Code test\n'));
    assert.ok(edited, 'the edit applied');
    const expectedLine = markedLine(document, 'EXPECT-VERIFIER-ERROR');
    const diagnosticOnLine = waitForDiagnostic(uri,
      (d) => d.source === 'verifier' && d.severity === vscode.DiagnosticSeverity.Error && d.range.start.line === expectedLine,
      `verifier error diagnostic on line ${expectedLine + 1}`);
    assert.ok(await document.save(), 'the document saved');

    const diagnostic = await diagnosticOnLine;
    console.log(`    line ${diagnostic.range.start.line + 1}: ${diagnostic.message.split('\n')[0]}`);

    await vscode.commands.executeCommand('workbench.actions.view.problems');
    await screenshot('verifier-diagnostic', { waitFor: '.markers-panel .monaco-list-row' });
  });
});
