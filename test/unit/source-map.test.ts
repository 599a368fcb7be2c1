import { test } from 'node:test';
import assert from 'node:assert/strict';
import { codeRangeOfLine, lineOfSection, lineOfSourceText } from '../../core/src/report/source-map';

const source = [
  '#include "vmlinux.h"',
  'SEC("tp/a/b") int f(void *ctx) {',
  '\tint x = 1; // note',
  '\treturn x;',
  '}',
  'SEC( "kprobe/do_sys_open" )',
  'int g(void *ctx) { return x; }',
].join('\n');

test('finds the SEC() line of a program section', () => {
  assert.equal(lineOfSection(source, 'tp/a/b'), 2);
  assert.equal(lineOfSection(source, 'kprobe/do_sys_open'), 6);
  assert.equal(lineOfSection(source, 'tp/a'), undefined);
});

test('matches verifier source annotations, preferring the program\'s own function', () => {
  assert.equal(lineOfSourceText(source, 'return x;'), 4);
  assert.equal(lineOfSourceText(source, '  int x = 1; // note  '), 3);
  assert.equal(lineOfSourceText(source, 'nothing like it'), undefined);
});

test('code range skips indentation and trailing comments', () => {
  assert.deepEqual(codeRangeOfLine(source, 3), { column: 2, endColumn: 12 });
  assert.deepEqual(codeRangeOfLine(source, 99), { column: 1, endColumn: 2 });
});
