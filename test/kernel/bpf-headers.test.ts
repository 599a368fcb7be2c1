/**
 * bpfdev's own BPF headers (bpf-headers/bpf/*.h) with the real toolchain and kernel: every
 * program in bpf-headers/test-programs compiles with only those headers and a vmlinux.h from
 * bpftool, the verifier accepts the loadable ones, the ones BPF_PROG_TEST_RUN can run compute
 * what they should, and the objects have the same programs (and, where the macro semantics are
 * the same, the same instructions) as when built against libbpf-dev's headers.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compileFlags } from '../../host/src/compile';
import { kernelSkipReason, repoRoot } from '../support/kernel';

const headersDir = path.join(repoRoot, 'bpf-headers');
const programsDir = path.join(headersDir, 'test-programs');
const libbpfHeaders = '/usr/include/bpf';
const arch = os.arch() === 'arm64' ? 'aarch64' : 'x86_64';

interface ProgramCase {
  name: string;
  /** Loaded with bpftool, or why it is only compiled. */
  load: true | string;
  /**
   * 'identical': the same instructions as with libbpf-dev's headers. 'sections': the same
   * programs and data, different code (the reason says why). 'if-libbpf-builds': uses macros
   * older libbpf-dev lacks, compared only when it builds.
   */
  libbpf: 'identical' | 'if-libbpf-builds' | { sections: string };
}

const PROGRAMS: ProgramCase[] = [
  { name: 'tracepoint_printk', load: true, libbpf: 'identical' },
  { name: 'maps', load: true, libbpf: 'identical' },
  { name: 'xdp', load: true, libbpf: 'identical' },
  { name: 'kprobe', load: true, libbpf: 'identical' },
  { name: 'run_raw_tp', load: true, libbpf: 'identical' },
  { name: 'fentry', load: 'fentry/fexit need BPF trampolines, which this test kernel cannot load', libbpf: 'identical' },
  { name: 'core', load: true, libbpf: { sections: 'BPF_PROBE_READ calls bpf_probe_read_kernel, libbpf 1.1 the legacy bpf_probe_read' } },
  { name: 'ksyscall', load: true, libbpf: { sections: 'BPF_KSYSCALL reads arguments with one probed path instead of two' } },
  { name: 'seq_iter', load: true, libbpf: 'identical' },
  { name: 'btf_tracing', load: true, libbpf: { sections: 'BPF_CORE_READ_BITFIELD leaves the relocated offset in the loads instead of adding it to the pointer first' } },
  { name: 'uprobe', load: true, libbpf: 'if-libbpf-builds' },
  { name: 'usdt', load: true, libbpf: { sections: 'bpf_usdt_arg is our own code; the maps and spec layout must match' } },
  { name: 'misc', load: true, libbpf: 'if-libbpf-builds' },
  { name: 'more_args', load: true, libbpf: 'if-libbpf-builds' },
  { name: 'iterators', load: true, libbpf: 'if-libbpf-builds' },
];

function toolMissing(argv: string[]): boolean {
  return spawnSync(argv[0]!, argv.slice(1), { stdio: 'ignore' }).status !== 0;
}

function skipReason(): string | undefined {
  const kernel = kernelSkipReason();
  if (kernel) return kernel;
  if (toolMissing(['clang', '--version'])) return 'needs clang';
  if (toolMissing(['bpftool', 'version'])) return 'needs bpftool';
  if (!fs.existsSync('/sys/kernel/btf/vmlinux')) return 'needs kernel BTF (/sys/kernel/btf/vmlinux)';
  if (!fs.existsSync('/sys/fs/bpf')) return 'needs bpffs at /sys/fs/bpf';
  return undefined;
}

const skip = skipReason();
if (skip) console.log(`# skipping bpf-headers kernel tests: ${skip}`);

interface Exit { code: number | null; stdout: string; stderr: string; pid: number | undefined }

/** Runs a command to completion without a shell; resolves on exit whatever the status. */
function run(command: string, args: string[]): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString('utf8'); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr, pid: child.pid }));
  });
}

let workDir = '';
let vmlinuxDir = '';
let pinRoot = '';
const ours = (name: string) => path.join(workDir, 'ours', `${name}.bpf.o`);
const theirs = (name: string) => path.join(workDir, 'libbpf', `${name}.bpf.o`);
const source = (name: string) => path.join(programsDir, `${name}.bpf.c`);

/** The flags the compile step uses: our headers, then the directory holding vmlinux.h. */
function ourFlags(): string[] {
  return compileFlags(arch, vmlinuxDir);
}

/** The same flags without our headers, so <bpf/...> resolves to libbpf-dev in /usr/include. */
function libbpfFlags(): string[] {
  const flags = ourFlags();
  const at = flags.findIndex((flag, i) => flag === '-I' && flags[i + 1] === headersDir);
  assert.ok(at >= 0, `compileFlags() no longer passes -I ${headersDir}`);
  flags.splice(at, 2);
  return [...flags, '-Werror=implicit-function-declaration'];
}

// ---- A minimal ELF64 reader: section contents and which functions each section defines. ----

interface ElfSection { index: number; name: string; type: number; flags: bigint; bytes: Buffer; size: number }
interface ElfSymbol { name: string; section: number; type: number; bind: number }

const SHT_SYMTAB = 2;
const SHT_NOBITS = 8;
const SHF_ALLOC = 0x2n;
const SHF_EXECINSTR = 0x4n;
const STT_FUNC = 2;
const STB_GLOBAL = 1;

function readElf(file: string): { sections: ElfSection[]; symbols: ElfSymbol[] } {
  const image = fs.readFileSync(file);
  assert.equal(image.subarray(0, 4).toString('latin1'), '\x7fELF', `${file} is not ELF`);
  const shoff = Number(image.readBigUInt64LE(0x28));
  const shentsize = image.readUInt16LE(0x3a);
  const shnum = image.readUInt16LE(0x3c);
  const shstrndx = image.readUInt16LE(0x3e);
  const headers = Array.from({ length: shnum }, (_, index) => {
    const at = shoff + index * shentsize;
    return {
      index,
      nameOffset: image.readUInt32LE(at),
      type: image.readUInt32LE(at + 4),
      flags: image.readBigUInt64LE(at + 8),
      offset: Number(image.readBigUInt64LE(at + 24)),
      size: Number(image.readBigUInt64LE(at + 32)),
      link: image.readUInt32LE(at + 40),
    };
  });
  const cString = (table: number, offset: number) => {
    const start = headers[table]!.offset + offset;
    return image.subarray(start, image.indexOf(0, start)).toString('utf8');
  };
  const sections = headers.map((h) => ({
    index: h.index, name: cString(shstrndx, h.nameOffset), type: h.type, flags: h.flags, size: h.size,
    bytes: h.type === SHT_NOBITS ? Buffer.alloc(0) : image.subarray(h.offset, h.offset + h.size),
  }));
  const symbols: ElfSymbol[] = [];
  for (const h of headers.filter((s) => s.type === SHT_SYMTAB)) {
    for (let at = h.offset; at + 24 <= h.offset + h.size; at += 24) {
      const info = image.readUInt8(at + 4);
      symbols.push({ name: cString(h.link, image.readUInt32LE(at)), type: info & 0xf, bind: info >> 4, section: image.readUInt16LE(at + 6) });
    }
  }
  return { sections, symbols };
}

/** Program sections with the entry points each defines, and the data sections' contents. */
function objectLayout(file: string) {
  const { sections, symbols } = readElf(file);
  const programs = new Map<string, { functions: string[]; code: Buffer }>();
  const data = new Map<string, string>();
  for (const section of sections) {
    if (section.size === 0 || !(section.flags & SHF_ALLOC)) continue;
    if (section.flags & SHF_EXECINSTR) {
      const functions = symbols.filter((s) => s.section === section.index && s.type === STT_FUNC && s.bind === STB_GLOBAL).map((s) => s.name).sort();
      programs.set(section.name, { functions, code: section.bytes });
    } else {
      data.set(section.name, section.type === SHT_NOBITS ? `${section.size} zero bytes` : section.bytes.toString('hex'));
    }
  }
  return { programs, data };
}

/** Offsets of the 64-bit loads from register r1 (the context) in a section's instructions. */
function contextLoadOffsets(code: Buffer): number[] {
  const offsets: number[] = [];
  for (let at = 0; at + 8 <= code.length; at += 8) {
    const opcode = code[at]!;
    const sourceRegister = code[at + 1]! >> 4;
    if (opcode === 0x79 /* BPF_LDX | BPF_MEM | BPF_DW */ && sourceRegister === 1) offsets.push(code.readInt16LE(at + 2));
  }
  return offsets;
}

function loadedPins(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((name) => name !== 'maps').sort() : [];
}

void describe('bpf-headers: our BPF headers with clang, bpftool and the kernel', { skip }, () => {
  before(async () => {
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfdev-headers-'));
    vmlinuxDir = path.join(workDir, 'include');
    for (const dir of [vmlinuxDir, path.join(workDir, 'ours'), path.join(workDir, 'libbpf')]) fs.mkdirSync(dir);
    const dump = spawnSync('bpftool', ['btf', 'dump', 'file', '/sys/kernel/btf/vmlinux', 'format', 'c'], { maxBuffer: 512 * 1024 * 1024 });
    assert.equal(dump.status, 0, `bpftool btf dump failed: ${dump.stderr}`);
    fs.writeFileSync(path.join(vmlinuxDir, 'vmlinux.h'), dump.stdout);
    pinRoot = path.join('/sys/fs/bpf', `bpfdev-headers-test-${process.pid}`);
    fs.mkdirSync(pinRoot);
  });

  after(() => {
    if (pinRoot) fs.rmSync(pinRoot, { recursive: true, force: true });
    if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
  });

  void test('every test program is listed here', () => {
    const onDisk = fs.readdirSync(programsDir).filter((f) => f.endsWith('.bpf.c')).map((f) => f.slice(0, -'.bpf.c'.length)).sort();
    assert.deepEqual(onDisk, PROGRAMS.map((p) => p.name).sort());
  });

  for (const program of PROGRAMS) {
    void test(`${program.name}: compiles with only bpf-headers and vmlinux.h, no warnings, no libbpf-dev header read`, async () => {
      const result = await run('clang', [...ourFlags(), '-H', '-c', source(program.name), '-o', ours(program.name)]);
      // -H prints each header opened, one per line, prefixed by dots for the include depth.
      const headers = result.stderr.split('\n').filter((line) => /^\.+ /.test(line)).map((line) => path.resolve(line.replace(/^\.+ /, '')));
      const diagnostics = result.stderr.split('\n').filter((line) => /: (warning|error):/.test(line));
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(diagnostics, [], `clang printed:\n${diagnostics.join('\n')}`);
      assert.ok(headers.some((h) => h === path.join(headersDir, 'bpf', 'bpf_helpers.h')), `bpf_helpers.h not read from ${headersDir}:\n${headers.join('\n')}`);
      // usdt.bpf.h includes <linux/errno.h> where the system has it, as libbpf's does unconditionally.
      const optional = (h: string) => /\/(?:linux|asm|asm-generic)\/errno(?:-base)?\.h$/.test(h) && headers.some((x) => x.endsWith('/bpf/usdt.bpf.h'));
      const foreign = headers.filter((h) => !h.startsWith(`${headersDir}/`) && !h.startsWith(`${vmlinuxDir}/`) && !optional(h));
      assert.deepEqual(foreign, [], 'headers read from outside bpf-headers/ and the vmlinux.h directory');
      assert.ok(!headers.some((h) => h.startsWith(`${libbpfHeaders}/`)));
    });

    void test(`${program.name}: compiles with -nostdinc, as where no system headers exist`, async () => {
      const result = await run('clang', [...ourFlags(), '-nostdinc', '-c', source(program.name), '-o', path.join(workDir, `${program.name}-nostdinc.o`)]);
      assert.equal(result.code, 0, result.stderr);
    });

    // Not a skipped test: CI counts skips as failures, and this kernel cannot load such programs.
    if (program.load !== true) continue;
    void test(`${program.name}: the verifier accepts every program in it`, async () => {
      const pins = path.join(pinRoot, program.name);
      try {
        const result = await run('bpftool', ['prog', 'loadall', ours(program.name), pins, 'pinmaps', path.join(pins, 'maps')]);
        assert.equal(result.code, 0, `bpftool prog loadall failed:\n${result.stderr.split('\n').slice(-30).join('\n')}`);
        // Global functions in .text are subprograms, verified with their callers, not pinned.
        const entryPoints = [...objectLayout(ours(program.name)).programs].filter(([section]) => section !== '.text').flatMap(([, p]) => p.functions).sort();
        assert.ok(entryPoints.length > 0);
        assert.deepEqual(loadedPins(pins), entryPoints);
      } finally {
        fs.rmSync(pins, { recursive: true, force: true });
      }
    });
  }

  void describe('against libbpf-dev', { skip: fs.existsSync(path.join(libbpfHeaders, 'bpf_helpers.h')) ? undefined : `libbpf-dev is not installed (${libbpfHeaders})` }, () => {
    for (const program of PROGRAMS) {
      void test(`${program.name}: same programs and data as with libbpf-dev's headers`, async (t) => {
        assert.ok(fs.existsSync(ours(program.name)), 'our build of it failed above');
        const result = await run('clang', [...libbpfFlags(), '-c', source(program.name), '-o', theirs(program.name)]);
        if (program.libbpf === 'if-libbpf-builds' && result.code !== 0) {
          t.diagnostic(`the installed libbpf-dev lacks a macro it uses: ${result.stderr.split('\n').find((l) => l.includes('error')) ?? ''}`);
          return;
        }
        assert.equal(result.code, 0, `libbpf-dev build failed:\n${result.stderr}`);
        const mine = objectLayout(ours(program.name));
        const reference = objectLayout(theirs(program.name));
        assert.deepEqual([...mine.programs.keys()].sort(), [...reference.programs.keys()].sort(), 'program sections');
        for (const [section, { functions }] of reference.programs) {
          assert.deepEqual(mine.programs.get(section)?.functions, functions, `entry points in ${section}`);
        }
        assert.deepEqual(Object.fromEntries(mine.data), Object.fromEntries(reference.data), 'maps, license and read-only data');
        const differing = [...reference.programs].filter(([section, { code }]) => !code.equals(mine.programs.get(section)!.code)).map(([section]) => section);
        if (program.libbpf === 'identical') {
          assert.deepEqual(differing, [], 'sections whose instructions differ from the libbpf-dev build');
        } else if (typeof program.libbpf === 'object') {
          t.diagnostic(`instructions differ in ${differing.join(', ') || 'no section'}: ${program.libbpf.sections}`);
        }
      });
    }

    void test('usdt: the spec structs our header reads have the layout libbpf-dev\'s writes', () => {
      // Member names, offsets and sizes, without type ids (they differ between the two builds).
      const layout = (object: string) => {
        const dump = spawnSync('bpftool', ['btf', 'dump', 'file', object], { encoding: 'utf8' });
        assert.equal(dump.status, 0, dump.stderr);
        const structs = new Map<string, string[]>();
        let current: string[] | undefined;
        for (const line of dump.stdout.split('\n')) {
          const head = /^\[\d+\] (STRUCT|ENUM) '(__bpf_usdt\w*)'.*? size=(\d+)/.exec(line);
          if (head) structs.set(head[2]!, current = [head[1]!, head[3]!]);
          else if (/^\[/.test(line)) current = undefined;
          else current?.push(line.trim().replace(/type_id=\d+ /, ''));
        }
        return Object.fromEntries(structs);
      };
      assert.ok(fs.existsSync(theirs('usdt')), 'the libbpf-dev build of usdt failed above');
      const mine = layout(ours('usdt'));
      assert.deepEqual(Object.keys(mine).sort(), ['__bpf_usdt_arg_spec', '__bpf_usdt_arg_type', '__bpf_usdt_spec']);
      assert.deepEqual(mine, layout(theirs('usdt')));
    });

    void test('helper ids and arities agree with libbpf-dev\'s bpf_helper_defs.h', () => {
      const declarations = (file: string) => new Map([...fs.readFileSync(file, 'utf8')
        .matchAll(/^static [^;]*?\(\*\s*(?:const\s+)?(bpf_\w+)\)\((.*)\)\s*=\s*\(void \*\)\s*(\d+);/gm)]
        .map((m) => [m[1]!, { id: Number(m[3]), arity: m[2]!.trim() === 'void' ? 0 : m[2]!.split(',').length }]));
      const mine = declarations(path.join(headersDir, 'bpf', 'bpf_helper_defs.h'));
      const reference = declarations(path.join(libbpfHeaders, 'bpf_helper_defs.h'));
      assert.ok(mine.size >= 200, `only ${mine.size} helpers parsed from ours`);
      const common = [...mine.keys()].filter((name) => reference.has(name));
      assert.ok(common.length >= 200, `only ${common.length} helpers in common`);
      for (const name of common) assert.deepEqual(mine.get(name), reference.get(name), name);
    });
  });

  void describe('programs run with BPF_PROG_TEST_RUN', () => {
    void test('xdp: bpf_htons case labels and bpf_ntohl/bpf_ntohs comparisons give the right verdicts', async () => {
      const pins = path.join(pinRoot, 'xdp-run');
      const ethernet = (protocol: number) => Buffer.concat([Buffer.alloc(6, 0x02), Buffer.alloc(6, 0x04), Buffer.from([protocol >> 8, protocol & 0xff])]);
      const ipv4To = (destination: number[]) => {
        const header = Buffer.alloc(20);
        header[0] = 0x45;
        header.writeUInt16BE(20, 2);
        header[8] = 64;
        header[9] = 17;
        Buffer.from([192, 168, 0, 2]).copy(header, 12);
        Buffer.from(destination).copy(header, 16);
        return header;
      };
      const packets = {
        blocked: Buffer.concat([ethernet(0x0800), ipv4To([10, 0, 0, 1])]),
        allowed: Buffer.concat([ethernet(0x0800), ipv4To([10, 0, 0, 2])]),
        ipv6: Buffer.concat([ethernet(0x86dd), Buffer.from([0x60]), Buffer.alloc(39)]),
        arp: Buffer.concat([ethernet(0x0806), Buffer.alloc(28)]),
      };
      const XDP_DROP = 1, XDP_PASS = 2, XDP_TX = 3;
      const expected = { blocked: XDP_DROP, allowed: XDP_PASS, ipv6: XDP_TX, arp: XDP_PASS };
      try {
        const load = await run('bpftool', ['prog', 'loadall', ours('xdp'), pins]);
        assert.equal(load.code, 0, load.stderr);
        for (const [name, packet] of Object.entries(packets)) {
          const file = path.join(workDir, `packet-${name}.bin`);
          fs.writeFileSync(file, packet);
          const result = await run('bpftool', ['prog', 'run', 'pinned', path.join(pins, 'filter_packets'), 'data_in', file, 'repeat', '1']);
          assert.equal(result.code, 0, result.stderr);
          const verdict = Number(/Return value: (\d+)/.exec(result.stdout)?.[1]);
          assert.equal(verdict, expected[name as keyof typeof expected], `${name} packet: ${result.stdout}`);
        }
      } finally {
        fs.rmSync(pins, { recursive: true, force: true });
      }
    });

    void test('iter/task: BPF_SEQ_PRINTF writes each task through the pinned iterator', async () => {
      const pin = path.join(pinRoot, 'task-iterator');
      try {
        const result = await run('bpftool', ['iter', 'pin', ours('seq_iter'), pin]);
        assert.equal(result.code, 0, result.stderr);
        const lines = fs.readFileSync(pin, 'utf8').split('\n').filter(Boolean);
        assert.ok(lines.length > 1, `iterator printed ${lines.length} lines`);
        for (const line of lines) assert.match(line, /^pid=\d+ tgid=\d+ comm=.+ marks=7,-7$/);
        assert.ok(lines.some((line) => line.startsWith(`pid=${process.pid} tgid=${process.pid} `)), `no line for this process (${process.pid})`);
      } finally {
        fs.rmSync(pin, { force: true });
      }
    });

    void test('raw_tp: BPF_PROG/BPF_PROG2 arguments, CO-RE reads and BPF_SNPRINTF see the real values', { skip: toolMissing(['cc', '--version']) ? 'needs a C compiler for the test-run helper' : undefined }, async () => {
      const pins = path.join(pinRoot, 'raw-tp-run');
      // bpftool cannot test-run raw_tp programs (it always asks for an output context).
      const runner = path.join(workDir, 'prog-test-run');
      const build = await run('cc', ['-O2', '-Wall', '-o', runner, path.join(programsDir, 'prog-test-run.c')]);
      assert.equal(build.code, 0, build.stderr);
      try {
        const load = await run('bpftool', ['prog', 'loadall', ours('run_raw_tp'), pins, 'pinmaps', path.join(pins, 'maps')]);
        assert.equal(load.code, 0, load.stderr);
        const first = await run(runner, [path.join(pins, 'three_args'), '11', '-22', '33']);
        assert.equal(first.code, 0, first.stderr);
        assert.equal(first.stdout.trim(), '0');
        // int before, a 16-byte struct by value (two slots), int after.
        const second = await run(runner, [path.join(pins, 'struct_by_value'), '7', '100', '23', '-5']);
        assert.equal(second.code, 0, second.stderr);
        assert.equal(second.stdout.trim(), '0');

        const dump = await run('bpftool', ['map', 'dump', 'pinned', path.join(pins, 'maps', 'observed'), '--json']);
        assert.equal(dump.code, 0, dump.stderr);
        const values = (JSON.parse(dump.stdout) as { formatted: { key: number; value: Record<string, number | string> } }[])
          .sort((a, b) => a.formatted.key - b.formatted.key).map((entry) => entry.formatted.value);
        const [byProg, byProg2] = values;
        const comm = path.basename(runner).slice(0, 15);
        assert.deepEqual(byProg && {
          first: byProg.first, second: byProg.second, third: byProg.third, tgid: byProg.tgid, ppid: byProg.ppid,
          pid_size: byProg.pid_size, has_pid: byProg.has_pid, has_missing: byProg.has_missing, has_task_type: byProg.has_task_type,
          comm: byProg.comm, leader_comm: byProg.leader_comm, formatted: byProg.formatted, formatted_len: byProg.formatted_len,
        }, {
          first: 11, second: -22, third: 33, tgid: first.pid, ppid: process.pid,
          pid_size: 4, has_pid: 1, has_missing: 0, has_task_type: 1,
          comm, leader_comm: comm, formatted: `11/-22/33/${comm}/${first.pid}`, formatted_len: `11/-22/33/${comm}/${first.pid}`.length + 1,
        });
        // The kernel's own value of the enumerator, relocated at load time.
        const uapi = fs.readFileSync(path.join(vmlinuxDir, 'vmlinux.h'), 'utf8');
        assert.equal(byProg?.ringbuf_type, Number(/\bBPF_MAP_TYPE_RINGBUF = (\d+)/.exec(uapi)?.[1]));
        assert.deepEqual(byProg2 && { third: byProg2.third, pair_sum: byProg2.pair_sum, after_pair: byProg2.after_pair },
          { third: 7, pair_sum: 123, after_pair: -5 });
      } finally {
        fs.rmSync(pins, { recursive: true, force: true });
      }
    });
  });

  void test('BPF_NO_GLOBAL_DATA: bpf_printk formats of up to three values move to the stack', async () => {
    const object = path.join(workDir, 'printk-no-global-data.o');
    const result = await run('clang', [...ourFlags(), '-DBPF_NO_GLOBAL_DATA', '-c', source('tracepoint_printk'), '-o', object]);
    assert.equal(result.code, 0, result.stderr);
    const rodata = Buffer.from(objectLayout(object).data.get('.rodata') ?? '', 'hex').toString('latin1');
    assert.ok(!rodata.includes('openat by %d') && !rodata.includes('no values'), `register-form formats still in .rodata: ${JSON.stringify(rodata)}`);
    // bpf_trace_vprintk only exists on kernels with global data, so its format stays there.
    assert.ok(rodata.includes('openat dfd=%ld'));
    const pins = path.join(pinRoot, 'no-global-data');
    try {
      const load = await run('bpftool', ['prog', 'loadall', object, pins]);
      assert.equal(load.code, 0, load.stderr);
    } finally {
      fs.rmSync(pins, { recursive: true, force: true });
    }
  });

  void describe('architecture selection in bpf_tracing.h', () => {
    const probe = [
      '#include "types.h"',
      '#include <bpf/bpf_helpers.h>',
      '#include <bpf/bpf_tracing.h>',
      'SEC("kprobe/x") int third_and_sp(struct pt_regs *ctx) { return PT_REGS_PARM3(ctx) + PT_REGS_SP(ctx) + PT_REGS_IP(ctx); }',
      '',
    ].join('\n');
    // The integer types the helper declarations use, and arm64's register file: ABI facts.
    const arm64Types = [
      'typedef unsigned char __u8; typedef unsigned short __u16; typedef unsigned int __u32; typedef unsigned long long __u64;',
      'typedef signed char __s8; typedef short __s16; typedef int __s32; typedef long long __s64;',
      'typedef __u16 __be16; typedef __u32 __be32; typedef __u32 __wsum; typedef _Bool bool;',
      'struct user_pt_regs { __u64 regs[31]; __u64 sp; __u64 pc; __u64 pstate; };',
      '',
    ].join('\n');

    void test('arm64: arguments come from regs[], the stack pointer and pc from their own slots', async () => {
      const dir = path.join(workDir, 'arm64');
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'types.h'), arm64Types);
      fs.writeFileSync(path.join(dir, 'probe.c'), probe);
      const object = path.join(dir, 'probe.o');
      const result = await run('clang', ['-target', 'bpf', '-O2', '-D__TARGET_ARCH_arm64', '-nostdinc', '-I', headersDir, '-I', dir, '-Wall', '-c', path.join(dir, 'probe.c'), '-o', object]);
      assert.equal(result.code, 0, result.stderr);
      const code = objectLayout(object).programs.get('kprobe/x')?.code;
      assert.ok(code);
      // regs[2] at 16, sp at 31 * 8, pc at 32 * 8.
      assert.deepEqual(contextLoadOffsets(code).sort((a, b) => a - b), [16, 248, 256]);
    });

    /**
     * Each architecture's register file as its kernel lays it out (ABI facts), and the byte
     * offsets PARM1, PARM3, SP, IP and RET must read. 32-bit arm is left out: its `long`
     * registers are 8 bytes to -target bpf, so no layout written in C matches the kernel's.
     */
    const ARCH_LAYOUTS: { arch: string; types: string; offsets: number[] }[] = [
      { arch: 's390', types: 'typedef struct { struct { __u64 mask, addr; } psw; __u64 gprs[16]; __u32 acrs[16]; __u64 orig_gpr2; } user_pt_regs;', offsets: [8, 32, 48, 128, 136] },
      { arch: 'riscv', types: 'struct user_regs_struct { __u64 pc, ra, sp, gp, tp, t0, t1, t2, s0, s1, a0, a1, a2, a3, a4, a5, a6, a7; };', offsets: [0, 8, 16, 80, 96] },
      { arch: 'loongarch', types: 'struct user_pt_regs { __u64 regs[32]; __u64 orig_a0; __u64 csr_era; __u64 csr_badv; __u64 reserved[10]; };', offsets: [8, 24, 32, 48, 264] },
      { arch: 'powerpc', types: 'struct user_pt_regs { __u64 gpr[32]; __u64 nip, msr, orig_gpr3, ctr, link, xer, ccr, softe, trap, dar, dsisr, result; };', offsets: [8, 24, 40, 256, 288] },
      { arch: 'mips', types: 'struct pt_regs { __u64 regs[32]; __u64 lo, hi, cp0_epc, cp0_badvaddr, cp0_status, cp0_cause; };', offsets: [32, 48, 232, 248, 272] },
      { arch: 'sparc', types: 'struct pt_regs { __u64 u_regs[16]; __u64 tstate, tpc, tnpc; __u32 y, magic; };', offsets: [64, 80, 112, 120, 136] },
    ];
    for (const layout of ARCH_LAYOUTS) {
      void test(`${layout.arch}: PARM1, PARM3, SP, IP and RET come from the ABI's registers`, async () => {
        const dir = path.join(workDir, layout.arch);
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, 'types.h'), `${arm64Types.replace(/struct user_pt_regs.*\n/, 'struct pt_regs;\n')}${layout.types}\n`);
        fs.writeFileSync(path.join(dir, 'probe.c'), probe.replace('PT_REGS_PARM3(ctx) + PT_REGS_SP(ctx) + PT_REGS_IP(ctx)', 'PT_REGS_PARM1(ctx) + PT_REGS_PARM3(ctx) + PT_REGS_SP(ctx) + PT_REGS_IP(ctx) + PT_REGS_RET(ctx)'));
        const object = path.join(dir, 'probe.o');
        const result = await run('clang', ['-target', 'bpf', '-O2', `-D__TARGET_ARCH_${layout.arch}`, '-nostdinc', '-I', headersDir, '-I', dir, '-Wall', '-c', path.join(dir, 'probe.c'), '-o', object]);
        assert.equal(result.code, 0, result.stderr);
        const code = objectLayout(object).programs.get('kprobe/x')?.code;
        assert.ok(code);
        assert.deepEqual([...new Set(contextLoadOffsets(code))].sort((a, b) => a - b), layout.offsets);
      });
    }

    void test('no target architecture: using PT_REGS_* is a compile error that names the fix', async () => {
      const dir = path.join(workDir, 'no-arch');
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'types.h'), arm64Types.replace(/struct user_pt_regs.*\n/, 'struct pt_regs;\n'));
      fs.writeFileSync(path.join(dir, 'probe.c'), probe);
      const result = await run('clang', ['-target', 'bpf', '-O2', '-nostdinc', '-I', headersDir, '-I', dir, '-c', path.join(dir, 'probe.c'), '-o', path.join(dir, 'probe.o')]);
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, /-D__TARGET_ARCH_x86 or -D__TARGET_ARCH_arm64/);
    });
  });
});
