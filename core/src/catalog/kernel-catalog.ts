/**
 * Assembles the language service's KernelCatalog from what a target gave us: the raw text of
 * kallsyms, tracefs formats and tag files (one fetch, see host/src/catalog/fetch.ts) and the
 * parsed BTF. Pure: the same inputs from a cache or a live host build the same catalog.
 */
import type { Btf } from '../btf/reader';
import { BtfKind } from '../btf/types';
import { all as allHelpers } from '../helpers/index';
import { buildKallsymsIndex, KernelCapabilities } from '../kallsyms/index';
import type { BtfLookup, HelperInfo, KernelCatalog } from '../language/catalog';
import { buildTracepointCatalog, TracepointCatalogEntry } from '../tracefs/catalog';

export interface CatalogInputs {
  kallsyms: string;
  availableFilterFunctions?: string;
  kprobeBlacklist?: string;
  /** `category/event` → format file text. */
  formats: Map<string, string>;
  capabilities: KernelCapabilities;
}

export interface KernelCatalogWithProvenance extends KernelCatalog {
  /** Where the data came from: a live target, its disk cache, or the bundled snapshot. */
  origin: { source: 'live' | 'cache' | 'snapshot'; target: string; kernel: string; buildMs: number };
}

/**
 * Section delimiter of the fetch script's output. Chosen so no kernel file line can equal it:
 * kallsyms lines start with an address, format files with a keyword, tag files with a name.
 */
export const SECTION_MARK = '@@bpfdev-section ';

/** Splits the fetch script's output (sections + `head`'s `==> file <==` headers) into inputs. */
export function parseFetchOutput(text: string): { inputs: CatalogInputs; errors: string[] } {
  const sections = new Map<string, string>();
  const errors: string[] = [];
  let at = 0;
  while (at < text.length) {
    const start = text.indexOf(SECTION_MARK, at);
    if (start < 0) break;
    const nameEnd = text.indexOf('\n', start);
    const name = text.slice(start + SECTION_MARK.length, nameEnd < 0 ? text.length : nameEnd).trim();
    const next = text.indexOf(`\n${SECTION_MARK}`, nameEnd);
    sections.set(name, nameEnd < 0 ? '' : text.slice(nameEnd + 1, next < 0 ? text.length : next + 1));
    at = next < 0 ? text.length : next + 1;
  }
  if (!sections.has('kallsyms')) errors.push('the host returned no /proc/kallsyms');
  const formats = new Map<string, string>();
  const formatText = sections.get('formats') ?? '';
  // `head` prints "==> category/event/format <==" before each file.
  const header = /^==> (?:events\/)?([^/\n]+)\/([^/\n]+)\/format <==$/gm;
  let match: RegExpExecArray | null;
  let previous: { key: string; bodyStart: number } | undefined;
  while ((match = header.exec(formatText))) {
    if (previous) formats.set(previous.key, formatText.slice(previous.bodyStart, match.index));
    previous = { key: `${match[1]}/${match[2]}`, bodyStart: match.index + match[0].length + 1 };
  }
  if (previous) formats.set(previous.key, formatText.slice(previous.bodyStart));
  const flag = (name: string) => {
    const value = sections.get(name)?.trim();
    return value === 'yes' ? true : value === 'no' ? false : undefined;
  };
  return {
    inputs: {
      kallsyms: sections.get('kallsyms') ?? '',
      ...(sections.get('filter')?.trim() ? { availableFilterFunctions: sections.get('filter') } : {}),
      ...(sections.get('blacklist')?.trim() ? { kprobeBlacklist: sections.get('blacklist') } : {}),
      formats,
      capabilities: { kprobes: flag('kprobes'), btf: flag('btf'), fentry: flag('fentry') },
    },
    errors,
  };
}

export function buildKernelCatalog(inputs: CatalogInputs, btf: Btf | undefined): KernelCatalog {
  const entries: TracepointCatalogEntry[] = [];
  for (const [key, formatText] of inputs.formats) {
    const slash = key.indexOf('/');
    entries.push({ category: key.slice(0, slash), event: key.slice(slash + 1), formatText });
  }
  const btfFunctions = btf ? new Set(btf.functions().map((fn) => fn.name)) : undefined;
  const kallsyms = buildKallsymsIndex(inputs.kallsyms, {
    ...(inputs.availableFilterFunctions ? { availableFilterFunctions: inputs.availableFilterFunctions } : {}),
    ...(inputs.kprobeBlacklist ? { kprobeBlacklist: inputs.kprobeBlacklist } : {}),
    ...(btfFunctions ? { btfFunctions } : {}),
    capabilities: { ...inputs.capabilities, btf: inputs.capabilities.btf ?? !!btf },
  });
  return {
    tracepoints: buildTracepointCatalog(entries),
    kallsyms,
    ...(btf ? { btf: btfLookup(btf) } : {}),
    helpers: helperInfos(),
    capabilities: { ...inputs.capabilities, btf: inputs.capabilities.btf ?? !!btf },
  };
}

let helperList: HelperInfo[] | undefined;
function helperInfos(): HelperInfo[] {
  helperList ??= allHelpers().map((helper) => ({ name: helper.name, signature: helper.signature, doc: helper.doc, id: helper.id }));
  return helperList;
}

/** BTF questions the language service asks, answered from our reader. */
export function btfLookup(btf: Btf): BtfLookup {
  return {
    funcPrototype(name) {
      const func = btf.findByName(name, BtfKind.Func);
      let protoId: number | undefined;
      if (func?.kind === BtfKind.Func) protoId = func.type;
      else {
        // `btf_trace_<event>` is a typedef of a pointer to the raw tracepoint's prototype.
        const typedef = btf.findByName(name, BtfKind.Typedef);
        if (typedef?.kind === BtfKind.Typedef) {
          const pointer = btf.typeById(btf.resolve(typedef.type));
          if (pointer?.kind === BtfKind.Ptr) protoId = btf.resolve(pointer.type);
        }
      }
      const proto = protoId === undefined ? undefined : btf.typeById(protoId);
      if (proto?.kind !== BtfKind.FuncProto) return undefined;
      return {
        args: proto.params.map((param) => ({ name: param.name, type: btf.formatType(param.type) })),
        ret: proto.returnType === 0 ? 'void' : btf.formatType(proto.returnType),
      };
    },
    structMembers(typeName) {
      const type = btf.findByName(typeName, BtfKind.Struct) ?? btf.findByName(typeName, BtfKind.Union) ?? btf.findByName(typeName, BtfKind.Typedef);
      if (!type) return undefined;
      return btf.membersOf(type.id, { flattenAnonymous: true })?.map((member) => ({ name: member.name, type: member.typeText }));
    },
  };
}
