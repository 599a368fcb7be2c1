/**
 * `bpfdev`: the headless face of the project. Same pipeline as the editor (compile for the
 * target, verifier through the loader, attach and stream), for terminals and CI.
 */
import { parseArgs } from 'node:util';
import { runVerify } from './verify-command';
import { runRun } from './run-command';
import { runHost } from './host-command';
import { collectHosts } from './targets';
import { runSetup } from './setup-command';
import { runKnobs } from './knobs-command';
import { parseKnobFlags } from '../../host/src/knobs';
import { recordDecoderFor } from '../../host/src/events/decoder';
import { parseDecodeAs } from '../../host/src/events/record-types';
import { parseFilter } from '../../core/src/events/filter';

function decodeAs(flags: string[]): Record<string, string> {
  const { overrides, errors } = parseDecodeAs(flags);
  if (errors.length) throw new Error(errors.join('\n'));
  return overrides;
}

const USAGE = `usage:
  bpfdev verify INPUT... [--json]              compile, load in the target's verifier, report diagnostics;
                                               INPUT: a source, a directory (its *.bpf.c, and *.c with SEC("...")),
                                               or an object built with clang -g; exit 1 when anything fails
  bpfdev verify INPUT... --host A --host B     every target at once: a program x kernel matrix (verdict, insns, stack, time)
  bpfdev verify INPUT... --baseline OLD.json [--max-growth PCT]
                                               compare with an earlier --json run; exit 1 on ok->rejected/unsupported
                                               or insns processed grown more than PCT (default 10), per program and target
  bpfdev run FILE.bpf.c [--duration SECONDS]   compile, attach on the target, stream trace_pipe and the records of
      [--json] [--only NAME]... [--skip NAME]...  every ring buffer / perf event array until Ctrl-C; --json: one JSON
      [--iface IFACE] [--no-stats]             object per line; --only/--skip choose programs; XDP and tc attach to IFACE;
                                               per-program run counts and run time at exit unless --no-stats;
                                               with several targets, every line is tagged [host]
  bpfdev knobs FILE [--json]                   the globals --set can change (.rodata const volatile, .data, .bss), with types and defaults
  bpfdev host [--json]                         what the target can do: kernel, BTF, kprobes, fentry, privilege...
  bpfdev setup [--yes] [--user NAME]           let a normal user load BPF programs without sudo (capability-enabled loader)
  bpfdev setup --undo [--yes]                  remove what setup installed
options:
  --host HOST              target host: an ~/.ssh/config alias, user@host[:port], or local (default); repeatable
  --hosts-file FILE        more targets, one per line (# comments)
  --inventory FILE --group NAME  the hosts of an Ansible inventory group (read with ansible-inventory --list)
  --trust-host-key SHA256:...  accept this exact host key fingerprint when the host is not in known_hosts
  --remote-compile         compile on the target host with its clang (default: here)
  --clang PATH             clang to use (default: clang)
  --cflags "FLAGS"         extra clang flags
  --set NAME=VALUE         (verify, run; repeatable) set a .rodata/.data global before load: integers (hex ok), true/false, text, enum names
  --filter EXPR            (run) print only the records EXPR matches: pid == 1234 && comm ~ /ssh/ (==, !=, <, >, ~, !~, &&, ||, !)
  --decode-as MAP=TYPE     (run; repeatable) decode MAP's records as TYPE (e.g. rb="struct event"), whatever the object says
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      duration: { type: 'string' },
      clang: { type: 'string' },
      cflags: { type: 'string' },
      host: { type: 'string', multiple: true },
      'hosts-file': { type: 'string' },
      inventory: { type: 'string' },
      group: { type: 'string' },
      baseline: { type: 'string' },
      'max-growth': { type: 'string' },
      'trust-host-key': { type: 'string' },
      'remote-compile': { type: 'boolean', default: false },
      yes: { type: 'boolean', short: 'y', default: false },
      undo: { type: 'boolean', default: false },
      user: { type: 'string' },
      only: { type: 'string', multiple: true },
      skip: { type: 'string', multiple: true },
      iface: { type: 'string' },
      'no-stats': { type: 'boolean', default: false },
      set: { type: 'string', multiple: true },
      'decode-as': { type: 'string', multiple: true },
      filter: { type: 'string' },
    },
  });
  if (command === 'setup') return runSetup({ undo: values.undo ?? false, yes: values.yes ?? false, ...(values.user ? { user: values.user } : {}) });
  const hosts = await collectHosts({ hosts: values.host ?? [], hostsFile: values['hosts-file'], inventory: values.inventory, group: values.group });
  const target = { host: hosts[0], trustHostKey: values['trust-host-key'] };
  if (command === 'host') {
    if (hosts.length > 1) {
      process.stderr.write('bpfdev host: one target at a time\n');
      return 2;
    }
    return runHost({ json: values.json ?? false, target });
  }
  const compile = {
    clang: values.clang,
    extraFlags: values.cflags ? values.cflags.split(/\s+/).filter(Boolean) : [],
    ...(values['remote-compile'] ? { compileOn: 'target' as const } : {}),
  };
  if (command === 'verify') {
    if (positionals.length === 0) {
      process.stderr.write(`bpfdev verify: expected at least one INPUT\n\n${USAGE}`);
      return 2;
    }
    const maxGrowth = values['max-growth'] === undefined ? 10 : Number(values['max-growth']);
    if (!(maxGrowth >= 0)) {
      process.stderr.write(`bpfdev verify: --max-growth wants a percentage, not "${values['max-growth']}"\n`);
      return 2;
    }
    return runVerify(positionals, { json: values.json ?? false, compile: { ...compile, knobs: parseKnobFlags(values.set ?? []) }, target, hosts, maxGrowthPercent: maxGrowth, ...(values.baseline ? { baseline: values.baseline } : {}) });
  }
  const file = positionals[0];
  if (!file || positionals.length > 1) {
    process.stderr.write(`bpfdev ${command}: expected exactly one FILE\n\n${USAGE}`);
    return 2;
  }
  switch (command) {
    case 'run': {
      const duration = values.duration === undefined ? undefined : Number(values.duration);
      if (duration !== undefined && !(duration > 0)) {
        process.stderr.write(`bpfdev run: --duration wants a positive number of seconds, not "${values.duration}"\n`);
        return 2;
      }
      const filter = values.filter === undefined ? undefined : parseFilter(values.filter);
      if (filter?.error) {
        process.stderr.write(`bpfdev run: --filter: ${filter.error.message} (at character ${filter.error.offset + 1})\n`);
        return 2;
      }
      return runRun(file, {
        ...(filter?.filter ? { filter: filter.filter } : {}),
        durationSeconds: duration, compile, target, hosts, json: values.json ?? false, stats: !values['no-stats'],
        knobs: parseKnobFlags(values.set ?? []), decoderFor: recordDecoderFor(decodeAs(values['decode-as'] ?? []), (line) => process.stderr.write(`bpfdev: ${line}\n`)),
        ...(values.only ? { only: values.only } : {}), ...(values.skip ? { skip: values.skip } : {}), ...(values.iface ? { iface: values.iface } : {}),
      });
    }
    case 'knobs':
      return runKnobs(file, { json: values.json ?? false, compile, target });
    default:
      process.stderr.write(`bpfdev: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (error: unknown) => {
    const hint = (error as { hint?: string }).hint;
    process.stderr.write(`bpfdev: ${(error as Error).message ?? error}\n${hint ? `hint: ${hint}\n` : ''}`);
    process.exitCode = 1;
  },
);
