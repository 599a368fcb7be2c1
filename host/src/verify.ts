/** The whole verify pipeline for one file: compile for the target, verify there, build the report. */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { buildVerifyReport, VerifyReport } from '../../core/src/report/verify-report';
import { compileForTarget, CompileOptions } from './compile';
import { verifyOnTarget } from './loader';
import { Target } from './target';

export interface VerifyTimings { compileMs: number; verifyMs: number; totalMs: number }

export async function verifyFile(file: string, target: Target, options: CompileOptions = {}): Promise<VerifyReport & { timings: VerifyTimings }> {
  const started = performance.now();
  const absolute = path.resolve(file);
  const [compiled, sourceText] = await Promise.all([compileForTarget(absolute, target, options), fs.readFile(absolute, 'utf8')]);
  const verifyStarted = performance.now();
  const outcome = compiled.ok ? await verifyOnTarget(target, compiled.objectPath) : undefined;
  const report = buildVerifyReport({
    file: absolute,
    sourceText,
    compiled: compiled.ok,
    clangDiagnostics: compiled.diagnostics,
    programs: outcome?.programs ?? [],
    ...(outcome?.error ? { loaderError: outcome.error } : {}),
  });
  const finished = performance.now();
  return { ...report, timings: { compileMs: compiled.durationMs, verifyMs: finished - verifyStarted, totalMs: finished - started } };
}
