/**
 * Record types of real programs (the shared corpus: libbpf-bootstrap, cilium/ebpf examples,
 * xdp-tutorial) compiled with our compile path: each event map gets the type its authors' user
 * space decodes it as, from the place the type really is (a map's __type, or only DWARF), and
 * the layout's offsets and sizes agree with pahole's own reading of the object's DWARF.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeRecordChecked, FieldLayout, layoutSize, RecordLayout } from '../../core/src/events/decode';
import { compileForTarget } from '../../host/src/compile';
import { recordTypes } from '../../host/src/events/record-types';
import { LocalTarget } from '../../host/src/local-target';
import { kernelSkipReason, repoRoot } from '../support/kernel';

const corpus = process.env.BPFDEV_CORPUS ?? path.resolve(repoRoot, '..', 'shared', 'corpus');
const skip = kernelSkipReason() ?? (fs.existsSync(path.join(corpus, 'PROVENANCE.md')) ? undefined : `no corpus at ${corpus} (set BPFDEV_CORPUS)`);
const target = new LocalTarget();

/** [source, map, type, origin]: what each program's user space reads from its event map. */
const CASES: [string, string, string, string][] = [
  ['libbpf-bootstrap/examples/c/bootstrap.bpf.c', 'rb', 'struct event', 'dwarf'],
  ['libbpf-bootstrap/examples/c/bootstrap_legacy.bpf.c', 'perf_buffer', 'struct event', 'dwarf'],
  ['libbpf-bootstrap/examples/c/profile.bpf.c', 'events', 'struct stacktrace_event', 'dwarf'],
  ['cilium-ebpf/examples/ringbuffer/ringbuffer.c', 'events', 'struct event', 'btf'],
  ['cilium-ebpf/examples/uretprobe/uretprobe.c', 'events', 'struct event', 'btf'],
  ['xdp-tutorial/tracing04-xdp-tcpdump/xdp_sample_pkts_kern.c', 'my_map', 'struct S', 'btf'],
];

/** pahole's `name; /* offset size *\/` lines of the struct's own members (not nested ones). */
function paholeMembers(objectPath: string, typeName: string): Map<string, { offset: number; size: number }> {
  const result = spawnSync('pahole', ['-C', typeName.replace(/^(struct|union) /, ''), objectPath], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  const members = new Map<string, { offset: number; size: number }>();
  for (const line of result.stdout.split('\n')) {
    // One tab deep: members of the struct itself; deeper lines belong to nested types.
    const match = /^\t[^\t].*?\b(\w+)(\[\d+\])*;\s+\/\*\s+(\d+)\s+(\d+)\s+\*\//.exec(line);
    if (match) members.set(match[1], { offset: Number(match[3]), size: Number(match[4]) });
  }
  return members;
}

/** Bytes for the layout with a distinct value in every integer byte, and which value each top-level integer must decode to. */
function synthetic(layout: RecordLayout): { bytes: Uint8Array; expected: Map<string, number> } {
  const bytes = new Uint8Array(layout.size);
  const expected = new Map<string, number>();
  const root = layout.root as Extract<FieldLayout, { kind: 'struct' | 'union' }>;
  const view = new DataView(bytes.buffer);
  for (const [index, slot] of root.fields.entries()) {
    if (slot.layout.kind !== 'int' || slot.layout.bool || slot.layout.size > 4) continue;
    const value = (index + 1) * 3;
    if (slot.layout.size === 1) view.setUint8(slot.offset, value);
    else if (slot.layout.size === 2) view.setUint16(slot.offset, value, layout.littleEndian);
    else view.setUint32(slot.offset, value, layout.littleEndian);
    expected.set(slot.name, value);
  }
  return { bytes, expected };
}

void describe('record types of the corpus', { skip, timeout: 180_000 }, () => {
  after(() => target.dispose());
  for (const [file, map, typeName, origin] of CASES) {
    void test(`${file}: ${map} holds ${typeName} (from ${origin})`, async () => {
      const compiled = await compileForTarget(path.join(corpus, file), target, { precompiledHeader: 'off' });
      assert.ok(compiled.ok, compiled.output);
      const { types, notes } = await recordTypes(compiled.objectPath);
      assert.deepEqual(notes, []);
      const found = types.get(map);
      assert.ok(found, `no type for ${map}: ${[...types.keys()].join(', ')}`);
      assert.equal(found.layout.typeName, typeName);
      assert.equal(found.origin, origin);

      const oracle = paholeMembers(compiled.objectPath, typeName);
      assert.ok(oracle.size > 0, `pahole printed no members of ${typeName}`);
      const root = found.layout.root as Extract<FieldLayout, { kind: 'struct' | 'union' }>;
      let compared = 0;
      for (const slot of root.fields) {
        const member = oracle.get(slot.name);
        if (!member || slot.layout.kind === 'bitfield') continue;
        compared++;
        assert.deepEqual({ offset: slot.offset, size: layoutSize(slot.layout) }, member, `${typeName}.${slot.name}`);
      }

      assert.equal(compared, oracle.size, `compared ${compared} of pahole's ${oracle.size} members`);

      const { bytes, expected } = synthetic(found.layout);
      const { fields, problems } = decodeRecordChecked(found.layout, bytes);
      assert.deepEqual(problems, []);
      assert.deepEqual(Object.keys(fields), found.layout.columns);
      for (const [name, value] of expected) assert.equal(fields[name], value, name);
    });
  }
});
