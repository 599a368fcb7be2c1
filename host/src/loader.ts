/**
 * Runs the loader (loader/loader.c) on a target and turns its output into typed events.
 * `verify` is one request/response; `run` is a session that lasts until stop(), and whose
 * loader detaches everything when its stdin closes — which is also what happens when the
 * process holding the session (or its SSH connection) dies.
 */
import { EventEmitter } from 'node:events';
import { StringDecoder } from 'node:string_decoder';
import {
  AttachFailedEvent, AttachedEvent, classifyLine, FixupEvent, LineSplitter, LoaderErrorEvent, LoaderEvent, LostEvent, OtherEvent,
  ProgramEvent, ReadyEvent, RecordsEvent, StatsEvent,
} from '../../core/src/loader/events';
import type { MapsEvent } from '../../core/src/trace/map-dump';
import type { DecodedRecord } from '../../core/src/events/record';
import type { VerifierReport } from '../../core/src/verifier/parse';
import { LoaderOutputOptions, parseLoaderOutput } from './loader-output';
import { Target, TargetError, TargetProcess } from './target';

export interface VerifyOutcome {
  programs: ProgramEvent[];
  /**
   * Verifier logs parsed off the main thread with the output (a big output, see
   * loader-output.ts), aligned with `programs`; for those, the program's `log` is only its tail.
   */
  parsedLogs: (VerifierReport | undefined)[];
  /** What the loader set before load in place of the project's user space. */
  fixups: FixupEvent[];
  error?: LoaderErrorEvent;
  /** The loader's stderr, for logs. */
  stderr: string;
  exitCode: number | null;
}

/** `output.onProgress` hears about the parse of a big output (see loader-output.ts). */
export async function verifyOnTarget(target: Target, localObjectPath: string, logLevel?: number, output: LoaderOutputOptions = {}): Promise<VerifyOutcome> {
  const [loader, objectPath] = await Promise.all([target.loaderPath(), target.upload(localObjectPath)]);
  const argv = [loader, 'verify', objectPath, ...(logLevel ? ['--log-level', String(logLevel)] : [])];
  const result = await target.exec(argv, { timeoutMs: 300_000, privileged: true })
    .finally(() => { if (objectPath !== localObjectPath) void target.discard?.(objectPath).catch(() => undefined); });
  const programs: ProgramEvent[] = [];
  const parsedLogs: (VerifierReport | undefined)[] = [];
  const fixups: FixupEvent[] = [];
  let error: LoaderErrorEvent | undefined;
  const parsed = await parseLoaderOutput(result.stdout, output);
  for (const [index, item] of parsed.items.entries()) {
    if (item.type !== 'event') continue;
    if (item.event.event === 'program') {
      programs.push(item.event as ProgramEvent);
      parsedLogs.push(parsed.parsedLogs.get(index));
    }
    else if (item.event.event === 'error') error = item.event as LoaderErrorEvent;
    else if (item.event.event === 'fixup') fixups.push(item.event as FixupEvent);
  }
  if (!error && programs.length === 0 && result.code !== 0) {
    error = { event: 'error', code: 'loader-failed', reason: `the loader exited with ${result.code ?? result.signal}: ${result.stderr.trim()}` };
  }
  return { programs, parsedLogs, fixups, ...(error ? { error } : {}), stderr: result.stderr, exitCode: result.code };
}

/** A decoded record's fields (core/src/events/decode.ts). */
export type RecordFields = DecodedRecord['fields'];
export type { DecodedRecord };
export type RecordDecoder = (map: string, bytes: Uint8Array) => RecordFields | undefined;

export interface RunOptions {
  trace?: boolean;
  heartbeatSeconds?: number;
  /** Program names: only these load and attach (`--only`), or these do not (`--skip`). */
  only?: string[];
  skip?: string[];
  /** Network interface for XDP and tc programs. */
  iface?: string;
  /** Per-CPU pages of each perf event array's buffer (a power of two). */
  perfPages?: number;
  /** Runtime statistics (BPF_ENABLE_STATS while the run lasts); on unless false. */
  stats?: boolean;
  decode?: RecordDecoder;
}

export function runArgv(loader: string, objectPath: string, options: RunOptions, heartbeat?: number): string[] {
  return [loader, 'run', objectPath, ...(options.trace === false ? [] : ['--trace']),
    ...(heartbeat ? ['--heartbeat', String(heartbeat)] : []),
    ...(options.only ?? []).flatMap((name) => ['--only', name]),
    ...(options.skip ?? []).flatMap((name) => ['--skip', name]),
    ...(options.iface ? ['--iface', options.iface] : []),
    ...(options.perfPages ? ['--perf-pages', String(options.perfPages)] : []),
    ...(options.stats === false ? ['--no-stats'] : [])];
}

export function decodeRecords(event: RecordsEvent, decode?: RecordDecoder): DecodedRecord[] {
  const records: DecodedRecord[] = [];
  for (const [index, data] of event.data.entries()) {
    const bytes = Buffer.from(data, 'base64');
    const cpu = event.cpus[index] ?? -1;
    const fields = decode?.(event.map, bytes);
    records.push(fields ? { map: event.map, cpu, fields } : { map: event.map, cpu, fields: {}, raw: bytes.toString('hex') });
  }
  return records;
}

/**
 * 'event' carries every loader event but records; 'records' carries those, decoded, one batch
 * per loader line; 'lost' and 'stats' are also told apart for consumers that want only them.
 */
export interface RunSessionEvents {
  event: [LoaderEvent | OtherEvent];
  trace: [string];
  records: [DecodedRecord[]];
  lost: [LostEvent];
  stats: [StatsEvent];
  exit: [{ code: number | null; signal: NodeJS.Signals | null }];
}

/**
 * A running `loader run` on a target. Emits 'event' for loader events, 'trace' for each
 * trace_pipe line, 'exit' once. Lines are delivered in order; a consumer that cannot keep up
 * is expected to count and drop (see the trace view), not to buffer here.
 */
export class RunSession extends EventEmitter<RunSessionEvents> {
  readonly attached: AttachedEvent[] = [];
  readonly attachFailures: AttachFailedEvent[] = [];
  readonly loadFailures: (ProgramEvent | LoaderErrorEvent)[] = [];
  /** What the loader set before load in place of the project's user space (a perf event array's size, ...). */
  readonly fixups: FixupEvent[] = [];
  /** Why trace lines cannot be streamed (trace_pipe busy or absent); programs run regardless. */
  traceUnavailable?: string;
  /** The latest runtime statistics (the last one is sent at exit). */
  lastStats?: StatsEvent;
  /** Records each map's kernel side could not deliver, by map. */
  readonly lost = new Map<string, number>();
  readonly ready: Promise<ReadyEvent>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private stopping?: Promise<void>;
  private stderrText = '';

  /**
   * @param objectPath where the object is on the target (removed on stop when it was uploaded)
   */
  constructor(private readonly process: TargetProcess, private readonly cleanup: () => Promise<void> = async () => undefined, readonly objectPath?: string,
    private readonly decode?: RecordDecoder) {
    super();
    const decoder = new StringDecoder('utf8');
    const splitter = new LineSplitter();
    let resolveReady!: (event: ReadyEvent) => void;
    let rejectReady!: (error: Error) => void;
    this.ready = new Promise((resolve, reject) => { resolveReady = resolve; rejectReady = reject; });
    // Callers that only await exit must not see an unhandled rejection from a failed start.
    this.ready.catch(() => undefined);
    const handle = (line: string) => {
      const item = classifyLine(line);
      if (item.type === 'trace' || item.type === 'malformed') { this.emit('trace', item.line); return; }
      const event = item.event;
      if (event.event === 'records') { this.emit('records', decodeRecords(event as RecordsEvent, this.decode)); return; }
      switch (event.event) {
        case 'attached': this.attached.push(event as AttachedEvent); break;
        case 'attach-failed': this.attachFailures.push(event as AttachFailedEvent); break;
        case 'program': if ((event as ProgramEvent).verdict !== 'ok') this.loadFailures.push(event as ProgramEvent); break;
        case 'fixup': this.fixups.push(event as FixupEvent); break;
        case 'error': this.loadFailures.push(event as LoaderErrorEvent); break;
        case 'ready': resolveReady(event as ReadyEvent); break;
        case 'trace-busy': case 'trace-unavailable': this.traceUnavailable = String((event as { reason?: unknown }).reason ?? event.event); break;
        case 'lost': {
          const lost = event as LostEvent;
          this.lost.set(lost.map, (this.lost.get(lost.map) ?? 0) + lost.count);
          this.emit('lost', lost);
          break;
        }
        case 'stats': this.lastStats = event as StatsEvent; this.emit('stats', this.lastStats); break;
      }
      this.emit('event', event);
    };
    process.stdout.on('data', (chunk: Buffer) => { for (const line of splitter.push(decoder.write(chunk))) handle(line); });
    process.stderr.on('data', (chunk: Buffer) => { this.stderrText = (this.stderrText + chunk.toString('utf8')).slice(-16_384); });
    this.exited = process.exited.then((status) => {
      for (const line of splitter.push(decoder.end())) handle(line);
      for (const line of splitter.end()) handle(line);
      rejectReady(new TargetError(this.describeEarlyExit(status), 'LOADER_EXITED'));
      this.emit('exit', status);
      return status;
    });
  }

  /**
   * @param options.heartbeatSeconds the loader detaches when its stdin stays silent this long;
   *   we write a newline three times per interval. On by default for remote targets: a network
   *   that dies without closing the connection then detaches within that time, whatever the
   *   host's sshd keepalive settings are.
   */
  static async start(target: Target, localObjectPath: string, options: RunOptions = {}): Promise<RunSession> {
    const [loader, objectPath] = await Promise.all([target.loaderPath(), target.upload(localObjectPath)]);
    const heartbeat = options.heartbeatSeconds ?? (target.name === 'local' ? undefined : 15);
    const process = target.spawn(runArgv(loader, objectPath, options, heartbeat), { privileged: true });
    if (heartbeat) {
      const beat = setInterval(() => { if (process.stdin.writable) process.stdin.write('\n'); }, (heartbeat * 1000) / 3);
      beat.unref();
      void process.exited.then(() => clearInterval(beat));
    }
    return new RunSession(process, async () => { if (objectPath !== localObjectPath) await target.discard?.(objectPath); }, objectPath, options.decode);
  }

  get stderr(): string { return this.stderrText; }

  /** Callers of dumpMaps() waiting for their answer, oldest first; undefined until the first call. */
  private mapsWaiters?: ((answer: MapsEvent | Error) => void)[];

  /**
   * Asks the running loader for a snapshot of the object's maps (its `maps` command, see
   * loader/README.md). Answers come in the order asked, so each call takes the oldest pending
   * answer; a call that timed out still consumes its own answer when it comes.
   */
  dumpMaps(options: { maxEntries?: number; btf?: boolean; timeoutMs?: number } = {}): Promise<MapsEvent> {
    if (this.stopping) return Promise.reject(new TargetError('the run is stopping; its maps are gone', 'RUN_STOPPED'));
    if (!this.mapsWaiters) {
      const waiters: ((answer: MapsEvent | Error) => void)[] = [];
      this.mapsWaiters = waiters;
      this.on('event', (event) => {
        if (event.event === 'maps') waiters.shift()?.(event as unknown as MapsEvent);
        else if (event.event === 'command-error' && String(event.command).startsWith('maps')) {
          waiters.shift()?.(new TargetError(`the loader refused "${String(event.command)}": ${String(event.reason)}`, 'MAPS_COMMAND'));
        }
      });
      void this.exited.then(() => {
        for (const waiter of waiters.splice(0)) waiter(new TargetError('the loader exited before dumping its maps', 'LOADER_EXITED'));
      });
    }
    const command = `maps${options.maxEntries === undefined ? '' : ` ${Math.max(0, Math.floor(options.maxEntries))}`}${options.btf ? ' btf' : ''}\n`;
    return new Promise<MapsEvent>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        reject(new TargetError(`the loader did not answer "maps" within ${options.timeoutMs ?? 10_000} ms`, 'TIMEOUT'));
      }, options.timeoutMs ?? 10_000);
      timer.unref();
      this.mapsWaiters!.push((answer) => {
        clearTimeout(timer);
        if (settled) return;
        settled = true;
        if (answer instanceof Error) reject(answer);
        else resolve(answer);
      });
      this.process.stdin.write(command);
    });
  }

  /**
   * Detaches: closing stdin is the loader's signal to detach and exit. If it does not exit in
   * time (wedged host), escalate; the kernel drops FD-owned links when the process dies anyway.
   */
  stop(graceMs = 5000): Promise<void> {
    if (!this.stopping) {
      this.stopping = (async () => {
        this.process.stdin.end();
        if (!await this.exitsWithin(graceMs)) {
          this.process.kill('SIGTERM');
          if (!await this.exitsWithin(graceMs)) this.process.kill('SIGKILL');
        }
        await this.exited;
        await this.cleanup().catch(() => undefined);
      })();
    }
    return this.stopping;
  }

  private exitsWithin(ms: number): Promise<boolean> {
    return Promise.race([
      this.exited.then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms).unref()),
    ]);
  }

  private describeEarlyExit(status: { code: number | null; signal: NodeJS.Signals | null }): string {
    const how = status.signal ? `was killed by ${status.signal}` : `exited with code ${status.code}`;
    const failure = this.loadFailures[0];
    const why = failure ? ('reason' in failure && failure.reason ? failure.reason : (failure as ProgramEvent).log?.split('\n').filter(Boolean).slice(-2).join(' ')) : this.stderrText.trim();
    return `the loader ${how} before its programs were ready${why ? `: ${why}` : ''}`;
  }
}
