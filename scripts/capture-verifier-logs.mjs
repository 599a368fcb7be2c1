#!/usr/bin/env node
/**
 * Captures the kernel verifier's logs for the corpus in test/fixtures/verifier/ (issue #4).
 *
 * Each `<name>.bpf.c` there is compiled for this machine's kernel and loaded; the verifier's
 * log is written to `logs/<name>.log` exactly as the kernel produced it, and the provenance
 * (kernel, clang, tool, date, command) to `logs/PROVENANCE.md`. Programs whose header says
 * `capture-level2: yes` also get `logs/<name>.level2.log`.
 *
 * Loading goes through our loader (`loader/out/bpfdev-loader verify`, or $BPFDEV_LOADER) when
 * it exists: it asks for log level 1 plus statistics on rejection and statistics only on
 * success. Without it (or with BPFDEV_LOADER=bpftool), `bpftool prog load` is used (level 1 on
 * rejection, and `-d` for level 2).
 *
 *   node scripts/capture-verifier-logs.mjs [--out DIR] [--only a,b] [--json] [--no-level2]
 *   node scripts/capture-verifier-logs.mjs --vm bookworm,bullseye,trixie [--only a,b] [--json]
 *
 * `--vm` captures on the Debian test VMs (scripts/test-hosts, kernels 6.1, 5.10, 6.12) instead:
 * each suite is started, the corpus is compiled here against the guest's own BTF, and loaded in
 * the guest through bpfdev's remote target (SSH, the loader uploaded by it), the way
 * `bpfdev verify --host` does; logs go to `logs-<kernel>/` (e.g. `logs-6.1/`) with their provenance.
 * Wording differs by kernel, and some programs only some kernels reject (`may-be-accepted: yes`);
 * a program a kernel cannot even load (an unknown kfunc, a missing BTF type) is recorded as such.
 *
 * `--json` prints one JSON object per program on stdout (the kernel test reads them).
 * Needs root: the verifier only runs for a process allowed to load BPF programs.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const corpusDir = path.join(repoRoot, 'test', 'fixtures', 'verifier');
const EVENT_MARK = '\x1e';
// A rejected program must not leave a pin behind, and concurrent runs must not collide.
const PIN_PREFIX = `/sys/fs/bpf/bpfdev-capture-${process.pid}`;
/** Loads "as a socket filter service would": CAP_BPF without CAP_PERFMON/CAP_SYS_ADMIN. */
const CAP_BPF_ONLY = ['setpriv', '--bounding-set', '-sys_admin,-perfmon,-net_admin', '--'];

/**
 * Reads a corpus file's header block (`kind:`, `load-as:`, `capture-level2:`,
 * `log-lacks-line:`) and the line carrying the `EXPECT:` marker (1-based).
 */
export function readCorpusHeader(source) {
  const header = {};
  const block = /^\/\*([\s\S]*?)\*\//.exec(source);
  for (const line of (block ? block[1] : '').split('\n')) {
    const field = /^\s*\*\s*([a-z0-9-]+):\s*(\S.*?)\s*$/.exec(line);
    if (field) header[field[1]] = field[2];
  }
  let expectLine = null;
  let expectKind = null;
  source.split('\n').forEach((text, index) => {
    const marker = /\/\* EXPECT: ([a-z0-9-]+) \*\//.exec(text);
    if (marker && expectLine === null) { expectLine = index + 1; expectKind = marker[1]; }
  });
  return {
    kind: header.kind ?? null,
    loadAs: header['load-as'] ?? 'root',
    captureLevel2: header['capture-level2'] === 'yes',
    logLacksLine: header['log-lacks-line'] === 'yes',
    /** Newer kernels accept what older ones reject (a helper offered to more program types). */
    mayBeAccepted: header['may-be-accepted'] === 'yes',
    expectLine,
    expectKind,
  };
}

export function listCorpus() {
  return fs.readdirSync(corpusDir)
    .filter((file) => file.endsWith('.bpf.c'))
    .sort()
    .map((file) => {
      const name = file.slice(0, -'.bpf.c'.length);
      const source = fs.readFileSync(path.join(corpusDir, file), 'utf8');
      return { name, file, ...readCorpusHeader(source) };
    });
}

function run(argv, options = {}) {
  const result = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', maxBuffer: 1 << 30, ...options });
  if (result.error) throw new Error(`cannot run ${argv[0]}: ${result.error.message}`);
  return result;
}

function firstLine(argv) {
  try {
    return execFileSync(argv[0], argv.slice(1), { encoding: 'utf8' }).split('\n')[0].trim();
  } catch (error) {
    return `unavailable (${error.message.split('\n')[0]})`;
  }
}

/** Writes vmlinux.h for the running kernel (or a BTF file) into `dir` (the corpus includes "vmlinux.h"). */
export function generateVmlinuxHeader(dir, btfFile = '/sys/kernel/btf/vmlinux') {
  const header = execFileSync('bpftool', ['btf', 'dump', 'file', btfFile, 'format', 'c'], { maxBuffer: 1 << 30 });
  fs.writeFileSync(path.join(dir, 'vmlinux.h'), header);
}

export function compileFlags(includeDir) {
  return ['-target', 'bpf', '-g', '-O2', '-D__TARGET_ARCH_x86', '-I', includeDir];
}

/** Compiles from the corpus directory with a relative name, so logs show `name.bpf.c:LINE`. */
export function compileProgram(entry, workDir) {
  const object = path.join(workDir, `${entry.name}.o`);
  const argv = ['clang', ...compileFlags(workDir), '-c', entry.file, '-o', object];
  const result = run(argv, { cwd: corpusDir });
  if (result.status !== 0) throw new Error(`clang failed for ${entry.file}:\n${result.stderr}`);
  return { object, command: `clang ${compileFlags('$TMP').join(' ')} -c ${entry.file} -o $TMP/${entry.name}.o` };
}

/** Our loader, or null for bpftool; `BPFDEV_LOADER=bpftool` forces bpftool (to test that path). */
export function findLoader() {
  if (process.env.BPFDEV_LOADER === 'bpftool') return null;
  const candidates = [process.env.BPFDEV_LOADER, path.join(repoRoot, 'loader', 'out', 'bpfdev-loader')];
  return candidates.find((candidate) => candidate && fs.existsSync(candidate)) ?? null;
}

function loadWithLoader(loader, object, level2, prefix) {
  const argv = [...prefix, loader, 'verify', object, ...(level2 ? ['--log-level', '2'] : [])];
  const result = run(argv);
  return { ...programEvent(result.stdout, result.status, result.stderr, object), argv };
}

/** The loader's `program` event (logs, verdict) from its output; throws on its `error` event. */
function programEvent(stdout, status, stderr, object) {
  for (const line of stdout.split('\n')) {
    if (!line.startsWith(EVENT_MARK)) continue;
    const event = JSON.parse(line.slice(1));
    if (event.event === 'program') {
      return { log: event.log ?? '', verdict: event.verdict, logLevel: event.logLevel, truncated: Boolean(event.logTruncated), reason: event.reason };
    }
    if (event.event === 'error') throw new Error(`loader error for ${object}: ${event.reason}`);
  }
  throw new Error(`the loader printed no program event for ${object} (exit ${status}):\n${stderr}`);
}

let pinCounter = 0;
function loadWithBpftool(object, level2, prefix) {
  const pin = `${PIN_PREFIX}-${pinCounter++}`;
  // -d makes libbpf ask for log level 1|2|4 and print the log even on success.
  const argv = [...prefix, 'bpftool', ...(level2 ? ['-d'] : []), 'prog', 'load', object, pin];
  const result = run(argv);
  fs.rmSync(pin, { force: true });
  const begin = result.stderr.indexOf('-- BEGIN PROG LOAD LOG --\n');
  const end = result.stderr.indexOf('-- END PROG LOAD LOG --', begin);
  const log = begin >= 0 && end > begin ? result.stderr.slice(begin + '-- BEGIN PROG LOAD LOG --\n'.length, end) : '';
  return { log, verdict: result.status === 0 ? 'ok' : 'rejected', logLevel: level2 ? 7 : result.status === 0 ? 0 : 1, truncated: false, argv };
}

/** Loads one object and returns the verifier's log; `level2` asks for the full trace. */
export function captureLog(entry, object, { level2 = false, loader = findLoader() } = {}) {
  const prefix = entry.loadAs === 'cap_bpf' ? CAP_BPF_ONLY : [];
  let outcome = loader ? loadWithLoader(loader, object, level2, prefix) : loadWithBpftool(object, level2, prefix);
  // bpftool prints no log for an accepted program unless asked for everything (-d: level 1|2|4).
  if (!loader && outcome.verdict === 'ok' && !outcome.log) outcome = loadWithBpftool(object, true, prefix);
  return { ...outcome, tool: loader ? 'bpfdev-loader' : 'bpftool' };
}

function describeCommand(argv, object, loader) {
  return argv.map((arg) => (arg === object ? '$TMP/' + path.basename(object) : arg === loader ? 'bpfdev-loader' : arg))
    .map((arg) => (arg.startsWith(PIN_PREFIX) ? '/sys/fs/bpf/<pin>' : arg))
    .join(' ');
}

function parseArgs(argv) {
  const options = { out: path.join(corpusDir, 'logs'), only: null, json: false, level2: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--out') options.out = path.resolve(argv[++i]);
    else if (arg === '--only') options.only = new Set(argv[++i].split(','));
    else if (arg === '--json') options.json = true;
    else if (arg === '--no-level2') options.level2 = false;
    else if (arg === '--vm') options.vm = argv[++i].split(',').filter(Boolean);
    else throw new Error(`unknown argument ${arg}`);
  }
  return options;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  if (process.geteuid && process.geteuid() !== 0) {
    process.stderr.write('capture-verifier-logs: needs root (the verifier runs only for processes that may load BPF)\n');
    process.exit(2);
  }
  if (options.vm) {
    for (const suite of options.vm) await captureOnVm(suite, options);
    return;
  }
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfdev-verifier-'));
  const loader = findLoader();
  const records = [];
  try {
    generateVmlinuxHeader(workDir);
    fs.mkdirSync(options.out, { recursive: true });
    for (const entry of listCorpus()) {
      if (options.only && !options.only.has(entry.name)) continue;
      const { object, command: compileCommand } = compileProgram(entry, workDir);
      const wanted = [{ level2: false, suffix: '.log' }];
      if (options.level2 && entry.captureLevel2) wanted.push({ level2: true, suffix: '.level2.log' });
      for (const { level2, suffix } of wanted) {
        const outcome = captureLog(entry, object, { level2, loader });
        const logFile = path.join(options.out, entry.name + suffix);
        fs.writeFileSync(logFile, outcome.log);
        const record = {
          name: entry.name, file: entry.file, kind: entry.kind, expectLine: entry.expectLine, expectKind: entry.expectKind,
          logLacksLine: entry.logLacksLine, loadAs: entry.loadAs, level2, verdict: outcome.verdict, logLevel: outcome.logLevel,
          truncated: outcome.truncated, tool: outcome.tool, logFile, bytes: Buffer.byteLength(outcome.log),
          compileCommand, loadCommand: describeCommand(outcome.argv, object, loader),
        };
        records.push(record);
        if (options.json) process.stdout.write(JSON.stringify(record) + '\n');
        else process.stderr.write(`${entry.name}${suffix}: ${outcome.verdict}, ${record.bytes} bytes\n`);
      }
    }
    writeProvenance(options.out, records, loader);
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

/** With --only, the rows of the logs not captured this time stay as they were. */
function mergedRows(outDir, fresh) {
  const rows = new Map();
  const file = path.join(outDir, 'PROVENANCE.md');
  const old = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  for (const line of old.split('\n')) {
    const name = /^\| (\S+\.log) \|/.exec(line);
    if (name) rows.set(name[1], line);
  }
  for (const [name, row] of fresh) rows.set(name, row);
  return [...rows.keys()].sort().map((name) => rows.get(name));
}

function writeProvenance(outDir, records, loader, vm = null) {
  const kernelLine = vm
    ? `- kernel: ${vm.release} (Debian ${vm.suite} in QEMU, scripts/test-hosts/start-vm.sh ${vm.suite}), reached over SSH by bpfdev's RemoteTarget`
    : `- kernel: ${os.release()} (${firstLine(['uname', '-v'])}) ${os.arch()}`;
  const loaderLine = vm
    ? `- loader: loader/out/bpfdev-loader, uploaded by RemoteTarget; \`verify\` asks for log level 1|4 on rejection, 4 on success`
    : `- loader: ${loader ? `${loader.startsWith(repoRoot) ? path.relative(repoRoot, loader) : `${loader} ($BPFDEV_LOADER, built from loader/src)`}; \`verify\` asks for log level 1|4 on rejection, 4 on success; \`--log-level 2\` gives 2|4` : 'none, bpftool prog load (level 1 on rejection; -d gives 1|2|4)'}`;
  const btfSource = vm ? "the guest's /sys/kernel/btf/vmlinux" : '/sys/kernel/btf/vmlinux';
  const lines = [
    '# Provenance of the verifier logs',
    '',
    'Captured by `scripts/capture-verifier-logs.mjs` from the corpus in `test/fixtures/verifier/`;',
    'each `.log` is the kernel verifier log byte for byte. Do not edit them: re-run the script.',
    '',
    `- date: ${new Date().toISOString()}`,
    kernelLine,
    `- clang: ${firstLine(['clang', '--version'])}`,
    `- bpftool: ${firstLine(['bpftool', 'version'])} (vmlinux.h: \`bpftool btf dump file\` of ${btfSource} \`format c\`)`,
    `- repository: ${firstLine(['git', '-C', repoRoot, 'rev-parse', '--short', 'HEAD'])}`,
    loaderLine,
    '- `load-as: cap_bpf` programs are loaded under `setpriv --bounding-set -sys_admin,-perfmon,-net_admin`',
    '',
    '| log | kind | verdict | level | bytes | load command |',
    '|---|---|---|---|---|---|',
    ...mergedRows(outDir, records.map((r) => [path.basename(r.logFile), `| ${path.basename(r.logFile)} | ${r.kind} | ${r.verdict}${r.reason ? ` (${r.reason.replace(/\|/g, '\\|')})` : ''} | ${r.logLevel} | ${r.bytes} | \`${r.loadCommand}\` |`])),
    '',
    `Compile command (per program): \`${records.find((r) => r.compileCommand)?.compileCommand.replace(/\S+\.bpf\.c/, '<name>.bpf.c').replace(/\$TMP\/\S+\.o/, '$TMP/<name>.o') ?? ''}\``,
    '',
  ];
  fs.writeFileSync(path.join(outDir, 'PROVENANCE.md'), lines.join('\n'));
}

// ---------------------------------------------------------------------------------------------
// The Debian test VMs. Their kernels are reached the way a user reaches a host: bpfdev's
// RemoteTarget over SSH (compiled to out/ by `npm run build`), which uploads the loader itself.

const VM_KERNELS = { bookworm: '6.1', bullseye: '5.10', trixie: '6.12' };

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function hostModules() {
  const require = createRequire(import.meta.url);
  const out = path.join(repoRoot, 'out', 'host', 'src');
  if (!fs.existsSync(path.join(out, 'remote-target.js'))) throw new Error('out/host is missing: run npm run build first');
  return {
    RemoteTarget: require(path.join(out, 'remote-target.js')).RemoteTarget,
    SshConnection: require(path.join(out, 'ssh', 'connection.js')).SshConnection,
    resolveHost: require(path.join(out, 'ssh', 'hosts.js')).resolveHost,
  };
}

/** Loads one object in the guest; a program the guest's libbpf/kernel cannot even load is recorded, not thrown. */
async function captureRemote(target, entry, object, level2) {
  const [loader, remoteObject] = await Promise.all([target.loaderPath(), target.upload(object)]);
  const prefix = entry.loadAs === 'cap_bpf' ? CAP_BPF_ONLY : [];
  const argv = [...prefix, loader, 'verify', remoteObject, ...(level2 ? ['--log-level', '2'] : [])];
  try {
    const result = await target.exec(argv, { timeoutMs: 300_000, privileged: true });
    const stdout = result.stdout.toString('utf8');
    try {
      return { ...programEvent(stdout, result.code, result.stderr.toString('utf8'), object), argv };
    } catch (error) {
      return { log: '', verdict: 'load-failed', logLevel: 0, truncated: false, reason: error.message.split('\n')[0], argv };
    }
  } finally {
    await target.discard?.(remoteObject).catch(() => undefined);
  }
}

/**
 * Captures the corpus on one test VM; `options`: `only` (Set of names), `outVm` (directory, else
 * `logs-<kernel>/`), `json`, `skip` (Set of names). Returns the records written to PROVENANCE.md.
 */
export async function captureOnVm(suite, options = {}) {
  if (!(suite in VM_KERNELS)) throw new Error(`unknown VM suite ${suite} (${Object.keys(VM_KERNELS).join(', ')})`);
  const { RemoteTarget, SshConnection, resolveHost } = hostModules();
  const vmDir = fs.mkdtempSync(path.join(os.tmpdir(), `bpfdev-capture-vm-${suite}-`));
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfdev-verifier-'));
  const scripts = path.join(repoRoot, 'scripts', 'test-hosts');
  let target;
  try {
    const port = await freePort();
    execFileSync('bash', [path.join(scripts, 'start-vm.sh'), suite, String(port), vmDir], { stdio: ['ignore', 'ignore', 'inherit'] });
    const release = fs.readFileSync(path.join(vmDir, 'kernel-release'), 'utf8').trim();
    const host = resolveHost('bpfdev-vm', fs.readFileSync(path.join(vmDir, 'ssh_config'), 'utf8'));
    const connection = await SshConnection.connect(host, {
      askHostKey: async (question) => { throw new Error(`the VM's host key ${question.fingerprint} should be in its known_hosts`); },
    });
    target = new RemoteTarget(connection);
    // Compile against the guest's own kernel types, as `bpfdev verify --host` does.
    const btf = await target.exec(['cat', '/sys/kernel/btf/vmlinux'], { privileged: true });
    if (btf.code !== 0) throw new Error(`${suite}: cannot read the guest's BTF: ${btf.stderr.toString('utf8')}`);
    const btfFile = path.join(workDir, 'vmlinux.btf');
    fs.writeFileSync(btfFile, btf.stdout);
    generateVmlinuxHeader(workDir, btfFile);
    const outDir = options.outVm ?? path.join(corpusDir, `logs-${VM_KERNELS[suite]}`);
    fs.mkdirSync(outDir, { recursive: true });
    const records = [];
    for (const entry of listCorpus()) {
      if (options.only && !options.only.has(entry.name)) continue;
      if (options.skip?.has(entry.name)) continue;
      let compiled;
      try {
        compiled = compileProgram(entry, workDir);
      } catch (error) {
        // Programs for features this kernel's types lack (a newer kfunc's prototype is ours; a struct is not).
        records.push({ name: entry.name, kind: entry.kind, verdict: 'compile-failed', logLevel: 0, bytes: 0, logFile: `${entry.name}.log`, loadCommand: '', reason: error.message.split('\n')[1] ?? '' });
        continue;
      }
      const outcome = await captureRemote(target, entry, compiled.object, false);
      const logFile = path.join(outDir, `${entry.name}.log`);
      fs.writeFileSync(logFile, outcome.log);
      const record = {
        name: entry.name, file: entry.file, kind: entry.kind, expectLine: entry.expectLine, expectKind: entry.expectKind,
        logLacksLine: entry.logLacksLine, mayBeAccepted: entry.mayBeAccepted, loadAs: entry.loadAs, level2: false,
        verdict: outcome.verdict, logLevel: outcome.logLevel, truncated: outcome.truncated, tool: 'bpfdev-loader (remote)',
        logFile, bytes: Buffer.byteLength(outcome.log), compileCommand: compiled.command,
        loadCommand: describeCommand(outcome.argv, outcome.argv.find((arg) => arg.endsWith('.o')), outcome.argv.find((arg) => arg.includes('bpfdev-loader'))),
        ...(outcome.reason && outcome.verdict !== 'rejected' ? { reason: outcome.reason } : {}),
      };
      records.push(record);
      if (options.json) process.stdout.write(JSON.stringify({ suite, kernel: release, ...record }) + '\n');
      else process.stderr.write(`${suite} ${entry.name}: ${outcome.verdict}, ${record.bytes} bytes\n`);
    }
    writeProvenance(outDir, records, null, { suite, release });
    return { release, outDir, records };
  } finally {
    await target?.dispose().catch(() => undefined);
    spawnSync('bash', [path.join(scripts, 'stop-vm.sh'), vmDir], { stdio: 'inherit' });
    fs.rmSync(vmDir, { recursive: true, force: true });
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    process.stderr.write(`capture-verifier-logs: ${error.message}\n`);
    process.exit(1);
  });
}
