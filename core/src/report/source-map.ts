/** Finds where things named by the loader/verifier sit in the program's source text. */

/** 1-based line of the `SEC("section")` annotation for a program, or undefined. */
export function lineOfSection(sourceText: string, section: string): number | undefined {
  const lines = sourceText.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index];
    const at = line.indexOf('SEC(');
    if (at < 0) continue;
    const match = /SEC\(\s*"((?:[^"\\]|\\.)*)"\s*\)/.exec(line.slice(at));
    if (match && match[1] === section) return index + 1;
  }
  return undefined;
}

/** 1-based line of the first use of identifier `name` outside comment lines, or undefined. */
export function lineOfIdentifier(sourceText: string, name: string): number | undefined {
  const named = new RegExp(`(^|[^A-Za-z0-9_])${name.replace(/[^A-Za-z0-9_]/g, '')}([^A-Za-z0-9_]|$)`);
  const lines = sourceText.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const code = lines[index].replace(/\/\/.*$/, '');
    if (/^\s*(\*|\/\*)/.test(code)) continue;
    if (named.test(code)) return index + 1;
  }
  return undefined;
}

/**
 * 1-based line where a map named `name` is defined: the line naming it together with its
 * `SEC(".maps")` (BTF-defined maps, `} name SEC(".maps");`) or `SEC("maps")` (legacy
 * `struct bpf_map_def`), or undefined when the definition is elsewhere (a header).
 */
export function lineOfMapDefinition(sourceText: string, name: string): number | undefined {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const named = new RegExp(`(^|[^A-Za-z0-9_])${escaped}([^A-Za-z0-9_]|$)`);
  const lines = sourceText.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index];
    if (/(SEC|__section)\(\s*"\.?maps"\s*\)/.test(line) && named.test(line)) return index + 1;
  }
  return undefined;
}

/**
 * The 1-based line whose text matches a verifier `; source` annotation. Kernels before 5.x's
 * `@ file:line` suffix only give the text; it is unique enough in practice, and we prefer the
 * first occurrence after `afterLine` (the program's own function) when it repeats.
 */
export function lineOfSourceText(sourceText: string, annotated: string, afterLine = 0): number | undefined {
  const wanted = annotated.trim();
  if (!wanted) return undefined;
  const lines = sourceText.split('\n');
  let first: number | undefined;
  for (let index = 0; index < lines.length; index++) {
    if (lines[index].trim() !== wanted) continue;
    if (index + 1 >= afterLine) return index + 1;
    first ??= index + 1;
  }
  return first;
}

/** Column range (1-based, end exclusive) covering the code of a line without its indentation or trailing comment. */
export function codeRangeOfLine(sourceText: string, line: number): { column: number; endColumn: number } {
  const text = sourceText.split('\n')[line - 1] ?? '';
  const indent = text.length - text.trimStart().length;
  const comment = text.indexOf('//', indent);
  const end = (comment >= 0 ? text.slice(0, comment) : text).trimEnd().length;
  return { column: indent + 1, endColumn: Math.max(end + 1, indent + 2) };
}

export function baseName(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash >= 0 ? path.slice(slash + 1) : path;
}
