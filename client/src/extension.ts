/** Activation only: each feature registers itself and pushes its disposables into the context. */
import * as vscode from 'vscode';
import { createLog } from './log';
import { startLanguageClient } from './language-client';
import { TargetManager } from './targets/target-manager';
import { RunManager } from './trace/run-manager';
import { registerRunCommand } from './commands/run';
import { registerStopCommand } from './commands/stop';
import { registerVerifyCommand } from './commands/verify';
import { registerSelectHostCommand } from './commands/select-host';
import { registerHostReportCommand } from './commands/host-report';
import { createStatusBar } from './status-bar';
import { registerTraceView } from './trace/trace-view';
import { registerHostsView } from './views/hosts-view';
import { registerRunsView } from './views/runs-view';
import { registerMapsView } from './views/maps-view';
import { registerMapsCommands } from './commands/maps';
import { registerNewProgramCommand } from './commands/new-program';
import { registerInsertCtxStructCommand } from './commands/insert-ctx-struct';
import { registerConfigureClangdCommand } from './commands/configure-clangd';
import { registerRunConfiguration } from './debug/run-configuration';
import { registerKnobsCommand } from './debug/knobs';
import { registerCostLens } from './views/cost-lens';
import { registerVerifierView } from './verifier/verifier-view';
import type { BpfdevApi } from './api';

export async function activate(context: vscode.ExtensionContext): Promise<BpfdevApi> {
  const log = createLog(context);
  const targets = new TargetManager(context, log);
  // Whichever is disposed first, remote programs detach: stopping a run closes the loader's stdin,
  // and closing the connection closes it too.
  context.subscriptions.push(targets);
  const runs = new RunManager(log, targets);
  context.subscriptions.push(runs);
  // Views first: they work (and explain what to do) even when the language server cannot start.
  registerTraceView(context, runs, log);
  registerHostsView(context, targets);
  registerRunsView(context, runs);
  registerMapsCommands(context, registerMapsView(context, runs, log));
  registerNewProgramCommand(context);
  registerConfigureClangdCommand(context, targets);
  const client = await startLanguageClient(context, log, targets);
  registerRunCommand(context, runs, log);
  registerStopCommand(context, runs);
  registerRunConfiguration(context, runs, targets, log);
  registerKnobsCommand(context, targets);
  registerCostLens(context, runs);
  registerVerifyCommand(context, client);
  const verifierView = registerVerifierView(context, client);
  registerSelectHostCommand(context, targets);
  registerHostReportCommand(context, targets);
  registerInsertCtxStructCommand(context);
  createStatusBar(context, targets, runs);
  return {
    onTraceLine: (listener) => runs.onTraceLine(listener),
    onVerified: (listener) => client.onVerified(listener),
    onEventRecords: (listener) => runs.onEventBatch((batch) => { if (batch.records.length) listener(batch.records); }),
    runningSessions: () => runs.count,
    onVerifierViewStep: (listener) => verifierView.onDidSelectStep(listener),
  };
}

export function deactivate(): Promise<void> | undefined {
  // Disposables (RunManager stops and detaches every session) run from context.subscriptions.
  return undefined;
}
