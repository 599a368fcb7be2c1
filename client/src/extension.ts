/** Activation only: each feature registers itself and pushes its disposables into the context. */
import * as vscode from 'vscode';
import { createLog } from './log';
import { startLanguageClient } from './language-client';
import { RunManager } from './trace/run-manager';
import { registerRunCommand } from './commands/run';
import { registerStopCommand } from './commands/stop';
import { registerVerifyCommand } from './commands/verify';
import type { BpfdevApi } from './api';

export async function activate(context: vscode.ExtensionContext): Promise<BpfdevApi> {
  const log = createLog(context);
  const runs = new RunManager(log);
  context.subscriptions.push(runs);
  const client = await startLanguageClient(context, log);
  registerRunCommand(context, runs, log);
  registerStopCommand(context, runs);
  registerVerifyCommand(context, client);
  return {
    onTraceLine: (listener) => runs.onTraceLine(listener),
    onVerified: (listener) => client.onVerified(listener),
    runningSessions: () => runs.count,
  };
}

export function deactivate(): Promise<void> | undefined {
  // Disposables (RunManager stops and detaches every session) run from context.subscriptions.
  return undefined;
}
