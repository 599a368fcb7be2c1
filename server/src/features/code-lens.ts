/**
 * A code lens above each program's SEC() after a verify: "✓ verified: 39 insns, stack 24 bytes"
 * with a "Run" lens next to it for programs the verifier accepted, the verdict for the others.
 * Positions come from the document's current text, so the lenses stay on their SEC() lines while
 * the user edits; the numbers are those of the last verify.
 */
import { ClientCapabilities, CodeLens, CodeLensParams, CodeLensRefreshRequest, Connection, TextDocuments } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { lineOfSection } from '../../../core/src/report/source-map';
import type { ReportProgram } from '../../../core/src/report/verify-report';
import type { VerificationFeature } from './verification';
import { ShowVerifierStateCommand } from '../../../protocol/src/protocol';

/** The client command that runs a file's programs on the target; argument: the document URI. */
export const RUN_COMMAND = 'bpfdev.run';
/** The client command that opens the verifier view; arguments: the document URI, the program name. */
export const SHOW_VERIFIER_STATE_COMMAND = ShowVerifierStateCommand;

export class CodeLensFeature {
  private canRefresh = false;

  constructor(
    private readonly connection: Connection,
    private readonly documents: TextDocuments<TextDocument>,
    private readonly verification: VerificationFeature,
  ) {
    // Editors ask for lenses when a document changes; a save that changes nothing needs a nudge.
    verification.onDidVerify(() => {
      if (this.canRefresh) this.connection.sendRequest(CodeLensRefreshRequest.type).catch(() => undefined);
    });
  }

  setClientCapabilities(capabilities: ClientCapabilities): void {
    this.canRefresh = !!capabilities.workspace?.codeLens?.refreshSupport;
  }

  codeLenses(params: CodeLensParams): CodeLens[] {
    const uri = params.textDocument.uri;
    const verified = this.verification.lastVerified(uri);
    const document = this.documents.get(uri);
    if (!verified || !document) return [];
    const text = document.getText();
    const lenses: CodeLens[] = [];
    for (const program of verified.report.programs) {
      const line = lineOfSection(text, program.section);
      if (line === undefined) continue;
      const range = { start: { line: line - 1, character: 0 }, end: { line: line - 1, character: 0 } };
      // An empty command id makes a lens plain text in VS Code: the stats are information, not a button.
      lenses.push({ range, command: { title: lensTitle(program), command: '' } });
      if (program.verdict === 'ok') lenses.push({ range, command: { title: 'Run', command: RUN_COMMAND, arguments: [uri] } });
      if (program.verdict === 'ok' || program.verdict === 'rejected') {
        lenses.push({ range, command: { title: 'Verifier state', command: SHOW_VERIFIER_STATE_COMMAND, arguments: [uri, program.name] } });
      }
    }
    return lenses;
  }
}

export function lensTitle(program: ReportProgram): string {
  switch (program.verdict) {
    case 'ok':
      return `✓ verified: ${program.insnsProcessed ?? '?'} insns, stack ${program.stackDepth ?? '?'} bytes`;
    case 'rejected':
      return `✗ rejected by the verifier${program.insnsProcessed !== null ? ` after ${program.insnsProcessed} insns` : ''}`;
    case 'unsupported':
      return '⚠ this kernel cannot load or attach this kind of program';
    case 'attach-target-missing':
      return '✗ attach target missing in this kernel';
    case 'not-loaded':
      return '✗ not loaded';
  }
}
