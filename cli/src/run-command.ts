/** `bpfdev run`: attach on the target and stream trace_pipe until Ctrl-C or --duration. */
import { compileForTarget, CompileOptions } from '../../host/src/compile';
import { openTarget, TargetOptions } from './targets';
import type { Target } from '../../host/src/target';
import { RunSession } from '../../host/src/loader';
import { formatSourceDiagnostic } from './format';
import type { FleetHost } from '../../core/src/fleet/inventory';
import { RemoteTarget } from '../../host/src/remote-target';

export async function runRun(file: string, options: { durationSeconds?: number; compile: CompileOptions; target: TargetOptions; hosts?: FleetHost[] }): Promise<number> {
  if (options.hosts && options.hosts.length > 1) return runFleet(file, options.hosts, options);
  const target = await openTarget(options.target);
  try {
    return await runOn(target, file, options);
  } finally {
    await target.dispose();
  }
}

/**
 * `--host A --host B` (issue #10): one run per target, all at once, every line tagged with its
 * host. Each run listens for Ctrl-C, --duration and a closed stdout itself, so one signal stops
 * (detaches) them all; a host that fails or drops does not stop the others.
 */
async function runFleet(file: string, hosts: FleetHost[], options: { durationSeconds?: number; compile: CompileOptions; target: TargetOptions }): Promise<number> {
  const codes = await Promise.all(hosts.map(async (host) => {
    const tag = `[${host.name}] `;
    let target: Target;
    try {
      target = await openTarget({ ...options.target, host });
    } catch (error) {
      process.stderr.write(`bpfdev: ${tag}${(error as Error).message}\n`);
      return 1;
    }
    try {
      return await runOn(target, file, { ...options, tag });
    } catch (error) {
      process.stderr.write(`bpfdev: ${tag}${(error as Error).message}\n`);
      return 1;
    } finally {
      await target.dispose();
    }
  }));
  return Math.max(...codes);
}

async function runOn(target: Target, file: string, options: { durationSeconds?: number; compile: CompileOptions; tag?: string }): Promise<number> {
  const tag = options.tag ?? '';
  // The loader's shell starts logging in while we compile (issue #10).
  if (target instanceof RemoteTarget) target.connection.prewarm({ spawn: true });
  const compiled = await compileForTarget(file, target, options.compile);
  for (const diagnostic of compiled.diagnostics) process.stderr.write(tag + formatSourceDiagnostic(diagnostic) + '\n');
  if (!compiled.ok) return 1;

  const session = await RunSession.start(target, compiled.objectPath, { trace: true });
  let detachedCount: number | undefined;
  session.on('trace', (line) => process.stdout.write(tag + line + '\n'));
  // `bpfdev run … | head` closes our stdout: treat that as Ctrl-C and detach cleanly.
  const stdoutClosed = new Promise<void>((resolve) => process.stdout.once('error', () => resolve()));
  session.on('event', (event) => {
    switch (event.event) {
      case 'attached': process.stderr.write(`bpfdev: ${tag}attached ${event.name} (${event.section}), prog id ${event.progId}\n`); break;
      case 'attach-failed': process.stderr.write(`bpfdev: ${tag}cannot attach ${event.name} (${event.section}): ${event.reason}\n`); break;
      case 'program': if (event.verdict !== 'ok') process.stderr.write(`bpfdev: ${tag}${event.name} was not loaded (${event.verdict}): ${event.verdict === 'rejected' ? lastLines(String(event.log || event.libbpfLog || '')) : String(event.reason ?? lastLines(String(event.libbpfLog ?? '')))}\n`); break;
      case 'fixup': process.stderr.write(`bpfdev: ${tag}set before load: ${String(event.message)}\n`); break;
      case 'error': process.stderr.write(`bpfdev: ${tag}${event.reason}\n`); break;
      case 'trace-busy': process.stderr.write(`bpfdev: ${tag}${event.reason}\n`); break;
      case 'detached': detachedCount = Number(event.count); break;
    }
  });

  let ready;
  try {
    ready = await session.ready;
  } catch (error) {
    process.stderr.write(`bpfdev: ${tag}${(error as Error).message}\n`);
    await session.stop();
    return 1;
  }
  if (ready.attached === 0) {
    process.stderr.write(`bpfdev: ${tag}no program could be attached; nothing to run\n`);
    await session.stop();
    return 1;
  }
  process.stderr.write(`bpfdev: ${tag}${ready.attached} program(s) attached on ${target.name}${options.durationSeconds ? ` for ${options.durationSeconds}s` : ''}; Ctrl-C to stop\n`);

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
    ? `bpfdev: ${tag}the loader exited without confirming the detach; the kernel releases its links with the process\n`
    : `bpfdev: ${tag}detached ${detachedCount} program(s)\n`);
  return 0;
}

function lastLines(text: string): string {
  return text.split('\n').map((line) => line.trim()).filter(Boolean).slice(-2).join(' | ');
}
