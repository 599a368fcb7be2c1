/**
 * Starts the language server (dist/server.js, same bundle the `bpf-language-server` bin runs)
 * for BPF C files. They keep language id `c`, so clangd and the C/C++ extension still work on
 * them; we select them by file pattern instead.
 */
import * as vscode from 'vscode';
import { LanguageClient, LanguageClientOptions, ServerOptions, TransportKind } from 'vscode-languageclient/node';
import {
  VerifiedNotification, VerifiedParams, VerifierViewParams, VerifierViewRequest, VerifierViewResult, VerifyParams, VerifyRequest, VerifyResult,
} from '../../protocol/src/protocol';
import { bpfFilePatterns } from './config';
import type { Log } from './log';
import type { TargetManager } from './targets/target-manager';
import { bridgeTargetToServer } from './targets/server-bridge';
import { answerPasswordRequests } from './privilege-prompt';
import { DidChangeTargetNotification } from '../../protocol/src/protocol';

export interface BpfLanguageClient {
  verify(uri: vscode.Uri): Promise<VerifyResult>;
  verifierView(params: VerifierViewParams): Promise<VerifierViewResult>;
  onVerified(listener: (result: VerifiedParams) => void): vscode.Disposable;
}

export async function startLanguageClient(context: vscode.ExtensionContext, log: Log, targets: TargetManager): Promise<BpfLanguageClient> {
  const serverModule = context.asAbsolutePath('dist/server.js');
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc },
    debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6029'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: bpfFilePatterns().map((pattern) => ({ scheme: 'file', language: 'c', pattern })),
    synchronize: { configurationSection: 'bpfdev' },
    outputChannel: vscode.window.createOutputChannel('eBPF Language Server', { log: true }),
  };
  const client = new LanguageClient('bpfdev', 'eBPF Language Server', serverOptions, clientOptions);
  const verified = new vscode.EventEmitter<VerifiedParams>();
  context.subscriptions.push(verified, { dispose: () => void client.stop() });
  client.onNotification(VerifiedNotification, (params: VerifiedParams) => {
    log.info(`verified ${params.uri}: ${params.programs.map((p) => `${p.name}=${p.verdict}`).join(', ') || 'no programs'} in ${Math.round(params.durationMs)} ms`);
    verified.fire(params);
  });
  context.subscriptions.push(...bridgeTargetToServer(client, targets), answerPasswordRequests(client, targets.local));
  await client.start();
  // A host selected in an earlier session: the server verifies for it from the start.
  if (targets.remembered !== 'local') void client.sendNotification(DidChangeTargetNotification, { name: targets.remembered });
  return {
    verify: (uri) => client.sendRequest<VerifyResult>(VerifyRequest, { uri: uri.toString() } satisfies VerifyParams),
    verifierView: (params) => client.sendRequest<VerifierViewResult>(VerifierViewRequest, params),
    onVerified: (listener) => verified.event(listener),
  };
}
