/** Hover on `#include` lines, the pure half: finding the directive at the cursor and wording the answer. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { includeAt, includeHover } from '../../core/src/language/index';
import type { FlagsSource } from '../../core/src/build/project-flags';

/** The text without its `|` marker, and the marker's offset. */
function at(source: string): { text: string; offset: number } {
  const offset = source.indexOf('|');
  return { text: source.slice(0, offset) + source.slice(offset + 1), offset };
}

const GO_GENERATE: FlagsSource = { kind: 'go:generate', path: '/p/app/main.go', line: 3, flags: ['-I', '/p/headers'], dropped: [{ flag: '$EXTRA', reason: 'an environment variable go generate would expand' }] };

test('the directive on the cursor\'s line: quoted or angled, with spaces after # and anywhere on the line', () => {
  const quoted = at('int x;\n#include "com|mon.h" // why\n');
  assert.deepEqual(includeAt(quoted.text, quoted.offset), { header: 'common.h', quoted: true, range: { start: 16, end: 26 } });
  const angled = at('  #  include <bpf/bpf_helpers.h>|\n');
  assert.deepEqual(includeAt(angled.text, angled.offset)?.header, 'bpf/bpf_helpers.h');
  const lineStart = at('|#include <linux/bpf.h>');
  assert.equal(includeAt(lineStart.text, lineStart.offset)?.quoted, false);
});

test('not an include: code, #define, a malformed directive', () => {
  for (const source of ['int |x;\n#include "a.h"\n', '#define INCLUDE |1\n', '#include <unterminated|\n', '#include_next <a.h>|\n']) {
    const { text, offset } = at(source);
    assert.equal(includeAt(text, offset), undefined, source);
  }
});

test('the hover names the file read, the flags\' origin and what was not used', () => {
  const { text, offset } = at('#include "com|mon.h"\n');
  const include = includeAt(text, offset)!;
  const hover = includeHover(include, { path: '/p/headers/common.h', flagsSource: GO_GENERATE });
  assert.deepEqual(hover.range, include.range);
  assert.match(hover.contents, /"common\.h".*`\/p\/headers\/common\.h`/);
  assert.match(hover.contents, /go:generate in \/p\/app\/main\.go:3: -I \/p\/headers/);
  assert.match(hover.contents, /`\$EXTRA` \(an environment variable/);
});

test('the hover for the generated vmlinux.h and for a header found nowhere', () => {
  const none: FlagsSource = { kind: 'none', flags: [], dropped: [] };
  const { text, offset } = at('#include "vmlinux|.h"\n');
  assert.match(includeHover(includeAt(text, offset)!, { generated: true, flagsSource: none }).contents, /generated from the target kernel's BTF/);
  const missing = includeHover({ header: 'nope.h', quoted: false, range: { start: 0, end: 8 } }, { searched: ['/a', '/b'], flagsSource: none });
  assert.match(missing.contents, /not found; searched:\n- `\/a`\n- `\/b`/);
  assert.match(missing.contents, /no build description found/);
});
