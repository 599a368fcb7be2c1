import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { screenshot } from './screenshot';
import { activateExtension, completionsAt, labelOf, setTextWithCursor, workspaceFile } from './support';

/**
 * Completion from the local kernel's catalogs (issue #3): attach points inside SEC() and the
 * tracepoint's format fields on `ctx->`. typing.bpf.c is edited in memory only.
 */
suite('completion', () => {
  let editor: vscode.TextEditor;
  let fixtureText: string;

  suiteSetup(async () => {
    await activateExtension();
    const document = await vscode.workspace.openTextDocument(workspaceFile('typing.bpf.c'));
    fixtureText = document.getText();
    editor = await vscode.window.showTextDocument(document);
  });
  suiteTeardown(async () => {
    await vscode.commands.executeCommand('hideSuggestWidget');
    // Unsaved edits would leave a dirty editor (and its prompt) in later screenshots.
    if (editor?.document.isDirty) {
      await vscode.window.showTextDocument(editor.document);
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    }
  });

  test('SEC("tracepoint/syscalls/sys_enter_op offers sys_enter_openat', async () => {
    // What the user has typed so far, with the quote and parenthesis VS Code closed for them.
    const cursor = await setTextWithCursor(editor, `${fixtureText}\nSEC("tracepoint/syscalls/sys_enter_op|")\n`);
    const items = await completionsAt(editor.document.uri, cursor, 'inside SEC("tracepoint/syscalls/sys_enter_op');
    const labels = items.map(labelOf);
    assert.ok(labels.includes('sys_enter_openat'),
      `sys_enter_openat among ${items.length} completions: ${labels.slice(0, 30).join(', ')}${labels.length > 30 ? ', ...' : ''}`);
    // Every tracepoint offered is one this kernel has: the catalog is the kernel's, not a list.
    assert.ok(labels.every((label) => !label.startsWith('sys_') || label.startsWith('sys_enter_') || label.startsWith('sys_exit_')),
      `only syscall tracepoints after syscalls/: ${labels.join(', ')}`);

    // The same list in the suggest widget, opened the way Ctrl+Space opens it.
    await vscode.commands.executeCommand('editor.action.triggerSuggest');
    await screenshot('completion', { waitFor: '.editor-widget.suggest-widget.visible .monaco-list-row >> text=sys_enter_openat' });
    await vscode.commands.executeCommand('hideSuggestWidget');
  });

  test('ctx-> in a tracepoint program offers the fields of its format file', async () => {
    const cursor = await setTextWithCursor(editor, `${fixtureText}
SEC("tracepoint/syscalls/sys_enter_openat")
int fx_typed_openat(void *ctx)
{
	bpf_printk("%d", ctx->|);
	return 0;
}
`);
    const items = await completionsAt(editor.document.uri, cursor, 'after ctx->');
    const labels = items.map(labelOf);
    // The fields of events/syscalls/sys_enter_openat/format on this kernel.
    for (const field of ['filename', 'flags', 'mode', 'dfd']) {
      assert.ok(labels.includes(field), `${field} among the ctx-> completions: ${labels.join(', ')}`);
    }
    const filename = items.find((item) => labelOf(item) === 'filename');
    assert.equal(filename?.kind, vscode.CompletionItemKind.Field, 'filename is offered as a field');

    await vscode.commands.executeCommand('editor.action.triggerSuggest');
    await screenshot('completion-ctx', { waitFor: '.editor-widget.suggest-widget.visible .monaco-list-row >> text=filename' });
    await vscode.commands.executeCommand('hideSuggestWidget');
  });
});
