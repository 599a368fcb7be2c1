/**
 * Programs written before vmlinux.h declared kfuncs often declare the ones they call
 * themselves. With the kernel's own types that is a compatible redeclaration; with others
 * (`unsigned long` for the kernel's `u64`, a `void *` for a struct pointer) C rejects it, and
 * only leaving our declarations out (BPF_NO_KFUNC_PROTOTYPES) lets the program build as it did.
 */
import type { SourceDiagnostic } from '../clang/diagnostics';

const CONFLICT = /^conflicting types for '(\w+)'$/;

/**
 * Names of the functions whose declaration in `vmlinuxHeader` (the generated one, whose only
 * function declarations are kfuncs) the program contradicts, from clang's diagnostics.
 */
export function conflictingKfuncs(diagnostics: SourceDiagnostic[], vmlinuxHeader: string): string[] {
  const names = new Set<string>();
  for (const diagnostic of diagnostics) {
    const name = diagnostic.severity === 'error' ? CONFLICT.exec(diagnostic.message)?.[1] : undefined;
    if (!name) continue;
    const previous = diagnostic.notes.find((note) => note.message === 'previous declaration is here');
    if (previous && sameFile(previous.file, vmlinuxHeader)) names.add(name);
  }
  return [...names];
}

/** clang prints the path as it opened it: `dir/./vmlinux.h` and `dir//vmlinux.h` are the same file. */
function sameFile(printed: string, expected: string): boolean {
  const normal = (p: string) => p.replace(/\/(?:\.\/)+/g, '/').replace(/\/+/g, '/');
  return normal(printed) === normal(expected);
}
