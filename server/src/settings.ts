/**
 * Settings per resource, read from the client on demand and cached per document until the
 * client says they changed (lsp-sample's getDocumentSettings pattern), never in globals.
 */
import { ClientCapabilities, Connection, DidChangeConfigurationNotification } from 'vscode-languageserver/node';
import { BpfdevSettings, DEFAULT_SETTINGS } from '../../protocol/src/protocol';

export class SettingsStore {
  private canPull = false;
  private readonly perResource = new Map<string, Promise<BpfdevSettings>>();

  constructor(private readonly connection: Connection) {}

  setClientCapabilities(capabilities: ClientCapabilities): void {
    this.canPull = !!capabilities.workspace?.configuration;
  }

  registerForChanges(): void {
    if (this.canPull) void this.connection.client.register(DidChangeConfigurationNotification.type, undefined);
  }

  invalidate(): void {
    this.perResource.clear();
  }

  get(uri: string): Promise<BpfdevSettings> {
    if (!this.canPull) return Promise.resolve(DEFAULT_SETTINGS);
    let pending = this.perResource.get(uri);
    if (!pending) {
      pending = this.connection.workspace.getConfiguration({ scopeUri: uri, section: 'bpfdev' })
        .then((value: Partial<BpfdevSettings> | null) => ({ ...DEFAULT_SETTINGS, ...(value ?? {}) }));
      this.perResource.set(uri, pending);
    }
    return pending;
  }
}
