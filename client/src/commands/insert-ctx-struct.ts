/**
 * "eBPF: Insert Context Struct": declares the record struct of the tracepoint whose program the
 * cursor is in (from the target's format file) and types `ctx` with it. The language server
 * already offers this as a quick fix; the command finds that action at the cursor and applies it.
 */
import * as vscode from 'vscode';
import { isBpfDocument } from '../config';

/** The server's title for the action (core/src/language/code-actions.ts). */
const ACTION_TITLE = /^Declare struct \w+ \(/;

export function registerInsertCtxStructCommand(context: vscode.ExtensionContext): void {
  context.subscriptions.push(vscode.commands.registerCommand('bpfdev.insertCtxStruct', async (): Promise<string | undefined> => {
    const editor = vscode.window.activeTextEditor;
    if (!editor || !isBpfDocument(editor.document)) {
      void vscode.window.showErrorMessage('eBPF: open a .bpf.c file and put the cursor in a SEC("tracepoint/...") program to declare its context struct.');
      return undefined;
    }
    const position = editor.selection.active;
    const actions = await vscode.commands.executeCommand<(vscode.CodeAction | vscode.Command)[] | undefined>(
      'vscode.executeCodeActionProvider', editor.document.uri, new vscode.Range(position, position), vscode.CodeActionKind.QuickFix.value);
    const action = (actions ?? []).find((candidate): candidate is vscode.CodeAction =>
      !(typeof candidate.command === 'string') && ACTION_TITLE.test(candidate.title) && Boolean((candidate as vscode.CodeAction).edit));
    if (!action) {
      void vscode.window.showErrorMessage(
        'eBPF: no tracepoint program at the cursor, or its struct is declared already. Put the cursor on a SEC("tracepoint/<category>/<event>") ' +
        'program whose event exists on the target host (if the host was just selected, its catalog may still be loading: try again in a moment).');
      return undefined;
    }
    if (!await vscode.workspace.applyEdit(action.edit!)) {
      void vscode.window.showErrorMessage('eBPF: the editor refused the edit (the file changed meanwhile?) — run the command again.');
      return undefined;
    }
    if (action.command) await vscode.commands.executeCommand(action.command.command, ...(action.command.arguments ?? []));
    return action.title;
  }));
}
