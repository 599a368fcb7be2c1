/**
 * Facade over the pure language service (core/src/language): keeps one parsed BpfDocument per
 * document version and converts between LSP positions and the service's offsets.
 */
import { TextDocument } from 'vscode-languageserver-textdocument';
import { BpfDocument, parseBpfDocument } from '../../core/src/language/index';

export class LanguageService {
  private readonly parsed = new Map<string, { version: number; document: BpfDocument }>();

  parse(document: TextDocument): BpfDocument {
    const cached = this.parsed.get(document.uri);
    if (cached && cached.version === document.version) return cached.document;
    const parsed = parseBpfDocument(document.getText());
    this.parsed.set(document.uri, { version: document.version, document: parsed });
    return parsed;
  }

  forget(uri: string): void {
    this.parsed.delete(uri);
  }
}

export function toRange(document: TextDocument, range: { start: number; end: number }) {
  return { start: document.positionAt(range.start), end: document.positionAt(range.end) };
}
