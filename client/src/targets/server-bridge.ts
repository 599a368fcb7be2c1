/**
 * Answers the language server's target requests (protocol.ts, "the target bridge") with the
 * selected remote target, and tells the server when the selection changes.
 */
import * as vscode from 'vscode';
import { LanguageClient, ResponseError } from 'vscode-languageclient/node';
import {
  DidChangeTargetNotification, TargetErrorData, TargetExecParams, TargetExecRequest, TargetExecResult, TargetInfoRequest,
  TargetInfoResult, TargetLoaderPathRequest, TargetLoaderPathResult, TargetReadFileParams, TargetReadFileRequest,
  TargetReadFileResult, TargetUploadParams, TargetUploadRequest, TargetUploadResult,
} from '../../../protocol/src/protocol';
import type { TargetManager } from './target-manager';

export function bridgeTargetToServer(client: LanguageClient, targets: TargetManager): vscode.Disposable[] {
  const guarded = <P, R>(handler: (params: P) => Promise<R>) => async (params: P): Promise<R | ResponseError<TargetErrorData>> => {
    try {
      return await handler(params);
    } catch (error) {
      const { code = 'CLIENT', hint } = error as { code?: string; hint?: string };
      return new ResponseError<TargetErrorData>(-32001, (error as Error).message, { code, ...(hint ? { hint } : {}) });
    }
  };
  const target = () => targets.ready();
  return [
    client.onRequest(TargetInfoRequest, guarded(async (): Promise<TargetInfoResult> => {
      const t = await target();
      return { name: t.name, arch: await t.arch(), release: await t.kernelRelease() };
    })),
    client.onRequest(TargetExecRequest, guarded(async (params: TargetExecParams): Promise<TargetExecResult> => {
      const result = await (await target()).exec(params.argv, {
        ...(params.privileged ? { privileged: true } : {}),
        ...(params.inputBase64 ? { input: Buffer.from(params.inputBase64, 'base64') } : {}),
        ...(params.timeoutMs ? { timeoutMs: params.timeoutMs } : {}),
      });
      return { code: result.code, signal: result.signal, stdoutBase64: result.stdout.toString('base64'), stderr: result.stderr };
    })),
    client.onRequest(TargetReadFileRequest, guarded(async (params: TargetReadFileParams): Promise<TargetReadFileResult> =>
      ({ base64: (await (await target()).readFile(params.path)).toString('base64') }))),
    client.onRequest(TargetUploadRequest, guarded(async (params: TargetUploadParams): Promise<TargetUploadResult> =>
      ({ path: await (await target()).upload(params.localPath) }))),
    client.onRequest(TargetLoaderPathRequest, guarded(async (): Promise<TargetLoaderPathResult> =>
      ({ path: await (await target()).loaderPath() }))),
    targets.onDidChange((t) => { void client.sendNotification(DidChangeTargetNotification, { name: t.name }); }),
  ];
}
