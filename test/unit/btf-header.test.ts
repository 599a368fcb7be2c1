import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseBtf, Btf } from '../../core/src/btf/reader';
import { generateVmlinuxH, kfuncIds, NO_KFUNC_PROTOTYPES_MACRO } from '../../core/src/btf/c-header';
import { BtfKind } from '../../core/src/btf/types';

// Whether the headers compile, and whether clang lays them out like the kernel, is checked
// against real clang in test/kernel/vmlinux-h.test.ts; here we check text and ordering.

const FIXTURES = path.resolve(__dirname, '../../../test/fixtures/btf');

function load(name: string, base?: Btf): Btf {
  const { btf, errors } = parseBtf(new Uint8Array(readFileSync(path.join(FIXTURES, name))), base);
  assert.deepEqual(errors, []);
  return btf!;
}

/** The body of `struct name { ... };` as printed at top level. */
function definition(header: string, keyword: string, name: string): string {
  const start = header.indexOf(`\n${keyword} ${name} {\n`);
  assert.ok(start >= 0, `${keyword} ${name} is not defined`);
  const close = header.indexOf('\n}', start);
  return header.slice(start + 1, header.indexOf(';\n', close) + 1);
}

/** Named struct/union ids that a member holds by value (through typedefs, qualifiers, arrays). */
function byValueTags(btf: Btf, id: number, found: number[] = []): number[] {
  const type = btf.typeById(btf.resolve(id));
  if (!type) return found;
  if (type.kind === BtfKind.Array) return byValueTags(btf, type.elemType, found);
  if (type.kind === BtfKind.Struct || type.kind === BtfKind.Union) {
    if (type.name) found.push(type.id);
    else for (const member of type.members) byValueTags(btf, member.type, found);
  }
  return found;
}

/**
 * What a C compiler insists on: a struct used by value is defined before the struct that
 * holds it, and a typedef name is declared before any other line mentions it.
 */
function assertDeclarationOrder(btf: Btf, header: string): void {
  for (let id = 1; id < btf.typeCount; id++) {
    const type = btf.typeById(id)!;
    if ((type.kind === BtfKind.Struct || type.kind === BtfKind.Union) && type.name) {
      const keyword = type.kind === BtfKind.Struct ? 'struct' : 'union';
      const at = header.indexOf(`\n${keyword} ${type.name} {\n`);
      for (const member of type.members) {
        for (const held of byValueTags(btf, member.type)) {
          const heldType = btf.typeById(held)!;
          const heldAt = header.indexOf(`\n${heldType.kind === BtfKind.Union ? 'union' : 'struct'} ${heldType.name} {\n`);
          assert.ok(heldAt >= 0 && heldAt < at, `${heldType.name} must be defined before ${type.name}`);
        }
      }
    }
    if (type.kind === BtfKind.Typedef) {
      const use = new RegExp(`\\b${type.name}\\b`);
      const declared = header.search(new RegExp(`\\ntypedef [^;]*\\b${type.name}\\b[^;]*;`));
      const firstUse = header.search(use);
      assert.ok(declared >= 0, `typedef ${type.name} missing`);
      assert.ok(firstUse > declared, `typedef ${type.name} used before it is declared`);
    }
  }
}

void test('the header has the guard and CO-RE pragma around everything', () => {
  const header = generateVmlinuxH(load('all-kinds.btf'));
  const lines = header.split('\n');
  assert.deepEqual(lines.slice(0, 2), ['#ifndef __VMLINUX_H__', '#define __VMLINUX_H__']);
  assert.match(header, /#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute push \(__attribute__\(\(preserve_access_index\)\), apply_to = record\)\n#endif/);
  assert.match(header, /#pragma clang attribute pop\n#endif\n\n#endif \/\* __VMLINUX_H__ \*\/\n$/);
  assert.match(generateVmlinuxH(load('all-kinds.btf'), { guard: 'MY_H' }), /^#ifndef MY_H\n#define MY_H\n/);
});

void test('definitions come before the uses that need them', () => {
  for (const btf of [load('all-kinds.btf'), load('kernel-subset.btf')]) assertDeclarationOrder(btf, generateVmlinuxH(btf));
});

void test('structs print members, bitfields, anonymous members and packing', () => {
  const header = generateVmlinuxH(load('all-kinds.btf'));
  assert.equal(definition(header, 'struct', 'flags'), [
    'struct flags {',
    '\tu32 ready: 1;',
    '\tu32 mode: 3;',
    '\tlong: 4;', // the source's unnamed `u32 : 4`, which BTF keeps only as a gap
    '\tu64 wide: 40;',
    '\tbool done;',
    '};',
  ].join('\n'));
  assert.equal(definition(header, 'struct', 'packed_pair'), 'struct packed_pair {\n\tchar tag;\n\tu64 value;\n} __attribute__((packed));');
  const node = definition(header, 'struct', 'node');
  assert.match(node, /\n\tunion \{\n\t\tu32 as_int;\n\t\tfloat as_float;\n\t\};\n/);
  assert.match(node, /\n\tstruct \{\n\t\tdouble x;\n\t\tdouble y;\n\t\} point;\n/);
  assert.match(node, /\n\tint \(\*callback\)\(struct node \*, const char \*, \.\.\.\);\n/);
  assert.match(node, /\n\tconst volatile int counter;\n/);
  assert.match(header, /\ntypedef int \(\*handler_fn\)\(void \*, unsigned long\);\n/);
  assert.match(header, /\nenum negative \{\n\tMINUS_ONE = 4294967295,\n\tBIG = 2147483647,\n\};\n/);
  // Never-defined types still get declared, so pointers to them are usable.
  assert.match(header, /\nstruct undefined_elsewhere;\n/);
  assert.match(header, /\nunion undefined_union;\n/);
  // Functions and variables are not part of vmlinux.h.
  assert.doesNotMatch(header, /do_sys_openat2_like|root_node/);
});

void test('trimmed kernel types keep their offsets through padding; ENUM64 values keep 64 bits', () => {
  const btf = load('kernel-subset.btf');
  const header = generateVmlinuxH(btf);
  const task = definition(header, 'struct', 'task_struct');
  const body = task.split('\n').slice(1, -1);
  // Replay C layout over the printed lines: explicit padding plus natural alignment must land
  // every member on its BTF offset.
  const members = (btf.typeById(btf.findByName('task_struct', BtfKind.Struct)!.id) as { members: { name: string; bitOffset: number; type: number }[] }).members;
  let bit = 0;
  let memberIndex = 0;
  for (const line of body) {
    const pad = /^\tlong: (\d+);$/.exec(line);
    if (pad) {
      bit += Number(pad[1]);
      continue;
    }
    const member = members[memberIndex++];
    assert.ok(line.endsWith(` ${member.name};`) || line.includes(`*${member.name};`) || line.includes(` ${member.name}[`), line);
    const resolved = btf.typeById(btf.resolve(member.type))!;
    const align = 8 * btf.sizeOf(resolved.kind === BtfKind.Array ? resolved.elemType : resolved.id)!;
    bit = Math.ceil(bit / align) * align;
    assert.equal(bit, member.bitOffset, `${member.name} lands at bit ${bit}`);
    bit += btf.sizeOf(member.type)! * 8;
  }
  assert.equal(memberIndex, members.length);
  assert.equal(Math.ceil(bit / 64) * 64, 3264 * 8);
  assert.match(header, /\n\tPERF_CONTEXT_HV = 18446744073709551584ULL,\n/);
  assert.match(header, /\n\tNET_IOV_MAX = 18446744073709551615ULL,\n/);
  assert.match(header, /\nstruct xdp_md \{\n\tlong: 64;\n\tlong: 64;\n\tlong: 64;\n\};\n/);
});

void test('names that repeat across split BTF get ___N suffixes, uses follow the rename', () => {
  const base = load('all-kinds.btf');
  const split = load('split-module.btf', base);
  const header = generateVmlinuxH(split);
  assert.match(header, /\nstruct flags \{\n\tu32 ready: 1;/);
  assert.equal(definition(header, 'struct', 'flags___2'), 'struct flags___2 {\n\tlong different_layout;\n};');
  assert.match(header, /\ntypedef unsigned int u32;\n/);
  assert.match(header, /\ntypedef long u32___2;\n/);
  assert.match(header, /\n\tRED = 0,\n/);
  assert.match(header, /\n\tRED___2 = 0,\n\tAMBER = 1,\n/);
  const state = definition(header, 'struct', 'module_state');
  assert.match(state, /\n\tstruct flags___2 local_flags;\n\tu32___2 local_word;\n\tenum traffic_light light;\n/);
  assert.match(state, /\n\tstruct node \*first;\n/);
  assert.match(state, /\n\tint \(\*probe\)\(struct module_state \*, int\);\n/);
});

// kfuncs.btf: this kernel's bpf_kfunc-tagged FUNCs and their prototypes' types, captured by
// scripts/capture-kfunc-btf.mjs; kfuncs.btf.bpftool-raw is bpftool's listing of the same blob.
void describe('kfunc declarations', () => {
  const btf = load('kfuncs.btf');
  const header = generateVmlinuxH(btf);
  const raw = readFileSync(path.join(FIXTURES, 'kfuncs.btf.bpftool-raw'), 'utf8');
  const funcNames = new Map([...raw.matchAll(/^\[(\d+)\] FUNC '(\w+)'/gm)].map((m) => [m[1]!, m[2]!]));
  const taggedBy = (tag: string) => new Set([...raw.matchAll(new RegExp(`^\\[\\d+\\] DECL_TAG '${tag}' type_id=(\\d+) component_idx=-1$`, 'gm'))].map((m) => funcNames.get(m[1]!)!));
  const declarations = header.split('\n').filter((line) => line.startsWith('extern '));
  // No kfunc returns a function pointer, so the name is the word before the first parenthesis.
  const declaredName = (line: string) => /^extern [^(]*?(\w+)\(/.exec(line)?.[1];

  void test('one weak .ksyms extern per FUNC bpftool shows tagged bpf_kfunc, and no other', () => {
    const kfuncs = taggedBy('bpf_kfunc');
    assert.ok(kfuncs.size > 100, `only ${kfuncs.size} kfuncs in the fixture`);
    assert.deepEqual(declarations.map(declaredName).sort(), [...kfuncs].sort());
    assert.equal(kfuncIds(btf).length, kfuncs.size);
    for (const line of declarations) assert.match(line, /\) (?:__bpfdev_kfunc_fastcall )?__attribute__\(\(weak\)\) __attribute__\(\(section\("\.ksyms"\)\)\);$/);
  });

  void test('prototypes spell the kernel\'s types: bpf_task_from_pid takes s32, bpf_task_release a task_struct pointer', () => {
    assert.ok(declarations.includes('extern struct task_struct *bpf_task_from_pid(s32) __attribute__((weak)) __attribute__((section(".ksyms")));'));
    assert.ok(declarations.includes('extern void bpf_task_release(struct task_struct *) __attribute__((weak)) __attribute__((section(".ksyms")));'));
  });

  void test('bpf_fastcall-tagged kfuncs carry the attribute, where clang has it', () => {
    const fastcall = taggedBy('bpf_fastcall');
    assert.ok(fastcall.size > 0);
    assert.deepEqual(declarations.filter((line) => line.includes('__bpfdev_kfunc_fastcall')).map(declaredName).sort(), [...fastcall].sort());
    assert.match(header, /#if __has_attribute\(bpf_fastcall\)\n#define __bpfdev_kfunc_fastcall __attribute__\(\(bpf_fastcall\)\)\n#else\n#define __bpfdev_kfunc_fastcall\n#endif/);
  });

  void test('the declarations follow every type and sit inside the BPF_NO_KFUNC_PROTOTYPES opt-out', () => {
    const open = header.indexOf(`#ifndef ${NO_KFUNC_PROTOTYPES_MACRO}\n`);
    const close = header.indexOf(`#endif /* ${NO_KFUNC_PROTOTYPES_MACRO} */`);
    assert.ok(open > header.indexOf('#pragma clang attribute pop') && close > open);
    const first = header.indexOf('\nextern ');
    const last = header.lastIndexOf('\nextern ');
    assert.ok(first > open && last < close);
    // A struct named only in a prototype is declared at file scope first, or it would be local to it.
    assert.ok(header.indexOf('\nstruct task_struct;\n') < header.indexOf('bpf_task_from_pid('));
  });

  void test('BTF without kfuncs gets no kfunc section', () => {
    assert.doesNotMatch(generateVmlinuxH(load('all-kinds.btf')), /BPF_NO_KFUNC_PROTOTYPES|\.ksyms/);
  });
});
