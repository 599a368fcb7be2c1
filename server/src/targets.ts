/**
 * Which target the server compiles, verifies and reads catalogs for: the local kernel, or the
 * remote host the client selected (reached through the client, see client-target.ts).
 */
import type { Connection } from 'vscode-languageserver/node';
import { LocalTarget } from '../../host/src/local-target';
import type { Target } from '../../host/src/target';
import { ClientTarget } from './client-target';
import { PrivilegePasswordParams, PrivilegePasswordRequest, PrivilegePasswordResult } from '../../protocol/src/protocol';

export class TargetProvider {
  private readonly local: LocalTarget;
  private selected: Target;
  private readonly listeners: (() => void)[] = [];

  constructor(private readonly connection?: Connection) {
    // When sudo wants a password, the client asks the user; the answer starts one privileged
    // session that lasts as long as this server (host/src/privileged-session.ts).
    this.local = new LocalTarget(connection ? {
      askPassword: async (request) => (await connection.sendRequest<PrivilegePasswordResult>(PrivilegePasswordRequest, request satisfies PrivilegePasswordParams)).password,
    } : {});
    this.selected = this.local;
  }

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
