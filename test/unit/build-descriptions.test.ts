/**
 * The flags resolver's pure half (issue #9): shell splitting, the three build descriptions, the
 * choice of flags we take from them, and clang's search list. Database and clang-output shapes
 * come from real tools (scripts/capture-build-fixtures.sh).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { splitShellWords } from '../../core/src/build/shell-words';
import { bpf2goDirectiveFor, compileCommandFor, parseBpf2goDirectives, parseCompileCommands, parseCompileFlagsTxt } from '../../core/src/build/descriptions';
import { describeFlagsSource, includeDirs, normalizePath, projectCompileFlags } from '../../core/src/build/project-flags';
import { parseClangSearchDirs } from '../../core/src/clang/search-dirs';

const FIXTURES = path.resolve(__dirname, '../../../test/fixtures/build');
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name), 'utf8');
const { projectDir } = JSON.parse(fixture('project.json')) as { projectDir: string };
const source = `${projectDir}/src/prog.bpf.c`;

test('shell words: quotes, escapes, empty words, line continuations; nothing is expanded', () => {
  assert.deepEqual(splitShellWords(`cc -DA='x y' -DB="\\"q\\" \\$HOME" -I dir\\ with\\ space '' $VAR a\\\nb`).words,
    ['cc', '-DA=x y', '-DB="q" $HOME', '-I', 'dir with space', '', '$VAR', 'ab']);
  assert.deepEqual(splitShellWords('"a\\b" \'c\\d\'').words, ['a\\b', 'c\\d']);
  assert.match(splitShellWords('cc "open').error ?? '', /unterminated double quote/);
  assert.match(splitShellWords('cc \'open').error ?? '', /unterminated single quote/);
});

test('compile_commands.json, command form (CMake): the entry for the file, its quoted macro and the include dir with a space', () => {
  const { value, errors } = parseCompileCommands(fixture('cmake/compile_commands.json'), `${projectDir}/build`);
  assert.deepEqual(errors, []);
  const entry = compileCommandFor(value, source);
  assert.ok(entry, 'the entry for the source');
  const { flags, dropped } = projectCompileFlags(entry.arguments.slice(1), entry.directory);
  assert.deepEqual(flags, ['-DNAME="a b"', '-DWITH_CMAKE', '-I', `${projectDir}/inc dir`, '-Wno-unused-variable']);
  for (const gone of ['-target bpf', '-g', '-O2', '-c', source]) assert.ok(dropped.some((d) => d.flag === gone), `${gone} dropped`);
  assert.ok(dropped.some((d) => d.flag.startsWith('-o ')), 'the output dropped');
  assert.equal(compileCommandFor(value, `${projectDir}/src/other.bpf.c`), undefined);
});

test('compile_commands.json, arguments form (clang -MJ): relative file and include dir resolved against "directory"', () => {
  const { value, errors } = parseCompileCommands(fixture('mj/compile_commands.json'), '/anywhere');
  assert.deepEqual(errors, []);
  const entry = compileCommandFor(value, source);
  assert.ok(entry, 'the relative "file" resolves to the source');
  const { flags, dropped } = projectCompileFlags(entry.arguments.slice(1), entry.directory);
  assert.deepEqual(flags, ['-I', `${projectDir}/inc dir`, '-DNAME="a b"']);
  assert.ok(dropped.some((d) => d.flag === '-xc'));
  assert.ok(dropped.some((d) => d.flag === '--target=bpf'));
});

test('compile_commands.json: a relative "directory" is the database\'s; broken entries are reported, not thrown', () => {
  const text = JSON.stringify([
    { directory: 'sub', file: 'a.bpf.c', arguments: ['clang', '-Iinc', 'a.bpf.c'] },
    { directory: '/p', command: 'clang "unclosed' , file: 'b.c' },
    { directory: '/p' },
    { directory: '/p', file: 'c.c' },
  ]);
  const { value, errors } = parseCompileCommands(text, '/db');
  assert.equal(value[0].file, '/db/sub/a.bpf.c');
  assert.deepEqual(projectCompileFlags(value[0].arguments.slice(1), value[0].directory).flags, ['-I', '/db/sub/inc']);
  assert.equal(errors.length, 3);
  assert.deepEqual(parseCompileCommands('{ nope', '/').value, []);
  assert.match(parseCompileCommands('{ nope', '/').errors[0], /not JSON/);
  assert.match(parseCompileCommands('{}', '/').errors[0], /not a list/);
});

test('compile_flags.txt: one argument per line, split -I values, CRLF and blank lines', () => {
  const args = parseCompileFlagsTxt('-I\r\n../headers\n\n-DDEBUG=1\n  -Wno-unused-label  \n-xc\n');
  assert.deepEqual(args, ['-I', '../headers', '-DDEBUG=1', '-Wno-unused-label', '-xc']);
  assert.deepEqual(projectCompileFlags(args, '/proj/bpf').flags, ['-I', '/proj/headers', '-DDEBUG=1', '-Wno-unused-label']);
});

test('bpf2go go:generate: the directive naming the file, its flags after --, -cflags, unexpanded variables', () => {
  const go = [
    'package main',
    '',
    '// not a directive: //go:generate go tool bpf2go bpf x.c -- -Ino',
    '//go:generate go tool bpf2go -tags linux -target amd64 bpf kprobe.c -- -I../headers',
    '//go:generate go run github.com/cilium/ebpf/cmd/bpf2go@v0.16.0 -cc $BPF_CLANG -cflags "-O2 -DFROM_CFLAGS" -no-strip counter counter.c -- -I../headers -D MODE=2 $EXTRA',
    '//go:generate stringer -type=Kind',
  ].join('\n');
  const directives = parseBpf2goDirectives(go, '/p/examples/kprobe');
  assert.equal(directives.length, 2);
  const kprobe = bpf2goDirectiveFor(directives, '/p/examples/kprobe/kprobe.c');
  assert.ok(kprobe);
  assert.equal(kprobe.line, 4);
  assert.deepEqual(projectCompileFlags(kprobe.args, '/p/examples/kprobe').flags, ['-I', '/p/examples/headers']);
  const counter = bpf2goDirectiveFor(directives, '/p/examples/kprobe/counter.c');
  assert.ok(counter);
  assert.deepEqual(counter.args, ['-O2', '-DFROM_CFLAGS', '-I../headers', '-D', 'MODE=2']);
  assert.deepEqual(counter.unexpanded, ['$EXTRA']);
  assert.deepEqual(projectCompileFlags(counter.args, '/p/examples/kprobe').flags, ['-DFROM_CFLAGS', '-I', '/p/examples/headers', '-DMODE=2']);
  assert.equal(bpf2goDirectiveFor(directives, '/p/examples/kprobe/other.c'), undefined);
});

test('flags we keep and drop: target arch, diagnostics format, -Werror, dependency files, linker flags', () => {
  const { flags, dropped } = projectCompileFlags([
    '-isystem', 'sys', '-idirafter/abs/after', '-iquote', 'q', '-include', 'pre.h', '-I=sysroot/x',
    '-D__TARGET_ARCH_arm64', '-UFOO', '-std=gnu11', '-Wall', '-Werror', '-Werror=return-type', '-Wl,--as-needed',
    '-fno-stack-protector', '-fcolor-diagnostics', '-fdiagnostics-color=always', '-fPIC', '-mcpu=v3', '-march=native',
    '-MD', '-MF', 'x.d', '-nostdinc', '@args.rsp', '--', 'late.c',
  ], '/w');
  assert.deepEqual(flags, [
    '-isystem', '/w/sys', '-idirafter', '/abs/after', '-iquote', '/w/q', '-include', '/w/pre.h',
    '-UFOO', '-std=gnu11', '-Wall', '-Werror=return-type', '-mcpu=v3', '-nostdinc',
  ]);
  const droppedFlags = dropped.map((d) => d.flag);
  for (const gone of ['-I=sysroot/x', '-D__TARGET_ARCH_arm64', '-Werror', '-Wl,--as-needed', '-fno-stack-protector', '-fcolor-diagnostics',
    '-fdiagnostics-color=always', '-fPIC', '-march=native', '-MD', '-MF x.d', '@args.rsp', 'late.c']) {
    assert.ok(droppedFlags.includes(gone), `${gone} dropped (${droppedFlags.join(', ')})`);
  }
  assert.ok(dropped.every((d) => d.reason.length > 0));
  const dirs = includeDirs(flags);
  assert.deepEqual(dirs, { quote: ['/w/q'], angled: ['/w/sys'], after: ['/abs/after'], forced: ['/w/pre.h'], noStdInc: true });
});

test('paths normalise without Node: dots, doubled slashes, .. above the root', () => {
  assert.equal(normalizePath('/a/./b//c/../d'), '/a/b/d');
  assert.equal(normalizePath('/../x'), '/x');
});

test('describeFlagsSource names the file, the go:generate line and the flags taken', () => {
  assert.equal(describeFlagsSource({ kind: 'go:generate', path: '/p/main.go', line: 17, flags: ['-I', '/p/h'], dropped: [] }),
    'flags from go:generate in /p/main.go:17: -I /p/h');
  assert.match(describeFlagsSource({ kind: 'none', flags: [], dropped: [] }), /no build description found/);
});

test('clang -v search list: host and -target bpf, as this clang prints them', () => {
  const host = parseClangSearchDirs(fixture('clang-v-host.txt'));
  const bpf = parseClangSearchDirs(fixture('clang-v-bpf.txt'));
  assert.deepEqual(host.errors, []);
  assert.deepEqual(bpf.errors, []);
  assert.ok(host.angled.length > 0 && host.angled.every((dir) => dir.startsWith('/')), host.angled.join(' '));
  // The point of the exercise: the host list has a directory (the multiarch one, with asm/) the bpf list lacks.
  assert.ok(host.angled.some((dir) => !bpf.angled.includes(dir)), `host ${host.angled.join(' ')} vs bpf ${bpf.angled.join(' ')}`);
});

test('clang -v search list: quote dirs, macOS framework entries, truncated output', () => {
  const output = [
    '#include "..." search starts here:', ' /q', '#include <...> search starts here:', ' /usr/include',
    ' /Library/Frameworks (framework directory)', 'End of search list.',
  ].join('\n');
  assert.deepEqual(parseClangSearchDirs(output), { quoted: ['/q'], angled: ['/usr/include'], errors: [] });
  const truncated = parseClangSearchDirs('#include <...> search starts here:\n /usr/include\n');
  assert.deepEqual(truncated.angled, ['/usr/include']);
  assert.match(truncated.errors[0], /End of search list/);
  assert.deepEqual(parseClangSearchDirs('').angled, []);
});
