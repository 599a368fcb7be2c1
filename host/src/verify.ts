/** The whole verify pipeline for one file: compile for the target, verify there, build the report. */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { buildVerifyReport, VerifyReport } from '../../core/src/report/verify-report';
import { parseVerifierLogSliced, DEFAULT_SLICE_CHARS } from '../../core/src/report/sliced-parse';
import { attachCandidates, attachTargetKind, closestNames } from '../../core/src/report/attach-suggest';
import { Btf, parseBtf } from '../../core/src/btf/reader';
import type { ProgramEvent } from '../../core/src/loader/events';
import { parseVerifierLog, VerifierReport } from '../../core/src/verifier/parse';
import { objectLineInfo } from '../../core/src/btf/line-info';
import type { KnobSetting } from '../../core/src/knobs/knobs';
import { objectWithKnobs } from './knobs';
import { baseName, codeRangeOfLine } from '../../core/src/report/source-map';
import { compileForTarget, CompileOptions, PchUsage } from './compile';
import type { FlagsSource } from './project-flags';
import { verifyOnTarget } from './loader';
import type { LoaderOutputProgress } from './loader-output';
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

/**
 * Runs a stage when a slot is free: several files verified at once share the CPUs this way
 * (verify-many.ts). p-limit's limiters have this shape.
 */
export type StageLimit = <T>(task: () => Promise<T>) => Promise<T>;

export interface VerifyStages {
  compile?: StageLimit;
  verify?: StageLimit;
}

const unlimited: StageLimit = (task) => task();

export interface VerifyOptions extends CompileOptions {
  /** Hears about the off-thread parse of a big loader output (a long verifier log). */
  onLoaderOutput?: (progress: LoaderOutputProgress) => void;
  /** `--set NAME=VALUE`: globals written into a copy of the object before load (a knob can change the verdict). */
  knobs?: KnobSetting[];
}

export async function verifyFile(file: string, target: Target, options: VerifyOptions = {}, stages: VerifyStages = {}): Promise<VerifyReport & { flagsSource: FlagsSource; timings: VerifyTimings }> {
  const started = performance.now();
  const absolute = path.resolve(file);
  const sourceText = options.sourceText ?? await fs.readFile(absolute, 'utf8').catch(() => '');
  const compiled = await (stages.compile ?? unlimited)(() => compileForTarget(absolute, target, { ...options, sourceText }));
  const verifyStarted = performance.now();
  const objectPath = compiled.ok ? (await objectWithKnobs(compiled.objectPath, options.knobs ?? [])).objectPath : compiled.objectPath;
  const outcome = compiled.ok ? await (stages.verify ?? unlimited)(() => verifyOnTarget(target, objectPath, undefined, options.onLoaderOutput ? { onProgress: options.onLoaderOutput } : {})) : undefined;
  const reportStarted = performance.now();
  const programs = outcome?.programs ?? [];
  const [parsedLogs, attachSuggestions] = await Promise.all([parseLogsWithoutBlocking(programs, outcome?.parsedLogs), suggestAttachTargets(target, programs)]);
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
    flagsSource: compiled.flagsSource,
    timings: {
      compileMs: compiled.durationMs, verifyMs: reportStarted - verifyStarted, reportMs: finished - reportStarted, totalMs: finished - started,
      pch: compiled.pch.state, warmCompile: compiled.pch.warm ?? false,
    },
  };
}

/**
 * A verification of a prebuilt object adds the source file its line info names (found on
 * disk), since `file` is then the object.
 */
export type ObjectVerifyReport = VerifyReport & { source?: string; timings: VerifyTimings };

/**
 * Verifies an object from the user's own build (clang -g). Diagnostics go to the source file
 * the object's BTF line info names when it is on this machine; the kernel's log names only the
 * base name, the object the full path. Without the source, they stay on the object, and the
 * message says where in the source the verifier stopped.
 */
export async function verifyObject(objectFile: string, target: Target, stages: VerifyStages = {}, knobs: KnobSetting[] = []): Promise<ObjectVerifyReport> {
  const started = performance.now();
  const object = path.resolve(objectFile);
  const bytes = await fs.readFile(object);
  const lineInfo = objectLineInfo(bytes);
  const loaded = (await objectWithKnobs(object, knobs)).objectPath;
  const outcome = await (stages.verify ?? unlimited)(() => verifyOnTarget(target, loaded));
  const reportStarted = performance.now();
  const programs = outcome.programs;
  const [sliced, attachSuggestions] = await Promise.all([parseLogsWithoutBlocking(programs, outcome.parsedLogs), suggestAttachTargets(target, programs)]);
  const parsedLogs = programs.map((program, index) => sliced[index] ?? parseVerifierLog(program.log ?? ''));

  // Line info records paths as clang saw them, which may hold `..`: normalise before use.
  const sources = new Map<string, string>();
  const readSource = async (file: string) => {
    const resolved = path.resolve(path.dirname(object), file);
    if (!sources.has(resolved)) {
      const text = await fs.readFile(resolved, 'utf8').catch(() => undefined);
      if (text === undefined) return undefined;
      sources.set(resolved, text);
    }
    return resolved;
  };
  const primaryName = mostCommon(lineInfo.sections.map((section) => section.firstFile).filter((file): file is string => !!file));
  const primary = primaryName ? await readSource(primaryName) : undefined;
  const report = buildVerifyReport({
    file: primary ?? object,
    sourceText: primary ? sources.get(primary)! : '',
    compiled: true,
    clangDiagnostics: [],
    programs,
    parsedLogs,
    attachSuggestions,
    fixups: outcome.fixups,
    ...(outcome.error ? { loaderError: outcome.error } : {}),
  });

  // Verifier errors the log places in another file of the object (a header's inline function),
  // or in a source that is not here.
  for (const diagnostic of report.diagnostics) {
    if (diagnostic.source !== 'verifier' || diagnostic.severity !== 'error') continue;
    const index = programs.findIndex((program) => program.name === (diagnostic.data as { program?: string } | undefined)?.program);
    const where = parsedLogs[index]?.source;
    if (!where?.file || !where.line) continue;
    const named = lineInfo.files.find((file) => baseName(file) === baseName(where.file!)) ?? where.file;
    const found = await readSource(named);
    if (found && found !== diagnostic.file) {
      Object.assign(diagnostic, { file: found, line: where.line, ...codeRangeOfLine(sources.get(found)!, where.line) });
      delete diagnostic.related;
    } else if (!found) {
      diagnostic.message += ` (at ${named}:${where.line}, \`${where.text}\`, a source not on this machine)`;
    }
  }
  if (lineInfo.files.length === 0 && programs.length > 0) {
    report.diagnostics.push({
      file: object, line: 1, column: 1, severity: 'warning', source: 'loader', kind: 'no-line-info',
      message: `${baseName(object)} has no BTF line info: build it with clang -g to get verifier errors at their source lines`,
    });
  }
  const finished = performance.now();
  return {
    ...report,
    file: object,
    ...(primary ? { source: primary } : {}),
    timings: { compileMs: 0, verifyMs: reportStarted - started, reportMs: finished - reportStarted, totalMs: finished - started, pch: 'off', warmCompile: false },
  };
}

function mostCommon(values: string[]): string | undefined {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  let best: string | undefined;
  for (const [value, count] of counts) if (best === undefined || count > counts.get(best)!) best = value;
  return best;
}

/** One event-loop turn: I/O callbacks (an editor's next request) run before we continue. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Logs too big for one slice are parsed slice by slice with a turn of the event loop between
 * slices, so a server keeps answering while a multi-MB log is read; small ones are left to the
 * report builder, which parses them in one go. Logs parsed already (off the main thread along
 * with a big loader output) are taken as they are.
 */
export async function parseLogsWithoutBlocking(programs: ProgramEvent[], alreadyParsed: readonly (VerifierReport | undefined)[] = []): Promise<(VerifierReport | undefined)[]> {
  const parsed: (VerifierReport | undefined)[] = [];
  for (const [index, program] of programs.entries()) {
    const done = alreadyParsed[index];
    parsed.push(done ?? (program.log && program.log.length > DEFAULT_SLICE_CHARS ? await parseVerifierLogSliced(program.log, nextTurn) : undefined));
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
