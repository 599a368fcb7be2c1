/**
 * Completion: SEC() attach points from the target kernel, ctx fields, helpers, BTF members.
 * Lists go out lean (label, kind, short detail, edit); documentation, prototypes and the
 * program-signature edit come with `completionItem/resolve`, for the one item the user looks at.
 */
import { CompletionItem, CompletionItemKind, CompletionItemTag, CompletionList, CompletionParams, InsertTextFormat, TextDocuments } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import {
  doComplete, resolveCompletionItem, CompletionData, CompletionItem as CoreItem, CompletionKind,
} from '../../../core/src/language/index';
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

/** What a deferred item carries to the client and back: enough to find its document and redo the core's resolve. */
interface ResolveData {
  uri: string;
  version: number;
  rangeStart: number;
  rangeEnd: number;
  core: CompletionData;
}

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
    const result = doComplete(this.service.parse(document), document.offsetAt(params.position), catalog, { eagerResolve: 0 });
    const list: CompletionList = {
      // Kernel function lists are capped: ask again as the prefix grows so the exact name is always reachable.
      isIncomplete: result.isIncomplete,
      items: result.items.map((item) => toLspItem(document, item)),
    };
    this.latency.record('completion', performance.now() - started);
    return list;
  }

  resolve(item: CompletionItem): CompletionItem {
    const data = item.data as ResolveData | undefined;
    const document = data ? this.documents.get(data.uri) : undefined;
    const catalog = this.catalogs.peek();
    if (!data?.core || !document || !catalog) return item;
    const started = performance.now();
    const core: CoreItem = {
      label: item.label, kind: 'function', insertText: item.label, sortText: item.sortText ?? '',
      range: { start: data.rangeStart, end: data.rangeEnd }, data: data.core,
    };
    const resolved = resolveCompletionItem(this.service.parse(document), core, catalog);
    const result: CompletionItem = { ...item };
    delete result.data;
    if (resolved.detail) result.detail = resolved.detail;
    if (resolved.documentation) result.documentation = { kind: 'markdown', value: resolved.documentation };
    // An edit computed on another version of the document would land in the wrong place.
    if (resolved.additionalTextEdits?.length && document.version === data.version) {
      result.additionalTextEdits = resolved.additionalTextEdits.map((edit) => ({ range: toRange(document, edit), newText: edit.newText }));
    }
    this.latency.record('resolve', performance.now() - started);
    return result;
  }
}

function toLspItem(document: TextDocument, item: CoreItem): CompletionItem {
  const result: CompletionItem = {
    label: item.label,
    kind: KIND[item.kind],
    sortText: item.sortText,
    textEdit: { range: toRange(document, item.range), newText: item.insertText },
    insertTextFormat: InsertTextFormat.PlainText,
  };
  if (item.detail) result.detail = item.detail;
  if (item.documentation) result.documentation = { kind: 'markdown', value: item.documentation };
  if (item.filterText) result.filterText = item.filterText;
  if (item.additionalTextEdits?.length) {
    result.additionalTextEdits = item.additionalTextEdits.map((edit) => ({ range: toRange(document, edit), newText: edit.newText }));
  }
  if (item.deprecated) result.tags = [CompletionItemTag.Deprecated];
  if (item.retrigger) result.command = { title: 'more', command: 'editor.action.triggerSuggest' };
  if (item.data) {
    const data: ResolveData = { uri: document.uri, version: document.version, rangeStart: item.range.start, rangeEnd: item.range.end, core: item.data };
    result.data = data;
  }
  return result;
}
