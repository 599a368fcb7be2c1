/** "eBPF: Verify Now": verify the active file on the target regardless of verifyOnSave. */
import * as vscode from 'vscode';
import type { BpfLanguageClient } from '../language-client';
import { isBpfDocument } from '../config';

export function registerVerifyCommand(context: vscode.ExtensionContext, client: BpfLanguageClient): void {
  context.subscriptions.push(vscode.commands.registerCommand('bpfdev.verify', async (target?: vscode.Uri | string) => {
    // A CodeLens passes the document's uri as a string; the command palette passes nothing.
    const uri = typeof target === 'string' ? vscode.Uri.parse(target) : target;
    const document = uri ? await vscode.workspace.openTextDocument(uri) : vscode.window.activeTextEditor?.document;
    if (!document || !isBpfDocument(document)) {
      void vscode.window.showErrorMessage('eBPF: open a .bpf.c file to verify it.');
      return undefined;
    }
    await document.save();
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Verifying ${vscode.workspace.asRelativePath(document.uri)}` },
      () => client.verify(document.uri),
    );
  }));
}
