/**
 * Code actions offered on a program: declare the tracepoint's record struct (and type `ctx` with
 * it), or rewrite the parameter list from the attach target's BTF prototype.
 */
import { tracepointCtxStruct } from '../tracefs/ctx-struct';
import { KernelCatalog } from './catalog';
import { TextEdit } from './completion';
import { BpfDocument, SectionUse, parseBpfDocument } from './document';
import { programSignatureFor } from './signature';

export interface CodeAction {
  title: string;
  kind: 'quickfix' | 'refactor.rewrite';
  edits: TextEdit[];
}

export function getCodeActions(text: string | BpfDocument, offset: number, catalog: KernelCatalog): CodeAction[] {
  const document = typeof text === 'string' ? parseBpfDocument(text) : text;
  const use = document.sections.find((candidate) => touches(candidate, offset));
  if (!use) return [];
  const actions: CodeAction[] = [];
  const ctxAction = insertCtxStruct(document, use, catalog);
  if (ctxAction) actions.push(ctxAction);
  const program = use.program;
  if (program) {
    const signature = programSignatureFor(use.text, catalog, program.name);
    const current = document.text.slice(program.signatureStart, program.signatureEnd);
    if (signature && signature !== current) {
      actions.push({
        title: `Declare ${program.name} as ${signature.slice(0, signature.indexOf('('))} with the target's arguments`,
        kind: 'refactor.rewrite',
        edits: [{ start: program.signatureStart, end: program.signatureEnd, newText: signature }],
      });
    }
  }
  return actions;
}

/** From the SEC macro to the end of the program's body (or signature, for a bare declaration). */
function touches(use: SectionUse, offset: number): boolean {
  const end = use.program?.bodyEnd ?? use.program?.signatureEnd ?? use.contentEnd;
  return offset >= use.macroStart && offset <= end + 1;
}

function insertCtxStruct(document: BpfDocument, use: SectionUse, catalog: KernelCatalog): CodeAction | undefined {
  const parsed = use.parsed;
  const category = parsed.target?.category?.text;
  const event = parsed.target?.event?.text;
  if (parsed.def?.target !== 'tracepoint' || !category || !event) return undefined;
  const format = catalog.tracepoints?.get(category, event)?.format;
  if (!format) return undefined;
  const structName = `${event.replace(/\W/g, '_')}_ctx`;
  const edits: TextEdit[] = [];
  if (!new RegExp(`\\bstruct\\s+${structName}\\s*\\{`).test(document.text)) {
    const lineStart = document.text.lastIndexOf('\n', use.macroStart - 1) + 1;
    edits.push({ start: lineStart, end: lineStart, newText: `${tracepointCtxStruct(format, { structName, category })}\n\n` });
  }
  const first = use.program?.params[0];
  const typed = `struct ${structName} *`;
  if (first && first.type !== typed) {
    edits.push({ start: first.start, end: first.end, newText: `${typed}${first.name}` });
  }
  if (edits.length === 0) return undefined;
  return { title: `Declare struct ${structName} (${category}:${event} record layout)`, kind: 'quickfix', edits };
}
