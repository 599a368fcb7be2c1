/**
 * `bpfdev run`: attach on the target and stream trace_pipe and the event maps' records until
 * Ctrl-C or --duration. `--json` prints one JSON object per line (issue #11):
 * `{"type":"trace",…}`, `{"type":"event","map","cpu","fields"}`, `{"type":"lost","map","count","where"}`
 * and, at exit, `{"type":"stats","programs":[…]}`; human mode prints `map: field=value …`.
 */
import { compileForTarget, CompileOptions } from '../../host/src/compile';
import { openTarget, TargetOptions } from './targets';
import type { Target } from '../../host/src/target';
import { DecodedRecord, RecordDecoder, RunSession } from '../../host/src/loader';
import type { StatsEvent } from '../../core/src/loader/events';
import { parseTraceLine } from '../../core/src/trace/trace-line';
import { formatSourceDiagnostic } from './format';
import type { KnobSetting } from '../../core/src/knobs/knobs';
import type { RecordFilter } from '../../core/src/events/filter';
import { objectWithKnobs } from '../../host/src/knobs';
import type { FleetHost } from '../../core/src/fleet/inventory';
import { RemoteTarget } from '../../host/src/remote-target';

export interface RunCommandOptions {
  durationSeconds?: number;
  compile: CompileOptions;
  json?: boolean;
  only?: string[];
  skip?: string[];
  iface?: string;
  /** Runtime statistics (on unless false): what they cost is in README.md. */
  stats?: boolean;
  /** `--set NAME=VALUE`, written into a copy of the object before load. */
  knobs?: KnobSetting[];
  /** `--filter EXPR`: only records it matches are printed (the trace view's language, core/src/events/filter.ts). */
  filter?: RecordFilter;
  /**
   * Finds each event map's record type in the compiled object (host/src/events/record-types.ts);
   * without one, or for a map it does not know, records are printed as raw hex.
   */
  decoderFor?: (objectPath: string, sourcePath: string) => Promise<RecordDecoder | undefined>;
  /** Where output goes (tests and the bench pass their own). */
  out?: NodeJS.WritableStream & { writableLength?: number };
}

/**
 * What our own stdout may hold unwritten before records are dropped: a slow terminal or a
 * reader that stopped reading must not grow memory without bound. Drops are counted and
 * reported as `lost` with where=view, apart from what the kernel lost.
 */
const VIEW_BUFFER_CAP = 8 << 20;

export async function runRun(file: string, options: RunCommandOptions & { target: TargetOptions; hosts?: FleetHost[] }): Promise<number> {
  if (options.hosts && options.hosts.length > 1) return runFleet(file, options.hosts, options);
  const target = await openTarget(options.target);
  try {
    return await runOn(target, file, options);
  } finally {
    await target.dispose();
  }
}

/** A record's fields as `field=value` pairs; strings bare unless they hold spaces, the rest as JSON. */
export function formatRecordHuman(record: DecodedRecord): string {
  if (record.raw !== undefined) return `${record.map}: raw=${record.raw}`;
  const pairs = Object.entries(record.fields).map(([name, value]) => `${name}=${typeof value === 'string' && !/[\s"]/.test(value) && value !== '' ? value : JSON.stringify(value)}`);
  return `${record.map}: ${pairs.join(' ')}`;
}

export function formatStatsHuman(stats: StatsEvent, seconds: number): string[] {
  return stats.programs.map((program) => {
    const average = program.runCount ? Math.round(program.runTimeNs / program.runCount) : 0;
    const cpu = seconds > 0 ? (program.runTimeNs / (seconds * 1e9)) * 100 : 0;
    return `bpfdev: stats ${program.name}: ${program.runCount} runs, ${average} ns/run, ${cpu.toFixed(2)}% of one CPU`;
  });
}

/**
 * `--host A --host B` (issue #10): one run per target, all at once, every line tagged with its
 * host. Each run listens for Ctrl-C, --duration and a closed stdout itself, so one signal stops
 * (detaches) them all; a host that fails or drops does not stop the others.
 */
async function runFleet(file: string, hosts: FleetHost[], options: RunCommandOptions & { target: TargetOptions }): Promise<number> {
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

async function runOn(target: Target, file: string, options: RunCommandOptions & { tag?: string }): Promise<number> {
  const tag = options.tag ?? '';
  // The loader's shell starts logging in while we compile (issue #10).
  if (target instanceof RemoteTarget) target.connection.prewarm({ spawn: true });
  const out = options.out ?? process.stdout;
  const compiled = await compileForTarget(file, target, options.compile);
  for (const diagnostic of compiled.diagnostics) process.stderr.write(tag + formatSourceDiagnostic(diagnostic) + '\n');
  if (!compiled.ok) return 1;
  const decode = await options.decoderFor?.(compiled.objectPath, file);

  const { objectPath, applied } = await objectWithKnobs(compiled.objectPath, options.knobs ?? []);
  for (const line of applied) process.stderr.write(`bpfdev: ${tag}set ${line}\n`);
  const session = await RunSession.start(target, objectPath, {
    trace: true, only: options.only, skip: options.skip, iface: options.iface, stats: options.stats, ...(decode ? { decode } : {}),
  });
  const json = options.json ?? false;
  let detachedCount: number | undefined;
  const startedAt = Date.now();
  const viewDropped = new Map<string, number>();
  const writeLine = (line: string) => { out.write(line + '\n'); };
  // With several targets every line says whose it is: a `[host] ` prefix, or `host` in JSON.
  const hostField = tag ? { host: target.name } : {};
  const hostJson = tag ? `"host":${JSON.stringify(target.name)},` : '';
  const reportViewDrops = () => {
    for (const [map, count] of viewDropped) {
      if (json) writeLine(JSON.stringify({ type: 'lost', map, count, where: 'view' }));
      else process.stderr.write(`bpfdev: ${map}: dropped ${count} record(s): the output could not keep up\n`);
    }
    viewDropped.clear();
  };

  session.on('trace', (line) => {
    if (!json) { writeLine(tag + line); return; }
    const parsed = parseTraceLine(line);
    writeLine(JSON.stringify({ type: 'trace', ...hostField, ...(parsed.kind === 'raw' ? {} : parsed), line }));
  });
  session.on('records', (batch) => {
    const records = options.filter ? batch.filter((record) => options.filter!.matches(record)) : batch;
    if (records.length === 0) return;
    if ((out.writableLength ?? 0) > VIEW_BUFFER_CAP) {
      for (const record of records) viewDropped.set(record.map, (viewDropped.get(record.map) ?? 0) + 1);
      return;
    }
    if (viewDropped.size) reportViewDrops();
    // One write per batch, and per record only its fields are stringified: at 200k records/s
    // the generic JSON.stringify of the whole object was the CLI's main cost.
    let text = '';
    let mapJson = '', mapOf = '';
    for (const record of records) {
      if (!json) { text += tag + formatRecordHuman(record) + '\n'; continue; }
      if (record.map !== mapOf) { mapOf = record.map; mapJson = JSON.stringify(mapOf); }
      text += `{"type":"event",${hostJson}"map":${mapJson},"cpu":${record.cpu},"fields":${JSON.stringify(record.fields)}${record.raw !== undefined ? `,"raw":"${record.raw}"` : ''}}\n`;
    }
    out.write(text);
  });
  session.on('lost', (lost) => {
    if (json) writeLine(JSON.stringify({ type: 'lost', map: lost.map, count: lost.count, where: 'kernel', ...(lost.cpu !== undefined ? { cpu: lost.cpu } : {}) }));
    else process.stderr.write(`bpfdev: ${lost.map}: the kernel lost ${lost.count} record(s)${lost.cpu !== undefined ? ` on CPU ${lost.cpu}` : ''}\n`);
  });
  // `bpfdev run … | head` closes our stdout: treat that as Ctrl-C and detach cleanly.
  // `on`, not `once`: writes already queued fail too, and an unheard second 'error' would crash us.
  const stdoutClosed = new Promise<void>((resolve) => out.on('error', () => resolve()));
  session.on('event', (event) => {
    switch (event.event) {
      case 'attached': process.stderr.write(`bpfdev: ${tag}attached ${event.name} (${event.section}${event.attachTo && event.mode ? ` on ${event.attachTo}, ${event.mode}` : ''}), prog id ${event.progId}\n`); break;
      case 'attach-failed': process.stderr.write(`bpfdev: ${tag}cannot attach ${event.name} (${event.section}): ${event.reason}\n`); break;
      case 'program': if (event.verdict !== 'ok') process.stderr.write(`bpfdev: ${tag}${event.name} was not loaded (${event.verdict}): ${event.verdict === 'rejected' ? lastLines(String(event.log || event.libbpfLog || '')) : String(event.reason ?? lastLines(String(event.libbpfLog ?? '')))}\n`); break;
      case 'skipped': process.stderr.write(`bpfdev: ${tag}${String(event.name)} ${String(event.reason)}\n`); break;
      case 'fixup': process.stderr.write(`bpfdev: ${tag}set before load: ${String(event.message)}\n`); break;
      case 'error': process.stderr.write(`bpfdev: ${tag}${event.reason}\n`); break;
      case 'trace-busy': case 'events-unavailable': case 'stats-unavailable': process.stderr.write(`bpfdev: ${tag}${String(event.reason)}\n`); break;
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
  reportViewDrops();
  // The loader sends its last stats after the detach, so they cover the whole run.
  const stats = session.lastStats;
  if (stats && json) writeLine(JSON.stringify({ type: 'stats', programs: stats.programs.map(({ name, runCount, runTimeNs }) => ({ name, runCount, runTimeNs })) }));
  else if (stats) for (const line of formatStatsHuman(stats, (Date.now() - startedAt) / 1000)) process.stderr.write(line + '\n');
  process.stderr.write(detachedCount === undefined
    ? `bpfdev: ${tag}the loader exited without confirming the detach; the kernel releases its links with the process\n`
    : `bpfdev: ${tag}detached ${detachedCount} program(s)\n`);
  return 0;
}

function lastLines(text: string): string {
  return text.split('\n').map((line) => line.trim()).filter(Boolean).slice(-2).join(' | ');
}
