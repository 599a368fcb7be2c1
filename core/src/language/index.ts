/**
 * The pure BPF language service: text + offset + kernel catalog in, plain data out. The server
 * parses a document once per version with `parseBpfDocument` and passes the result to each call.
 */
export { parseBpfDocument, tokenize } from './document';
export type { BpfDocument, ProgramDeclaration, ProgramParameter, SectionUse, Token } from './document';
export { doComplete, resolveCompletionItem } from './completion';
export type { CompletionData, CompletionItem, CompletionKind, CompletionList, CompletionOptions, TextEdit } from './completion';
export { doHover } from './hover';
export type { Hover } from './hover';
export { includeAt, includeHover } from './include-hover';
export type { IncludeDirective, IncludeResolution } from './include-hover';
export { doValidate } from './diagnostics';
export type { Diagnostic, DiagnosticFix, Severity } from './diagnostics';
export { getCodeActions } from './code-actions';
export type { CodeAction } from './code-actions';
export { helperSignatureHelp, programSignatureFor } from './signature';
export type { SignatureHelp } from './signature';
export { tracepointCtxStruct } from '../tracefs/ctx-struct';
export type { BtfFunctionPrototype, BtfLookup, BtfParameter, HelperInfo, KernelCatalog, UserSpaceCatalog } from './catalog';
