/**
 * The language server's wiring: connection, documents, and one registration per feature.
 * Feature logic lives in features/; this file only connects events to them.
 * Usable from any LSP editor: `bpf-language-server --stdio`.
 */
import { createConnection, ProposedFeatures, TextDocuments, TextDocumentSyncKind } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { VerifyParams, VerifyRequest } from '../../protocol/src/protocol';
import { SettingsStore } from './settings';
import { VerificationFeature } from './features/verification';
import { TargetProvider } from './targets';

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
const settings = new SettingsStore(connection);
const targets = new TargetProvider();
const verification = new VerificationFeature(connection, settings, targets);

connection.onInitialize((params) => {
  settings.setClientCapabilities(params.capabilities);
  return {
    capabilities: {
      textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
    },
    serverInfo: { name: 'bpf-language-server', version: '0.1.0' },
  };
});

connection.onInitialized(() => settings.registerForChanges());
connection.onDidChangeConfiguration(() => settings.invalidate());

documents.onDidOpen(({ document }) => verification.onOpen(document));
documents.onDidSave(({ document }) => verification.onSave(document));
documents.onDidClose(({ document }) => verification.onClose(document));
connection.onRequest(VerifyRequest, (params: VerifyParams) => verification.verifyNow(params.uri, documents.get(params.uri)));
connection.onShutdown(() => targets.dispose());

documents.listen(connection);
connection.listen();
