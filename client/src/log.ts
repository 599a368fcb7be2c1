/** The extension's own log (never the trace view, never secrets). */
import * as vscode from 'vscode';

export type Log = vscode.LogOutputChannel;

export function createLog(context: vscode.ExtensionContext): Log {
  const log = vscode.window.createOutputChannel('eBPF', { log: true });
  context.subscriptions.push(log);
  return log;
}
