/** Completion: SEC() attach points from the target kernel, ctx fields, helpers, BTF members. */
import { CompletionItemKind, CompletionList, CompletionParams, InsertTextFormat, TextDocuments } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { doComplete, CompletionKind } from '../../../core/src/language/index';
import type { CatalogProvider } from '../catalogs';
import { LanguageService, toRange } from '../language-service';
import type { LatencyRecorder } from '../latency';

const KIND: Record<CompletionKind, CompletionItemKind> = {
  module: CompletionItemKind.Module,
  folder: CompletionItemKind.Folder,
  file: CompletionItemKind.File,
  event: CompletionItemKind.Event,
  function: CompletionItemKind.Function,
  field: CompletionItemKind.Field,
  keyword: CompletionItemKind.Keyword,
  constant: CompletionItemKind.Constant,
  struct: CompletionItemKind.Struct,
};

export const COMPLETION_TRIGGERS = ['"', '/', ':', '>', '.', '_'];

export class CompletionFeature {
  constructor(
    private readonly documents: TextDocuments<TextDocument>,
    private readonly service: LanguageService,
    private readonly catalogs: CatalogProvider,
    private readonly latency: LatencyRecorder,
  ) {}

  async complete(params: CompletionParams): Promise<CompletionList> {
    const document = this.documents.get(params.textDocument.uri);
    if (!document) return { isIncomplete: false, items: [] };
    // Waiting for the first catalog load is better than an empty list the user must re-trigger.
    const catalog = this.catalogs.peek() ?? await this.catalogs.get() ?? {};
    const started = performance.now();
    const result = doComplete(this.service.parse(document), document.offsetAt(params.position), catalog);
    const list: CompletionList = {
      // Kernel function lists are capped: ask again as the prefix grows so the exact name is always reachable.
      isIncomplete: result.isIncomplete,
      items: result.items.map((item) => ({
        label: item.label,
        kind: KIND[item.kind],
        ...(item.detail ? { detail: item.detail } : {}),
        ...(item.documentation ? { documentation: { kind: 'markdown' as const, value: item.documentation } } : {}),
        sortText: item.sortText,
        ...(item.filterText ? { filterText: item.filterText } : {}),
        textEdit: { range: toRange(document, item.range), newText: item.insertText },
        insertTextFormat: InsertTextFormat.PlainText,
        ...(item.additionalTextEdits?.length
          ? { additionalTextEdits: item.additionalTextEdits.map((edit) => ({ range: toRange(document, edit), newText: edit.newText })) }
          : {}),
        ...(item.retrigger ? { command: { title: 'more', command: 'editor.action.triggerSuggest' } } : {}),
      })),
    };
    this.latency.record('completion', performance.now() - started);
    return list;
  }
}
