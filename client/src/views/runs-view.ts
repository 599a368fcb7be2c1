/**
 * The "Running Programs" view: runs grouped by host, each with its attached programs (and the
 * ones that failed to attach, with why), and a Stop action that detaches that run only. Each
 * program shows its runtime cost (run count, ns/run, % of one CPU) from the loader's stats.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ActiveRun, RunManager } from '../trace/run-manager';
import { describeCost } from '../../../core/src/events/stats';

export const RUNS_VIEW_ID = 'bpfdev.runs';

type Node =
  | { kind: 'host'; name: string }
  | { kind: 'run'; run: ActiveRun }
  | { kind: 'program'; run: ActiveRun; name: string; section: string; progId?: number; failure?: string };

export class RunsView implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly runs: RunManager) {
    this.subscription = vscode.Disposable.from(
      runs.onDidChange(() => this.changed.fire(undefined)),
      runs.onDidChangeStats(() => this.changed.fire(undefined)),
    );
  }

  getTreeItem(node: Node): vscode.TreeItem {
    switch (node.kind) {
      case 'host': {
        const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `runs-host:${node.name}`;
        item.iconPath = new vscode.ThemeIcon(node.name === 'local' ? 'device-desktop' : 'vm-active');
        return item;
      }
      case 'run': {
        const { run } = node;
        const attached = run.session.attached.length;
        const failed = run.session.attachFailures.length;
        const item = new vscode.TreeItem(path.basename(run.file), vscode.TreeItemCollapsibleState.Expanded);
        item.id = `run:${run.id}`;
        item.description = `${attached} attached${failed ? `, ${failed} failed` : ''} · since ${run.startedAt.toLocaleTimeString()}`;
        item.tooltip = `${run.file}\non ${run.target}, started ${run.startedAt.toLocaleString()}\nStop detaches its programs.`;
        item.iconPath = new vscode.ThemeIcon('debug-start', new vscode.ThemeColor('debugIcon.startForeground'));
        item.resourceUri = vscode.Uri.file(run.file);
        item.contextValue = 'bpfdev.run';
        item.command = { title: 'Open', command: 'vscode.open', arguments: [vscode.Uri.file(run.file)] };
        return item;
      }
      case 'program': {
        const item = new vscode.TreeItem(node.name);
        item.id = `run:${node.run.id}:${node.name}`;
        const cost = node.failure ? undefined : node.run.costs.byName(node.name);
        item.description = node.failure ? `not attached · ${node.section}` : cost ? describeCost(cost) : `${node.section} · prog id ${node.progId}`;
        item.tooltip = node.failure ? `${node.name} (${node.section}) was not attached: ${node.failure}`
          : `${node.name} (${node.section}), kernel program id ${node.progId}` +
            (cost ? `\n${cost.runCount} runs, ${cost.runTimeNs} ns in total (BPF run-time stats, on while the run lasts)` : '');
        item.iconPath = new vscode.ThemeIcon(node.failure ? 'error' : 'symbol-event', node.failure ? new vscode.ThemeColor('problemsErrorIcon.foreground') : undefined);
        item.contextValue = node.failure ? 'bpfdev.program.failed' : 'bpfdev.program';
        return item;
      }
    }
  }

  getChildren(node?: Node): Node[] {
    const runs = this.runs.list();
    if (!node) return [...new Set(runs.map((run) => run.target))].map((name) => ({ kind: 'host', name }));
    if (node.kind === 'host') return runs.filter((run) => run.target === node.name).map((run) => ({ kind: 'run', run }));
    if (node.kind === 'run') {
      return [
        ...node.run.session.attached.map((program) => ({ kind: 'program' as const, run: node.run, name: program.name, section: program.section, progId: program.progId })),
        ...node.run.session.attachFailures.map((program) => ({ kind: 'program' as const, run: node.run, name: program.name, section: program.section, failure: program.reason })),
      ];
    }
    return [];
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}

export function registerRunsView(context: vscode.ExtensionContext, runs: RunManager): RunsView {
  const provider = new RunsView(runs);
  const view = vscode.window.createTreeView(RUNS_VIEW_ID, { treeDataProvider: provider });
  context.subscriptions.push(
    provider, view,
    // From the view the argument is the run's node; from tests or keybindings, a run id.
    vscode.commands.registerCommand('bpfdev.stopRun', async (target?: { run: ActiveRun } | number) => {
      const id = typeof target === 'number' ? target : target?.run.id;
      if (id === undefined) return vscode.commands.executeCommand('bpfdev.stop');
      return runs.stopRun(id);
    }),
  );
  return provider;
}
