/**
 * The SEC() names libbpf understands, as data. libbpf picks the program type (and, for
 * auto-attach, the attach point) from the ELF section name alone, so a typo there silently gives
 * the wrong program type or no attachment: completion, hover and diagnostics all read this table.
 *
 * Facts (prefixes, program and attach types, target syntax) follow libbpf's section table as of
 * libbpf 1.5; the descriptions are our own.
 */

/** What the section name carries after `prefix/`. */
export type SectionTargetKind =
  | 'none'
  /** `category/event` from tracefs. */
  | 'tracepoint'
  /** A tracepoint's event name without category (raw_tp, tp_btf). */
  | 'raw-tracepoint'
  /** A kernel function, `[module:]name` for BTF-based attach, `name[+offset]` for kprobes. */
  | 'kernel-function'
  /** A glob over kernel function names (kprobe.multi). */
  | 'kernel-function-pattern'
  /** A syscall name without arch prefix: `openat`. */
  | 'syscall'
  /** An LSM hook name without the `security_`/`bpf_lsm_` prefix: `file_open`. */
  | 'lsm-hook'
  /** `binary:symbol[+offset]`; the binary is a path or a library name. */
  | 'uprobe'
  /** `binary:symbol-glob` (uprobe.multi). */
  | 'uprobe-pattern'
  /** `binary:provider:name`. */
  | 'usdt'
  /** A BPF iterator target: `task`, `bpf_map_elem`, ... */
  | 'iter-target'
  /** A struct_ops member name; free-form for libbpf. */
  | 'struct-ops'
  /** A global function of the BPF program being replaced. */
  | 'bpf-function';

export type ProgramMacro =
  | 'BPF_KPROBE'
  | 'BPF_KRETPROBE'
  | 'BPF_KSYSCALL'
  | 'BPF_UPROBE'
  | 'BPF_URETPROBE'
  | 'BPF_USDT'
  | 'BPF_PROG';

export interface SectionDef {
  /** The text before the first `/` of a target, or the whole fixed name. */
  prefix: string;
  /** Set on spelling variants that behave identically (`tp` for `tracepoint`). */
  aliasOf?: string;
  target: SectionTargetKind;
  /**
   * `optional`: the bare prefix is accepted but libbpf will not auto-attach it.
   * `none` sections must match exactly (libbpf rejects `xdp/foo`).
   */
  targetRequired: 'none' | 'optional' | 'required';
  programType: string;
  /** The expected attach type libbpf sets, when it sets one. */
  attachType?: string;
  /** What the program receives as its single argument. */
  ctxType: string;
  sleepable?: boolean;
  /** Macro from bpf_tracing.h (or usdt.bpf.h) that unpacks the ctx into typed arguments. */
  programMacro?: ProgramMacro;
  /** One line, shown in completion and hover. */
  doc: string;
  /** A complete section name to show in documentation. */
  example?: string;
  /**
   * Set when libbpf 1.1 (Debian 12's, which our loader links statically) does not know the name:
   * such programs need a newer libbpf. Checked against libbpf.a by test/unit/sections.test.ts.
   */
  newerThanLibbpf?: '1.1';
}

const KPROBE_CTX = 'struct pt_regs *';
const BTF_CTX = 'unsigned long long * (typed via BPF_PROG)';
const SKB_CTX = 'struct __sk_buff *';

function def(
  prefix: string,
  programType: string,
  ctxType: string,
  doc: string,
  extra: Partial<SectionDef> = {},
): SectionDef {
  return { prefix, programType: `BPF_PROG_TYPE_${programType}`, ctxType, doc, target: 'none', targetRequired: 'none', ...extra };
}

function alias(prefix: string, of: SectionDef): SectionDef {
  return { ...of, prefix, aliasOf: of.prefix, example: of.example?.replace(of.prefix, prefix) };
}

const tracepoint = def('tracepoint', 'TRACEPOINT', 'pointer to the record laid out by events/<category>/<event>/format',
  'Static kernel tracepoint; ctx is the raw record described by its tracefs format file.',
  { target: 'tracepoint', targetRequired: 'optional', example: 'tracepoint/syscalls/sys_enter_openat' });
const rawTracepoint = def('raw_tracepoint', 'RAW_TRACEPOINT', 'struct bpf_raw_tracepoint_args *',
  'Tracepoint without record copying; ctx->args[] holds the tracepoint\'s C arguments as u64.',
  { target: 'raw-tracepoint', targetRequired: 'optional', example: 'raw_tracepoint/sched_switch' });
const rawTracepointWritable = def('raw_tracepoint.w', 'RAW_TRACEPOINT_WRITABLE', 'struct bpf_raw_tracepoint_args *',
  'Raw tracepoint that may write into the tracepoint\'s buffer argument (only tracepoints built for it).',
  { target: 'raw-tracepoint', targetRequired: 'optional', example: 'raw_tracepoint.w/bpf_test_finish' });
const kprobe = def('kprobe', 'KPROBE', KPROBE_CTX,
  'Dynamic probe at the entry (or +offset) of a kernel function; arguments come from registers.',
  { target: 'kernel-function', targetRequired: 'optional', programMacro: 'BPF_KPROBE', example: 'kprobe/do_unlinkat' });
const uprobe = def('uprobe', 'KPROBE', KPROBE_CTX,
  'Dynamic probe on a user-space function of a binary or library.',
  { target: 'uprobe', targetRequired: 'optional', programMacro: 'BPF_UPROBE', example: 'uprobe//bin/bash:readline' });

export const SECTION_DEFS: readonly SectionDef[] = [
  def('socket', 'SOCKET_FILTER', SKB_CTX, 'Socket filter: returns how many bytes of each packet to keep (0 drops it).'),
  def('sk_reuseport/migrate', 'SK_REUSEPORT', 'struct sk_reuseport_md *',
    'Picks the socket in a SO_REUSEPORT group, also called when a request migrates away from a closing listener.',
    { attachType: 'BPF_SK_REUSEPORT_SELECT_OR_MIGRATE' }),
  def('sk_reuseport', 'SK_REUSEPORT', 'struct sk_reuseport_md *', 'Picks which socket of a SO_REUSEPORT group receives a packet.',
    { attachType: 'BPF_SK_REUSEPORT_SELECT' }),

  kprobe,
  def('kretprobe', 'KPROBE', KPROBE_CTX, 'Runs when a kernel function returns; the return value is in the registers.',
    { target: 'kernel-function', targetRequired: 'optional', programMacro: 'BPF_KRETPROBE', example: 'kretprobe/do_unlinkat' }),
  def('kprobe.multi', 'KPROBE', KPROBE_CTX, 'One program on many kernel functions at once, selected by a glob (fprobe-based).',
    { target: 'kernel-function-pattern', targetRequired: 'optional', attachType: 'BPF_TRACE_KPROBE_MULTI', programMacro: 'BPF_KPROBE', example: 'kprobe.multi/tcp_*' }),
  def('kretprobe.multi', 'KPROBE', KPROBE_CTX, 'Return probe on every kernel function matching a glob.',
    { target: 'kernel-function-pattern', targetRequired: 'optional', attachType: 'BPF_TRACE_KPROBE_MULTI', programMacro: 'BPF_KRETPROBE', example: 'kretprobe.multi/tcp_*' }),
  def('kprobe.session', 'KPROBE', KPROBE_CTX, 'Entry and return of functions matching a glob in one program; the entry run can cancel the return run.',
    { target: 'kernel-function-pattern', targetRequired: 'optional', attachType: 'BPF_TRACE_KPROBE_SESSION', programMacro: 'BPF_KPROBE', example: 'kprobe.session/vfs_*', newerThanLibbpf: '1.1' }),
  def('ksyscall', 'KPROBE', KPROBE_CTX, 'Kprobe on a syscall by its plain name; libbpf finds the arch-specific entry symbol.',
    { target: 'syscall', targetRequired: 'optional', programMacro: 'BPF_KSYSCALL', example: 'ksyscall/openat' }),
  def('kretsyscall', 'KPROBE', KPROBE_CTX, 'Return probe on a syscall by its plain name.',
    { target: 'syscall', targetRequired: 'optional', programMacro: 'BPF_KRETPROBE', example: 'kretsyscall/openat' }),

  uprobe,
  def('uretprobe', 'KPROBE', KPROBE_CTX, 'Runs when a user-space function returns.',
    { target: 'uprobe', targetRequired: 'optional', programMacro: 'BPF_URETPROBE', example: 'uretprobe//bin/bash:readline' }),
  def('uprobe.s', 'KPROBE', KPROBE_CTX, 'Sleepable uprobe: may fault in user memory (bpf_copy_from_user).',
    { target: 'uprobe', targetRequired: 'optional', sleepable: true, programMacro: 'BPF_UPROBE', example: 'uprobe.s//bin/bash:readline' }),
  def('uretprobe.s', 'KPROBE', KPROBE_CTX, 'Sleepable return uprobe.',
    { target: 'uprobe', targetRequired: 'optional', sleepable: true, programMacro: 'BPF_URETPROBE', example: 'uretprobe.s//bin/bash:readline' }),
  def('uprobe.multi', 'KPROBE', KPROBE_CTX, 'One uprobe program on many symbols of a binary, selected by a glob.',
    { target: 'uprobe-pattern', targetRequired: 'optional', attachType: 'BPF_TRACE_UPROBE_MULTI', programMacro: 'BPF_UPROBE', example: 'uprobe.multi//usr/lib/libc.so.6:malloc*', newerThanLibbpf: '1.1' }),
  def('uretprobe.multi', 'KPROBE', KPROBE_CTX, 'Return uprobes on many symbols matching a glob.',
    { target: 'uprobe-pattern', targetRequired: 'optional', attachType: 'BPF_TRACE_UPROBE_MULTI', programMacro: 'BPF_URETPROBE', newerThanLibbpf: '1.1' }),
  def('uprobe.multi.s', 'KPROBE', KPROBE_CTX, 'Sleepable multi-uprobe.',
    { target: 'uprobe-pattern', targetRequired: 'optional', attachType: 'BPF_TRACE_UPROBE_MULTI', sleepable: true, programMacro: 'BPF_UPROBE', newerThanLibbpf: '1.1' }),
  def('uretprobe.multi.s', 'KPROBE', KPROBE_CTX, 'Sleepable multi-uretprobe.',
    { target: 'uprobe-pattern', targetRequired: 'optional', attachType: 'BPF_TRACE_UPROBE_MULTI', sleepable: true, programMacro: 'BPF_URETPROBE', newerThanLibbpf: '1.1' }),
  def('uprobe.session', 'KPROBE', KPROBE_CTX, 'Entry and return of user functions in one program.',
    { target: 'uprobe-pattern', targetRequired: 'optional', attachType: 'BPF_TRACE_UPROBE_SESSION', programMacro: 'BPF_UPROBE', newerThanLibbpf: '1.1' }),
  def('usdt', 'KPROBE', KPROBE_CTX, 'User statically-defined tracepoint (a .note.stapsdt probe) in a binary; arguments via BPF_USDT.',
    { target: 'usdt', targetRequired: 'optional', programMacro: 'BPF_USDT', example: 'usdt//usr/lib/libc.so.6:libc:setjmp' }),
  def('usdt.s', 'KPROBE', KPROBE_CTX, 'Sleepable USDT probe.',
    { target: 'usdt', targetRequired: 'optional', sleepable: true, programMacro: 'BPF_USDT', newerThanLibbpf: '1.1' }),

  def('tc/ingress', 'SCHED_CLS', SKB_CTX, 'Traffic-control program on ingress, attached through tcx (same as tcx/ingress).', { attachType: 'BPF_TCX_INGRESS', newerThanLibbpf: '1.1' }),
  def('tc/egress', 'SCHED_CLS', SKB_CTX, 'Traffic-control program on egress, attached through tcx (same as tcx/egress).', { attachType: 'BPF_TCX_EGRESS', newerThanLibbpf: '1.1' }),
  def('tcx/ingress', 'SCHED_CLS', SKB_CTX, 'tcx link on a device\'s ingress path; returns TCX_PASS/TCX_DROP/TCX_REDIRECT/TCX_NEXT.', { attachType: 'BPF_TCX_INGRESS', newerThanLibbpf: '1.1' }),
  def('tcx/egress', 'SCHED_CLS', SKB_CTX, 'tcx link on a device\'s egress path.', { attachType: 'BPF_TCX_EGRESS', newerThanLibbpf: '1.1' }),
  def('tc', 'SCHED_CLS', SKB_CTX, 'Traffic-control classifier for the clsact qdisc (attach with tc or bpf_tc_attach).'),
  def('classifier', 'SCHED_CLS', SKB_CTX, 'Older spelling of `tc`: a cls_bpf classifier.'),
  def('action', 'SCHED_ACT', SKB_CTX, 'tc action (act_bpf) program.'),
  def('netkit/primary', 'SCHED_CLS', SKB_CTX, 'Program on the primary device of a netkit pair.', { attachType: 'BPF_NETKIT_PRIMARY', newerThanLibbpf: '1.1' }),
  def('netkit/peer', 'SCHED_CLS', SKB_CTX, 'Program on the peer device of a netkit pair.', { attachType: 'BPF_NETKIT_PEER', newerThanLibbpf: '1.1' }),

  tracepoint,
  alias('tp', tracepoint),
  rawTracepoint,
  alias('raw_tp', rawTracepoint),
  rawTracepointWritable,
  alias('raw_tp.w', rawTracepointWritable),
  def('tp_btf', 'TRACING', BTF_CTX, 'BTF-typed raw tracepoint: the tracepoint\'s C arguments arrive typed, pointers readable directly.',
    { target: 'raw-tracepoint', targetRequired: 'required', attachType: 'BPF_TRACE_RAW_TP', programMacro: 'BPF_PROG', example: 'tp_btf/sched_switch' }),
  def('fentry', 'TRACING', BTF_CTX, 'Trampoline at a kernel function\'s entry with BTF-typed arguments; cheaper than a kprobe.',
    { target: 'kernel-function', targetRequired: 'required', attachType: 'BPF_TRACE_FENTRY', programMacro: 'BPF_PROG', example: 'fentry/do_unlinkat' }),
  def('fmod_ret', 'TRACING', BTF_CTX, 'Runs before a function and may replace its return value (error-injectable functions only).',
    { target: 'kernel-function', targetRequired: 'required', attachType: 'BPF_MODIFY_RETURN', programMacro: 'BPF_PROG', example: 'fmod_ret/security_file_open' }),
  def('fexit', 'TRACING', BTF_CTX, 'Trampoline at a kernel function\'s return with its arguments and return value, all typed.',
    { target: 'kernel-function', targetRequired: 'required', attachType: 'BPF_TRACE_FEXIT', programMacro: 'BPF_PROG', example: 'fexit/do_unlinkat' }),
  def('fentry.s', 'TRACING', BTF_CTX, 'Sleepable fentry (only on functions allowed to sleep).',
    { target: 'kernel-function', targetRequired: 'required', attachType: 'BPF_TRACE_FENTRY', sleepable: true, programMacro: 'BPF_PROG' }),
  def('fmod_ret.s', 'TRACING', BTF_CTX, 'Sleepable fmod_ret.',
    { target: 'kernel-function', targetRequired: 'required', attachType: 'BPF_MODIFY_RETURN', sleepable: true, programMacro: 'BPF_PROG' }),
  def('fexit.s', 'TRACING', BTF_CTX, 'Sleepable fexit.',
    { target: 'kernel-function', targetRequired: 'required', attachType: 'BPF_TRACE_FEXIT', sleepable: true, programMacro: 'BPF_PROG' }),
  def('freplace', 'EXT', BTF_CTX, 'Replaces a global function of an already loaded BPF program.',
    { target: 'bpf-function', targetRequired: 'required', programMacro: 'BPF_PROG' }),
  def('lsm', 'LSM', BTF_CTX, 'Linux Security Module hook; a non-zero return denies the operation.',
    { target: 'lsm-hook', targetRequired: 'required', attachType: 'BPF_LSM_MAC', programMacro: 'BPF_PROG', example: 'lsm/file_open' }),
  def('lsm.s', 'LSM', BTF_CTX, 'Sleepable LSM hook.',
    { target: 'lsm-hook', targetRequired: 'required', attachType: 'BPF_LSM_MAC', sleepable: true, programMacro: 'BPF_PROG', example: 'lsm.s/file_open' }),
  def('lsm_cgroup', 'LSM', BTF_CTX, 'LSM hook scoped to a cgroup.',
    { target: 'lsm-hook', targetRequired: 'required', attachType: 'BPF_LSM_CGROUP', programMacro: 'BPF_PROG', example: 'lsm_cgroup/socket_bind' }),
  def('iter', 'TRACING', 'struct bpf_iter__<target> *', 'BPF iterator: called once per kernel object, writes text with bpf_seq_printf.',
    { target: 'iter-target', targetRequired: 'required', attachType: 'BPF_TRACE_ITER', example: 'iter/task' }),
  def('iter.s', 'TRACING', 'struct bpf_iter__<target> *', 'Sleepable BPF iterator.',
    { target: 'iter-target', targetRequired: 'required', attachType: 'BPF_TRACE_ITER', sleepable: true, example: 'iter.s/task' }),
  def('syscall', 'SYSCALL', 'your own struct, passed by BPF_PROG_TEST_RUN', 'Program run on demand from user space; may call bpf() itself (loader programs).',
    { sleepable: true }),

  def('xdp.frags/devmap', 'XDP', 'struct xdp_md *', 'Multi-buffer XDP program run on packets redirected into a devmap.', { attachType: 'BPF_XDP_DEVMAP' }),
  def('xdp/devmap', 'XDP', 'struct xdp_md *', 'XDP program run on packets redirected into a devmap entry.', { attachType: 'BPF_XDP_DEVMAP' }),
  def('xdp.frags/cpumap', 'XDP', 'struct xdp_md *', 'Multi-buffer XDP program run on packets redirected into a cpumap.', { attachType: 'BPF_XDP_CPUMAP' }),
  def('xdp/cpumap', 'XDP', 'struct xdp_md *', 'XDP program run on packets redirected to another CPU through a cpumap.', { attachType: 'BPF_XDP_CPUMAP' }),
  def('xdp.frags', 'XDP', 'struct xdp_md *', 'XDP program that accepts multi-buffer (jumbo / GRO) packets.', { attachType: 'BPF_XDP' }),
  def('xdp', 'XDP', 'struct xdp_md *', 'Runs in the driver on every received packet before an skb exists; returns XDP_PASS/DROP/TX/REDIRECT.',
    { attachType: 'BPF_XDP' }),
  def('perf_event', 'PERF_EVENT', 'struct bpf_perf_event_data *', 'Runs on a perf event overflow (sampling timer, hardware counter).'),
  def('lwt_in', 'LWT_IN', SKB_CTX, 'Lightweight tunnel program on route input.'),
  def('lwt_out', 'LWT_OUT', SKB_CTX, 'Lightweight tunnel program on route output.'),
  def('lwt_xmit', 'LWT_XMIT', SKB_CTX, 'Lightweight tunnel program at transmit; may push encapsulation headers.'),
  def('lwt_seg6local', 'LWT_SEG6LOCAL', SKB_CTX, 'SRv6 local behaviour (End.BPF).'),
  def('sockops', 'SOCK_OPS', 'struct bpf_sock_ops *', 'Called at TCP events (connect, established, RTO...) to tune socket options per connection.',
    { attachType: 'BPF_CGROUP_SOCK_OPS' }),
  def('sk_skb/stream_parser', 'SK_SKB', SKB_CTX, 'Sockmap stream parser: returns the length of the next message.', { attachType: 'BPF_SK_SKB_STREAM_PARSER' }),
  def('sk_skb/stream_verdict', 'SK_SKB', SKB_CTX, 'Sockmap stream verdict: pass, drop or redirect each parsed message.', { attachType: 'BPF_SK_SKB_STREAM_VERDICT' }),
  def('sk_skb/verdict', 'SK_SKB', SKB_CTX, 'Sockmap verdict without a parser (works for UDP too).', { attachType: 'BPF_SK_SKB_VERDICT', newerThanLibbpf: '1.1' }),
  def('sk_skb', 'SK_SKB', SKB_CTX, 'Sockmap skb program; the attach type is chosen when attaching.'),
  def('sk_msg', 'SK_MSG', 'struct sk_msg_md *', 'Verdict on each sendmsg() of sockets in a sockmap/sockhash.', { attachType: 'BPF_SK_MSG_VERDICT' }),
  def('lirc_mode2', 'LIRC_MODE2', 'unsigned int *', 'Decodes raw infrared pulses on a lirc device.', { attachType: 'BPF_LIRC_MODE2' }),
  def('flow_dissector', 'FLOW_DISSECTOR', SKB_CTX, 'Replaces the kernel\'s flow dissector for a network namespace.', { attachType: 'BPF_FLOW_DISSECTOR' }),
  def('cgroup_skb/ingress', 'CGROUP_SKB', SKB_CTX, 'Filters packets received by sockets of a cgroup; return 1 to allow.', { attachType: 'BPF_CGROUP_INET_INGRESS' }),
  def('cgroup_skb/egress', 'CGROUP_SKB', SKB_CTX, 'Filters packets sent by sockets of a cgroup; return 1 to allow.', { attachType: 'BPF_CGROUP_INET_EGRESS' }),
  def('cgroup/skb', 'CGROUP_SKB', SKB_CTX, 'cgroup skb filter; direction chosen when attaching.'),
  def('cgroup/sock_create', 'CGROUP_SOCK', 'struct bpf_sock *', 'Runs when a process in the cgroup creates a socket; return 0 to refuse.', { attachType: 'BPF_CGROUP_INET_SOCK_CREATE' }),
  def('cgroup/sock_release', 'CGROUP_SOCK', 'struct bpf_sock *', 'Runs when a socket of the cgroup is released.', { attachType: 'BPF_CGROUP_INET_SOCK_RELEASE' }),
  def('cgroup/sock', 'CGROUP_SOCK', 'struct bpf_sock *', 'Older spelling of cgroup/sock_create.', { attachType: 'BPF_CGROUP_INET_SOCK_CREATE' }),
  def('cgroup/post_bind4', 'CGROUP_SOCK', 'struct bpf_sock *', 'Runs after an IPv4 bind() succeeded; may still refuse it.', { attachType: 'BPF_CGROUP_INET4_POST_BIND' }),
  def('cgroup/post_bind6', 'CGROUP_SOCK', 'struct bpf_sock *', 'Runs after an IPv6 bind() succeeded; may still refuse it.', { attachType: 'BPF_CGROUP_INET6_POST_BIND' }),
  ...sockAddrHooks(),
  def('cgroup/sysctl', 'CGROUP_SYSCTL', 'struct bpf_sysctl *', 'Sees (and may rewrite or refuse) /proc/sys reads and writes from the cgroup.', { attachType: 'BPF_CGROUP_SYSCTL' }),
  def('cgroup/getsockopt', 'CGROUP_SOCKOPT', 'struct bpf_sockopt *', 'Runs on getsockopt(); may change the value returned.', { attachType: 'BPF_CGROUP_GETSOCKOPT' }),
  def('cgroup/setsockopt', 'CGROUP_SOCKOPT', 'struct bpf_sockopt *', 'Runs on setsockopt(); may rewrite or refuse the option.', { attachType: 'BPF_CGROUP_SETSOCKOPT' }),
  def('cgroup/dev', 'CGROUP_DEVICE', 'struct bpf_cgroup_dev_ctx *', 'Device access control (cgroup v2 devices controller).', { attachType: 'BPF_CGROUP_DEVICE' }),
  def('struct_ops', 'STRUCT_OPS', BTF_CTX, 'Implements one member of a kernel ops table (TCP congestion control, sched_ext, ...).',
    { target: 'struct-ops', targetRequired: 'optional', programMacro: 'BPF_PROG', example: 'struct_ops/cwnd_event' }),
  def('struct_ops.s', 'STRUCT_OPS', BTF_CTX, 'Sleepable struct_ops member.',
    { target: 'struct-ops', targetRequired: 'optional', sleepable: true, programMacro: 'BPF_PROG', newerThanLibbpf: '1.1' }),
  def('sk_lookup', 'SK_LOOKUP', 'struct bpf_sk_lookup *', 'Chooses the listening socket for a new connection or datagram in a netns.', { attachType: 'BPF_SK_LOOKUP' }),
  def('netfilter', 'NETFILTER', 'struct bpf_nf_ctx *', 'Netfilter hook program; returns NF_ACCEPT or NF_DROP.', { attachType: 'BPF_NETFILTER', newerThanLibbpf: '1.1' }),
];

function sockAddrHooks(): SectionDef[] {
  const hooks: [string, string, string][] = [
    ['bind4', 'BPF_CGROUP_INET4_BIND', 'IPv4 bind(); may rewrite the address or refuse.'],
    ['bind6', 'BPF_CGROUP_INET6_BIND', 'IPv6 bind(); may rewrite the address or refuse.'],
    ['connect4', 'BPF_CGROUP_INET4_CONNECT', 'IPv4 connect(); may rewrite the destination (transparent proxying).'],
    ['connect6', 'BPF_CGROUP_INET6_CONNECT', 'IPv6 connect(); may rewrite the destination.'],
    ['connect_unix', 'BPF_CGROUP_UNIX_CONNECT', 'connect() on a unix socket; may rewrite the path.'],
    ['sendmsg4', 'BPF_CGROUP_UDP4_SENDMSG', 'UDP/IPv4 sendmsg(); may rewrite the destination.'],
    ['sendmsg6', 'BPF_CGROUP_UDP6_SENDMSG', 'UDP/IPv6 sendmsg(); may rewrite the destination.'],
    ['sendmsg_unix', 'BPF_CGROUP_UNIX_SENDMSG', 'sendmsg() on a unix socket.'],
    ['recvmsg4', 'BPF_CGROUP_UDP4_RECVMSG', 'UDP/IPv4 recvmsg(); may rewrite the source address seen by the app.'],
    ['recvmsg6', 'BPF_CGROUP_UDP6_RECVMSG', 'UDP/IPv6 recvmsg(); may rewrite the source address seen by the app.'],
    ['recvmsg_unix', 'BPF_CGROUP_UNIX_RECVMSG', 'recvmsg() on a unix socket.'],
    ['getpeername4', 'BPF_CGROUP_INET4_GETPEERNAME', 'IPv4 getpeername(); may rewrite the reported address.'],
    ['getpeername6', 'BPF_CGROUP_INET6_GETPEERNAME', 'IPv6 getpeername(); may rewrite the reported address.'],
    ['getpeername_unix', 'BPF_CGROUP_UNIX_GETPEERNAME', 'getpeername() on a unix socket.'],
    ['getsockname4', 'BPF_CGROUP_INET4_GETSOCKNAME', 'IPv4 getsockname(); may rewrite the reported address.'],
    ['getsockname6', 'BPF_CGROUP_INET6_GETSOCKNAME', 'IPv6 getsockname(); may rewrite the reported address.'],
    ['getsockname_unix', 'BPF_CGROUP_UNIX_GETSOCKNAME', 'getsockname() on a unix socket.'],
  ];
  return hooks.map(([hook, attachType, what]) =>
    def(`cgroup/${hook}`, 'CGROUP_SOCK_ADDR', 'struct bpf_sock_addr *', `Runs on ${what}`, {
      attachType,
      // The unix-socket hooks arrived after libbpf 1.1.
      ...(hook.endsWith('_unix') ? { newerThanLibbpf: '1.1' as const } : {}),
    }),
  );
}

/**
 * Non-program sections a BPF object commonly holds; they are valid SEC() arguments but carry
 * data, so they get no program diagnostics. Names ending in `.` match any suffix.
 */
export const DATA_SECTIONS: readonly { name: string; doc: string }[] = [
  { name: '.maps', doc: 'BTF-defined maps (struct { __uint(type, ...); ... } name SEC(".maps")).' },
  { name: 'maps', doc: 'Legacy `struct bpf_map_def` maps; libbpf 1.0 no longer accepts them.' },
  { name: 'license', doc: 'The program license string; GPL-only helpers need a GPL-compatible one.' },
  { name: 'version', doc: 'Kernel version for very old kprobe loaders; ignored by current kernels.' },
  { name: '.data', doc: 'Initialized global variables, exposed in the skeleton as skel->data.' },
  { name: '.data.', doc: 'A named custom data section (its own map).' },
  { name: '.rodata', doc: 'Constant globals, frozen after load; the verifier uses their values.' },
  { name: '.rodata.', doc: 'A named custom read-only data section.' },
  { name: '.bss', doc: 'Zero-initialized global variables.' },
  { name: '.kconfig', doc: 'extern variables libbpf fills from the target kernel\'s config.' },
  { name: '.ksyms', doc: 'extern kernel symbols and kfuncs resolved at load time.' },
  { name: '.struct_ops', doc: 'A struct_ops map: the ops table whose members are struct_ops programs.' },
  { name: '.struct_ops.link', doc: 'A struct_ops map attached through a BPF link.' },
  { name: '.text', doc: 'Plain code (subprograms called by programs); not a program by itself.' },
];
