/**
 * The editor's one question for elevation (issue #9): when sudo wants a password to load BPF
 * programs on this machine, a password box asks for it once. The answer starts the language
 * server's privileged session (it asked, protocol.ts PrivilegePasswordRequest) and this
 * window's own, for runs, then is dropped: never stored, never logged.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { PrivilegePasswordParams, PrivilegePasswordRequest, PrivilegePasswordResult } from '../../protocol/src/protocol';
import type { LocalTarget } from '../../host/src/local-target';

let asking: Thenable<string | undefined> | undefined;

/** Concurrent askers (the server verifying, a run starting) share one box. */
export function askSudoPassword(request: { user: string; host: string }): Promise<string | undefined> {
  asking ??= vscode.window.showInputBox({
    title: 'eBPF: loading BPF programs needs root',
    prompt: `sudo password for ${request.user} on ${request.host}: asked once for this window (\`bpfdev setup\` removes the need)`,
    password: true,
    ignoreFocusOut: true,
  });
  const pending = asking;
  return Promise.resolve(pending).finally(() => { if (asking === pending) asking = undefined; });
}

export function answerPasswordRequests(client: LanguageClient, local: LocalTarget): vscode.Disposable {
  return client.onRequest(PrivilegePasswordRequest, async (params: PrivilegePasswordParams): Promise<PrivilegePasswordResult> => {
    const password = await askSudoPassword(params);
    if (password === undefined) return {};
    // This window's runs elevate with the same answer instead of asking a second time.
    void local.usePassword(password);
    return { password };
  });
}
