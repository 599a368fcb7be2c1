/** "eBPF: Show Host Report": what the selected target can do, in a read-only document. */
import * as vscode from 'vscode';
import { formatHostReport, hostReport } from '../../../host/src/host-report';
import type { TargetManager } from '../targets/target-manager';

export function registerHostReportCommand(context: vscode.ExtensionContext, targets: TargetManager): void {
  context.subscriptions.push(vscode.commands.registerCommand('bpfdev.hostReport', async () => {
    try {
      const report = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'eBPF: probing the target' },
        async () => hostReport(await targets.ready()));
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
