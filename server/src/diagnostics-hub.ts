/**
 * Several features publish diagnostics for the same document (attach-point checks as you type,
 * clang and the verifier on save), but LSP replaces a document's whole list on each publish.
 * The hub keeps one list per producer and publishes their union.
 */
import { Connection, Diagnostic } from 'vscode-languageserver/node';

export type DiagnosticProducer = 'attach-points' | 'verifier';

export class DiagnosticsHub {
  private readonly byUri = new Map<string, Map<DiagnosticProducer, Diagnostic[]>>();

  constructor(private readonly connection: Connection) {}

  async set(uri: string, producer: DiagnosticProducer, diagnostics: Diagnostic[]): Promise<void> {
    let producers = this.byUri.get(uri);
    if (!producers) this.byUri.set(uri, (producers = new Map()));
    producers.set(producer, diagnostics);
    await this.connection.sendDiagnostics({ uri, diagnostics: [...producers.values()].flat() });
  }

  async clear(uri: string): Promise<void> {
    this.byUri.delete(uri);
    await this.connection.sendDiagnostics({ uri, diagnostics: [] });
  }
}
