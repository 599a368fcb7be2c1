/** Hover: an attach point's tracepoint format or kernel function prototype and tags; helper docs. */
import { Hover, HoverParams, TextDocuments } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { doHover } from '../../../core/src/language/index';
import type { CatalogProvider } from '../catalogs';
import { LanguageService, toRange } from '../language-service';

export class HoverFeature {
  constructor(
    private readonly documents: TextDocuments<TextDocument>,
    private readonly service: LanguageService,
    private readonly catalogs: CatalogProvider,
  ) {}

  async hover(params: HoverParams): Promise<Hover | null> {
    const document = this.documents.get(params.textDocument.uri);
    const catalog = this.catalogs.peek() ?? await this.catalogs.get();
    if (!document || !catalog) return null;
    const hover = doHover(this.service.parse(document), document.offsetAt(params.position), catalog);
    if (!hover) return null;
    // Facts from another machine's kernel must say so.
    const origin = catalog.origin.source === 'snapshot' ? `\n\n---\n_from a bundled snapshot of ${catalog.origin.kernel}: no target reachable_` : '';
    return { contents: { kind: 'markdown', value: hover.contents + origin }, range: toRange(document, hover.range) };
  }
}
