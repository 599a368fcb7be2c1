/**
 * Which part of a program the precompiled header may stand for (host/src/pch.ts): the leading
 * `#include`s of vmlinux.h and our headers, nothing that could change their meaning. The PCH's
 * effect on real compiles is checked in test/kernel/verify-pipeline.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { precompilablePreamble } from '../../host/src/pch';

const ROOT = path.resolve(__dirname, '../../..');

test('the usual preamble, after license and comment lines', () => {
  const preamble = precompilablePreamble([
    '// SPDX-License-Identifier: GPL-2.0',
    '/* Counts things.',
    ' * Second line of the comment.',
    ' */',
    '',
    '#include "vmlinux.h"',
    '#include <bpf/bpf_helpers.h> // helpers',
    '#  include <bpf/bpf_tracing.h> /* macros */',
    '#include <bpf/bpf_core_read.h>',
    '',
    'char LICENSE[] SEC("license") = "GPL";',
    '#include <bpf/bpf_endian.h>',
  ].join('\n'));
  assert.deepEqual(preamble?.headers, ['vmlinux.h', 'bpf/bpf_helpers.h', 'bpf/bpf_tracing.h', 'bpf/bpf_core_read.h']);
  assert.deepEqual(preamble?.quoted, ['vmlinux.h']);
  assert.equal(preamble?.text, '#include "vmlinux.h"\n#include <bpf/bpf_helpers.h>\n#include <bpf/bpf_tracing.h>\n#include <bpf/bpf_core_read.h>\n');
});

test('a definition or another header ends the preamble: what follows may depend on it', () => {
  // Before vmlinux.h: no PCH at all (the define changes vmlinux.h itself).
  assert.equal(precompilablePreamble('#define BPF_NO_PRESERVE_ACCESS_INDEX\n#include "vmlinux.h"\n'), undefined);
  assert.equal(precompilablePreamble('#include <linux/bpf.h>\n#include "vmlinux.h"\n'), undefined);
  // After vmlinux.h: vmlinux.h alone is precompiled; bpf_helpers.h is compiled with the program.
  assert.deepEqual(precompilablePreamble('#include "vmlinux.h"\n#define BPF_NO_GLOBAL_DATA\n#include <bpf/bpf_helpers.h>\n')?.headers, ['vmlinux.h']);
  assert.deepEqual(precompilablePreamble('#include "vmlinux.h"\n#include "common.h"\n#include <bpf/bpf_helpers.h>\n')?.headers, ['vmlinux.h']);
  assert.deepEqual(precompilablePreamble('#include "vmlinux.h"\n#ifdef X\n#include <bpf/bpf_helpers.h>\n#endif\n')?.headers, ['vmlinux.h']);
  assert.deepEqual(precompilablePreamble('#include "vmlinux.h"\n#include "vmlinux.h"\n#include <bpf/bpf_helpers.h>\n')?.headers, ['vmlinux.h']);
});

test('no vmlinux.h in the preamble, no PCH', () => {
  assert.equal(precompilablePreamble(''), undefined);
  assert.equal(precompilablePreamble('#include <bpf/bpf_helpers.h>\n'), undefined);
  assert.equal(precompilablePreamble('int x;\n#include "vmlinux.h"\n'), undefined);
  assert.equal(precompilablePreamble('/* #include "vmlinux.h" */\nint x;\n'), undefined);
  assert.equal(precompilablePreamble('/* never closed\n#include "vmlinux.h"\n'), undefined);
});

test('a comment opened on an include line is skipped up to its end', () => {
  const preamble = precompilablePreamble('#include "vmlinux.h" /* the kernel\'s types,\n   generated */\n#include <bpf/bpf_helpers.h>\n');
  assert.deepEqual(preamble?.headers, ['vmlinux.h', 'bpf/bpf_helpers.h']);
});

test('every example and corpus program that starts with vmlinux.h gets a PCH', () => {
  const files = [
    ...readdirSync(path.join(ROOT, 'examples')).map((name) => path.join(ROOT, 'examples', name)),
    ...readdirSync(path.join(ROOT, 'test/fixtures/verifier')).filter((name) => name.endsWith('.bpf.c')).map((name) => path.join(ROOT, 'test/fixtures/verifier', name)),
  ];
  assert.ok(files.length > 20);
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const firstInclude = /^#include\s+(\S+)/m.exec(text)?.[1];
    if (firstInclude !== '"vmlinux.h"') continue;
    assert.ok(precompilablePreamble(text), path.relative(ROOT, file));
  }
});
