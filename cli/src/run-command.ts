/** `bpfdev run`: attach on the target and stream trace_pipe until Ctrl-C or --duration. */
import { compileForTarget, CompileOptions } from '../../host/src/compile';
import { openTarget, TargetOptions } from './targets';
import type { Target } from '../../host/src/target';
import { RunSession } from '../../host/src/loader';
import { formatSourceDiagnostic } from './format';
import type { KnobSetting } from '../../core/src/knobs/knobs';
import { objectWithKnobs } from '../../host/src/knobs';
import { parseDecodeAs } from '../../host/src/events/record-types';
import { recordDecoderFor } from '../../host/src/events/decoder';

export interface RunCommandOptions {
  durationSeconds?: number;
  compile: CompileOptions;
  target: TargetOptions;
  /** `--set NAME=VALUE`, written into a copy of the object before load. */
  knobs?: KnobSetting[];
  /** `--decode-as MAP=TYPE` flags. */
  decodeAs?: string[];
}

export async function runRun(file: string, options: RunCommandOptions): Promise<number> {
  const target = await openTarget(options.target);
  try {
    return await runOn(target, file, options);
  } finally {
    await target.dispose();
  }
}

async function runOn(target: Target, file: string, options: RunCommandOptions): Promise<number> {
  const compiled = await compileForTarget(file, target, options.compile);
  for (const diagnostic of compiled.diagnostics) process.stderr.write(formatSourceDiagnostic(diagnostic) + '\n');
  if (!compiled.ok) return 1;

  const { objectPath, applied } = await objectWithKnobs(compiled.objectPath, options.knobs ?? []);
  for (const line of applied) process.stderr.write(`bpfdev: set ${line}\n`);
  const decodeAs = parseDecodeAs(options.decodeAs ?? []);
  if (decodeAs.errors.length) throw new Error(decodeAs.errors.join('\n'));
  // The session takes this decoder once it carries records (issue #11, the loader side).
  await recordDecoderFor(decodeAs.overrides, (line) => process.stderr.write(`bpfdev: ${line}\n`))(compiled.objectPath, file);

  const session = await RunSession.start(target, objectPath, { trace: true });
  let detachedCount: number | undefined;
  session.on('trace', (line) => process.stdout.write(line + '\n'));
  // `bpfdev run … | head` closes our stdout: treat that as Ctrl-C and detach cleanly.
  const stdoutClosed = new Promise<void>((resolve) => process.stdout.once('error', () => resolve()));
  session.on('event', (event) => {
    switch (event.event) {
      case 'attached': process.stderr.write(`bpfdev: attached ${event.name} (${event.section}), prog id ${event.progId}\n`); break;
      case 'attach-failed': process.stderr.write(`bpfdev: cannot attach ${event.name} (${event.section}): ${event.reason}\n`); break;
      case 'program': if (event.verdict !== 'ok') process.stderr.write(`bpfdev: ${event.name} was not loaded (${event.verdict}): ${event.verdict === 'rejected' ? lastLines(String(event.log || event.libbpfLog || '')) : String(event.reason ?? lastLines(String(event.libbpfLog ?? '')))}\n`); break;
      case 'fixup': process.stderr.write(`bpfdev: set before load: ${String(event.message)}\n`); break;
      case 'error': process.stderr.write(`bpfdev: ${event.reason}\n`); break;
      case 'trace-busy': process.stderr.write(`bpfdev: ${event.reason}\n`); break;
      case 'detached': detachedCount = Number(event.count); break;
    }
  });

  let ready;
  try {
    ready = await session.ready;
  } catch (error) {
    process.stderr.write(`bpfdev: ${(error as Error).message}\n`);
    await session.stop();
    return 1;
  }
  if (ready.attached === 0) {
    process.stderr.write('bpfdev: no program could be attached; nothing to run\n');
    await session.stop();
    return 1;
  }
  process.stderr.write(`bpfdev: ${ready.attached} program(s) attached on ${target.name}${options.durationSeconds ? ` for ${options.durationSeconds}s` : ''}; Ctrl-C to stop\n`);

  // Whichever ends the run first; the others are withdrawn, so a pending --duration timer or a
  // signal listener does not keep the process alive after the detach.
  await new Promise<void>((resolve) => {
    const finish = () => {
      if (timer) clearTimeout(timer);
      process.off('SIGINT', finish);
      process.off('SIGTERM', finish);
      resolve();
    };
    const timer = options.durationSeconds ? setTimeout(finish, options.durationSeconds * 1000) : undefined;
    process.once('SIGINT', finish);
    process.once('SIGTERM', finish);
    void session.exited.then(finish);
    void stdoutClosed.then(finish);
  });
  await session.stop();
  process.stderr.write(detachedCount === undefined
    ? 'bpfdev: the loader exited without confirming the detach; the kernel releases its links with the process\n'
    : `bpfdev: detached ${detachedCount} program(s)\n`);
  return 0;
}

function lastLines(text: string): string {
  return text.split('\n').map((line) => line.trim()).filter(Boolean).slice(-2).join(' | ');
}
