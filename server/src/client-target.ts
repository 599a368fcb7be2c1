/**
 * A Target whose operations the client performs (it owns the SSH session to the host the user
 * selected). Only what the server needs is bridged: exec, readFile, upload, loaderPath.
 */
import { Connection, ResponseError } from 'vscode-languageserver/node';
import {
  TargetErrorData, TargetExecParams, TargetExecRequest, TargetExecResult, TargetInfoRequest, TargetInfoResult,
  TargetLoaderPathRequest, TargetLoaderPathResult, TargetReadFileParams, TargetReadFileRequest, TargetReadFileResult,
  TargetUploadParams, TargetUploadRequest, TargetUploadResult,
} from '../../protocol/src/protocol';
import type { ExecOptions, ExecResult, Target, TargetProcess } from '../../host/src/target';
import { TargetError } from '../../host/src/target';

export class ClientTarget implements Target {
  private info?: Promise<TargetInfoResult>;

  constructor(readonly name: string, private readonly connection: Connection) {}

  async exec(argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
    const params: TargetExecParams = {
      argv,
      ...(options.privileged ? { privileged: true } : {}),
      ...(options.input ? { inputBase64: Buffer.from(options.input).toString('base64') } : {}),
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    };
    const result = await this.request<TargetExecResult>(TargetExecRequest, params);
    return { code: result.code, signal: result.signal as NodeJS.Signals | null, stdout: Buffer.from(result.stdoutBase64, 'base64'), stderr: result.stderr };
  }

  spawn(): TargetProcess {
    // Runs belong to the client (it shows their trace); the server only verifies.
    throw new TargetError('the language server does not run programs on remote targets', 'UNSUPPORTED');
  }

  async readFile(path: string): Promise<Buffer> {
    const result = await this.request<TargetReadFileResult>(TargetReadFileRequest, { path } satisfies TargetReadFileParams);
    return Buffer.from(result.base64, 'base64');
  }

  async upload(localPath: string): Promise<string> {
    return (await this.request<TargetUploadResult>(TargetUploadRequest, { localPath } satisfies TargetUploadParams)).path;
  }

  async loaderPath(): Promise<string> {
    return (await this.request<TargetLoaderPathResult>(TargetLoaderPathRequest, {})).path;
  }

  async arch(): Promise<string> {
    return (await this.identity()).arch;
  }

  async kernelRelease(): Promise<string> {
    return (await this.identity()).release;
  }

  async dispose(): Promise<void> {
    // The client owns the connection.
  }

  private identity(): Promise<TargetInfoResult> {
    this.info ??= this.request<TargetInfoResult>(TargetInfoRequest, {});
    this.info.catch(() => { this.info = undefined; });
    return this.info;
  }

  private async request<R>(method: string, params: object): Promise<R> {
    try {
      return await this.connection.sendRequest<R>(method, params);
    } catch (error) {
      const data = (error as ResponseError<TargetErrorData>).data;
      throw new TargetError((error as Error).message, data?.code ?? 'CLIENT', data?.hint);
    }
  }
}
