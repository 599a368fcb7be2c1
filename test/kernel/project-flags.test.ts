/**
 * One test per flag source (issue #9): a program that compiles only with its project's flags,
 * in a temporary project laid out like real ones, compiled as the CLI and the editor do
 * (compileForTarget, no flags given). Each also compiles once without the description, which
 * must fail: the flags, not luck, make it build.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compileForTarget, CompileResult } from '../../host/src/compile';
import { LocalTarget } from '../../host/src/local-target';
import { vmlinuxIncludeDir } from '../../host/src/vmlinux';
import { formatHostReport, hostReport } from '../../host/src/host-report';
import { spawnSync } from 'node:child_process';
import { kernelSkipReason, repoRoot } from '../support/kernel';

const skip = kernelSkipReason();
const target = new LocalTarget();
const roots: string[] = [];
after(() => { for (const root of roots) fs.rmSync(root, { recursive: true, force: true }); });

/** A temporary project from `{ relative path: text }`; returns its root. */
function project(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfdev-project-flags-'));
  roots.push(root);
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    fs.writeFileSync(path.join(root, name), text);
  }
  return root;
}

/** An XDP program over UAPI headers (reached through clang's system include dirs) with `body` at file scope. */
function program(body: string): string {
  return ['#include <linux/bpf.h>', '#include <bpf/bpf_helpers.h>', body,
    'SEC("xdp") int prog(struct xdp_md *ctx) { return XDP_PASS; }', 'char LICENSE[] SEC("license") = "GPL";', ''].join('\n');
}

function compile(root: string, source: string): Promise<CompileResult> {
  // Stop at the project's root: what lies above a temporary directory is not the test's.
  return compileForTarget(path.join(root, source), target, { projectRoot: root, precompiledHeader: 'off', outputPath: path.join(root, 'out.o') });
}

function errorsOf(result: CompileResult): string {
  return result.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message).join('\n') || result.output;
}

describe('flags from the project\'s build description', { skip }, () => {
  test('no description: clang\'s system include dirs reach <asm/types.h>, <asm/errno.h> and glibc\'s <stdint.h>', { timeout: 120_000 }, async () => {
    const root = project({ 'prog.bpf.c': program('#include <asm/errno.h>\n#include <stdint.h>\n_Static_assert(EPERM == 1 && sizeof(uint64_t) == 8, "system headers");') });
    const result = await compile(root, 'prog.bpf.c');
    assert.ok(result.ok, errorsOf(result));
    assert.deepEqual(result.flagsSource, { kind: 'none', flags: [], dropped: [] });
  });

  test('compile_commands.json, arguments form, found above the source; relative paths are the entry\'s directory\'s', { timeout: 120_000 }, async () => {
    const database = [{ directory: '.', file: 'src/prog.bpf.c', arguments: ['clang', '-target', 'bpf', '-Iinclude', '-DCONFIG_VALUE=7', '-c', 'src/prog.bpf.c', '-o', 'prog.o'] }];
    const root = project({
      'compile_commands.json': JSON.stringify(database),
      'include/config.h': '#define FROM_CONFIG_H 1\n',
      'src/prog.bpf.c': program('#include "config.h"\n_Static_assert(CONFIG_VALUE == 7 && FROM_CONFIG_H, "project flags");'),
    });
    const result = await compile(root, 'src/prog.bpf.c');
    assert.ok(result.ok, errorsOf(result));
    assert.equal(result.flagsSource.kind, 'compile_commands.json');
    assert.equal(result.flagsSource.path, path.join(root, 'compile_commands.json'));
    assert.deepEqual(result.flagsSource.flags, ['-I', path.join(root, 'include'), '-DCONFIG_VALUE=7']);

    fs.rmSync(path.join(root, 'compile_commands.json'));
    const without = await compile(root, 'src/prog.bpf.c');
    assert.equal(without.ok, false);
    assert.match(errorsOf(without), /config\.h/);
  });

  test('compile_commands.json, command form, in build/ (where CMake writes it): quoted macro, include dir with a space', { timeout: 120_000 }, async () => {
    const root = project({
      'my headers/names.h': '#define FROM_NAMES_H 1\n',
      'prog.bpf.c': program('#include "names.h"\n_Static_assert(sizeof(NAME) == 4 && FROM_NAMES_H, "quoted macro");'),
    });
    const command = `/usr/bin/clang -DNAME=\\"x\\ y\\" -I"${root}/my headers" -target bpf -O2 -o CMakeFiles/prog.o -c ${root}/prog.bpf.c`;
    fs.mkdirSync(path.join(root, 'build'));
    fs.writeFileSync(path.join(root, 'build', 'compile_commands.json'), JSON.stringify([{ directory: path.join(root, 'build'), command, file: path.join(root, 'prog.bpf.c') }]));
    const result = await compile(root, 'prog.bpf.c');
    assert.ok(result.ok, errorsOf(result));
    assert.equal(result.flagsSource.kind, 'compile_commands.json');
    assert.equal(result.flagsSource.path, path.join(root, 'build', 'compile_commands.json'));

    // A database without an entry for this file gives it nothing.
    fs.writeFileSync(path.join(root, 'build', 'compile_commands.json'), JSON.stringify([{ directory: root, command, file: path.join(root, 'other.bpf.c') }]));
    const without = await compile(root, 'prog.bpf.c');
    assert.equal(without.ok, false);
    assert.equal(without.flagsSource.kind, 'none');
  });

  test('compile_flags.txt: the nearest wins', { timeout: 120_000 }, async () => {
    const root = project({
      'compile_flags.txt': '-DLEVEL=1\n',
      'sub/compile_flags.txt': '-DLEVEL=2\n-I\n../common\n',
      'common/shared.h': '#define FROM_SHARED_H 1\n',
      'sub/deeper/prog.bpf.c': program('#include <shared.h>\n_Static_assert(LEVEL == 2 && FROM_SHARED_H, "nearest compile_flags.txt");'),
    });
    const result = await compile(root, 'sub/deeper/prog.bpf.c');
    assert.ok(result.ok, errorsOf(result));
    assert.deepEqual({ kind: result.flagsSource.kind, path: result.flagsSource.path }, { kind: 'compile_flags.txt', path: path.join(root, 'sub', 'compile_flags.txt') });

    fs.rmSync(path.join(root, 'sub', 'compile_flags.txt'));
    const outer = await compile(root, 'sub/deeper/prog.bpf.c');
    assert.equal(outer.ok, false, 'LEVEL is 1 from the outer file');
    assert.equal(outer.flagsSource.path, path.join(root, 'compile_flags.txt'));
  });

  test('bpf2go go:generate beside the source: each .c file gets its own directive\'s flags', { timeout: 120_000 }, async () => {
    const root = project({
      'headers/common.h': '#define FROM_COMMON_H 1\n',
      'app/main.go': [
        'package main', '',
        '//go:generate go tool bpf2go -tags linux one one.c -- -I../headers -DWHICH=1',
        '//go:generate go tool bpf2go -tags linux two two.c -- -I../headers -DWHICH=2', '',
        'func main() {}', '',
      ].join('\n'),
      'app/one.c': program('#include "common.h"\n_Static_assert(WHICH == 1 && FROM_COMMON_H, "one.c\'s directive");'),
      'app/two.c': program('#include "common.h"\n_Static_assert(WHICH == 2 && FROM_COMMON_H, "two.c\'s directive");'),
      'app/three.c': program('#include "common.h"'),
    });
    for (const [file, line] of [['one.c', 3], ['two.c', 4]] as const) {
      const result = await compile(root, `app/${file}`);
      assert.ok(result.ok, `${file}: ${errorsOf(result)}`);
      assert.deepEqual({ kind: result.flagsSource.kind, path: result.flagsSource.path, line: result.flagsSource.line }, { kind: 'go:generate', path: path.join(root, 'app', 'main.go'), line });
    }
    const unnamed = await compile(root, 'app/three.c');
    assert.equal(unnamed.ok, false, 'no directive names three.c');
    assert.equal(unnamed.flagsSource.kind, 'none');
  });

  test('the project\'s own vmlinux.h wins over the generated one, and no PCH of ours stands in for it', { timeout: 180_000 }, async () => {
    const { dir } = await vmlinuxIncludeDir(target);
    const root = project({
      'compile_flags.txt': '-Ivmlinux\n',
      // The project's vmlinux.h: the kernel's types plus one of its own.
      'vmlinux/vmlinux.h': `#ifndef PROJECT_VMLINUX_H\n#define PROJECT_VMLINUX_H\n#include "${path.join(dir, 'vmlinux.h')}"\nstruct project_marker { int seen; };\n#endif\n`,
      'src/prog.bpf.c': [
        '#include "vmlinux.h"', '#include <bpf/bpf_helpers.h>', '',
        'struct project_marker marker;', 'SEC("xdp") int prog(struct xdp_md *ctx) { return XDP_PASS + marker.seen * 0; }',
        'char LICENSE[] SEC("license") = "GPL";', '',
      ].join('\n'),
    });
    const result = await compileForTarget(path.join(root, 'src/prog.bpf.c'), target, { projectRoot: root, precompiledHeader: 'wait', outputPath: path.join(root, 'out.o') });
    assert.ok(result.ok, errorsOf(result));
    assert.equal(result.pch.state, 'not-applicable');
    fs.rmSync(path.join(root, 'compile_flags.txt'));
    const without = await compile(root, 'src/prog.bpf.c');
    assert.equal(without.ok, false, 'the generated vmlinux.h has no struct project_marker');
  });
});

describe('the precompiled header with project flags', { skip }, () => {
  test('include dirs that shadow nothing of the preamble keep the PCH, built with the project\'s flags', { timeout: 180_000 }, async () => {
    const root = project({
      'compile_flags.txt': '-Iinclude\n-DPROJECT_MACRO=3\n',
      'include/config.h': '#define FROM_CONFIG_H 1\n',
      'src/prog.bpf.c': [
        '#include "vmlinux.h"', '#include <bpf/bpf_helpers.h>', '#include "config.h"', '',
        '_Static_assert(PROJECT_MACRO == 3 && FROM_CONFIG_H, "project flags with a PCH");',
        'SEC("xdp") int prog(struct xdp_md *ctx) { return XDP_PASS; }', 'char LICENSE[] SEC("license") = "GPL";', '',
      ].join('\n'),
    });
    const result = await compileForTarget(path.join(root, 'src/prog.bpf.c'), target, { projectRoot: root, precompiledHeader: 'wait', outputPath: path.join(root, 'out.o') });
    assert.ok(result.ok, errorsOf(result));
    assert.equal(result.pch.state, 'used');
  });
});

describe('the host report says where a directory\'s flags come from', { skip }, () => {
  test('the nearest description above the directory, and clang\'s system include dirs', { timeout: 60_000 }, async () => {
    const root = project({ 'compile_flags.txt': '-DX=1\n', 'src/deeper/.keep': '' });
    const report = await hostReport(target, { projectDir: path.join(root, 'src', 'deeper') });
    assert.deepEqual(report.compile?.flagsFrom, { kind: 'compile_flags.txt', path: path.join(root, 'compile_flags.txt') });
    assert.ok(report.compile.systemIncludes.some((dir) => fs.existsSync(path.join(dir, 'asm', 'types.h'))), report.compile.systemIncludes.join(' '));
    assert.ok(formatHostReport(report).split('\n').includes(`flags      compile_flags.txt (${path.join(root, 'compile_flags.txt')})`), formatHostReport(report));
  });
});

describe('bpfdev verify names the flags\' origin', { skip }, () => {
  test('a note line at the file\'s first line, and one per description it could not read', { timeout: 120_000 }, () => {
    const root = project({
      // Nearer than the Go file's directory's parent, and broken: reported, then passed over.
      'app/compile_commands.json': '[{ "directory": "." ',
      'headers/common.h': '#define FROM_COMMON_H 1\n',
      'app/main.go': 'package main\n\n//go:generate go tool bpf2go -tags linux bpf prog.c -- -I../headers\n',
      'app/prog.c': program('#include "common.h"'),
    });
    const file = path.join(root, 'app', 'prog.c');
    const result = spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'bpfdev.js'), 'verify', file], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stdout + result.stderr);
    const lines = result.stdout.split('\n');
    assert.ok(lines.includes(`${file}:1:1: note: flags from go:generate in ${path.join(root, 'app', 'main.go')}:3: -I ${path.join(root, 'headers')}`), result.stdout);
    assert.ok(lines.some((line) => line.startsWith(`${file}:1:1: note: build description not used: ${path.join(root, 'app', 'compile_commands.json')}: not JSON`)), result.stdout);
  });
});
