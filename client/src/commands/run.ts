/** "eBPF: Run on Target": compile the active file, attach it on the target, stream its trace. */
import * as vscode from 'vscode';
import { isBpfDocument, settingsFor } from '../config';
import type { Log } from '../log';
import type { RunManager, RunSummary } from '../trace/run-manager';
import type { CompileOptions } from '../../../host/src/compile';

/** How a file compiles for a run, from its settings: Run on Target and the `bpfdev` run configuration. */
export function compileOptionsFor(uri: vscode.Uri): CompileOptions {
  const settings = settingsFor(uri);
  return { clang: settings.clangPath, extraFlags: settings.extraCflags, ...(settings.compileOnTarget ? { compileOn: 'target' as const } : {}) };
}

export function registerRunCommand(context: vscode.ExtensionContext, runs: RunManager, log: Log): void {
  context.subscriptions.push(vscode.commands.registerCommand('bpfdev.run', async (target?: vscode.Uri | string): Promise<RunSummary | undefined> => {
    // A CodeLens passes the document's uri as a string; the command palette passes nothing.
    const uri = typeof target === 'string' ? vscode.Uri.parse(target) : target;
    const document = uri ? await vscode.workspace.openTextDocument(uri) : vscode.window.activeTextEditor?.document;
    if (!document || !isBpfDocument(document)) {
      void vscode.window.showErrorMessage('eBPF: open a .bpf.c file to run it on the target.');
      return undefined;
    }
    await document.save();
    try {
      return await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `eBPF: running ${vscode.workspace.asRelativePath(document.uri)}`, cancellable: false },
        (progress) => runs.start(document.uri.fsPath, compileOptionsFor(document.uri), (message) => progress.report({ message })),
      );
    } catch (error) {
      const hint = (error as { hint?: string }).hint;
      log.error(`run failed: ${(error as Error).message}`);
      void vscode.window.showErrorMessage(`eBPF: ${(error as Error).message}${hint ? ` (${hint})` : ''}`);
      return undefined;
    }
  }));
}
