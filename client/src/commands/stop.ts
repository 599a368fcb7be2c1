/** "eBPF: Stop": detach every running program. */
import * as vscode from 'vscode';
import type { RunManager } from '../trace/run-manager';

export function registerStopCommand(context: vscode.ExtensionContext, runs: RunManager): void {
  context.subscriptions.push(vscode.commands.registerCommand('bpfdev.stop', () => runs.stopAll()));
}
