/** Hover text for SEC() strings (what the section means on this kernel) and for helper names. */
import { DATA_SECTIONS } from '../sections/definitions';
import { eventFields, fieldDeclaration, formatOrigin } from '../tracefs/format';
import { BtfFunctionPrototype, KernelCatalog, helperByName, kfuncReleasePairs, rawTracepointNames } from './catalog';
import { kfuncDocumentation, kfuncSignature } from './kfuncs';
import { sectionDocumentation, symbolTags } from './completion';
import { BpfDocument, SectionUse, isInCommentOrLiteral, parseBpfDocument, sectionAt } from './document';
import { prototypeText } from './signature';

export interface Hover {
  /** Markdown. */
  contents: string;
  range: { start: number; end: number };
}

export function doHover(text: string | BpfDocument, offset: number, catalog: KernelCatalog): Hover | undefined {
  const document = typeof text === 'string' ? parseBpfDocument(text) : text;
  const section = sectionAt(document, offset);
  if (section) return hoverSection(section, catalog);
  if (isInCommentOrLiteral(document, offset)) return undefined;
  const token = document.tokens.find((candidate) => candidate.kind === 'identifier' && offset >= candidate.start && offset <= candidate.end);
  if (!token) return undefined;
  const helper = helperByName(catalog, token.text);
  if (!helper) {
    const kfunc = catalog.kfuncs?.get(token.text);
    if (!kfunc) return undefined;
    return {
      contents: `${codeBlock(kfuncSignature(kfunc))}\n\n${kfuncDocumentation(kfunc, kfuncReleasePairs(catalog), catalog.snapshot)}`,
      range: { start: token.start, end: token.end },
    };
  }
  return {
    contents: `${codeBlock(helper.signature)}\n\n${helper.doc}\n\nhelper #${helper.id}`,
    range: { start: token.start, end: token.end },
  };
}

function hoverSection(section: SectionUse, catalog: KernelCatalog): Hover | undefined {
  const range = { start: section.contentStart, end: section.contentEnd };
  const parsed = section.parsed;
  if (parsed.dataSection) {
    const data = DATA_SECTIONS.find((candidate) => candidate.name === parsed.dataSection);
    return data ? { contents: `**${section.text}** — data section\n\n${data.doc}`, range } : undefined;
  }
  const def = parsed.def;
  if (!def) return undefined;
  const parts = [sectionDocumentation(def)];
  const target = parsed.target;

  if (def.target === 'tracepoint' && target?.category && target.event) {
    const info = catalog.tracepoints?.get(target.category.text, target.event.text);
    if (info?.format) {
      const fields = eventFields(info.format);
      parts.push(
        `**${info.category}:${info.event}** · ${formatOrigin(info.format)} · ${fields.length} fields`,
        codeBlock(fields.map((field) => `${fieldDeclaration(field)}; /* offset ${field.offset}, size ${field.size} */`).join('\n')),
      );
      if (info.format.printFmt) parts.push(`print fmt: \`${clip(info.format.printFmt, 300)}\``);
    } else if (info) {
      parts.push(`**${info.category}:${info.event}** (format not loaded)`);
    }
  } else if ((def.target === 'kernel-function' || def.target === 'kernel-function-pattern') && target?.name) {
    parts.push(...functionFacts(target.name.text, catalog));
  } else if (def.target === 'lsm-hook' && target?.name) {
    const proto = catalog.btf?.funcPrototype(`bpf_lsm_${target.name.text}`);
    if (proto) parts.push(prototypeBlock(target.name.text, proto));
  } else if ((def.target === 'uprobe' || def.target === 'uprobe-pattern') && target?.binary && target.name) {
    const symbol = catalog.userSpace?.symbol?.(target.binary.text, target.name.text.split('@')[0]);
    if (symbol) {
      const facts = [`\`${symbol.name}\` in \`${symbol.path}\` (${symbol.table})`, `address 0x${symbol.address.toString(16)}, size ${symbol.size} bytes`];
      if (symbol.fileOffset !== undefined) facts.push(`file offset 0x${symbol.fileOffset.toString(16)} (where the uprobe goes)`);
      if (symbol.buildId) facts.push(`build id \`${symbol.buildId}\``);
      parts.push(facts.join('  \n'));
    }
  } else if (def.target === 'raw-tracepoint' && target?.event) {
    const name = target.event.text;
    const homes = catalog.tracepoints?.findByEventName(name) ?? [];
    if (homes.length > 0) parts.push(`tracefs event: ${homes.map((home) => `\`${home.category}:${home.event}\``).join(', ')}`);
    else if (rawTracepointNames(catalog).includes(name)) parts.push('bare tracepoint (no tracefs event)');
    const proto = catalog.btf?.funcPrototype(`btf_trace_${name}`);
    if (proto) parts.push(prototypeBlock(name, { ret: proto.ret, args: proto.args.slice(1) }));
  }
  return { contents: parts.join('\n\n'), range };
}

function functionFacts(name: string, catalog: KernelCatalog): string[] {
  const facts: string[] = [];
  const proto = catalog.btf?.funcPrototype(name);
  if (proto) facts.push(prototypeBlock(name, proto));
  const symbol = catalog.kallsyms?.get(name);
  if (symbol) {
    const tags = symbolTags(symbol);
    if (tags.length > 0) facts.push(tags.join(' · '));
  } else if (catalog.kallsyms && !/[*?]/.test(name)) {
    facts.push('not in this kernel\'s kallsyms');
  }
  return facts;
}

function prototypeBlock(name: string, proto: BtfFunctionPrototype): string {
  return codeBlock(prototypeText(name, proto));
}

function codeBlock(code: string): string {
  return '```c\n' + code + '\n```';
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}
