/**
 * Hover: an attach point's tracepoint format or kernel function prototype and tags; helper
 * docs; on an `#include`, the file the compile reads and where its flags came from.
 */
import { Hover, HoverParams, TextDocuments } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { doHover, includeAt, includeHover } from '../../../core/src/language/index';
import { resolveInclude } from '../../../host/src/project-flags';
import type { CatalogProvider } from '../catalogs';
import { LanguageService, toRange } from '../language-service';
import type { SettingsStore } from '../settings';
import { URI } from './uri';

export class HoverFeature {
  constructor(
    private readonly documents: TextDocuments<TextDocument>,
    private readonly service: LanguageService,
    private readonly catalogs: CatalogProvider,
    private readonly settings: SettingsStore,
  ) {}

  async hover(params: HoverParams): Promise<Hover | null> {
    const document = this.documents.get(params.textDocument.uri);
    if (!document) return null;
    const offset = document.offsetAt(params.position);
    const include = document.uri.startsWith('file:') ? includeAt(document.getText(), offset) : undefined;
    if (include) {
      // Resolved as the compile of this file would resolve it: same clang, same flags resolver.
      const settings = await this.settings.get(document.uri);
      const resolution = await resolveInclude(URI.toFsPath(document.uri), include, { clang: settings.clangPath, extraFlags: settings.extraCflags });
      const hover = includeHover(include, resolution);
      return { contents: { kind: 'markdown', value: hover.contents }, range: toRange(document, hover.range) };
    }
    const catalog = this.catalogs.peek() ?? await this.catalogs.get();
    if (!catalog) return null;
    const hover = doHover(this.service.parse(document), offset, catalog);
    if (!hover) return null;
    // Facts from another machine's kernel must say so.
    const origin = catalog.origin.source === 'snapshot' ? `\n\n---\n_from a bundled snapshot of ${catalog.origin.kernel}: no target reachable_` : '';
    return { contents: { kind: 'markdown', value: hover.contents + origin }, range: toRange(document, hover.range) };
  }
}
