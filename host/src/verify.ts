/** The whole verify pipeline for one file: compile for the target, verify there, build the report. */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { buildVerifyReport, VerifyReport } from '../../core/src/report/verify-report';
import { parseVerifierLogSliced, DEFAULT_SLICE_CHARS } from '../../core/src/report/sliced-parse';
import { attachCandidates, attachTargetKind, closestNames } from '../../core/src/report/attach-suggest';
import { Btf, parseBtf } from '../../core/src/btf/reader';
import type { ProgramEvent } from '../../core/src/loader/events';
import type { VerifierReport } from '../../core/src/verifier/parse';
import { compileForTarget, CompileOptions, PchUsage } from './compile';
import { verifyOnTarget } from './loader';
import { Target } from './target';
import { kernelBuild } from './vmlinux';

export interface VerifyTimings {
  compileMs: number;
  verifyMs: number;
  /** Parsing the verifier logs and building the report. */
  reportMs: number;
  totalMs: number;
  /** Whether the compile used the target's precompiled header (see compile.ts). */
  pch: PchUsage['state'];
  /** The compile ran in a clang started ahead of it (CompileOptions.keepWarm). */
  warmCompile: boolean;
}

export async function verifyFile(file: string, target: Target, options: CompileOptions = {}): Promise<VerifyReport & { timings: VerifyTimings }> {
  const started = performance.now();
  const absolute = path.resolve(file);
  const sourceText = options.sourceText ?? await fs.readFile(absolute, 'utf8').catch(() => '');
  const compiled = await compileForTarget(absolute, target, { ...options, sourceText });
  const verifyStarted = performance.now();
  const outcome = compiled.ok ? await verifyOnTarget(target, compiled.objectPath) : undefined;
  const reportStarted = performance.now();
  const programs = outcome?.programs ?? [];
  const [parsedLogs, attachSuggestions] = await Promise.all([parseLogsWithoutBlocking(programs), suggestAttachTargets(target, programs)]);
  const report = buildVerifyReport({
    file: absolute,
    sourceText,
    compiled: compiled.ok,
    clangDiagnostics: compiled.diagnostics,
    programs,
    fixups: outcome?.fixups ?? [],
    parsedLogs,
    attachSuggestions,
    ...(outcome?.error ? { loaderError: outcome.error } : {}),
  });
  const finished = performance.now();
  // The next compile of this file starts now and waits for its text: see pch.ts, warm compilers.
  if (compiled.prewarm) setImmediate(compiled.prewarm);
  return {
    ...report,
    timings: {
      compileMs: compiled.durationMs, verifyMs: reportStarted - verifyStarted, reportMs: finished - reportStarted, totalMs: finished - started,
      pch: compiled.pch.state, warmCompile: compiled.pch.warm ?? false,
    },
  };
}

/** One event-loop turn: I/O callbacks (an editor's next request) run before we continue. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Logs too big for one slice are parsed slice by slice with a turn of the event loop between
 * slices, so a server keeps answering while a multi-MB log is read; small ones are left to the
 * report builder, which parses them in one go.
 */
export async function parseLogsWithoutBlocking(programs: ProgramEvent[]): Promise<(VerifierReport | undefined)[]> {
  const parsed: (VerifierReport | undefined)[] = [];
  for (const program of programs) {
    parsed.push(program.log && program.log.length > DEFAULT_SLICE_CHARS ? await parseVerifierLogSliced(program.log, nextTurn) : undefined);
  }
  return parsed;
}

const btfByTarget = new WeakMap<Target, Promise<Btf | undefined>>();
const candidatesByBtf = new WeakMap<Btf, Map<string, string[]>>();

/** "Did you mean" names for attach targets missing from the target's BTF (read only when one is missing). */
async function suggestAttachTargets(target: Target, programs: ProgramEvent[]): Promise<Record<string, string[]>> {
  const suggestions: Record<string, string[]> = {};
  const missing = programs.filter((program) => program.verdict === 'attach-target-missing' && program.attachTo && attachTargetKind(program.section));
  if (missing.length === 0) return suggestions;
  let pending = btfByTarget.get(target);
  if (!pending) {
    pending = kernelBuild(target).then(({ btf }) => parseBtf(btf).btf ?? undefined, () => undefined);
    btfByTarget.set(target, pending);
  }
  const btf = await pending;
  if (!btf) return suggestions;
  let byKind = candidatesByBtf.get(btf);
  if (!byKind) candidatesByBtf.set(btf, (byKind = new Map()));
  for (const program of missing) {
    const kind = attachTargetKind(program.section)!;
    let candidates = byKind.get(kind);
    if (!candidates) byKind.set(kind, (candidates = attachCandidates(btf, kind)));
    suggestions[program.name] = closestNames(program.attachTo!, candidates);
  }
  return suggestions;
}
