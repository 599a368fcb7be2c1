/** "eBPF: Select Target Host": local, hosts from ~/.ssh/config, and hosts from settings. */
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { defaultSshConfigPath, listConfiguredHosts } from '../../../host/src/ssh/hosts';
import type { TargetManager } from '../targets/target-manager';

export function registerSelectHostCommand(context: vscode.ExtensionContext, targets: TargetManager): void {
  context.subscriptions.push(vscode.commands.registerCommand('bpfdev.selectHost', async (name?: string) => {
    const chosen = name ?? await pickHost(targets.current.name);
    if (!chosen) return undefined;
    try {
      const target = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `eBPF: connecting to ${chosen}` },
        () => targets.select(chosen));
      return target.name;
    } catch (error) {
      const hint = (error as { hint?: string }).hint;
      void vscode.window.showErrorMessage(`eBPF: cannot use ${chosen}: ${(error as Error).message}${hint ? ` — ${hint}` : ''}`);
      return undefined;
    }
  }));
}

async function pickHost(current: string): Promise<string | undefined> {
  let sshHosts: string[] = [];
  try {
    sshHosts = listConfiguredHosts(fs.readFileSync(defaultSshConfigPath(), 'utf8'));
  } catch {
    // No ~/.ssh/config: only local and the configured hosts.
  }
  const configured = vscode.workspace.getConfiguration('bpfdev').get<string[]>('hosts', []);
  const items: vscode.QuickPickItem[] = [
    { label: 'local', description: 'this machine\'s kernel' },
    ...configured.map((host) => ({ label: host, description: 'from settings (bpfdev.hosts)' })),
    ...sshHosts.filter((host) => !configured.includes(host)).map((host) => ({ label: host, description: '~/.ssh/config' })),
  ].map((item) => (item.label === current ? { ...item, description: `${item.description} · current` } : item));
  const picked = await vscode.window.showQuickPick(items, { title: 'eBPF target host', placeHolder: 'user@host[:port] or a host alias', matchOnDescription: true });
  return picked?.label;
}
