/**
 * Quick fixes for verifier problems (issue #4): the report puts what the fix needs in each
 * diagnostic's `data` (core/src/report/verify-report.ts), core/src/verifier/fixes.ts computes the
 * edit, and this module turns it into an LSP code action. Fixes are offered only while the
 * document still has the text that was verified: line numbers from the log would point at the
 * wrong code after an edit, and the next save re-verifies anyway.
 */
import { CodeAction, CodeActionKind, CodeActionParams, Diagnostic, TextDocuments } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { QuickFix } from '../../../core/src/verifier/explain';
import { computeAttachTargetEdits, computeFixEdits, FixEdits } from '../../../core/src/verifier/fixes';
import type { VerificationFeature } from './verification';
import { SHOW_VERIFIER_STATE_COMMAND } from './code-lens';

interface DiagnosticData {
  program?: string;
  section?: string;
  kind?: string;
  fix?: QuickFix;
  suggestions?: string[];
}

export class VerifierActionsFeature {
  constructor(
    private readonly documents: TextDocuments<TextDocument>,
    private readonly verification: VerificationFeature,
  ) {}

  codeActions(params: CodeActionParams): CodeAction[] {
    const uri = params.textDocument.uri;
    const document = this.documents.get(uri);
    const verified = this.verification.lastVerified(uri);
    if (!document || !verified) return [];
    const text = document.getText();
    if (text !== verified.sourceText) return [];
    const actions: CodeAction[] = [];
    for (const diagnostic of params.context.diagnostics) {
      if (diagnostic.source !== 'verifier' && diagnostic.source !== 'attach') continue;
      const program = (diagnostic.data as DiagnosticData | undefined)?.program;
      if (diagnostic.source === 'verifier' && program) {
        // Not an edit: opens the step-through view of the log that led to this diagnostic.
        actions.push({ title: 'Show verifier state', kind: CodeActionKind.QuickFix, diagnostics: [diagnostic], command: { title: 'Show verifier state', command: SHOW_VERIFIER_STATE_COMMAND, arguments: [uri, program] } });
      }
      for (const fix of fixesFor(text, diagnostic)) {
        actions.push({
          title: fix.title, kind: CodeActionKind.QuickFix, diagnostics: [diagnostic], isPreferred: fix.preferred,
          edit: { changes: { [uri]: fix.edits } },
        });
      }
    }
    return actions;
  }
}

function fixesFor(text: string, diagnostic: Diagnostic): FixEdits[] {
  const data = (diagnostic.data ?? {}) as DiagnosticData;
  if (data.kind === 'attach-target-missing' && data.section) {
    const section = data.section;
    return (data.suggestions ?? []).map((name) => computeAttachTargetEdits(text, section, name)).filter((fix): fix is FixEdits => fix !== undefined);
  }
  if (!data.fix) return [];
  const fix = computeFixEdits(text, data.fix, {
    line: diagnostic.range.start.line + 1,
    ...(data.section ? { section: data.section } : {}),
    ...(data.program ? { program: data.program } : {}),
  });
  return fix ? [fix] : [];
}
