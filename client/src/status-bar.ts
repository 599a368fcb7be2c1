/** Status bar: the current target host (click to switch) and how many programs run. */
import * as vscode from 'vscode';
import type { TargetManager } from './targets/target-manager';
import type { RunManager } from './trace/run-manager';

export function createStatusBar(context: vscode.ExtensionContext, targets: TargetManager, runs: RunManager): void {
  const item = vscode.window.createStatusBarItem('bpfdev.target', vscode.StatusBarAlignment.Left, 50);
  item.name = 'eBPF target';
  item.command = 'bpfdev.selectHost';
  const update = () => {
    const running = runs.count;
    item.text = `$(server) eBPF: ${targets.current.name}${running ? ` $(debug-start) ${running} running` : ''}`;
    item.tooltip = running ? `${running} eBPF run(s) on ${targets.current.name} — run "eBPF: Stop" to detach` : 'eBPF target host — click to switch';
  };
  update();
  item.show();
  context.subscriptions.push(item, targets.onDidChange(update), runs.onDidChange(update));
}
