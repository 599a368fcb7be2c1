/**
 * Runtime cost above each running program's SEC() (issue #11): run count, average ns per run
 * and % of one CPU, from the loader's `stats` events. Client-side because only the client knows
 * what runs; the language server's lenses (verify results) stay as they are beside it.
 */
import * as vscode from 'vscode';
import { lineOfSection } from '../../../core/src/report/source-map';
import { describeCost } from '../../../core/src/events/stats';
import { bpfFilePatterns } from '../config';
import type { RunManager } from '../trace/run-manager';

class CostLensProvider implements vscode.CodeLensProvider {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor(private readonly runs: RunManager) {}

  refresh(): void {
    this.changed.fire();
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const lenses: vscode.CodeLens[] = [];
    const text = document.getText();
    for (const run of this.runs.list()) {
      if (run.file !== document.uri.fsPath) continue;
      for (const program of run.session.attached) {
        const line = lineOfSection(text, program.section);
        if (line === undefined) continue;
        const cost = run.costs.byName(program.name);
        const title = cost ? `⏱ ${describeCost(cost)}` : '⏱ running on ' + run.target + ' · cost after the first stats sample';
        // Plain text (no command): the numbers are information; the Running Programs view holds Stop.
        lenses.push(new vscode.CodeLens(new vscode.Range(line - 1, 0, line - 1, 0), { title, command: '' }));
      }
    }
    return lenses;
  }

  dispose(): void {
    this.changed.dispose();
  }
}

export function registerCostLens(context: vscode.ExtensionContext, runs: RunManager): void {
  const provider = new CostLensProvider(runs);
  context.subscriptions.push(
    provider,
    vscode.languages.registerCodeLensProvider(bpfFilePatterns().map((pattern) => ({ pattern, scheme: 'file' })), provider),
    runs.onDidChange(() => provider.refresh()),
    runs.onDidChangeStats(() => provider.refresh()),
  );
}
