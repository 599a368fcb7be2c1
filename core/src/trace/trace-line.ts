/**
 * Parses lines of tracefs `trace_pipe` into their columns. The kernel prints each record as
 *
 *     <task>-<pid> [(<tgid>)] [<cpu>] [<flags>] <timestamp>: <event>: <message>
 *
 * with the task name right-aligned in 16 columns (it may itself hold spaces and dashes, so the
 * pid is the last `-digits` before the CPU column), the tgid only with the `record-tgid`
 * option, the latency flags (irqs-off, need-resched, hard/softirq, preempt depth, migrate
 * disable) only with `irq-info`, and a timestamp in seconds (or a raw counter for the
 * `counter`/TSC clocks). When the ring buffer overran, the kernel prints
 * `CPU:<n> [LOST <count> EVENTS]` instead. Anything else is kept whole as `raw`.
 */

export interface TraceRecord {
  kind: 'record';
  task: string;
  pid: number;
  /** Only with the `record-tgid` trace option; undefined when not recorded or shown as dashes. */
  tgid?: number;
  cpu: number;
  /** Latency flags such as `...21` or `d.h1.`; '' when the `irq-info` option is off. */
  flags: string;
  /** As printed, e.g. `8811.093571`. */
  timestamp: string;
  /** Seconds (or clock ticks for counter clocks) as a number. */
  time: number;
  /** The event that produced the record: `bpf_trace_printk` for bpf_printk(), `tracing_mark_write`, ... */
  event: string;
  message: string;
}

export interface LostEvents {
  kind: 'lost';
  cpu: number;
  count: number;
}

export interface RawTraceLine {
  kind: 'raw';
  text: string;
}

export type TraceLine = TraceRecord | LostEvents | RawTraceLine;

// task-pid, optional (tgid), [cpu], optional flags, timestamp:, then "event: message".
const RECORD = /^\s*(.*?)-(\d+)\s+(?:\(\s*(\d+|-+)\)\s+)?\[(\d+)\]\s+(?:([^\s[\]]{4,6})\s+)?(\d+(?:\.\d+)?):\s?(.*)$/;
// The event name is what the kernel prints before ": " — an identifier, for ftrace and for trace events alike.
const EVENT = /^([A-Za-z_][\w.]*):\s?/;
const LOST = /^CPU:(\d+) \[LOST (\d+) EVENTS\]\s*$/;

/** Splits one line (without its newline) into columns; never throws. */
export function parseTraceLine(line: string): TraceLine {
  const record = RECORD.exec(line);
  if (record) {
    const [, task, pid, tgid, cpu, flags, timestamp, rest] = record;
    const event = EVENT.exec(rest!);
    const parsed: TraceRecord = {
      kind: 'record',
      task: task!,
      pid: Number(pid),
      cpu: Number(cpu),
      flags: flags ?? '',
      timestamp: timestamp!,
      time: Number(timestamp),
      event: event ? event[1]! : '',
      message: event ? rest!.slice(event[0].length) : rest!,
    };
    if (tgid && /^\d+$/.test(tgid)) parsed.tgid = Number(tgid);
    return parsed;
  }
  const lost = LOST.exec(line);
  if (lost) return { kind: 'lost', cpu: Number(lost[1]), count: Number(lost[2]) };
  return { kind: 'raw', text: line };
}
