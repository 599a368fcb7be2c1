import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseClangDiagnostics } from '../../core/src/clang/diagnostics';

test('errors and warnings with flags, notes attached to their parent', () => {
  const output = [
    '/w/a.bpf.c:4:26: error: use of undeclared identifier \'x\'',
    '/w/a.bpf.c:7:6: warning: unused variable \'y\' [-Wunused-variable]',
    '/w/a.h:2:9: note: expanded from macro \'Z\'',
    '2 errors generated.',
  ].join('\n');
  const diagnostics = parseClangDiagnostics(output);
  assert.equal(diagnostics.length, 2);
  assert.deepEqual(diagnostics[0], { file: '/w/a.bpf.c', line: 4, column: 26, severity: 'error', message: 'use of undeclared identifier \'x\'', notes: [] });
  assert.equal(diagnostics[1].flag, '-Wunused-variable');
  assert.equal(diagnostics[1].message, 'unused variable \'y\'');
  assert.deepEqual(diagnostics[1].notes, [{ file: '/w/a.h', line: 2, column: 9, message: 'expanded from macro \'Z\'' }]);
});

test('fatal errors, paths with colons and CRLF output', () => {
  const diagnostics = parseClangDiagnostics('/w/odd:name.c:3:1: fatal error: \'vmlinux.h\' file not found\r\n');
  assert.equal(diagnostics.length, 1);
  assert.equal(diagnostics[0].file, '/w/odd:name.c');
  assert.equal(diagnostics[0].severity, 'error');
  assert.equal(diagnostics[0].message, '\'vmlinux.h\' file not found');
});

test('text that is not a diagnostic yields nothing', () => {
  assert.deepEqual(parseClangDiagnostics('In file included from x.c:1:\nrandom: words\n\n'), []);
});
