/**
 * Verification on open/save/request: compile for the target, load in its verifier, publish
 * clang and verifier problems as diagnostics at their source lines. One run per document at a
 * time; saves that arrive during a run coalesce into one re-run with the newest text on disk.
 * The last report per document (and the text it was made from) is kept for the quick fixes
 * (verifier-actions.ts) and the code lenses (code-lens.ts).
 */
import * as fs from 'node:fs/promises';
import { Connection, Diagnostic, DiagnosticSeverity, DiagnosticTag } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { URI } from './uri';
import { VerifiedNotification, VerifyResult } from '../../../protocol/src/protocol';
import type { ReportDiagnostic, VerifyReport } from '../../../core/src/report/verify-report';
import { verifyFile } from '../../../host/src/verify';
import { retireWarmClang } from '../../../host/src/pch';
import { SettingsStore } from '../settings';
import { TargetProvider } from '../targets';
import type { DiagnosticsHub } from '../diagnostics-hub';

interface DocumentState {
  running?: Promise<VerifyResult>;
  rerunRequested: boolean;
}

export interface VerifiedDocument {
  report: VerifyReport;
  /** The file's text the report was made from: quick fixes apply only to that text. */
  sourceText: string;
}

export class VerificationFeature {
  private readonly states = new Map<string, DocumentState>();
  private readonly verified = new Map<string, VerifiedDocument>();
  private readonly listeners: ((uri: string) => void)[] = [];

  constructor(
    private readonly connection: Connection,
    private readonly settings: SettingsStore,
    private readonly targets: TargetProvider,
    private readonly hub: DiagnosticsHub,
  ) {}

  onOpen(document: TextDocument): void {
    void this.verifyIfEnabled(document);
  }

  onSave(document: TextDocument): void {
    void this.verifyIfEnabled(document);
  }

  onClose(document: TextDocument): void {
    this.states.delete(document.uri);
    this.verified.delete(document.uri);
    retireWarmClang(URI.toFsPath(document.uri));
  }

  /** The last completed verification of a document, if it produced a report. */
  lastVerified(uri: string): VerifiedDocument | undefined {
    return this.verified.get(uri);
  }

  /** Called after each verification that produced a report. */
  onDidVerify(listener: (uri: string) => void): void {
    this.listeners.push(listener);
  }

  verifyNow(uri: string, _document: TextDocument | undefined): Promise<VerifyResult> {
    return this.schedule(uri);
  }

  private async verifyIfEnabled(document: TextDocument): Promise<void> {
    const settings = await this.settings.get(document.uri);
    if (settings.verifyOnSave) await this.schedule(document.uri);
  }

  private schedule(uri: string): Promise<VerifyResult> {
    let state = this.states.get(uri);
    if (!state) this.states.set(uri, (state = { rerunRequested: false }));
    if (state.running) {
      state.rerunRequested = true;
      const current = state;
      // The caller wants the result that reflects its save: the re-run after the current one.
      return state.running.then(() => current.running ?? this.schedule(uri));
    }
    const run = async (): Promise<VerifyResult> => {
      let result: VerifyResult;
      do {
        state!.rerunRequested = false;
        result = await this.verify(uri);
      } while (state!.rerunRequested);
      return result;
    };
    state.running = run().finally(() => { state!.running = undefined; });
    return state.running;
  }

  private async verify(uri: string): Promise<VerifyResult> {
    const started = performance.now();
    const file = URI.toFsPath(uri);
    const settings = await this.settings.get(uri);
    let result: VerifyResult;
    try {
      const sourceText = await fs.readFile(file, 'utf8');
      const report = await verifyFile(file, this.targets.current(), {
        clang: settings.clangPath, extraFlags: settings.extraCflags, sourceText, keepWarm: true,
        // Only big outputs report progress: a long verifier log is worth a line in the server log.
        onLoaderOutput: (progress) => this.connection.console.info(progress.phase === 'parsing'
          ? `verify ${file}: parsing ${(progress.bytes / 1e6).toFixed(1)} MB of loader output off the main thread`
          : `verify ${file}: loader output parsed in ${progress.ms?.toFixed(0)} ms`),
      });
      const diagnostics = toLspDiagnostics(report, file);
      // A document closed meanwhile has no state left: keep nothing for it.
      if (this.states.has(uri)) this.verified.set(uri, { report, sourceText });
      await this.hub.set(uri, 'verifier', diagnostics);
      for (const listener of this.listeners) listener(uri);
      result = {
        uri,
        compiled: report.compiled,
        programs: report.programs.map((program) => ({
          name: program.name, section: program.section, verdict: program.verdict,
          insnsProcessed: program.insnsProcessed, stackDepth: program.stackDepth,
          ...(program.line ? { line: program.line - 1 } : {}),
        })),
        diagnosticCount: diagnostics.length,
        durationMs: performance.now() - started,
      };
    } catch (error) {
      // The pipeline itself could not run (no clang, no BTF, loader missing): say what to do,
      // once, at the top of the file, instead of failing silently.
      const hint = (error as { hint?: string }).hint;
      const message = `eBPF verification could not run: ${(error as Error).message}${hint ? ` — ${hint}` : ''}`;
      this.connection.console.error(message);
      await this.hub.set(uri, 'verifier',
        [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, severity: DiagnosticSeverity.Warning, source: 'bpfdev', message }]);
      result = { uri, compiled: false, programs: [], diagnosticCount: 1, durationMs: performance.now() - started, error: message };
    }
    await this.connection.sendNotification(VerifiedNotification, result);
    return result;
  }
}

const SEVERITY: Record<ReportDiagnostic['severity'], DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

export function toLspDiagnostics(report: VerifyReport, file: string): Diagnostic[] {
  return report.diagnostics.map((diagnostic) => {
    const inThisFile = diagnostic.file === file;
    // Problems in headers are shown at the top of the file, naming where they are.
    const line = inThisFile ? diagnostic.line - 1 : 0;
    const column = inThisFile ? diagnostic.column - 1 : 0;
    const endLine = inThisFile ? (diagnostic.endLine ?? diagnostic.line) - 1 : 0;
    const endColumn = inThisFile ? (diagnostic.endColumn ? diagnostic.endColumn - 1 : column + 1) : 0;
    const lsp: Diagnostic = {
      range: { start: { line, character: column }, end: { line: endLine, character: endColumn } },
      severity: SEVERITY[diagnostic.severity],
      source: diagnostic.source,
      code: diagnostic.kind,
      message: (inThisFile ? diagnostic.message : `${diagnostic.file}:${diagnostic.line}:${diagnostic.column}: ${diagnostic.message}`) +
        (diagnostic.explanation ? `\n\n${diagnostic.explanation}` : ''),
    };
    if (diagnostic.docsLink) lsp.codeDescription = { href: diagnostic.docsLink };
    if (diagnostic.unnecessary) lsp.tags = [DiagnosticTag.Unnecessary];
    if (diagnostic.related?.length) {
      lsp.relatedInformation = diagnostic.related.map((related) => ({
        location: {
          uri: URI.fromFsPath(file),
          range: { start: { line: related.line - 1, character: 0 }, end: { line: related.line - 1, character: 0 } },
        },
        message: related.message,
      }));
    }
    if (diagnostic.data !== undefined) lsp.data = diagnostic.data;
    return lsp;
  });
}
