/**
 * Attach-point checks as you type (before any compile): SEC() targets that do not exist on the
 * target kernel, kprobes on non-traceable or blacklisted functions, kprobes on a kernel without
 * kprobes, fentry without BTF — with the quick fixes the core computes.
 */
import { CodeAction, CodeActionKind, CodeActionParams, Diagnostic, DiagnosticSeverity, TextDocuments } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { doValidate, getCodeActions, Severity } from '../../../core/src/language/index';
import type { CatalogProvider } from '../catalogs';
import type { DiagnosticsHub } from '../diagnostics-hub';
import { LanguageService, toRange } from '../language-service';

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

/** How long typing must pause before the attach points are checked again. */
const QUIET_MS = 150;

export class AttachPointFeature {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Documents checked at least once since they were opened. */
  private readonly checked = new Set<string>();

  constructor(
    private readonly documents: TextDocuments<TextDocument>,
    private readonly service: LanguageService,
    private readonly catalogs: CatalogProvider,
    private readonly hub: DiagnosticsHub,
  ) {
    // Documents opened before the catalog arrived are checked once it does.
    catalogs.onDidLoad(() => { for (const document of documents.all()) void this.validateNow(document); });
    documents.onDidClose(({ document }) => {
      clearTimeout(this.timers.get(document.uri));
      this.timers.delete(document.uri);
      this.checked.delete(document.uri);
    });
  }

  /**
   * Checks the document once typing pauses. A misspelled name costs a "did you mean" search
   * (up to tens of ms on names like `__x64_sys_...`), which must not delay the completion
   * request that follows each keystroke; the first check of a document runs at once.
   */
  async validate(document: TextDocument): Promise<void> {
    const uri = document.uri;
    const pending = this.timers.get(uri);
    if (pending) clearTimeout(pending);
    if (!this.checked.has(uri)) {
      this.checked.add(uri);
      await this.validateNow(document);
      return;
    }
    this.timers.set(uri, setTimeout(() => {
      this.timers.delete(uri);
      // Closed meanwhile: its diagnostics were cleared and must stay so.
      const current = this.documents.get(uri);
      if (current) void this.validateNow(current);
      else this.checked.delete(uri);
    }, QUIET_MS));
  }

  private async validateNow(document: TextDocument): Promise<void> {
    const catalog = this.catalogs.peek();
    if (!catalog) return;
    const origin = catalog.origin.source === 'snapshot' ? ` (from a bundled snapshot of ${catalog.origin.kernel}: no target reachable)` : '';
    const diagnostics: Diagnostic[] = doValidate(this.service.parse(document), catalog).map((diagnostic) => ({
      range: toRange(document, diagnostic.range),
      severity: SEVERITY[diagnostic.severity],
      source: 'bpfdev',
      code: diagnostic.code,
      message: `${diagnostic.message}${origin}`,
      ...(diagnostic.fix ? { data: { fix: diagnostic.fix } } : {}),
    }));
    await this.hub.set(document.uri, 'attach-points', diagnostics);
  }

  codeActions(params: CodeActionParams): CodeAction[] {
    const document = this.documents.get(params.textDocument.uri);
    const catalog = this.catalogs.peek();
    if (!document || !catalog) return [];
    const actions: CodeAction[] = [];
    // Fixes carried by our diagnostics ("did you mean …").
    for (const diagnostic of params.context.diagnostics) {
      const fix = (diagnostic.data as { fix?: { title: string; newText: string; range: { start: number; end: number } } } | undefined)?.fix;
      if (diagnostic.source !== 'bpfdev' || !fix) continue;
      actions.push({
        title: fix.title, kind: CodeActionKind.QuickFix, diagnostics: [diagnostic], isPreferred: true,
        edit: { changes: { [document.uri]: [{ range: toRange(document, fix.range), newText: fix.newText }] } },
      });
    }
    // Context actions at the cursor: insert the tracepoint ctx struct, write the BPF_PROG parameter list.
    const offset = document.offsetAt(params.range.start);
    for (const action of getCodeActions(this.service.parse(document), offset, catalog)) {
      actions.push({
        title: action.title,
        kind: action.kind === 'quickfix' ? CodeActionKind.QuickFix : CodeActionKind.RefactorRewrite,
        edit: { changes: { [document.uri]: action.edits.map((edit) => ({ range: toRange(document, edit), newText: edit.newText })) } },
      });
    }
    return actions;
  }
}
