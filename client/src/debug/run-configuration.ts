/**
 * The `bpfdev` run configuration (launch.json, issue #11): F5 compiles the file and runs it on
 * the chosen host through RunManager, exactly as "Run on Target" does but with knobs, the
 * programs to attach, an interface and a duration; Shift+F5 stops that run, which detaches its
 * programs. There is nothing to step through, so the debug adapter is inline and speaks only
 * the few Debug Adapter Protocol requests a session without threads needs.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Log } from '../log';
import type { RunManager, RunOptions } from '../trace/run-manager';
import type { TargetManager } from '../targets/target-manager';
import { compileOptionsFor } from '../commands/run';

export const DEBUG_TYPE = 'bpfdev';

/** launch.json attributes, as declared in package.json `contributes.debuggers`. */
export interface BpfdevLaunchConfiguration extends vscode.DebugConfiguration {
  program: string;
  host?: string;
  knobs?: Record<string, string | number | boolean>;
  only?: string[];
  skip?: string[];
  /** Seconds; the run stops by itself after it. */
  duration?: number;
  iface?: string;
  /** Map name → record type name: wins over the type found in the object. */
  decodeAs?: Record<string, string>;
}

interface Request { seq: number; type: 'request'; command: string; arguments?: unknown }

class RunAdapter implements vscode.DebugAdapter {
  private readonly messages = new vscode.EventEmitter<vscode.DebugProtocolMessage>();
  readonly onDidSendMessage = this.messages.event;
  private seq = 1;
  private runId?: number;
  private ended = false;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly configuration: BpfdevLaunchConfiguration, private readonly runs: RunManager,
    private readonly targets: TargetManager, private readonly log: Log) {
    // The run can end without Shift+F5 (duration, host switch, loader exit): end the session then.
    this.subscription = runs.onDidChange(() => {
      if (this.runId !== undefined && !runs.list().some((run) => run.id === this.runId)) this.terminated();
    });
  }

  handleMessage(message: vscode.DebugProtocolMessage): void {
    const request = message as Request;
    if (request.type !== 'request') return;
    switch (request.command) {
      case 'initialize':
        this.respond(request, { supportsConfigurationDoneRequest: true, supportsTerminateRequest: true });
        this.event('initialized');
        return;
      case 'launch': void this.launch(request); return;
      case 'configurationDone': this.respond(request); return;
      case 'threads': this.respond(request, { threads: [] }); return;
      case 'disconnect': case 'terminate': void this.stop(request); return;
      default: this.respond(request, undefined, `${request.command} is not supported: a bpfdev run has nothing to step through`);
    }
  }

  private async launch(request: Request): Promise<void> {
    const config = this.configuration;
    const file = config.program;
    try {
      if (config.host && config.host !== this.targets.current.name) await this.targets.select(config.host);
      const summary = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `eBPF: running ${path.basename(file)}` },
        (progress) => this.runs.start(file, compileOptionsFor(vscode.Uri.file(file)), (message) => progress.report({ message }), runOptions(config)),
      );
      this.runId = summary.runId;
      this.output(`${path.basename(file)} on ${summary.target}: ${summary.attached.map((program) => program.name).join(', ')} attached` +
        (summary.failed.length ? `; not attached: ${summary.failed.map((failed) => `${failed.name} (${failed.reason})`).join(', ')}` : '') +
        (config.duration ? `; stops after ${config.duration} s` : '; Shift+F5 stops it and detaches its programs') + '\n');
      this.respond(request);
    } catch (error) {
      const hint = (error as { hint?: string }).hint;
      this.log.error(`run configuration "${config.name}" failed: ${(error as Error).message}`);
      this.respond(request, undefined, `${(error as Error).message}${hint ? ` (${hint})` : ''}`);
      this.terminated();
    }
  }

  private async stop(request: Request): Promise<void> {
    if (this.runId !== undefined) await this.runs.stopRun(this.runId);
    this.respond(request);
    this.terminated();
  }

  private terminated(): void {
    if (this.ended) return;
    this.ended = true;
    this.event('terminated');
  }

  private output(text: string): void {
    this.event('output', { category: 'console', output: text });
  }

  private respond(request: Request, body?: unknown, error?: string): void {
    this.messages.fire({
      seq: this.seq++, type: 'response', request_seq: request.seq, command: request.command, success: !error,
      ...(error ? { message: error, body: { error: { id: 1, format: error, showUser: true } } } : body ? { body } : {}),
    } as vscode.DebugProtocolMessage);
  }

  private event(event: string, body?: unknown): void {
    this.messages.fire({ seq: this.seq++, type: 'event', event, ...(body ? { body } : {}) } as vscode.DebugProtocolMessage);
  }

  dispose(): void {
    // The session went away without a disconnect (window closing): its programs must not stay.
    if (!this.ended && this.runId !== undefined) void this.runs.stopRun(this.runId);
    this.subscription.dispose();
    this.messages.dispose();
  }
}

/** launch.json values → RunManager options; knob values go to the loader as text, checked there against BTF. */
export function runOptions(config: BpfdevLaunchConfiguration): RunOptions {
  return {
    ...(config.knobs ? { knobs: Object.fromEntries(Object.entries(config.knobs).map(([name, value]) => [name, String(value)])) } : {}),
    ...(config.only?.length ? { only: config.only } : {}),
    ...(config.skip?.length ? { skip: config.skip } : {}),
    ...(config.iface ? { iface: config.iface } : {}),
    ...(config.duration ? { durationSeconds: config.duration } : {}),
    ...(config.decodeAs ? { decodeAs: config.decodeAs } : {}),
  };
}

/** Fills what F5 without a launch.json, or a configuration missing `program`, leaves out. */
class ConfigurationProvider implements vscode.DebugConfigurationProvider {
  resolveDebugConfiguration(_folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): vscode.DebugConfiguration | undefined {
    if (!config.type && !config.request && !config.name) {
      const document = vscode.window.activeTextEditor?.document;
      if (!document?.fileName.endsWith('.bpf.c')) return config;
      return { type: DEBUG_TYPE, request: 'launch', name: `Run ${path.basename(document.fileName)}`, program: document.fileName };
    }
    if (!config.program) {
      const document = vscode.window.activeTextEditor?.document;
      if (!document) {
        void vscode.window.showErrorMessage('eBPF: the run configuration needs "program": the .bpf.c file to run.');
        return undefined;
      }
      config.program = document.fileName;
    }
    return config;
  }
}

export function registerRunConfiguration(context: vscode.ExtensionContext, runs: RunManager, targets: TargetManager, log: Log): void {
  context.subscriptions.push(
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, new ConfigurationProvider()),
    vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, {
      createDebugAdapterDescriptor: (session) =>
        new vscode.DebugAdapterInlineImplementation(new RunAdapter(session.configuration as BpfdevLaunchConfiguration, runs, targets, log)),
    }),
  );
}
