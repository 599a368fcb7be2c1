/**
 * Hover on an `#include` line (issue #9): which file the compile reads for it and where the
 * flags that decide that came from. Finding the directive is pure; where the header is
 * depends on the file system, so the caller resolves it (host/project-flags.ts) and this
 * module only words the answer.
 */
import { describeFlagsSource, FlagsSource } from '../build/project-flags';
import type { Hover } from './hover';

export interface IncludeDirective {
  header: string;
  /** `#include "x"`: looked up next to the source first. */
  quoted: boolean;
  /** The header name's offsets, delimiters included. */
  range: { start: number; end: number };
}

export interface IncludeResolution {
  /** The file the compile reads, when found. */
  path?: string;
  /** vmlinux.h from the target's BTF: generated per kernel by bpfdev, not a file of the project. */
  generated?: boolean;
  /** The directories searched, in order, when not found. */
  searched?: string[];
  flagsSource: FlagsSource;
}

const INCLUDE = /^([ \t]*#[ \t]*include[ \t]*)(<([^>\n]+)>|"([^"\n]+)")/;

/** The `#include` directive on the line holding `offset`, if that line is one. */
export function includeAt(text: string, offset: number): IncludeDirective | undefined {
  if (offset < 0 || offset > text.length) return undefined;
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  const end = text.indexOf('\n', offset);
  const match = INCLUDE.exec(text.slice(start, end < 0 ? text.length : end));
  if (!match) return undefined;
  const nameStart = start + match[1].length;
  return { header: match[3] ?? match[4], quoted: match[4] !== undefined, range: { start: nameStart, end: nameStart + match[2].length } };
}

export function includeHover(include: IncludeDirective, resolution: IncludeResolution): Hover {
  const name = include.quoted ? `"${include.header}"` : `<${include.header}>`;
  let found: string;
  if (resolution.path) found = `**${name}** → \`${resolution.path}\``;
  else if (resolution.generated) found = `**${name}** → generated from the target kernel's BTF by bpfdev (one per kernel build)`;
  else found = `**${name}** not found; searched:\n${(resolution.searched ?? []).map((dir) => `- \`${dir}\``).join('\n')}`;
  const parts = [found, describeFlagsSource(resolution.flagsSource)];
  if (resolution.flagsSource.dropped.length > 0) {
    parts.push(`not used from it: ${resolution.flagsSource.dropped.map((dropped) => `\`${dropped.flag}\` (${dropped.reason})`).join(', ')}`);
  }
  if (resolution.flagsSource.errors?.length) parts.push(`unreadable: ${resolution.flagsSource.errors.join('; ')}`);
  return { contents: parts.join('\n\n'), range: include.range };
}
