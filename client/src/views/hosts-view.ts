/**
 * The "Hosts" view of the eBPF activity bar: `local`, the `bpfdev.hosts` setting and the hosts
 * of ~/.ssh/config. Clicking a host selects it (bpfdev.selectHost); the selected host expands
 * into its host report (kernel, privilege, BTF, kprobes, ...), probed once per connection.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { formatHostReport, HostReport, hostReport } from '../../../host/src/host-report';
import { defaultSshConfigPath, listConfiguredHosts } from '../../../host/src/ssh/hosts';
import type { Target } from '../../../host/src/target';
import type { TargetManager } from '../targets/target-manager';

export const HOSTS_VIEW_ID = 'bpfdev.hosts';

type HostSource = 'local' | 'settings' | 'ssh-config';

interface HostNode { kind: 'host'; name: string; source: HostSource }
interface ReportNode { kind: 'report'; host: string; label: string; detail?: string; problem?: boolean; command?: vscode.Command }
type Node = HostNode | ReportNode;

/** The hosts offered, without duplicates, in the order the host picker uses. */
export function configuredHosts(): { name: string; source: HostSource }[] {
  let sshHosts: string[] = [];
  try {
    sshHosts = listConfiguredHosts(fs.readFileSync(defaultSshConfigPath(), 'utf8'));
  } catch {
    // No ~/.ssh/config: local and the setting only.
  }
  const fromSettings = vscode.workspace.getConfiguration('bpfdev').get<string[]>('hosts', []);
  const seen = new Set<string>(['local']);
  const hosts: { name: string; source: HostSource }[] = [{ name: 'local', source: 'local' }];
  for (const name of fromSettings) if (!seen.has(name)) { seen.add(name); hosts.push({ name, source: 'settings' }); }
  for (const name of sshHosts) if (!seen.has(name)) { seen.add(name); hosts.push({ name, source: 'ssh-config' }); }
  return hosts;
}

function reportLines(host: string, report: HostReport): ReportNode[] {
  const yes = (value: boolean) => (value ? 'yes' : 'no');
  const lines: ReportNode[] = [
    { kind: 'report', host, label: 'kernel', detail: `${report.kernel} (${report.arch})` },
    { kind: 'report', host, label: 'privilege', detail: report.privilege, problem: report.privilege === 'none' },
    { kind: 'report', host, label: 'BTF', detail: yes(report.btf), problem: !report.btf },
    { kind: 'report', host, label: 'tracefs', detail: report.tracefs ?? 'not mounted', problem: !report.tracefs },
    { kind: 'report', host, label: 'kprobes', detail: yes(report.kprobes) },
    { kind: 'report', host, label: 'uprobes', detail: yes(report.uprobes) },
    { kind: 'report', host, label: 'fentry', detail: yes(report.fentry) },
    { kind: 'report', host, label: 'lockdown', detail: report.lockdown },
  ];
  for (const problem of report.problems) lines.push({ kind: 'report', host, label: problem, problem: true });
  return lines;
}

export class HostsView implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  /** Reports per host name, probed when the selected host is expanded; dropped when the connection changes. */
  private readonly reports = new Map<string, { target: Target; report: Promise<HostReport> }>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly targets: TargetManager) {
    const sshConfig = defaultSshConfigPath();
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(path.dirname(sshConfig)), path.basename(sshConfig)));
    this.disposables.push(
      this.changed,
      watcher,
      watcher.onDidChange(() => this.refresh()),
      watcher.onDidCreate(() => this.refresh()),
      watcher.onDidDelete(() => this.refresh()),
      targets.onDidChange(() => this.refresh()),
      vscode.workspace.onDidChangeConfiguration((event) => { if (event.affectsConfiguration('bpfdev.hosts')) this.refresh(); }),
    );
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  /** Probes the selected host again (the view's Refresh action). */
  reprobe(): void {
    this.reports.clear();
    this.refresh();
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (node.kind === 'report') {
      const item = new vscode.TreeItem(node.label);
      item.description = node.detail;
      item.tooltip = node.detail ? `${node.label}: ${node.detail}` : node.label;
      item.iconPath = new vscode.ThemeIcon(node.problem ? 'warning' : 'info', node.problem ? new vscode.ThemeColor('problemsWarningIcon.foreground') : undefined);
      if (node.command) item.command = node.command;
      item.contextValue = 'bpfdev.hostReportLine';
      return item;
    }
    const current = this.targets.current.name === node.name;
    const item = new vscode.TreeItem(node.name, current ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `host:${node.name}`;
    item.description = [current ? 'selected' : undefined, node.source === 'local' ? 'this machine' : node.source === 'settings' ? 'bpfdev.hosts' : '~/.ssh/config']
      .filter(Boolean).join(' · ');
    item.iconPath = new vscode.ThemeIcon(node.source === 'local' ? 'device-desktop' : current ? 'vm-active' : 'vm');
    item.command = { title: 'Select Target Host', command: 'bpfdev.selectHost', arguments: [node.name] };
    item.contextValue = current ? 'bpfdev.host.selected' : 'bpfdev.host';
    const cached = this.reports.get(node.name);
    item.tooltip = current && cached ? 'Selected target host. Expand for its report.' : `Click to make ${node.name} the target host.`;
    return item;
  }

  async getChildren(node?: Node): Promise<Node[]> {
    if (!node) return configuredHosts().map(({ name, source }) => ({ kind: 'host', name, source }));
    if (node.kind !== 'host') return [];
    if (this.targets.current.name !== node.name) {
      return [{ kind: 'report', host: node.name, label: 'Select this host to see its report', command: { title: 'Select Target Host', command: 'bpfdev.selectHost', arguments: [node.name] } }];
    }
    const target = this.targets.current;
    let entry = this.reports.get(node.name);
    if (!entry || entry.target !== target) {
      entry = { target, report: hostReport(target) };
      this.reports.set(node.name, entry);
    }
    try {
      return reportLines(node.name, await entry.report);
    } catch (error) {
      this.reports.delete(node.name);
      const hint = (error as { hint?: string }).hint;
      return [{
        kind: 'report', host: node.name, problem: true,
        label: `cannot probe ${node.name}: ${(error as Error).message}`,
        detail: hint ?? 'check the connection, then use Refresh in this view',
      }];
    }
  }

  /** The report of the selected host as text (for tooltips and tests); undefined until probed. */
  async selectedReportText(): Promise<string | undefined> {
    const entry = this.reports.get(this.targets.current.name);
    return entry ? formatHostReport(await entry.report) : undefined;
  }

  dispose(): void {
    this.disposables.forEach((disposable) => disposable.dispose());
  }
}

export function registerHostsView(context: vscode.ExtensionContext, targets: TargetManager): HostsView {
  const provider = new HostsView(targets);
  const view = vscode.window.createTreeView(HOSTS_VIEW_ID, { treeDataProvider: provider, showCollapseAll: false });
  context.subscriptions.push(provider, view, vscode.commands.registerCommand('bpfdev.refreshHosts', () => provider.reprobe()));
  return provider;
}
