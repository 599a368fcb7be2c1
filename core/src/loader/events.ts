/**
 * The loader's output protocol (loader/loader.c): each event is one line made of the byte 0x1e
 * followed by a JSON object; in `run --trace` mode, raw trace_pipe lines are interleaved
 * without that prefix. This module splits such a stream into typed events and trace lines.
 */

export const EVENT_MARK = '\x1e';

/** `unsupported`: this kernel cannot load or attach this kind of program at all (issue #9). */
export type ProgramVerdict = 'ok' | 'rejected' | 'unsupported' | 'attach-target-missing' | 'not-loaded';

export interface ProgramEvent {
  event: 'program';
  name: string;
  section: string;
  progType: string;
  attachTo: string | null;
  verdict: ProgramVerdict;
  errno: number;
  errnoName?: string;
  log: string;
  libbpfLog: string;
  insnsProcessed: number | null;
  stackDepth: string | null;
  insnCount: number;
  loadTimeUs?: number;
  reason?: string;
  /** Why, for `not-loaded` and `unsupported`: no-btf, map-create, kernel-unsupported, no-kprobes, ... */
  code?: string;
}

/** Something the loader set on the object before load that the project's user space would set (loader/src/fixup.c). */
export interface FixupEvent {
  event: 'fixup';
  kind: 'max-entries' | 'ringbuf-size' | 'key-size' | 'value-size' | 'inner-map' | 'pinning' | 'prog-type' | string;
  map: string | null;
  program: string | null;
  from?: number;
  to?: number;
  message: string;
}

export interface AttachedEvent {
  event: 'attached'; name: string; section: string; progType: string; progId: number; attachTo?: string | null;
  /** How an XDP or tc program holds its interface: all but tc-legacy detach when the loader dies (issue #11). */
  mode?: 'xdp-link' | 'tcx' | 'tc-legacy';
}
export interface AttachFailedEvent {
  event: 'attach-failed'; name: string; section: string; errno: number; errnoName?: string; reason: string; libbpfLog?: string;
}
export interface ReadyEvent { event: 'ready'; pid: number; attached: number; failed: number }
export interface DetachedEvent { event: 'detached'; count: number }
export interface DoneEvent { event: 'done'; programs: number; ok: number; failed: number; unsupported?: number }
export interface TraceBusyEvent { event: 'trace-busy'; reason: string }
export interface LoaderErrorEvent { event: 'error'; code: string; errno?: number; reason: string }
export interface ProbeEvent {
  event: 'probe'; kernel: string; arch: string; btf: boolean; tracefs: string | null; bpffs: boolean;
  kprobes: boolean; uprobes: boolean; fentry: boolean; lockdown: string; euid: number;
  unprivilegedBpfDisabled?: number;
}
/**
 * One batch of records from a ring buffer or perf event array, raw: several records per line
 * keep 200k records/s cheap (issue #11). A ring buffer does not say which CPU wrote a record
 * (cpu -1); a perf record's bytes are padded by the kernel to a multiple of 8 (plus 4).
 */
export interface RecordsEvent { event: 'records'; map: string; /** one per record */ cpus: number[]; /** base64 of each record's bytes */ data: string[] }
/** Records the kernel could not deliver (perf: lost samples; ringbuf: reserve failures are invisible to user space, so only what libbpf reports). */
export interface LostEvent { event: 'lost'; map: string; cpu?: number; count: number }
/** Per-program runtime stats (BPF_ENABLE_STATS while the run is watched). Sent every second and at exit. */
export interface StatsEvent { event: 'stats'; programs: { name: string; id: number; runCount: number; runTimeNs: number }[] }

/** Events this version does not know are kept, so a newer loader never breaks an older client. */
export interface OtherEvent { event: string; [key: string]: unknown }

export type LoaderEvent =
  | ProgramEvent | AttachedEvent | AttachFailedEvent | ReadyEvent | DetachedEvent | DoneEvent
  | TraceBusyEvent | LoaderErrorEvent | ProbeEvent | FixupEvent | RecordsEvent | LostEvent | StatsEvent;

export type StreamItem =
  | { type: 'event'; event: LoaderEvent | OtherEvent }
  | { type: 'trace'; line: string }
  | { type: 'malformed'; line: string; error: string };

/** Classifies one complete line (without its newline). */
export function classifyLine(line: string): StreamItem {
  if (!line.startsWith(EVENT_MARK)) return { type: 'trace', line };
  try {
    const value: unknown = JSON.parse(line.slice(1));
    if (value && typeof value === 'object' && typeof (value as { event?: unknown }).event === 'string') {
      return { type: 'event', event: value as LoaderEvent };
    }
    return { type: 'malformed', line, error: 'event without an "event" field' };
  } catch (error) {
    return { type: 'malformed', line, error: String(error) };
  }
}

/**
 * Incremental line splitter: feed it decoded chunks as they arrive; it returns the complete
 * lines and keeps the partial tail. Trace lines longer than `maxLineLength` are cut so a runaway
 * producer cannot grow memory without bound; event lines are not, since a `program` event
 * carries a whole verifier log (tens of MB for big programs) and comes from our own loader.
 */
export class LineSplitter {
  /**
   * The unfinished line in the pieces it came in, joined once its newline arrives: joining a
   * growing 40 MB event line again on every 64 KB chunk took minutes (issue #9).
   */
  private pending: string[] = [];
  private pendingLength = 0;
  constructor(private readonly maxLineLength = 1 << 20) {}

  push(chunk: string): string[] {
    const pieces = chunk.split('\n');
    const rest = pieces.pop() ?? '';
    const lines = pieces;
    if (lines.length > 0) lines[0] = this.take() + lines[0];
    if (rest) { this.pending.push(rest); this.pendingLength += rest.length; }
    // Pieces kept are never empty, so the first one starts the line.
    if (this.pendingLength > this.maxLineLength && !this.pending[0]!.startsWith(EVENT_MARK)) lines.push(this.take());
    return lines;
  }

  /** Returns what is left once the stream has ended. */
  end(): string[] {
    const rest = this.take();
    return rest ? [rest] : [];
  }

  private take(): string {
    const line = this.pending.length === 1 ? this.pending[0]! : this.pending.join('');
    this.pending = [];
    this.pendingLength = 0;
    return line;
  }
}
