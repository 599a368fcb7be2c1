/**
 * Which target the server compiles, verifies and reads catalogs for: the local kernel, or the
 * remote host the client selected (reached through the client, see client-target.ts).
 */
import type { Connection } from 'vscode-languageserver/node';
import { LocalTarget } from '../../host/src/local-target';
import type { Target } from '../../host/src/target';
import { ClientTarget } from './client-target';

export class TargetProvider {
  private readonly local = new LocalTarget();
  private selected: Target = this.local;
  private readonly listeners: (() => void)[] = [];

  constructor(private readonly connection?: Connection) {}

  current(): Target {
    return this.selected;
  }

  select(name: string): void {
    if (name === this.selected.name) return;
    if (name === 'local') this.selected = this.local;
    else if (this.connection) this.selected = new ClientTarget(name, this.connection);
    else return;
    for (const listener of this.listeners) listener();
  }

  onDidChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  async dispose(): Promise<void> {
    await this.local.dispose();
  }
}
