/**
 * What a target can do for eBPF, gathered in as few round trips as possible: the loader's
 * probe (kernel, arch, BTF, tracefs, bpffs, kprobes, uprobes, fentry, lockdown) plus privilege
 * and free space. Later errors point here ("see the host report").
 */
import type { ProbeEvent } from '../../core/src/loader/events';
import { classifyLine } from '../../core/src/loader/events';
import { privilegeLabel, PrivilegeKind } from '../../core/src/privilege/state';
import { detectPrivilege } from './privilege';
import { compileEnvironment } from './project-flags';
import { Target, TargetError } from './target';

export interface HostReport {
  target: string;
  kernel: string;
  arch: string;
  /** root, passwordless sudo, the capability-enabled loader of `bpfdev setup`, sudo with a password, or none. */
  privilege: PrivilegeKind;
  /** What the user can do about their privilege (empty for root and passwordless sudo). */
  privilegeAdvice: string[];
  btf: boolean;
  tracefs: string | null;
  bpffs: boolean;
  kprobes: boolean;
  uprobes: boolean;
  fentry: boolean;
  lockdown: string;
  freeKiB: number | null;
  problems: string[];
  durationMs: number;
  /** With `projectDir`: where its sources take their compile flags from, and the local clang's system include dirs. */
  compile?: Awaited<ReturnType<typeof compileEnvironment>>;
}

export async function hostReport(target: Target, options: { projectDir?: string; clang?: string } = {}): Promise<HostReport> {
  const started = performance.now();
  const state = await (target.privilegeState?.() ?? detectPrivilege(target));
  const privilege = state.kind;
  // Reporting never prompts: without a usable privilege the loader probes as the user, which
  // still tells kernel, BTF, tracefs and (by trying) what loads.
  const elevated = privilege === 'root' || privilege === 'sudo' || privilege === 'capabilities';
  const loader = await target.loaderPath({ elevate: false });
  const compile = options.projectDir ? compileEnvironment(options.projectDir, options.clang) : undefined;
  // One round trip for the probe and the free space: each SSH exec costs a login shell on the host.
  const result = await target.exec(['sh', '-c', '"$1" probe; df -Pk /tmp', 'probe', loader], { privileged: elevated, timeoutMs: 20_000 });
  const lines = result.stdout.toString('utf8').split('\n');
  const probe = lines.map(classifyLine).find((item) => item.type === 'event' && item.event.event === 'probe');
  const dfLine = lines.find((line) => /^\S+\s+\d+\s+\d+\s+\d+\s+\d+%/.test(line));
  if (!probe || probe.type !== 'event') {
    throw new TargetError(`the loader's probe failed on ${target.name}: ${result.stderr.trim() || `exit ${result.code}`}`, 'PROBE_FAILED');
  }
  const p = probe.event as ProbeEvent;
  const freeKiB = Number(dfLine?.split(/\s+/)[3]);
  const problems: string[] = [];
  if (privilege === 'none') problems.push('no root, no sudo and no capability-enabled loader: BPF programs cannot be loaded');
  if (!p.btf) problems.push('no kernel BTF (/sys/kernel/btf/vmlinux): CO-RE programs and vmlinux.h need CONFIG_DEBUG_INFO_BTF=y');
  if (!p.tracefs) problems.push('tracefs is not mounted: tracepoints and trace_pipe are unavailable (mount -t tracefs nodev /sys/kernel/tracing)');
  if (!p.bpffs) problems.push('bpffs is not mounted at /sys/fs/bpf (mount -t bpf bpf /sys/fs/bpf)');
  if (!p.kprobes) problems.push('this kernel has no kprobe support: kprobe/kretprobe/ksyscall programs cannot attach');
  if (!p.fentry) problems.push('fentry/fexit programs cannot attach on this kernel');
  // Lockdown levels gate different helpers: integrity refuses writes to user memory, confidentiality also kernel reads.
  if (p.lockdown === 'integrity') problems.push('kernel lockdown is "integrity": bpf_probe_write_user is refused');
  if (p.lockdown === 'confidentiality') problems.push('kernel lockdown is "confidentiality": bpf_probe_read_kernel, BPF_CORE_READ of kernel memory and bpf_probe_write_user are refused');
  const environment = await compile;
  if (environment) problems.push(...environment.problems);
  return {
    target: target.name, kernel: p.kernel, arch: p.arch, privilege, privilegeAdvice: state.advice, btf: p.btf, tracefs: p.tracefs, bpffs: p.bpffs,
    kprobes: p.kprobes, uprobes: p.uprobes, fentry: p.fentry, lockdown: p.lockdown,
    freeKiB: Number.isFinite(freeKiB) ? freeKiB : null, problems, durationMs: performance.now() - started,
    ...(environment ? { compile: environment } : {}),
  };
}

export function formatHostReport(report: HostReport): string {
  const yes = (value: boolean) => (value ? 'yes' : 'no');
  return [
    `host       ${report.target}`,
    `kernel     ${report.kernel} (${report.arch})`,
    `privilege  ${privilegeLabel(report.privilege)}`,
    ...report.privilegeAdvice.map((line) => `           - ${line}`),
    `BTF        ${yes(report.btf)}`,
    `tracefs    ${report.tracefs ?? 'not mounted'}`,
    `bpffs      ${yes(report.bpffs)}`,
    `kprobes    ${yes(report.kprobes)}`,
    `uprobes    ${yes(report.uprobes)}`,
    `fentry     ${yes(report.fentry)}`,
    `lockdown   ${report.lockdown}`,
    `free /tmp  ${report.freeKiB === null ? '?' : `${Math.round(report.freeKiB / 1024)} MiB`}`,
    ...(report.compile ? [
      `flags      ${report.compile.flagsFrom.kind === 'none' ? 'no build description here: bpfdev\'s flags only' : `${report.compile.flagsFrom.kind} (${report.compile.flagsFrom.path})`}`,
      `sys incl   ${report.compile.systemIncludes.join(' ') || 'none found'}`,
    ] : []),
    ...(report.problems.length ? ['problems:', ...report.problems.map((problem) => `  - ${problem}`)] : ['problems:  none']),
  ].join('\n');
}
