/**
 * The language server's wiring: connection, documents, and one registration per feature.
 * Feature logic lives in features/; this file only connects events to them.
 * Usable from any LSP editor: `bpf-language-server --stdio`.
 */
import { CodeActionKind, createConnection, ProposedFeatures, TextDocuments, TextDocumentSyncKind } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { DidChangeTargetNotification, DidChangeTargetParams, StatsRequest, StatsResult, VerifierViewParams, VerifierViewRequest, VerifyParams, VerifyRequest } from '../../protocol/src/protocol';
import { SettingsStore } from './settings';
import { TargetProvider } from './targets';
import { CatalogProvider } from './catalogs';
import { DiagnosticsHub } from './diagnostics-hub';
import { LanguageService } from './language-service';
import { LatencyRecorder } from './latency';
import { VerificationFeature } from './features/verification';
import { COMPLETION_TRIGGERS, CompletionFeature } from './features/completion';
import { HoverFeature } from './features/hover';
import { SignatureHelpFeature } from './features/signature-help';
import { AttachPointFeature } from './features/attach-points';
import { VerifierActionsFeature } from './features/verifier-actions';
import { CodeLensFeature } from './features/code-lens';
import { VerifierViewFeature } from './features/verifier-view';

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
const settings = new SettingsStore(connection);
const targets = new TargetProvider(connection);
const catalogs = new CatalogProvider(connection, targets);
const hub = new DiagnosticsHub(connection);
const service = new LanguageService();
const latency = new LatencyRecorder();
const verification = new VerificationFeature(connection, settings, targets, hub);
const completion = new CompletionFeature(documents, service, catalogs, latency);
const hover = new HoverFeature(documents, service, catalogs, settings);
const signatureHelp = new SignatureHelpFeature(documents, service, catalogs);
const attachPoints = new AttachPointFeature(documents, service, catalogs, hub);
const verifierActions = new VerifierActionsFeature(documents, verification);
const verifierView = new VerifierViewFeature(connection, settings, targets);
const codeLenses = new CodeLensFeature(connection, documents, verification);

connection.onInitialize((params) => {
  settings.setClientCapabilities(params.capabilities);
  codeLenses.setClientCapabilities(params.capabilities);
  // Start reading the target's catalogs now: the first completion should not pay for it.
  void catalogs.get();
  return {
    capabilities: {
      textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
      completionProvider: { triggerCharacters: COMPLETION_TRIGGERS, resolveProvider: true },
      hoverProvider: true,
      signatureHelpProvider: { triggerCharacters: ['(', ','] },
      codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, CodeActionKind.RefactorRewrite] },
      codeLensProvider: { resolveProvider: false },
    },
    serverInfo: { name: 'bpf-language-server', version: '0.1.0' },
  };
});

connection.onInitialized(() => settings.registerForChanges());
connection.onDidChangeConfiguration(() => settings.invalidate());

documents.onDidOpen(({ document }) => { verification.onOpen(document); void attachPoints.validate(document); });
documents.onDidChangeContent(({ document }) => void attachPoints.validate(document));
documents.onDidSave(({ document }) => verification.onSave(document));
documents.onDidClose(({ document }) => { verification.onClose(document); service.forget(document.uri); void hub.clear(document.uri); });

connection.onCompletion((params) => completion.complete(params));
connection.onCompletionResolve((item) => completion.resolve(item));
connection.onHover((params) => hover.hover(params));
connection.onSignatureHelp((params) => signatureHelp.signatureHelp(params));
connection.onCodeAction((params) => [...attachPoints.codeActions(params), ...verifierActions.codeActions(params)]);
connection.onCodeLens((params) => codeLenses.codeLenses(params));
connection.onRequest(VerifyRequest, (params: VerifyParams) => verification.verifyNow(params.uri, documents.get(params.uri)));
connection.onRequest(VerifierViewRequest, (params: VerifierViewParams) => verifierView.view(params));
connection.onRequest(StatsRequest, (): StatsResult => {
  const catalog = catalogs.peek();
  const memory = process.memoryUsage();
  return {
    latency: latency.summary(),
    rssBytes: memory.rss,
    heapUsedBytes: memory.heapUsed,
    ...(catalog ? { catalog: { target: catalog.origin.target, kernel: catalog.origin.kernel, source: catalog.origin.source, buildMs: catalog.origin.buildMs,
      tracepoints: catalog.tracepoints?.size ?? 0, kernelFunctions: catalog.kallsyms?.size ?? 0,
      capabilities: catalog.capabilities ?? {}, ...(catalog.libbpfVersion ? { libbpfVersion: catalog.libbpfVersion } : {}),
      ...(catalogs.btfLoadMs() !== undefined ? { btfLoadMs: catalogs.btfLoadMs() } : {}) } } : {}),
  };
});
connection.onNotification(DidChangeTargetNotification, (params: DidChangeTargetParams) => targets.select(params.name));
// Another kernel: other tracepoints, functions and verifier. Reload the catalog and re-verify what is open.
targets.onDidChange(() => {
  catalogs.reset();
  for (const document of documents.all()) verification.onOpen(document);
});
connection.onShutdown(() => targets.dispose());

documents.listen(connection);
connection.listen();
