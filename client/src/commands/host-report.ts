/** "eBPF: Show Host Report": what the selected target can do, in a read-only document. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { formatHostReport, hostReport } from '../../../host/src/host-report';
import type { TargetManager } from '../targets/target-manager';
import { settingsFor } from '../config';

export function registerHostReportCommand(context: vscode.ExtensionContext, targets: TargetManager): void {
  context.subscriptions.push(vscode.commands.registerCommand('bpfdev.hostReport', async () => {
    try {
      const report = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'eBPF: probing the target' },
        // Compiles run on this machine: the report also says where the open file's flags come from.
        async () => hostReport(await targets.ready(), { projectDir: projectDir(), clang: settingsFor(vscode.window.activeTextEditor?.document.uri).clangPath }));
      const document = await vscode.workspace.openTextDocument({ content: formatHostReport(report), language: 'plaintext' });
      await vscode.window.showTextDocument(document, { preview: true });
      return report;
    } catch (error) {
      const hint = (error as { hint?: string }).hint;
      void vscode.window.showErrorMessage(`eBPF: host report failed: ${(error as Error).message}${hint ? ` — ${hint}` : ''}`);
      return undefined;
    }
  }));
}

function projectDir(): string | undefined {
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active?.scheme === 'file') return path.dirname(active.fsPath);
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}
