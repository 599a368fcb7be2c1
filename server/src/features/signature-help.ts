/** Signature help for BPF helper calls. */
import { SignatureHelp, SignatureHelpParams, TextDocuments } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { helperSignatureHelp } from '../../../core/src/language/index';
import type { CatalogProvider } from '../catalogs';
import { LanguageService } from '../language-service';

export class SignatureHelpFeature {
  constructor(
    private readonly documents: TextDocuments<TextDocument>,
    private readonly service: LanguageService,
    private readonly catalogs: CatalogProvider,
  ) {}

  async signatureHelp(params: SignatureHelpParams): Promise<SignatureHelp | null> {
    const document = this.documents.get(params.textDocument.uri);
    const catalog = this.catalogs.peek() ?? await this.catalogs.get() ?? {};
    if (!document) return null;
    const help = helperSignatureHelp(this.service.parse(document), document.offsetAt(params.position), catalog);
    if (!help) return null;
    return {
      signatures: [{ label: help.label, documentation: { kind: 'markdown', value: help.documentation }, parameters: help.parameters }],
      activeSignature: 0,
      activeParameter: help.activeParameter,
    };
  }
}
