/**
 * clang's include search list, as `clang -v -E - </dev/null` prints it on stderr. With
 * `-target bpf` clang searches only its own resource directory, so `<linux/bpf.h>` finds the
 * system's UAPI header but not the `<asm/types.h>` it includes; libbpf-bootstrap's Makefile
 * (CLANG_BPF_SYS_INCLUDES) reads this list for the host target and passes each directory with
 * `-idirafter`, and so do we (issue #9).
 */

export interface ClangSearchDirs {
  /** `#include "..."` only (-iquote). */
  quoted: string[];
  /** `#include <...>`, in search order. */
  angled: string[];
  errors: string[];
}

export function parseClangSearchDirs(output: string): ClangSearchDirs {
  const result: ClangSearchDirs = { quoted: [], angled: [], errors: [] };
  let section: 'quoted' | 'angled' | undefined;
  let sawEnd = false;
  for (const rawLine of output.split('\n')) {
    const line = rawLine.replace(/\r$/, '');
    if (line.startsWith('#include "..." search starts here:')) section = 'quoted';
    else if (line.startsWith('#include <...> search starts here:')) section = 'angled';
    else if (line.startsWith('End of search list.')) {
      section = undefined;
      sawEnd = true;
    } else if (section && line.startsWith(' ')) {
      // macOS lists frameworks too; they are not include directories.
      const framework = / \(framework directory\)$/.exec(line);
      if (!framework) result[section].push(line.trim());
    } else if (section && line !== '') {
      // Anything else inside the list means it is not the layout we know.
      result.errors.push(`unexpected line in the search list: ${line}`);
    }
  }
  if (!sawEnd) result.errors.push('no "End of search list." in clang\'s output');
  return result;
}
